import { encodeProviderState } from './provider-state'
import {
  argumentsFragment,
  isCompleteJson,
  nonEmpty,
  syntheticToolId,
  thoughtSignature,
  type ToolCallState,
} from './stream-tools'
import { clientToolName, type ToolNameMap } from './tool-names'
import type { AnthropicStreamEvent, AnthropicUsage, OpenAIReasoningDetail, OpenAIToolCallDelta } from './types'

/** What the stream translator needs to know about the request. */
export interface StreamTranslatorOptions {
  /** The model name the client asked for; echoed in message_start. */
  model: string
  messageId: string
  /** Best estimate of the prompt's tokens, for message_start (and message_delta when the upstream reports no usage). */
  inputTokens?: number
  /** Upstream tool name → client tool name, when the request had to rename tools. */
  toolNameMap?: ToolNameMap
}

const NONE = 0
const TEXT = 1
const THINKING = 2
const TOOL = 3

/**
 * The emitting half of the stream translator: owns the Anthropic block sequence (message_start once, 0-based
 * contiguous blocks, the open block closed before the next opens) and the tool calls being assembled.
 */
export class BlockWriter {
  protected out: AnthropicStreamEvent[] = []
  protected toolBlocks = 0
  /** Characters of text, thinking and arguments emitted: the output estimate when no usage arrives. */
  protected chars = 0
  protected hasStarted = false
  protected hasContent = false
  private nextIndex = 0
  private openKind = NONE
  private openIndex = -1
  private openCall: ToolCallState | null = null
  private details: OpenAIReasoningDetail[] | null = null
  private readonly calls: ToolCallState[] = []
  private readonly byIndex = new Map<number, ToolCallState>()
  private byId: Map<string, ToolCallState> | null = null
  private held: ToolCallState[] = []

  constructor(protected readonly opts: StreamTranslatorOptions) {}

