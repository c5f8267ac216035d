/**
 * The relay's first content delta must not wait for the rest of the answer: a fast upstream often delivers the
 * whole stream in one read, and translating all of it before the first write would hold the head back.
 */
import { describe, expect, test } from 'bun:test'
import { relayStream, type StreamSummary } from '../../src/proxy/stream-relay'
import { createStreamTranslator } from '../../src/translate/stream'
import { sseBody, textStream } from '../support/fake-upstream'

const encoder = new TextEncoder()

/** An upstream response whose body arrives as the given pieces, all at once. */
function upstreamOf(pieces: string[]): Response {
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of pieces) controller.enqueue(encoder.encode(p))
        controller.close()
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  )
}

async function relay(pieces: string[], afterEachRead?: () => void): Promise<{ reads: string[]; summary: StreamSummary }> {
  let summary: StreamSummary | undefined
  const res = await relayStream({
    upstream: upstreamOf(pieces),
    translator: createStreamTranslator({ model: 'claude-sonnet-4-5', messageId: 'msg_test', inputTokens: 12 }),
    requestId: 'req_test',
    abortUpstream: () => {},
    pingIntervalMs: 10_000,
    idleTimeoutMs: 10_000,
    totalTimeoutMs: 10_000,
    headers: {},
    onDone: (s) => (summary = s),
  })
  const reader = res.body!.getReader()
  const reads: string[] = []
  const decoder = new TextDecoder()
  for (let i = 0; i < 1_000; i++) {
    const { done, value } = await reader.read()
    if (done) break
    reads.push(decoder.decode(value))
    afterEachRead?.()
  }
  return { reads, summary: summary! }
}

const eventNames = (text: string) => [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1])
const texts = Array.from({ length: 200 }, (_, i) => `word${i} `)

describe('stream relay', () => {
  test('a whole answer in one upstream read: the first content delta is written before the rest is translated', async () => {
    const { reads, summary } = await relay([sseBody(textStream(texts))])
    const firstWithContent = reads.findIndex((r) => r.includes('event: content_block_delta'))
    expect(firstWithContent).toBeGreaterThanOrEqual(0)
    // That write carries the head and the first delta only; the remaining 199 deltas and the end come later.
    expect(eventNames(reads.slice(0, firstWithContent + 1).join(''))).toEqual(['message_start', 'content_block_start', 'content_block_delta'])
    expect(reads[firstWithContent]).toContain('word0 ')
    expect(reads[firstWithContent]).not.toContain('word1 ')
    // Nothing is lost or reordered.
    const all = reads.join('')
    const names = eventNames(all)
    expect(names[0]).toBe('message_start')
    expect(names.filter((n) => n === 'content_block_delta')).toHaveLength(200)
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
    const deltas = [...all.matchAll(/"text":"(word\d+ )"/g)].map((m) => m[1])
    expect(deltas).toEqual(texts)
    expect(summary.outcome).toBe('complete')
    expect(summary.chunks).toBe(203)
  })

  test('an answer cut into pieces anywhere relays the same events as one read', async () => {
    const whole = sseBody(textStream(texts.slice(0, 20)))
    const once = eventNames((await relay([whole])).reads.join(''))
    for (const size of [1, 7, 64, 1_000]) {
      const pieces: string[] = []
      for (let i = 0; i < whole.length; i += size) pieces.push(whole.slice(i, i + size))
      const { reads, summary } = await relay(pieces)
      expect(eventNames(reads.join(''))).toEqual(once)
      expect(summary.outcome).toBe('complete')
    }
  })

  test('the rest of a burst already received goes out even if MAX_STREAM_SECONDS passes right after the first delta', async () => {
    const realNow = performance.now.bind(performance)
    let offset = 0
    performance.now = () => realNow() + offset
    try {
      // Once the client has the first write, the clock jumps past the 10 s total limit.
      const { reads, summary } = await relay([sseBody(textStream(['a', 'b', 'c']))], () => (offset = 20_000))
      const all = reads.join('')
      expect([...all.matchAll(/"text":"([abc])"/g)].map((m) => m[1])).toEqual(['a', 'b', 'c'])
      expect(eventNames(all).at(-1)).toBe('message_stop')
      expect(summary.outcome).toBe('complete')
    } finally {
      performance.now = realNow
    }
  })

  test('an upstream that closes without [DONE], its last event unterminated: every delta is relayed and the answer ends', async () => {
    const chunks = textStream(['a', 'b', 'c'])
    // No blank line after the last chunk: the decoder hands it over only when the body ends.
    const body = sseBody(chunks, { done: false }).replace(/\n\n$/, '')
    const { reads, summary } = await relay([body])
    const all = reads.join('')
    expect(eventNames(all).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'content_block_delta'])
    expect([...all.matchAll(/"text":"([abc])"/g)].map((m) => m[1])).toEqual(['a', 'b', 'c'])
    expect(eventNames(all).at(-1)).toBe('message_stop')
    expect(summary.outcome).toBe('complete')
  })
})
