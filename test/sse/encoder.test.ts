import { expect, test } from 'bun:test'
import { SSEDecoder } from '../../src/sse/decoder'
import { PING_EVENT, encodeEvent, encodeEvents } from '../../src/sse/encoder'

test('encodeEvent writes an event line equal to the type and the JSON payload', () => {
  const ev = { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a\nb "c"' } }
  expect(encodeEvent(ev)).toBe(`event: content_block_delta\ndata: ${JSON.stringify(ev)}\n\n`)
})

test('encoded events round-trip through SSEDecoder, newlines in text included', () => {
  const events = [{ type: 'message_stop' }, { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'x\r\ny\n\n' } }]
  const msgs = new SSEDecoder().push(new TextEncoder().encode(encodeEvents(events) + PING_EVENT))
  expect(msgs.map((m) => m.event)).toEqual(['message_stop', 'content_block_delta', 'ping'])
  expect(msgs.map((m) => JSON.parse(m.data))).toEqual([...events, { type: 'ping' }])
})
