import { upstreamErrorType } from './errors'
import { BlockWriter, type StreamTranslatorOptions } from './stream-blocks'
import { nonEmpty } from './stream-tools'
import type { AnthropicErrorType, AnthropicStopReason, AnthropicStreamEvent, AnthropicUsage, OpenAIChatChunk, OpenAIDelta, OpenAIUsage } from './types'
import { mapFinishReason, mapUsage } from './usage'
import { roughTokens } from '../tokens/estimate'

export type { StreamTranslatorOptions } from './stream-blocks'

/**
 * Creates the OpenAI-chunk → Anthropic-event state machine (fixtures README rules 1–8, protocol.md C2).
 * Feed it each parsed upstream chunk with `push`, then call `end(sawDone)` at `[DONE]` or EOF.
 *
 * Error contract: a failure (an `error` chunk, `object:"error"`, `finish_reason:"error"`, or an EOF without a
 * finish_reason) yields one `error` event and nothing after it. When `started` is still false at that point,
 * nothing has been meant for the client yet: answer with a real HTTP status built from `failed` instead.
 * `[DONE]` after content but without any finish_reason is taken as a normal end (end_turn); an upstream that sent
 * neither content nor a finish_reason has failed, never succeeded emptily. Deltas after the first finish_reason
 * are ignored; usage keeps being read until the end.
 */
export function createStreamTranslator(opts: StreamTranslatorOptions): StreamTranslator {
  return new StreamTranslator(opts)
}

/** The stream translator; see createStreamTranslator. */
export class StreamTranslator extends BlockWriter {
  private closed = false
  private finish: string | null = null
  private rawUsage: OpenAIUsage | null = null
  private _stopReason: AnthropicStopReason | null = null
  private _usage: AnthropicUsage | null = null
  private _failed: { type: AnthropicErrorType; message: string } | undefined = undefined

  /** Whether message_start has been emitted (false after a failure means: reply with an HTTP error). */
  get started(): boolean {
    return this.hasStarted
  }
  /** Whether any content block was emitted. */
  get contentEmitted(): boolean {
    return this.hasContent
  }
  /** The stop_reason sent in message_delta; null until a successful end. */
  get stopReason(): AnthropicStopReason | null {
    return this._stopReason
  }
  /** The usage sent in message_delta; before that, the message_start numbers. */
  get usage(): AnthropicUsage {
    return this._usage ?? this.startUsage()
  }
  /** Set when the stream failed. */
  get failed(): { type: AnthropicErrorType; message: string } | undefined {
    return this._failed
  }
  /** Whether the upstream reported usage; otherwise message_delta's output_tokens is estimated as characters / 4. */
  get usageReported(): boolean {
    return this.rawUsage !== null
  }

  /**
   * Translates one upstream chunk (whatever its data parsed to: `null`, numbers and strings are no chunks and are
   * skipped). Never throws: a chunk that cannot be translated (absurdly deep JSON, say) fails the stream instead.
   */
  push(chunk: OpenAIChatChunk): AnthropicStreamEvent[] {
    if (this.closed || chunk === null || typeof chunk !== 'object') return []
    const out: AnthropicStreamEvent[] = []
    this.out = out
    try {
      this.translate(chunk)
    } catch (e) {
      this.fail('api_error', `upstream chunk could not be translated: ${e instanceof Error ? e.message : String(e)}`)
    }
    return out
  }

  /** Ends the stream (EOF, or `[DONE]` when sawDone): closes the message, or fails when it cannot. Never throws. */
  end(sawDone: boolean): AnthropicStreamEvent[] {
    if (this.closed) return []
    const out: AnthropicStreamEvent[] = []
    this.out = out
    try {
      this.finishStream(sawDone)
    } catch (e) {
      this.fail('api_error', `upstream stream could not be translated: ${e instanceof Error ? e.message : String(e)}`)
    }
    return out
  }

