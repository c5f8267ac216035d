import { describe, expect, test } from 'bun:test'
import { SSEDecoder } from '../../src/sse/decoder'
import { encodeEvents } from '../../src/sse/encoder'
import { MessageAssembler } from '../../src/translate/assemble'
import type { AnthropicStreamEvent } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'

const start: AnthropicStreamEvent = {
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
}
const delta = (index: number, d: Record<string, unknown>): AnthropicStreamEvent => ({ type: 'content_block_delta', index, delta: d })
const block = (index: number, b: Record<string, unknown>): AnthropicStreamEvent => ({ type: 'content_block_start', index, content_block: b })
const stop = (index: number): AnthropicStreamEvent => ({ type: 'content_block_stop', index })
const done = (usage: Record<string, number>): AnthropicStreamEvent[] => [
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: usage as never },
  { type: 'message_stop' },
]

const STREAM: AnthropicStreamEvent[] = [
  start,
  { type: 'ping' },
  block(0, { type: 'thinking', thinking: '', signature: '' }),
  delta(0, { type: 'thinking_delta', thinking: 'Let me ' }),
  delta(0, { type: 'thinking_delta', thinking: 'look.' }),
  delta(0, { type: 'signature_delta', signature: 'sig==' }),
  stop(0),
  block(1, { type: 'redacted_thinking', data: 'opaque' }),
  stop(1),
  block(2, { type: 'text', text: '' }),
  delta(2, { type: 'text_delta', text: 'Reading ' }),
  { type: 'ping' },
  delta(2, { type: 'text_delta', text: 'it.' }),
  stop(2),
  block(3, { type: 'tool_use', id: 'toolu_1', name: 'read', input: {} }),
  delta(3, { type: 'input_json_delta', partial_json: '' }),
  delta(3, { type: 'input_json_delta', partial_json: '{"path": "a' }),
  delta(3, { type: 'input_json_delta', partial_json: '.txt", "n": [1]}' }),
  stop(3),
  ...done({ input_tokens: 12, output_tokens: 30, cache_creation_input_tokens: 2, cache_read_input_tokens: 5 }),
]

const EXPECTED = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'm',
  content: [
    { type: 'thinking', thinking: 'Let me look.', signature: 'sig==' },
    { type: 'redacted_thinking', data: 'opaque' },
    { type: 'text', text: 'Reading it.' },
    { type: 'tool_use', id: 'toolu_1', name: 'read', input: { path: 'a.txt', n: [1] } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 30, cache_creation_input_tokens: 2, cache_read_input_tokens: 5 },
}

describe('MessageAssembler', () => {
  test('builds the final message from every kind of block', () => {
    const a = new MessageAssembler()
    for (const ev of STREAM) a.push(ev)
    expect(a.complete).toBe(true)
    expect(a.message()).toEqual(EXPECTED as never)
  })

  test('gives the same message after an SSE round trip through encodeEvents and SSEDecoder', () => {
    const wire = new TextEncoder().encode(encodeEvents(STREAM))
    const d = new SSEDecoder()
    const a = new MessageAssembler()
    for (let i = 0; i < wire.length; i += 5) for (const m of d.push(wire.subarray(i, i + 5))) a.push(JSON.parse(m.data))
    expect(a.message()).toEqual(EXPECTED as never)
  })

  test('message_delta with only output_tokens keeps the input numbers from message_start', () => {
    const a = new MessageAssembler()
    for (const ev of [start, ...done({ output_tokens: 7 })]) a.push(ev)
    expect(a.message().usage).toEqual({ input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('invalid, truncated or non-object tool JSON leaves input {}', () => {
    for (const json of ['{"a": ', '[1,2]', '"str"', 'null', '']) {
      const a = new MessageAssembler()
      for (const ev of [start, block(0, { type: 'tool_use', id: 't', name: 'n', input: {} }), delta(0, { type: 'input_json_delta', partial_json: json }), stop(0)]) a.push(ev)
      expect(a.message().content).toEqual([{ type: 'tool_use', id: 't', name: 'n', input: {} }])
    }
  })

  test('records an error event and stays incomplete', () => {
    const a = new MessageAssembler()
    for (const ev of [start, block(0, { type: 'text', text: '' }), delta(0, { type: 'text_delta', text: 'x' }), stop(0)]) a.push(ev)
    a.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
    expect([a.complete, a.error, a.message().stop_reason]).toEqual([false, { type: 'overloaded_error', message: 'Overloaded' }, null])
  })

  test('message() before message_start throws', () => {
    expect(() => new MessageAssembler().message()).toThrow('no message_start')
  })
})

describe('assertAnthropicGrammar', () => {
  test('accepts a valid stream and returns the assembled message', () => {
    expect(assertAnthropicGrammar(STREAM)).toEqual(EXPECTED as never)
  })

  const broken: Array<[string, AnthropicStreamEvent[], string]> = [
    ['no message_start', STREAM.slice(1), 'first event must be message_start'],
    ['interleaved blocks', [start, block(0, { type: 'text', text: '' }), block(1, { type: 'text', text: '' }), stop(0), stop(1), ...done({ input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })], 'still open'],
    ['index gap', [start, block(1, { type: 'text', text: '' }), stop(1)], 'expected index 0'],
    ['input in tool_use start', [start, block(0, { type: 'tool_use', id: 't', name: 'n', input: { a: 1 } }), stop(0)], 'input {}'],
    ['two message_delta', [start, block(0, { type: 'tool_use', id: 't', name: 'n', input: {} }), stop(0), ...done({ input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }).slice(0, 1), ...done({ input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })], 'followed by message_stop'],
    ['missing usage field', [start, block(0, { type: 'tool_use', id: 't', name: 'n', input: {} }), stop(0), ...done({ output_tokens: 1 })], 'usage.input_tokens'],
    ['tool_use stop without a tool block', [start, ...done({ input_tokens: 0, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })], 'without any tool_use block'],
    ['message_delta after error', [start, { type: 'error', error: { type: 'api_error', message: 'x' } }, ...done({ output_tokens: 1 })], 'event after error'],
    ['no terminal event', [start, block(0, { type: 'text', text: '' }), stop(0)], 'not message_stop or error'],
    ['bad tool JSON', [start, block(0, { type: 'tool_use', id: 't', name: 'n', input: {} }), delta(0, { type: 'input_json_delta', partial_json: '{' }), stop(0)], 'not valid JSON'],
    ['text delta in a thinking block', [start, block(0, { type: 'thinking', thinking: '', signature: '' }), delta(0, { type: 'text_delta', text: 'x' })], 'not a delta of a thinking block'],
  ]
  for (const [name, events, message] of broken) {
    test(`rejects ${name}`, () => {
      expect(() => assertAnthropicGrammar(events)).toThrow(message)
    })
  }
})
