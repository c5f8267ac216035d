import { describe, expect, test } from 'bun:test'
import { parseCacheControl } from '../../src/cache/cache-control'
import { CacheLayer, LeaderTap, type CacheSettings } from '../../src/cache/layer'
import { messageToEvents } from '../../src/cache/replay'
import { ProxyError } from '../../src/server/errors'
import type { AnthropicMessageResponse, AnthropicStopReason } from '../../src/translate/types'

const SETTINGS: CacheSettings = { RESPONSE_CACHE_ENABLED: true, RESPONSE_CACHE_TTL_S: 300, RESPONSE_CACHE_MAX_ENTRIES: 100, RESPONSE_CACHE_MAX_BYTES: 1 << 20 }
const PLAIN = parseCacheControl(undefined)
const answer = (stop: AnthropicStopReason = 'end_turn'): AnthropicMessageResponse => ({
  id: 'msg_lead',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-5',
  content: [{ type: 'text', text: 'Four.' }],
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: 9, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
})

function layer(settings: Partial<CacheSettings> = {}) {
  let t = 0
  const l = new CacheLayer({ ...SETTINGS, ...settings }, () => t)
  return { l, advance: (ms: number) => (t += ms) }
}

describe('CacheLayer', () => {
  test('miss leads, an identical request joins, and after completion one hits', async () => {
    const { l } = layer()
    const first = l.begin('k', PLAIN, () => {})
    expect(first.status).toBe('miss')
    const second = l.begin('k', PLAIN, () => {})
    expect(second.status).toBe('joined')
    const m = answer()
    expect(l.complete(first.status === 'miss' ? first.flight : undefined, m, { noStore: false, size: 123 })).toBe(true)
    if (second.status === 'joined') expect(await second.subscription.result).toBe(m)
    expect(l.begin('k', PLAIN, () => {})).toEqual({ status: 'hit', message: m })
    expect(l.stats()).toMatchObject({ enabled: true, entries: 1, bytes: 123, hits: 1, misses: 2, joins: 1, inflight: 0 })
  })

  test('the TTL comes from RESPONSE_CACHE_TTL_S', () => {
    const { l, advance } = layer({ RESPONSE_CACHE_TTL_S: 2 })
    const d = l.begin('k', PLAIN, () => {})
    l.complete(d.status === 'miss' ? d.flight : undefined, answer(), { noStore: false })
    advance(1999)
    expect(l.begin('k', PLAIN, () => {}).status).toBe('hit')
    advance(1)
    expect(l.begin('k', PLAIN, () => {}).status).toBe('miss')
  })

  test('off: every request is a miss without a flight, nothing is stored', () => {
    const { l } = layer({ RESPONSE_CACHE_ENABLED: false })
    const d = l.begin('k', PLAIN, () => {})
    expect(d).toEqual({ status: 'miss', flight: undefined })
    expect(l.complete(undefined, answer(), { noStore: false })).toBe(false)
    expect(l.begin('k', PLAIN, () => {}).status).toBe('miss')
    expect(l.stats()).toMatchObject({ enabled: false, entries: 0, hits: 0, misses: 0 })
  })

  test('no-cache skips the lookup and the join, and leads its own call', () => {
    const { l } = layer()
    const d = l.begin('k', PLAIN, () => {})
    l.complete(d.status === 'miss' ? d.flight : undefined, answer(), { noStore: false })
    const fresh = l.begin('k', parseCacheControl('no-cache'), () => {})
    expect(fresh.status).toBe('miss')
    expect(fresh.status === 'miss' && fresh.flight).toBeTruthy()
    expect(l.begin('k2', PLAIN, () => {}).status).toBe('miss')
    expect(l.begin('k2', parseCacheControl('no-cache'), () => {}).status).toBe('miss')
  })

  test('no-store: the answer is shared with joiners but not stored', async () => {
    const { l } = layer()
    const d = l.begin('k', parseCacheControl('no-store'), () => {})
    const j = l.begin('k', PLAIN, () => {})
    expect(l.complete(d.status === 'miss' ? d.flight : undefined, answer(), { noStore: true })).toBe(false)
    expect(j.status === 'joined' && (await j.subscription.result).content).toEqual(answer().content)
    expect(l.begin('k', PLAIN, () => {}).status).toBe('miss')
  })

  test('refusals and max_tokens cuts are not stored', () => {
    const { l } = layer()
    for (const stop of ['refusal', 'max_tokens'] as const) {
      const d = l.begin(stop, PLAIN, () => {})
      expect(l.complete(d.status === 'miss' ? d.flight : undefined, answer(stop), { noStore: false })).toBe(false)
    }
    expect(l.stats().entries).toBe(0)
  })

  test('clear empties the store', () => {
    const { l } = layer()
    for (const k of ['a', 'b']) {
      const d = l.begin(k, PLAIN, () => {})
      l.complete(d.status === 'miss' ? d.flight : undefined, answer(), { noStore: false })
    }
    expect(l.clear()).toBe(2)
    expect(l.stats().entries).toBe(0)
  })
})

