import { describe, expect, test } from 'bun:test'
import { messageToEvents, messageToSSE, restampEvent, restampMessage } from '../../src/cache/replay'
import { SSEDecoder } from '../../src/sse/decoder'
import { MessageAssembler } from '../../src/translate/assemble'
import type { AnthropicMessageResponse, AnthropicResponseBlock, AnthropicStopReason, AnthropicStreamEvent } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'

const message = (content: AnthropicResponseBlock[], stop: AnthropicStopReason = 'end_turn', stopSequence: string | null = null): AnthropicMessageResponse => ({
  id: 'msg_01abc',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5',
  content,
  stop_reason: stop,
  stop_sequence: stopSequence,
  usage: { input_tokens: 1200, output_tokens: 87, cache_creation_input_tokens: 3, cache_read_input_tokens: 1100 },
})

function assemble(events: AnthropicStreamEvent[]): AnthropicMessageResponse {
  const a = new MessageAssembler()
  for (const ev of events) a.push(ev)
  expect(a.complete).toBe(true)
  return a.message()
}

/** Replays, checks the grammar as strictly as the strictest client, and assembles back. */
function roundTrip(m: AnthropicMessageResponse): AnthropicStreamEvent[] {
  const events = messageToEvents(m)
  expect(assertAnthropicGrammar(events)).toEqual(m)
  expect(assemble(events)).toEqual(m)
  return events
}

const types = (events: AnthropicStreamEvent[]) => events.map((e) => (e.type === 'content_block_delta' ? `delta:${e.delta.type}` : e.type))

describe('messageToEvents', () => {
  test('text answer', () => {
    const events = roundTrip(message([{ type: 'text', text: 'Hello, world.' }]))
    expect(types(events)).toEqual(['message_start', 'content_block_start', 'delta:text_delta', 'content_block_stop', 'message_delta', 'message_stop'])
  })

  test('thinking with a signature, then text', () => {
    const events = roundTrip(message([{ type: 'thinking', thinking: 'Let me look.', signature: 'EqQBCkYIB...==' }, { type: 'text', text: 'Done.' }]))
    expect(types(events).slice(1, 6)).toEqual(['content_block_start', 'delta:thinking_delta', 'delta:signature_delta', 'content_block_stop', 'content_block_start'])
  })

  test('thinking without a signature sends no signature_delta', () => {
    const events = roundTrip(message([{ type: 'thinking', thinking: 'hmm', signature: '' }, { type: 'text', text: 'ok' }]))
    expect(types(events)).not.toContain('delta:signature_delta')
  })

  test('redacted_thinking is a start (carrying data) and a stop', () => {
    const events = roundTrip(message([{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va...' }, { type: 'text', text: 'Answer.' }]))
    expect(events[1]).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va...' } })
    expect(events[2]).toEqual({ type: 'content_block_stop', index: 0 })
  })

  test('parallel tool_use blocks after text', () => {
    const m = message(
      [
        { type: 'text', text: 'Reading both.' },
        { type: 'tool_use', id: 'toolu_01', name: 'Read', input: { file_path: '/a.ts', limit: 20 } },
        { type: 'tool_use', id: 'toolu_02', name: 'Grep', input: { pattern: 'fo"o\\n', glob: '*.ts', nested: { a: [1, 2, { b: null }] } } },
      ],
      'tool_use',
    )
    const events = roundTrip(m)
    expect(events.filter((e) => e.type === 'content_block_start').map((e) => (e as { content_block: unknown }).content_block)).toEqual([
      { type: 'text', text: '' },
      { type: 'tool_use', id: 'toolu_01', name: 'Read', input: {} },
      { type: 'tool_use', id: 'toolu_02', name: 'Grep', input: {} },
    ])
  })

  test('a tool call with empty input sends no input_json_delta', () => {
    const events = roundTrip(message([{ type: 'tool_use', id: 'toolu_09', name: 'TodoRead', input: {} }], 'tool_use'))
    expect(types(events)).toEqual(['message_start', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop'])
  })

  test('stop_sequence and usage ride on message_delta; message_start has the input side of usage', () => {
    const m = message([{ type: 'text', text: 'a' }], 'stop_sequence', '###')
    const events = roundTrip(m)
    const start = events[0] as Extract<AnthropicStreamEvent, { type: 'message_start' }>
    expect(start.message.usage.input_tokens).toBe(1200)
    expect(start.message.stop_reason).toBeNull()
    expect(events.at(-2)).toEqual({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: '###' }, usage: m.usage })
  })

  test('an empty text block gets no delta (the grammar forbids empty text_delta)', () => {
    const events = roundTrip(message([{ type: 'text', text: '' }, { type: 'text', text: 'x' }]))
    expect(types(events).filter((t) => t === 'delta:text_delta')).toHaveLength(1)
  })

  test('does not modify the stored message', () => {
    const m = message([{ type: 'text', text: 'a' }, { type: 'tool_use', id: 't', name: 'n', input: { a: 1 } }], 'tool_use')
    const copy = structuredClone(m)
    roundTrip(m)
    expect(m).toEqual(copy)
  })
})

describe('messageToSSE', () => {
  test('is SSE text that decodes back to the same events', () => {
    const m = message([{ type: 'thinking', thinking: 'é 😀 line\nbreak', signature: 's' }, { type: 'text', text: 'multi\n\nline' }])
    const sse = messageToSSE(m)
    const d = new SSEDecoder()
    const decoded = d.push(new TextEncoder().encode(sse)).concat(d.end())
    expect(decoded.map((x) => x.event)).toEqual(messageToEvents(m).map((e) => e.type))
    expect(assemble(decoded.map((x) => JSON.parse(x.data)))).toEqual(m)
  })
})

describe('restamp', () => {
  test("restampMessage carries this request's id and model, sharing content", () => {
    const m = message([{ type: 'text', text: 'a' }])
    const r = restampMessage(m, 'msg_other', 'claude-opus-5')
    expect(r).toMatchObject({ id: 'msg_other', model: 'claude-opus-5' })
    expect(r.content).toBe(m.content)
    expect(m.id).toBe('msg_01abc')
    expect(restampMessage(m, m.id, m.model)).toBe(m)
  })

  test('restampEvent touches only message_start', () => {
    const events = messageToEvents(message([{ type: 'text', text: 'a' }]))
    const out = events.map((e) => restampEvent(e, 'msg_2', 'm2'))
    expect((out[0] as Extract<AnthropicStreamEvent, { type: 'message_start' }>).message).toMatchObject({ id: 'msg_2', model: 'm2' })
    for (let i = 1; i < out.length; i++) expect(out[i]).toBe(events[i])
  })
})
