import { encodeEvents } from '../sse/encoder'
import type { AnthropicMessageResponse, AnthropicResponseBlock, AnthropicStreamEvent } from '../translate/types'

/**
 * A well-formed Anthropic stream for a stored Message: message_start (empty content, null stop), then per block
 * content_block_start / deltas / content_block_stop, then message_delta (stop reason, full usage) and
 * message_stop. Each block's content goes in one delta: text → text_delta; thinking → thinking_delta and, when
 * signed, one signature_delta; redacted_thinking → start only (its data rides on the start); tool_use → start
 * with input {} and one input_json_delta of the input's JSON (none when the input is {}). Feeding the events to
 * MessageAssembler gives back the message.
 */
export function messageToEvents(message: AnthropicMessageResponse): AnthropicStreamEvent[] {
  const usage = message.usage
  const events: AnthropicStreamEvent[] = [
    {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) } },
    },
  ]
  const content = message.content
  for (let index = 0; index < content.length; index++) pushBlock(events, index, content[index])
  events.push({ type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence }, usage: { ...usage } })
  events.push({ type: 'message_stop' })
  return events
}

/** The SSE text of messageToEvents(message), ready for a single write. */
export function messageToSSE(message: AnthropicMessageResponse): string {
  return encodeEvents(messageToEvents(message))
}

/**
 * A shallow copy of a stored or shared answer carrying this request's message id and requested model name
 * (several client model names can map to one upstream model, so the answer shared under one key keeps the
 * first requester's). Content and usage are shared, not copied.
 */
export function restampMessage(message: AnthropicMessageResponse, id: string, model: string): AnthropicMessageResponse {
  return message.id === id && message.model === model ? message : { ...message, id, model }
}

/** The same event with restampMessage applied when it is a message_start; every other event as it is. */
export function restampEvent(ev: AnthropicStreamEvent, id: string, model: string): AnthropicStreamEvent {
  return ev.type === 'message_start' ? { type: 'message_start', message: restampMessage(ev.message, id, model) } : ev
}

function pushBlock(events: AnthropicStreamEvent[], index: number, block: AnthropicResponseBlock): void {
  switch (block.type) {
    case 'text':
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } })
      if (block.text !== '') events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } })
      break
    case 'thinking':
      events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } })
      if (block.thinking !== '') events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } })
      if (block.signature) events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } })
      break
    case 'redacted_thinking':
      events.push({ type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: block.data } })
      break
    case 'tool_use': {
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } })
      const json = JSON.stringify(block.input ?? {})
      if (json !== '{}') events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } })
      break
    }
    default:
      events.push({ type: 'content_block_start', index, content_block: { ...(block as Record<string, unknown>) } })
  }
  events.push({ type: 'content_block_stop', index })
}
