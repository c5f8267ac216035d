import { decodeProviderState, type ProviderState } from './provider-state'
import type { ProviderProfile } from './providers/profile'
import { documentParts, imagePart, searchResultText, serverToolText, toolResultContent, type LooseBlock } from './request-content'
import type { ToolNamer } from './tool-names'
import { freezeDeep, isDeepFrozen } from './frozen-json'
import type {
  AnthropicMessage,
  AnthropicMessagesRequest,
  OpenAIAssistantMessage,
  OpenAIChatMessage,
  OpenAIContentPart,
  OpenAIToolCall,
  OpenAIUserMessage,
} from './types'

/** Google's documented thought_signature for tool calls the model never signed (ai.google.dev thought-signatures). */
export const GEMINI_SIGNATURE_FALLBACK = 'skip_thought_signature_validator'

/** Claude Code's per-request billing block: it changes every request and would defeat upstream prefix caching. */
const BILLING_PREFIX = 'x-anthropic-billing-header:'
const MISSING_RESULT = 'Error: no result was provided for this tool call.'

type Loose = LooseBlock

/** What message conversion needs beyond the request. */
export interface MessageOptions {
  readonly profile: ProviderProfile
  readonly systemRole: 'system' | 'developer'
  readonly namer: ToolNamer
}

/**
 * Anthropic `system` + messages → OpenAI messages: one leading system/developer message; tool results as `tool`
 * messages in the preceding assistant's tool_use order, before the rest of that user turn; thinking replayed as
 * the profile says; consecutive same-role messages merged when the profile requires alternation.
 */
export function convertMessages(req: AnthropicMessagesRequest, opts: MessageOptions): OpenAIChatMessage[] {
  const frozenSystem = isDeepFrozen(req.system) ? (req.system as object) : undefined
  const kept = frozenSystem && keptSystem.get(frozenSystem)
  const reuse = kept && kept.role === opts.systemRole ? kept : undefined
  const system: string[] = []
  if (!reuse) addSystem(req.system, system)
  let systemRoleSeen = false
  const out: OpenAIChatMessage[] = []
  let pending: string[] | undefined
  const messages = req.messages
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    if (m.role === 'system') {
      if (reuse && !systemRoleSeen) addSystem(req.system, system)
      systemRoleSeen = true
      addSystem(m.content, system)
    } else if (m.role === 'assistant') {
      if (pending) answerMissing(pending, out)
      pending = pushAssistant(m, opts, out)
    } else {
      pushUser(m, i, pending, opts.profile, out)
      pending = undefined
    }
  }
  if (opts.profile.requiresAlternation) mergeSameRole(out)
  if (reuse && !systemRoleSeen) {
    if (reuse.message) out.unshift(reuse.message)
    return out
  }
  const message: OpenAIChatMessage | null = system.length ? { role: opts.systemRole, content: system.join('\n\n') } : null
  // A frozen system (a session's, see src/proxy/body-memo.ts) makes one frozen message per role, so the upstream
  // body's JSON writes its text once (frozen-json.ts).
  if (frozenSystem && !systemRoleSeen) keptSystem.set(frozenSystem, { role: opts.systemRole, message: message && freezeDeep(message) })
  if (message) out.unshift(message)
  return out
}

/** The system message of a deep-frozen `system`, for the role it was made for; null when it has no text. */
const keptSystem = new WeakMap<object, { role: MessageOptions['systemRole']; message: OpenAIChatMessage | null }>()

function addSystem(content: unknown, acc: string[]): void {
  if (typeof content === 'string') {
    if (content && !content.startsWith(BILLING_PREFIX)) acc.push(content)
  } else if (Array.isArray(content)) {
    for (const block of content as Loose[]) {
      const text = block?.text
      if (typeof text === 'string' && text && !text.startsWith(BILLING_PREFIX)) acc.push(text)
    }
  }
}

function answerMissing(ids: string[], out: OpenAIChatMessage[]): void {
  for (const id of ids) out.push({ role: 'tool', tool_call_id: id, content: MISSING_RESULT })
}

