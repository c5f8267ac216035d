import { describe, expect, test } from 'bun:test'
import { SSEDecoder, type SSEMessage } from '../../src/sse/decoder'
import { decodePieces, split } from '../translate/run-sse'

const enc = new TextEncoder()
const bytes = (s: string) => enc.encode(s)

/** Decodes text in every split style and checks they agree. */
function decodeAll(input: string | Uint8Array): SSEMessage[] {
  const b = typeof input === 'string' ? bytes(input) : input
  const whole = decodePieces(split(b, 'whole')).messages
  for (const how of ['bytes', 3, 17, 2024] as const) expect(decodePieces(split(b, how)).messages).toEqual(whole)
  return whole
}

describe('SSEDecoder line endings', () => {
  test('LF framing', () => {
    expect(decodeAll('data: a\n\ndata: b\n\n')).toEqual([{ data: 'a' }, { data: 'b' }])
  })

  test('CRLF framing', () => {
    expect(decodeAll('data: a\r\n\r\ndata: b\r\n\r\n')).toEqual([{ data: 'a' }, { data: 'b' }])
  })

  test('bare CR framing', () => {
    expect(decodeAll('data: a\r\rdata: b\r\r')).toEqual([{ data: 'a' }, { data: 'b' }])
  })

  test('mixed CR, LF and CRLF in one stream', () => {
    expect(decodeAll('data: a\r\n\ndata: b\r\rdata: c\n\r\n')).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }])
  })

  test('a CRLF split across two reads is one line break, not two', () => {
    const d = new SSEDecoder()
    expect(d.push(bytes('data: a\r'))).toEqual([])
    // Were the \n a second break, this would dispatch `a` with an empty line; it must wait for the real blank line.
    expect(d.push(bytes('\ndata: b\r'))).toEqual([])
    expect(d.push(bytes('\n\r'))).toEqual([{ data: 'a\nb' }])
    expect(d.push(bytes('\n'))).toEqual([])
    expect(d.end()).toEqual([])
  })

  test('a CR at the end of a read followed by a non-LF read still ends the line', () => {
    const d = new SSEDecoder()
    expect(d.push(bytes('data: a\r'))).toEqual([])
    expect(d.push(bytes('\rdata: b\r\r'))).toEqual([{ data: 'a' }, { data: 'b' }])
  })
})

describe('SSEDecoder fields', () => {
  test('comment lines are ignored, including OpenRouter keep-alives between messages', () => {
    expect(decodeAll(': OPENROUTER PROCESSING\n\n: x\ndata: a\n: mid-message comment\n\n')).toEqual([{ data: 'a' }])
  })

  test('several data lines join with \\n', () => {
    expect(decodeAll('data: {"a":\ndata: 1}\n\n')).toEqual([{ data: '{"a":\n1}' }])
  })

  test('exactly one space after the colon is stripped; none is required', () => {
    expect(decodeAll('data:{"x":1}\n\ndata:  two\n\n')).toEqual([{ data: '{"x":1}' }, { data: ' two' }])
  })

  test('event and id fields are reported; event resets per message, id persists', () => {
    expect(decodeAll('event: ping\nid: 7\ndata: p\n\ndata: q\n\n')).toEqual([
      { event: 'ping', id: '7', data: 'p' },
      { id: '7', data: 'q' },
    ])
  })

  test('a field with no colon is a field with an empty value', () => {
    expect(decodeAll('data\n\n')).toEqual([{ data: '' }])
    expect(decodeAll('data\ndata\n\n')).toEqual([{ data: '\n' }])
  })

  test('unknown fields are ignored; a message without data is not dispatched', () => {
    expect(decodeAll('retry: 100\nfoo: bar\n\nevent: only\n\ndata: x\n\n')).toEqual([{ data: 'x' }])
  })

  test('end() dispatches a trailing message that lacks the final blank line', () => {
    expect(decodeAll('data: a\n\ndata: [DONE]\n')).toEqual([{ data: 'a' }, { data: '[DONE]' }])
    expect(decodeAll('data: [DONE]')).toEqual([{ data: '[DONE]' }])
  })

  test('a leading BOM is stripped', () => {
    expect(decodeAll(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('data: a\n\n')]))).toEqual([{ data: 'a' }])
  })

  test('a long line arriving in many small reads is assembled intact', () => {
    const payload = 'x'.repeat(50_000)
    const d = new SSEDecoder()
    const b = bytes(`data: ${payload}\n\n`)
    const out: SSEMessage[] = []
    for (let i = 0; i < b.length; i += 3) out.push(...d.push(b.subarray(i, i + 3)))
    expect(out).toEqual([{ data: payload }])
  })
})

describe('SSEDecoder UTF-8', () => {
  test('multi-byte characters split across reads are never corrupted', () => {
    const text = 'data: {"content":"Olá 40°C — 北京 🌧️"}\n\n'
    const [msg] = decodeAll(text)
    expect(JSON.parse(msg.data).content).toBe('Olá 40°C — 北京 🌧️')
    const d = new SSEDecoder()
    for (const p of split(bytes(text), 'bytes')) d.push(p)
    expect(d.replacedBytes).toBe(0)
  })

  test('malformed bytes become U+FFFD and are counted in replacedBytes', () => {
    const b = new Uint8Array([...bytes('data: a'), 0xff, ...bytes('b'), 0xc3, ...bytes('c\n\n')])
    for (const how of ['whole', 'bytes', 5] as const) {
      const { messages, decoder } = decodePieces(split(b, how))
      expect(messages).toEqual([{ data: 'a\uFFFDb\uFFFDc' }])
      expect(decoder.replacedBytes).toBe(2)
    }
  })

  test('a literal U+FFFD sent by the upstream is not counted, even split across reads', () => {
    const b = bytes('data: x\uFFFDy\uFFFD\n\n')
    for (const how of ['whole', 'bytes', 2, 9] as const) {
      const { messages, decoder } = decodePieces(split(b, how))
      expect(messages).toEqual([{ data: 'x\uFFFDy\uFFFD' }])
      expect(decoder.replacedBytes).toBe(0)
    }
  })

  test('a malformed byte next to a literal U+FFFD counts once', () => {
    const b = new Uint8Array([...bytes('data: '), 0xe2, 0xef, 0xbf, 0xbd, ...bytes('\n\n')])
    for (const how of ['whole', 'bytes'] as const) {
      const { messages, decoder } = decodePieces(split(b, how))
      expect(messages).toEqual([{ data: '\uFFFD\uFFFD' }])
      expect(decoder.replacedBytes).toBe(1)
    }
  })

  test('a truncated character at end of input is replaced and counted by end()', () => {
    const d = new SSEDecoder()
    expect(d.push(new Uint8Array([...bytes('data: ok'), 0xf0, 0x9f]))).toEqual([])
    expect(d.replacedBytes).toBe(0)
    expect(d.end()).toEqual([{ data: 'ok\uFFFD' }])
    expect(d.replacedBytes).toBe(1)
  })
})
