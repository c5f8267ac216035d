import { MessageAssembler } from '../../src/translate/assemble'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../../src/translate/types'

const STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'])
const ERROR_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
])
const USAGE_KEYS = ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const

const show = (v: unknown) => JSON.stringify(v)?.slice(0, 300)
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0

/**
 * Asserts that `events` follow the Anthropic streaming grammar (protocol.md A8) as strictly as the strictest
 * client, and returns the message they assemble to:
 *
 *   message_start ping* block* message_delta message_stop      (success)
 *   message_start ping* block* error                           (failure: nothing after the error)
 *   block := content_block_start(i) (content_block_delta(i) | ping)* content_block_stop(i), i = 0,1,2,… never interleaved
 *
 * Also: exactly one message_start and one message_delta; text/thinking start empty; tool_use starts with input {}
 * and a non-empty id and name, and its input_json_delta pieces join to '' or a JSON object; redacted_thinking
 * carries data and no deltas; a thinking block has at most one signature_delta, after its thinking; deltas match
 * their block's type; message_delta has a real stop_reason and all four usage counts; stop_reason tool_use comes
 * with at least one tool_use block. Throws an Error naming the offending event otherwise.
 *
 * A lone error event is rejected too: a failure before message_start is not a stream, the proxy answers it with an
 * HTTP status instead (see createStreamTranslator's error contract).
 */