function mergeState(into: ProviderState | undefined, value: unknown): ProviderState | undefined {
  const state = decodeProviderState(value)
  if (!state) return into
  if (!into) return state
  return {
    reasoning_details: state.reasoning_details ? [...(into.reasoning_details ?? []), ...state.reasoning_details] : into.reasoning_details,
    thought_signatures: state.thought_signatures ? { ...into.thought_signatures, ...state.thought_signatures } : into.thought_signatures,
  }
}

/** Pushes the assistant message (if it has anything to say) and returns its tool call ids. */
function pushAssistant(m: AnthropicMessage, opts: MessageOptions, out: OpenAIChatMessage[]): string[] | undefined {
  if (typeof m.content === 'string') {
    if (m.content) out.push({ role: 'assistant', content: m.content })
    return undefined
  }
  const replay = opts.profile.replay
  const wantsState = replay === 'openrouter_reasoning_details' || replay === 'gemini_thought_signature'
  let text = ''
  let calls: OpenAIToolCall[] | undefined
  let thinking: string | undefined
  let state: ProviderState | undefined
  const addText = (t: string) => {
    if (t) text = text ? `${text}\n\n${t}` : t
  }
  for (const block of m.content as Loose[]) {
    switch (block.type) {
      case 'text':
        addText(block.text)
        break
      case 'tool_use':
        ;(calls ??= []).push({
          id: block.id,
          type: 'function',
          function: { name: opts.namer.upstream(block.name), arguments: typeof block.input === 'string' ? block.input : JSON.stringify(block.input ?? {}) },
        })
        break
      case 'thinking':
        if (replay === 'deepseek_reasoning_content' && typeof block.thinking === 'string') thinking = thinking === undefined ? block.thinking : `${thinking}\n\n${block.thinking}`
        if (wantsState) state = mergeState(state, block.signature)
        break
      case 'redacted_thinking':
        if (wantsState) state = mergeState(state, block.data)
        break
      default: {
        const server = serverToolText(block)
        if (server) addText(server)
        else if (typeof block.text === 'string') addText(block.text)
      }
    }
  }
  if (!text && !calls) return undefined
  const msg: OpenAIAssistantMessage = { role: 'assistant', content: text || null }
  if (calls) msg.tool_calls = calls
  if (replay === 'deepseek_reasoning_content' && calls) msg.reasoning_content = thinking ?? ''
  else if (replay === 'openrouter_reasoning_details' && state?.reasoning_details?.length) msg.reasoning_details = state.reasoning_details
  else if (replay === 'gemini_thought_signature' && calls) {
    const signatures = state?.thought_signatures
    for (const call of calls) call.extra_content = { google: { thought_signature: signatures?.[call.id] ?? GEMINI_SIGNATURE_FALLBACK } }
  }
  out.push(msg)
  return calls?.map((c) => c.id)
}

function pushUser(m: AnthropicMessage, i: number, pending: string[] | undefined, profile: ProviderProfile, out: OpenAIChatMessage[]): void {
  if (typeof m.content === 'string') {
    if (pending) answerMissing(pending, out)
    out.push({ role: 'user', content: m.content })
    return
  }
  let parts: OpenAIContentPart[] | undefined
  let results: number[] | undefined
  const blocks = m.content as Loose[]
  for (let j = 0; j < blocks.length; j++) {
    const block = blocks[j]
    switch (block.type) {
      case 'tool_result':
        ;(results ??= []).push(j)
        break
      case 'text':
        if (block.text) (parts ??= []).push({ type: 'text', text: block.text })
        break
      case 'image':
        ;(parts ??= []).push(imagePart(block, `messages.${i}.content.${j}`))
        break
      case 'document':
        documentParts(block, profile, `messages.${i}.content.${j}`, (parts ??= []))
        break
      case 'search_result':
        ;(parts ??= []).push({ type: 'text', text: searchResultText(block) })
        break
      default:
        if (typeof block.text === 'string' && block.text) (parts ??= []).push({ type: 'text', text: block.text })
    }
  }
  const extra = results || pending ? pushToolResults(blocks, results, pending, i, out) : undefined
  const all = extra ? (parts ? extra.concat(parts) : extra) : parts
  if (all?.length) out.push(userMessage(all))
}

