import { describe, expect, test } from 'bun:test'
import { ResponseCache, estimateMessageSize, isCacheable } from '../../src/cache/lru-store'
import type { AnthropicMessageResponse, AnthropicResponseBlock, AnthropicStopReason } from '../../src/translate/types'

const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
const msg = (text: string, stop: AnthropicStopReason | null = 'end_turn', content?: AnthropicResponseBlock[]): AnthropicMessageResponse => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5',
  content: content ?? [{ type: 'text', text }],
  stop_reason: stop,
  stop_sequence: null,
  usage,
})

function clock(start = 1_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

const cache = (o: Partial<{ ttlMs: number; maxEntries: number; maxBytes: number }> = {}, now = clock().now) =>
  new ResponseCache({ ttlMs: 300_000, maxEntries: 100, maxBytes: 1_000_000, now, ...o })

describe('ResponseCache', () => {
  test('get returns what set stored, counting hits and misses', () => {
    const c = cache()
    const m = msg('a')
    expect(c.get('k')).toBeUndefined()
    expect(c.set('k', m, 100)).toBe(true)
    expect(c.get('k')).toBe(m)
    expect(c.stats()).toEqual({ entries: 1, bytes: 100, hits: 1, misses: 1, joins: 0, evictions: 0, hit_rate: 0.5 })
  })

  test('evicts the least recently used entry first; a hit makes an entry recent', () => {
    const c = cache({ maxEntries: 3 })
    for (const k of ['a', 'b', 'c']) c.set(k, msg(k), 10)
    c.get('a')
    c.set('d', msg('d'), 10)
    expect(c.get('b')).toBeUndefined()
    expect(['a', 'c', 'd'].map((k) => c.get(k)?.content[0])).toEqual([{ type: 'text', text: 'a' }, { type: 'text', text: 'c' }, { type: 'text', text: 'd' }])
    c.set('e', msg('e'), 10)
    expect(c.get('a')).toBeUndefined()
    expect(c.stats().evictions).toBe(2)
    expect(c.size).toBe(3)
  })

  test('entries expire after the TTL (injected clock)', () => {
    const t = clock()
    const c = cache({ ttlMs: 300_000 }, t.now)
    c.set('k', msg('a'), 50)
    t.advance(299_999)
    expect(c.get('k')).toBeDefined()
    t.advance(1)
    expect(c.get('k')).toBeUndefined()
    expect(c.stats()).toMatchObject({ entries: 0, bytes: 0, hits: 1, misses: 1, evictions: 1 })
  })

  test('a hit does not extend the TTL', () => {
    const t = clock()
    const c = cache({ ttlMs: 1000 }, t.now)
    c.set('k', msg('a'), 1)
    t.advance(900)
    expect(c.get('k')).toBeDefined()
    t.advance(100)
    expect(c.get('k')).toBeUndefined()
  })

  test('stats drops expired entries so entries and bytes are live', () => {
    const t = clock()
    const c = cache({ ttlMs: 1000 }, t.now)
    c.set('old', msg('a'), 10)
    t.advance(500)
    c.set('new', msg('b'), 20)
    t.advance(500)
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 20, evictions: 1 })
  })

  test('the byte bound holds under 1,000 distinct 100 KB answers', () => {
    const maxBytes = 5 * 1024 * 1024
    const c = cache({ maxBytes, maxEntries: 10_000 })
    let size = 0
    for (let i = 0; i < 1000; i++) {
      const m = msg(`answer ${i} `.padEnd(100 * 1024, String.fromCharCode(97 + (i % 26))))
      size = estimateMessageSize(m)
      expect(size).toBeGreaterThanOrEqual(100 * 1024)
      expect(c.set(`k${i}`, m, size)).toBe(true)
      expect(c.bytes).toBeLessThanOrEqual(maxBytes)
      expect(c.size * size).toBeLessThanOrEqual(maxBytes)
    }
    const fit = Math.floor(maxBytes / size)
    expect(c.stats()).toMatchObject({ entries: fit, bytes: fit * size, evictions: 1000 - fit })
    expect(c.get(`k${999}`)).toBeDefined()
    expect(c.get(`k${999 - fit}`)).toBeUndefined()
  })

  test('the entry bound holds', () => {
    const c = cache({ maxEntries: 5 })
    for (let i = 0; i < 50; i++) c.set(`k${i}`, msg('a'), 1)
    expect(c.stats()).toMatchObject({ entries: 5, bytes: 5, evictions: 45 })
  })

  test('an answer larger than maxBytes is never stored and evicts nothing', () => {
    const c = cache({ maxBytes: 1000 })
    c.set('small', msg('a'), 10)
    expect(c.set('big', msg('b'), 1001)).toBe(false)
    expect(c.get('big')).toBeUndefined()
    expect(c.get('small')).toBeDefined()
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 10, evictions: 0 })
  })

  test('zero bounds or a zero TTL store nothing', () => {
    for (const o of [{ maxEntries: 0 }, { maxBytes: 0 }, { ttlMs: 0 }]) {
      const c = cache(o)
      expect(c.set('k', msg('a'), 1)).toBe(false)
      expect(c.size).toBe(0)
    }
  })

  test('set replaces an entry under the same key and keeps the byte count exact', () => {
    const c = cache()
    c.set('k', msg('a'), 100)
    c.set('k', msg('b'), 40)
    expect(c.stats()).toMatchObject({ entries: 1, bytes: 40 })
    expect(c.get('k')?.content[0]).toEqual({ type: 'text', text: 'b' })
  })

  test('delete and clear', () => {
    const c = cache()
    for (const k of ['a', 'b', 'c']) c.set(k, msg(k), 10)
    expect(c.delete('a')).toBe(true)
    expect(c.delete('a')).toBe(false)
    expect(c.bytes).toBe(20)
    expect(c.clear()).toBe(2)
    expect(c.stats()).toMatchObject({ entries: 0, bytes: 0 })
  })

  test('recordJoin counts joins; hit_rate is hits over lookups', () => {
    const c = cache()
    c.get('k')
    c.recordJoin()
    c.set('k', msg('a'), 1)
    c.get('k')
    c.get('k')
    c.get('k')
    expect(c.stats()).toMatchObject({ hits: 3, misses: 1, joins: 1, hit_rate: 0.75 })
  })
})