  /**
   * Marks the message as started and returns its message_start event; later events never repeat it. Call it
   * only to commit early (for example to send pings before any content); the translator calls it itself otherwise.
   */
  start(): AnthropicStreamEvent {
    this.hasStarted = true
    const { messageId: id, model } = this.opts
    return {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: this.startUsage() },
    }
  }

  protected startUsage(): AnthropicUsage {
    return { input_tokens: this.opts.inputTokens ?? 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
  }

  /** Whether tool calls are held back, waiting to be emitted. */
  protected get holding(): boolean {
    return this.held.length > 0
  }

  protected text(text: string): void {
    if (this.openKind !== TEXT) {
      if (this.held.length > 0) this.releaseHeld()
      this.openBlock(TEXT, { type: 'text', text: '' })
    }
    this.chars += text.length
    this.out.push({ type: 'content_block_delta', index: this.openIndex, delta: { type: 'text_delta', text } })
  }

  protected thinking(text: string): void {
    if (this.openKind !== THINKING) this.openThinking()
    this.thinkingDelta(text)
  }

  /**
   * One OpenRouter reasoning_details item. Text and summary items feed the open thinking block, and are merged
   * (per type and index) into the state its signature_delta carries; encrypted items become redacted_thinking.
   */
  protected reasoningDetail(item: OpenAIReasoningDetail): void {
    if (item.type === 'reasoning.encrypted') {
      this.redacted(encodeProviderState({ reasoning_details: [item] }))
      return
    }
    const summary = item.type === 'reasoning.summary'
    const text = nonEmpty(summary ? item.summary : item.text)
    const signature = nonEmpty(item.signature)
    if (text === undefined && signature === undefined) return
    if (this.openKind !== THINKING) this.openThinking()
    const list = (this.details ??= [])
    let merged: OpenAIReasoningDetail | undefined
    for (const d of list) if (d.type === item.type && d.index === item.index) merged = d
    if (merged === undefined) list.push({ ...item })
    else {
      const field = summary ? 'summary' : 'text'
      if (text !== undefined) merged[field] = ((merged[field] as string | undefined) ?? '') + text
      if (signature !== undefined) merged.signature = signature
      if (merged.format === undefined && item.format !== undefined) merged.format = item.format
      if (merged.id === undefined && item.id !== undefined) merged.id = item.id
    }
    if (text !== undefined) this.thinkingDelta(text)
  }

  private openThinking(): void {
    if (this.held.length > 0) this.releaseHeld()
    this.openBlock(THINKING, { type: 'thinking', thinking: '', signature: '' })
  }

  private thinkingDelta(text: string): void {
    this.chars += text.length
    this.out.push({ type: 'content_block_delta', index: this.openIndex, delta: { type: 'thinking_delta', thinking: text } })
  }

  /**
   * One tool-call fragment. Fragments are keyed by upstream `index`; index-less fragments and a re-used index with a
   * new id start a new call. Calls stream live one after another. A call that starts while the open call's arguments
   * are not yet complete JSON means the upstream may interleave them, so that call (and every later one) is held
   * and emitted whole, in order, once the open call is settled (finish, other content, or end): blocks never
   * interleave. A fragment for a call already closed is dropped: its arguments were complete JSON already.
   */
  protected toolCall(tc: OpenAIToolCallDelta): void {
    const id = nonEmpty(tc.id)
    const name = nonEmpty(tc.function?.name)
    const signature = thoughtSignature(tc)
    let call = this.findCall(tc.index, id, name)
    if (call === undefined) {
      call = {
        id: id ?? syntheticToolId(this.opts.messageId, this.calls.length),
        upstreamId: id,
        name: name ?? '',
        args: '',
        held: [],
        block: -1,
        signature,
        signatureSent: false,
      }
      this.calls.push(call)
      if (typeof tc.index === 'number') this.byIndex.set(tc.index, call)
      if (id !== undefined) (this.byId ??= new Map()).set(id, call)
      const open = this.openCall
      if (this.held.length > 0 || call.name === '' || (open !== null && !isCompleteJson(open.args))) this.held.push(call)
      else this.startCall(call)
    } else {
      if (name !== undefined && call.name === '') call.name = name
      if (signature !== undefined && call.signature === undefined) call.signature = signature
      if (id !== undefined && call.upstreamId === undefined && call.block < 0) {
        call.id = call.upstreamId = id
        ;(this.byId ??= new Map()).set(id, call)
      }
    }
    const fragment = argumentsFragment(tc)
    if (fragment === '') return
    call.args += fragment
    this.chars += fragment.length
    if (call === this.openCall) this.argsDelta(fragment)
    else if (call.block < 0) call.held.push(fragment)
  }

  private findCall(index: unknown, id: string | undefined, name: string | undefined): ToolCallState | undefined {
    if (typeof index === 'number') {
      const call = this.byIndex.get(index)
      if (call === undefined || id === undefined || call.upstreamId === undefined || call.upstreamId === id) return call
      return undefined
    }
    if (id !== undefined) return this.byId?.get(id)
    const last = this.calls[this.calls.length - 1]
    return last !== undefined && !(name !== undefined && last.name !== '') ? last : undefined
  }

  private startCall(call: ToolCallState): void {
    if (call.signature !== undefined) this.sendSignature(call)
    const name = clientToolName(this.opts.toolNameMap, call.name)
    this.openBlock(TOOL, { type: 'tool_use', id: call.id, name, input: {} })
    call.block = this.openIndex
    this.openCall = call
    this.toolBlocks++
  }

  private sendSignature(call: ToolCallState): void {
    call.signatureSent = true
    this.redacted(encodeProviderState({ thought_signatures: { [call.id]: call.signature as string } }))
  }

  private argsDelta(fragment: string): void {
    this.out.push({ type: 'content_block_delta', index: this.openIndex, delta: { type: 'input_json_delta', partial_json: fragment } })
  }

  private releaseHeld(): void {
    const list = this.held
    this.held = []
    for (const call of list) {
      // A call whose name never arrived cannot be run by any client, and a tool_use block needs a name: left out.
      if (call.name === '') continue
      this.startCall(call)
      for (const fragment of call.held) this.argsDelta(fragment)
      call.held = []
      this.closeOpen()
    }
  }

  /**
   * Settles all content at the finish: held calls are emitted, the open block closes, and thought signatures that
   * arrived after their call had started go out as redacted_thinking blocks.
   */
  protected settle(): void {
    if (this.held.length > 0) this.releaseHeld()
    if (this.openKind !== NONE) this.closeOpen()
    for (const call of this.calls) if (call.block >= 0 && call.signature !== undefined && !call.signatureSent) this.sendSignature(call)
  }

  /** Closes the open block, if any, without emitting held calls (used before an error event). */
  protected abandon(): void {
    if (this.hasStarted && this.openKind !== NONE) this.closeOpen()
  }

  private redacted(data: string): void {
    if (this.held.length > 0) this.releaseHeld()
    this.openBlock(NONE, { type: 'redacted_thinking', data })
    this.out.push({ type: 'content_block_stop', index: this.openIndex })
  }

  private openBlock(kind: number, block: Record<string, unknown>): void {
    if (this.openKind !== NONE) this.closeOpen()
    if (!this.hasStarted) this.out.push(this.start())
    const index = this.nextIndex++
    this.out.push({ type: 'content_block_start', index, content_block: block })
    this.openKind = kind
    this.openIndex = index
    this.hasContent = true
  }

  private closeOpen(): void {
    const index = this.openIndex
    if (this.openKind === THINKING && this.details !== null) {
      const details = this.details
      this.details = null
      this.out.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: encodeProviderState({ reasoning_details: details }) } })
    } else if (this.openKind === TOOL) this.openCall = null
    this.out.push({ type: 'content_block_stop', index })
    this.openKind = NONE
  }
}