export function assertAnthropicGrammar(events: readonly AnthropicStreamEvent[]): AnthropicMessageResponse {
  const fail = (i: number, why: string): never => {
    throw new Error(`Anthropic grammar violated at event #${i} (${show(events[i])}): ${why}`)
  }
  if (events.length === 0) throw new Error('Anthropic grammar violated: no events')
  const assembler = new MessageAssembler()
  let openIndex = -1
  let openType = ''
  let nextIndex = 0
  let json = ''
  let signed = false
  let sawDelta = false
  let toolUses = 0
  let end = ''
  events.forEach((ev, i) => {
    if (end !== '') fail(i, `event after ${end}`)
    if (i === 0 && ev.type !== 'message_start') fail(i, 'the first event must be message_start')
    switch (ev.type) {
      case 'message_start': {
        if (i !== 0) fail(i, 'message_start must come once, first')
        const m = ev.message
        if (m.type !== 'message' || m.role !== 'assistant') fail(i, 'message must be type message, role assistant')
        if (typeof m.id !== 'string' || m.id === '' || typeof m.model !== 'string') fail(i, 'message needs an id and a model')
        if (!Array.isArray(m.content) || m.content.length !== 0) fail(i, 'message_start content must be []')
        if (m.stop_reason !== null || m.stop_sequence !== null) fail(i, 'message_start stop_reason and stop_sequence must be null')
        if (!isCount(m.usage?.input_tokens) || !isCount(m.usage?.output_tokens)) fail(i, 'message_start usage needs input_tokens and output_tokens')
        break
      }
      case 'ping':
        break
      case 'content_block_start': {
        if (openIndex !== -1) fail(i, `block ${openIndex} is still open (blocks must not interleave)`)
        if (ev.index !== nextIndex) fail(i, `expected index ${nextIndex}`)
        const b = ev.content_block as Record<string, unknown>
        if (b.type === 'text') {
          if (b.text !== '') fail(i, 'a text block starts with text ""')
        } else if (b.type === 'thinking') {
          if (b.thinking !== '' || b.signature !== '') fail(i, 'a thinking block starts with thinking "" and signature ""')
        } else if (b.type === 'redacted_thinking') {
          if (typeof b.data !== 'string' || b.data === '') fail(i, 'redacted_thinking needs data')
        } else if (b.type === 'tool_use') {
          if (typeof b.id !== 'string' || b.id === '') fail(i, 'tool_use needs an id')
          if (typeof b.name !== 'string' || b.name === '') fail(i, 'tool_use needs a name')
          if (show(b.input) !== '{}') fail(i, 'tool_use must start with input {} (arguments go in input_json_delta)')
          toolUses++
        } else fail(i, `unknown block type ${show(b.type)}`)
        openIndex = nextIndex++
        openType = b.type as string
        json = ''
        signed = false
        sawDelta = false
        break
      }
      case 'content_block_delta': {
        if (openIndex === -1 || ev.index !== openIndex) fail(i, `delta for block ${ev.index}, but the open block is ${openIndex}`)
        const d = ev.delta as Record<string, unknown>
        const expect: Record<string, string[]> = {
          text: ['text_delta'],
          thinking: ['thinking_delta', 'signature_delta'],
          tool_use: ['input_json_delta'],
          redacted_thinking: [],
        }
        if (!expect[openType]?.includes(d.type as string)) fail(i, `${show(d.type)} is not a delta of a ${openType} block`)
        if (d.type === 'text_delta' && (typeof d.text !== 'string' || d.text === '')) fail(i, 'text_delta needs non-empty text')
        if (d.type === 'thinking_delta') {
          if (typeof d.thinking !== 'string' || d.thinking === '') fail(i, 'thinking_delta needs non-empty thinking')
          if (signed) fail(i, 'thinking_delta after the signature_delta')
        }
        if (d.type === 'signature_delta') {
          if (signed) fail(i, 'a second signature_delta')
          if (typeof d.signature !== 'string' || d.signature === '') fail(i, 'signature_delta needs a signature')
          signed = true
        }
        if (d.type === 'input_json_delta') {
          if (typeof d.partial_json !== 'string') fail(i, 'input_json_delta needs partial_json')
          json += d.partial_json
        }
        sawDelta = true
        break
      }
      case 'content_block_stop': {
        if (openIndex === -1 || ev.index !== openIndex) fail(i, `stop for block ${ev.index}, but the open block is ${openIndex}`)
        if (openType === 'redacted_thinking' && sawDelta) fail(i, 'redacted_thinking takes no deltas')
        if (openType === 'tool_use' && json !== '') {
          let parsed: unknown
          try {
            parsed = JSON.parse(json)
          } catch {
            fail(i, `tool_use arguments are not valid JSON: ${json.slice(0, 200)}`)
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) fail(i, 'tool_use arguments must be a JSON object')
        }
        openIndex = -1
        break
      }
      case 'message_delta': {
        if (openIndex !== -1) fail(i, `message_delta while block ${openIndex} is open`)
        if (!STOP_REASONS.has(ev.delta?.stop_reason as string)) fail(i, 'message_delta needs a real stop_reason')
        if (ev.delta.stop_sequence !== null && typeof ev.delta.stop_sequence !== 'string') fail(i, 'stop_sequence must be null or a string')
        for (const k of USAGE_KEYS) if (!isCount(ev.usage?.[k])) fail(i, `message_delta usage.${k} must be a count`)
        if (ev.delta.stop_reason === 'tool_use' && toolUses === 0) fail(i, 'stop_reason tool_use without any tool_use block')
        if (events[i + 1]?.type !== 'message_stop') fail(i, 'message_delta must be followed by message_stop')
        break
      }
      case 'message_stop':
        if (events[i - 1]?.type !== 'message_delta') fail(i, 'message_stop must follow the message_delta')
        end = 'message_stop'
        break
      case 'error':
        if (openIndex !== -1) fail(i, `error while block ${openIndex} is open`)
        if (!ERROR_TYPES.has(ev.error?.type) || typeof ev.error.message !== 'string') fail(i, 'error needs a known type and a message')
        end = 'error'
        break
      default:
        fail(i, `unknown event type ${show((ev as { type: unknown }).type)}`)
    }
    assembler.push(ev)
  })
  if (end === '') throw new Error(`Anthropic grammar violated: the stream ends with ${show(events[events.length - 1])}, not message_stop or error`)
  return assembler.message()
}