  private translate(chunk: OpenAIChatChunk): void {
    const err = chunk.error
    if (err !== undefined && err !== null && typeof err === 'object') {
      this.fail(upstreamErrorType(err.type ?? err.code), nonEmpty(err.message) ?? 'upstream stream error')
      return
    }
    if (chunk.object === 'error') {
      this.fail(upstreamErrorType(chunk.type ?? chunk.code), nonEmpty(chunk.message) ?? 'upstream stream error')
      return
    }
    const usage = chunk.usage ?? chunk.x_groq?.usage
    if (usage !== undefined && usage !== null && typeof usage === 'object') this.rawUsage = usage
    const choice = chunk.choices?.[0]
    if (choice === undefined || choice === null || this.finish !== null) return
    const reason = choice.finish_reason
    if (reason === 'error') {
      this.fail('api_error', 'upstream finished with an error')
      return
    }
    const delta = choice.delta
    if (delta !== undefined && delta !== null && typeof delta === 'object') this.applyDelta(delta)
    if (typeof reason === 'string' && reason !== '') {
      this.finish = reason
      this.settle()
    }
  }

  private finishStream(sawDone: boolean): void {
    const out = this.out
    if (this.finish === null) {
      const anything = this.hasContent || this.holding
      if (!sawDone || !anything) {
        this.fail('api_error', anything ? 'upstream stream ended before a finish_reason' : 'upstream stream ended without any content')
        return
      }
      this.finish = 'stop'
      this.settle()
    }
    if (!this.hasStarted) out.push(this.start())
    let stop = mapFinishReason(this.finish)
    // Gemini reports `stop` for tool calls; and tool_use with no tool_use block makes clients discard the answer.
    if (this.toolBlocks > 0 && stop === 'end_turn') stop = 'tool_use'
    else if (this.toolBlocks === 0 && stop === 'tool_use') stop = 'end_turn'
    const usage = this.rawUsage !== null ? mapUsage(this.rawUsage) : { ...this.startUsage(), output_tokens: roughTokens(this.chars) }
    this._stopReason = stop
    this._usage = usage
    out.push({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage })
    out.push({ type: 'message_stop' })
    this.closed = true
  }

  private applyDelta(delta: OpenAIDelta): void {
    const details = delta.reasoning_details
    if (Array.isArray(details) && details.length > 0) {
      for (const item of details) if (item !== null && typeof item === 'object') this.reasoningDetail(item)
    } else {
      const reasoning = nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning)
      if (reasoning !== undefined) this.thinking(reasoning)
    }
    const content = delta.content
    if (typeof content === 'string') {
      if (content !== '') this.text(content)
    } else if (Array.isArray(content)) this.contentParts(content)
    const refusal = delta.refusal
    if (typeof refusal === 'string' && refusal !== '') this.text(refusal)
    const calls = delta.tool_calls
    if (Array.isArray(calls)) {
      for (const tc of calls) if (tc !== null && typeof tc === 'object') this.toolCall(tc)
    }
  }

  /** Typed content parts: `text`, and Mistral's `thinking` whose value is a string or a list of text parts. */
  private contentParts(parts: unknown[]): void {
    for (const part of parts as Array<{ type?: unknown; text?: unknown; thinking?: unknown } | null>) {
      if (part === null || typeof part !== 'object') continue
      if (part.type === 'text') {
        if (typeof part.text === 'string' && part.text !== '') this.text(part.text)
      } else if (part.type === 'thinking') {
        const t = part.thinking
        if (typeof t === 'string') {
          if (t !== '') this.thinking(t)
        } else if (Array.isArray(t)) {
          for (const item of t as Array<{ text?: unknown } | null>) {
            if (item !== null && typeof item === 'object' && typeof item.text === 'string' && item.text !== '') this.thinking(item.text)
          }
        }
      }
    }
  }

  private fail(type: AnthropicErrorType, message: string): void {
    this.abandon()
    this.out.push({ type: 'error', error: { type, message } })
    this._failed = { type, message }
    this.closed = true
  }
}