describe('LeaderTap', () => {
  test('publishes batches by reference, assembles, stores and completes', async () => {
    const { l } = layer()
    const d = l.begin('k', PLAIN, () => {})
    const flight = d.status === 'miss' ? d.flight : undefined
    const joiner = l.begin('k', PLAIN, () => {})
    const tap = new LeaderTap(l, flight, false)
    const batches = messageToEvents(answer()).map((e) => [e])
    for (const b of batches) tap.send(b)
    expect(flight!.chunks).toEqual(batches)
    expect(flight!.chunks[0]).toBe(batches[0])
    tap.end()
    tap.end()
    expect(joiner.status === 'joined' && (await joiner.subscription.result)).toEqual(answer())
    expect(l.begin('k', PLAIN, () => {})).toMatchObject({ status: 'hit', message: answer() })
  })

  test('an error event in the stream fails the flight with that error; nothing is stored', async () => {
    const { l } = layer()
    const d = l.begin('k', PLAIN, () => {})
    const joiner = l.begin('k', PLAIN, () => {})
    const tap = new LeaderTap(l, d.status === 'miss' ? d.flight : undefined, false)
    tap.send(messageToEvents(answer()).slice(0, 3))
    tap.send([{ type: 'content_block_stop', index: 0 }, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }])
    tap.end()
    if (joiner.status !== 'joined') throw new Error('expected a join')
    const err = await joiner.subscription.result.catch((e) => e)
    expect(err).toBeInstanceOf(ProxyError)
    expect(err).toMatchObject({ type: 'overloaded_error', status: 529, message: 'Overloaded' })
    expect(l.stats()).toMatchObject({ entries: 0, inflight: 0 })
  })

  test('a stream cut before message_stop fails with the given error', async () => {
    const { l } = layer()
    const d = l.begin('k', PLAIN, () => {})
    const joiner = l.begin('k', PLAIN, () => {})
    const tap = new LeaderTap(l, d.status === 'miss' ? d.flight : undefined, false)
    tap.send(messageToEvents(answer()).slice(0, 3))
    const cause = new ProxyError('api_error', 'The upstream stream broke: reset')
    tap.end(cause)
    if (joiner.status !== 'joined') throw new Error('expected a join')
    await expect(joiner.subscription.result).rejects.toBe(cause)
  })

  test('leave: keep reading while a joiner remains; stop (and abort once) when none does', () => {
    const { l } = layer()
    let aborts = 0
    const d = l.begin('k', PLAIN, () => aborts++)
    const joiner = l.begin('k', PLAIN, () => {})
    const tap = new LeaderTap(l, d.status === 'miss' ? d.flight : undefined, false)
    expect(tap.leave()).toBe(false)
    expect(tap.subscribers).toBe(1)
    expect(aborts).toBe(0)
    if (joiner.status === 'joined') joiner.subscription.leave()
    expect(aborts).toBe(1)
    expect(tap.leave()).toBe(true)
    expect(new LeaderTap(l, undefined, false).leave()).toBe(true)
  })

  test('without a flight (cache off) it does nothing', () => {
    const { l } = layer({ RESPONSE_CACHE_ENABLED: false })
    const tap = new LeaderTap(l, undefined, false)
    tap.send(messageToEvents(answer()))
    tap.end()
    expect(tap.subscribers).toBe(0)
    expect(l.stats().entries).toBe(0)
  })
})