/**
 * One `tool` message per result in the order of the assistant's tool_use blocks (Claude Code may send them
 * reordered, R05). Returns what belongs in the user message after them: tool images, and results that answer no
 * pending call (as text, since a `tool` message without its call is rejected).
 */
function pushToolResults(blocks: Loose[], results: number[] | undefined, pending: string[] | undefined, i: number, out: OpenAIChatMessage[]): OpenAIContentPart[] | undefined {
  let extra: OpenAIContentPart[] | undefined
  let used: Set<number> | undefined
  const render = (j: number, id: string) => {
    const block = blocks[j]
    const { text, images } = toolResultContent(block.content, `messages.${i}.content.${j}`)
    if (images) (extra ??= []).push({ type: 'text', text: `Image output of tool call ${id}:` }, ...images)
    let body = images ? `${text ? `${text}\n` : ''}[${images.length === 1 ? 'an image follows' : `${images.length} images follow`} in the next message]` : text
    if (block.is_error === true) body = body ? `Error: ${body}` : 'Error'
    return body
  }
  if (pending) {
    for (const id of pending) {
      const j = results?.find((k) => blocks[k].tool_use_id === id && !used?.has(k))
      if (j === undefined) {
        out.push({ role: 'tool', tool_call_id: id, content: MISSING_RESULT })
        continue
      }
      ;(used ??= new Set()).add(j)
      out.push({ role: 'tool', tool_call_id: id, content: render(j, id) })
    }
  }
  if (results) {
    for (const j of results) {
      if (used?.has(j)) continue
      const id = String(blocks[j].tool_use_id)
      ;(extra ??= []).push({ type: 'text', text: `Result of tool call ${id}:\n${render(j, id)}` })
    }
  }
  return extra
}

function userMessage(parts: OpenAIContentPart[]): OpenAIUserMessage {
  for (const p of parts) if (p.type !== 'text') return { role: 'user', content: parts }
  return { role: 'user', content: parts.length === 1 ? (parts[0] as { text: string }).text : parts.map((p) => (p as { text: string }).text).join('\n\n') }
}

function mergeSameRole(messages: OpenAIChatMessage[]): void {
  let w = 0
  for (let r = 0; r < messages.length; r++) {
    const m = messages[r]
    const prev = w > 0 ? messages[w - 1] : undefined
    if (prev?.role === 'user' && m.role === 'user') prev.content = joinUserContent(prev.content, m.content)
    else if (prev?.role === 'assistant' && m.role === 'assistant') mergeAssistant(prev, m)
    else messages[w++] = m
  }
  messages.length = w
}

function joinUserContent(a: string | OpenAIContentPart[], b: string | OpenAIContentPart[]): string | OpenAIContentPart[] {
  if (typeof a === 'string' && typeof b === 'string') return a && b ? `${a}\n\n${b}` : a || b
  const parts = (c: string | OpenAIContentPart[]): OpenAIContentPart[] => (typeof c === 'string' ? (c ? [{ type: 'text', text: c }] : []) : c)
  return parts(a).concat(parts(b))
}

function mergeAssistant(into: OpenAIAssistantMessage, m: OpenAIAssistantMessage): void {
  into.content = into.content && m.content ? `${into.content}\n\n${m.content}` : into.content || m.content
  if (m.tool_calls) into.tool_calls = into.tool_calls ? into.tool_calls.concat(m.tool_calls) : m.tool_calls
  if (m.reasoning_content !== undefined) into.reasoning_content = (into.reasoning_content ?? '') + m.reasoning_content
  if (m.reasoning_details) into.reasoning_details = into.reasoning_details ? into.reasoning_details.concat(m.reasoning_details) : m.reasoning_details
}