describe('isCacheable', () => {
  test('stores end_turn, stop_sequence and tool_use answers', () => {
    expect(isCacheable(msg('a', 'end_turn'))).toBe(true)
    expect(isCacheable({ ...msg('a', 'stop_sequence'), stop_sequence: '###' })).toBe(true)
    expect(isCacheable(msg('', 'tool_use', [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } }]))).toBe(true)
  })

  test('never stores refusals, max_tokens cuts, pause_turn, context-window cuts or unfinished answers', () => {
    for (const stop of ['refusal', 'max_tokens', 'pause_turn', 'model_context_window_exceeded', null] as const) expect(isCacheable(msg('a', stop))).toBe(false)
  })

  test('never stores errors, empty answers or tool_use without a tool call', () => {
    expect(isCacheable({ type: 'error', error: { type: 'api_error', message: 'x' } } as never)).toBe(false)
    expect(isCacheable(undefined)).toBe(false)
    expect(isCacheable(msg('', 'end_turn', []))).toBe(false)
    expect(isCacheable(msg('a', 'tool_use'))).toBe(false)
  })
})

describe('estimateMessageSize', () => {
  test('grows with the content and is at least the JSON-free text size', () => {
    const small = estimateMessageSize(msg('a'))
    const big = estimateMessageSize(msg('x'.repeat(100_000)))
    expect(big - small).toBe(99_999)
    const tool = msg('', 'tool_use', [{ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { content: 'y'.repeat(5000) } }])
    expect(estimateMessageSize(tool)).toBeGreaterThan(5000)
    expect(estimateMessageSize(tool)).toBeGreaterThanOrEqual(JSON.stringify(tool).length / 2)
  })
})
