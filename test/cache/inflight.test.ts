import { describe, expect, test } from 'bun:test'
import { FlightAbortedError, InflightHub, type Subscription } from '../../src/cache/inflight'
import { ResponseCache } from '../../src/cache/lru-store'
import { messageToEvents } from '../../src/cache/replay'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'

type Batch = readonly AnthropicStreamEvent[]

const MESSAGE: AnthropicMessageResponse = {
  id: 'msg_lead',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5',
  content: [
    { type: 'thinking', thinking: 'Think.', signature: 'sig' },
    { type: 'text', text: 'Reading.' },
    { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 50, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
}
/** The answer as the relay would publish it: one batch per upstream read. */
const BATCHES: Batch[] = messageToEvents(MESSAGE).map((e) => [e])

/** Everything a subscriber reads, flattened. */
async function drain(sub: Subscription<Batch>): Promise<AnthropicStreamEvent[]> {
  const out: AnthropicStreamEvent[] = []
  for await (const batch of sub) out.push(...batch)
  return out
}

const tick = () => new Promise<void>((r) => setImmediate(r))

function abortCounter() {
  const calls: unknown[] = []
  return { calls, abort: (reason?: unknown) => void calls.push(reason) }
}

describe('InflightHub', () => {
  test('three subscribers get identical full event sequences; one joining late gets the replay', async () => {
    const hub = new InflightHub<Batch>()
    const up = abortCounter()
    const flight = hub.lead('k', up.abort)
    const early = hub.join('k')!
    const earlyRead = drain(early)
    for (const b of BATCHES.slice(0, 3)) flight.publish(b)
    await tick()
    const late = hub.join('k')!
    const lateRead = drain(late)
    for (const b of BATCHES.slice(3)) {
      flight.publish(b)
      await tick()
    }
    flight.complete(MESSAGE)
    const [a, b] = await Promise.all([earlyRead, lateRead])
    const leader = flight.chunks.flat()
    expect(a).toEqual(leader)
    expect(b).toEqual(leader)
    expect(assertAnthropicGrammar(a)).toEqual(MESSAGE)
    for (let i = 0; i < a.length; i++) expect(b[i]).toBe(a[i]) // shared by reference, never copied
    expect(await late.result).toBe(MESSAGE)
    expect(flight.joins).toBe(2)
    expect(up.calls).toEqual([])
  })

  test('the leader leaving does not abort while a joiner remains; the joiner still gets everything', async () => {
    const hub = new InflightHub<Batch>()
    const up = abortCounter()
    const flight = hub.lead('k', up.abort)
    const sub = hub.join('k')!
    flight.publish(BATCHES[0])
    flight.leave()
    flight.leave()
    expect(up.calls).toHaveLength(0)
    expect(flight.subscribers).toBe(1)
    for (const b of BATCHES.slice(1)) flight.publish(b)
    flight.complete(MESSAGE)
    expect(assertAnthropicGrammar(await drain(sub))).toEqual(MESSAGE)
    expect(up.calls).toHaveLength(0)
  })

  test('all leaving aborts the upstream exactly once and removes the key', async () => {
    const hub = new InflightHub<Batch>()
    const up = abortCounter()
    const flight = hub.lead('k', up.abort)
    const a = hub.join('k')!
    const b = hub.join('k')!
    flight.publish(BATCHES[0])
    const reading = drain(a)
    a.leave()
    flight.leave()
    expect(up.calls).toHaveLength(0)
    b.leave()
    b.leave()
    a.leave()
    expect(up.calls).toHaveLength(1)
    expect(up.calls[0]).toBeInstanceOf(FlightAbortedError)
    expect(flight.state).toBe('failed')
    expect(hub.has('k')).toBe(false)
    expect(hub.join('k')).toBeUndefined()
    await reading // the reader that left ends instead of hanging
    flight.fail(new Error('the relay noticing the abort')) // ignored: already settled
    flight.leave()
    expect(up.calls).toHaveLength(1)
  })

  test('the leader alone leaving aborts at once', () => {
    const hub = new InflightHub<Batch>()
    const up = abortCounter()
    hub.lead('k', up.abort).leave()
    expect(up.calls).toHaveLength(1)
    expect(hub.size).toBe(0)
  })

  test('a non-streaming joiner gets the Message', async () => {
    const hub = new InflightHub<Batch>()
    const flight = hub.lead('k', () => {})
    const sub = hub.join('k')!
    setTimeout(() => flight.complete(MESSAGE), 0)
    expect(await sub.result).toBe(MESSAGE)
    expect(flight.chunks).toHaveLength(0)
  })

  test('failure propagates: joiners read the published error event, then result rejects with the same error', async () => {
    const hub = new InflightHub<Batch>()
    const up = abortCounter()
    const flight = hub.lead('k', up.abort)
    const sub = hub.join('k')!
    const reading = drain(sub)
    const errorEvent: AnthropicStreamEvent = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }
    flight.publish(BATCHES[0])
    flight.publish([errorEvent])
    const err = new Error('Overloaded')
    flight.fail(err)
    expect(await reading).toEqual([BATCHES[0][0], errorEvent])
    await expect(sub.result).rejects.toBe(err)
    expect(hub.has('k')).toBe(false)
    expect(up.calls).toHaveLength(0)
  })

  test('a failure before any event reaches joiners as a rejected result and an empty stream', async () => {
    const hub = new InflightHub<Batch>()
    const flight = hub.lead('k', () => {})
    const sub = hub.join('k')!
    const err = new Error('429 from upstream')
    flight.fail(err)
    expect(await drain(sub)).toEqual([])
    await expect(sub.result).rejects.toBe(err)
  })

  test('an unobserved failure is not an unhandled rejection', async () => {
    const hub = new InflightHub<Batch>()
    hub.lead('k', () => {}).fail(new Error('nobody listens'))
    await tick()
  })

  test('the key is removed after completion; later joins find nothing and publishes are ignored', () => {
    const hub = new InflightHub<Batch>()
    const flight = hub.lead('k', () => {})
    expect(hub.has('k')).toBe(true)
    flight.complete(MESSAGE)
    expect(hub.has('k')).toBe(false)
    expect(hub.join('k')).toBeUndefined()
    flight.publish(BATCHES[0])
    expect(flight.chunks).toHaveLength(0)
  })

  test('a joiner arriving between the last event and completion gets the full stream and the message', async () => {
    const hub = new InflightHub<Batch>()
    const flight = hub.lead('k', () => {})
    for (const b of BATCHES) flight.publish(b)
    const sub = hub.join('k')!
    const reading = drain(sub)
    await tick()
    flight.complete(MESSAGE)
    expect(assertAnthropicGrammar(await reading)).toEqual(MESSAGE)
    expect(await sub.result).toBe(MESSAGE)
  })

  test('storing before completing leaves no gap: a request after completion hits the cache', () => {
    const hub = new InflightHub<Batch>()
    const cache = new ResponseCache({ ttlMs: 1000, maxEntries: 10, maxBytes: 1e6, now: () => 0 })
    const lookup = (key: string) => cache.get(key) ?? hub.join(key) ?? 'lead'
    const flight = hub.lead('k', () => {})
    expect(lookup('k')).toBeDefined()
    cache.set('k', MESSAGE, 100)
    flight.complete(MESSAGE)
    expect(lookup('k')).toBe(MESSAGE)
  })

  test('a new leader for a running key takes over for later joiners; the old one settling does not remove it', () => {
    const hub = new InflightHub<Batch>()
    const first = hub.lead('k', () => {})
    const second = hub.lead('k', () => {})
    first.complete(MESSAGE)
    expect(hub.has('k')).toBe(true)
    expect(hub.join('k')!.flight).toBe(second)
  })

  test('allocation-free reading with a cursor over chunks and changed()', async () => {
    const hub = new InflightHub<Batch>()
    const flight = hub.lead('k', () => {})
    const sub = hub.join('k')!
    const seen: AnthropicStreamEvent[] = []
    const reader = (async () => {
      let i = 0
      for (;;) {
        while (i < sub.chunks.length) seen.push(...sub.chunks[i++])
        if (sub.settled) return
        await sub.changed()
      }
    })()
    for (const b of BATCHES) {
      flight.publish(b)
      if (b[0].type === 'content_block_start') await tick()
    }
    flight.complete(MESSAGE)
    await reader
    expect(assertAnthropicGrammar(seen)).toEqual(MESSAGE)
  })

  test('many flights run side by side without mixing', async () => {
    const hub = new InflightHub<Batch>()
    const flights = ['a', 'b', 'c'].map((k) => hub.lead(k, () => {}))
    const subs = ['a', 'b', 'c'].map((k) => hub.join(k)!)
    const reads = subs.map(drain)
    flights.forEach((f, i) => f.publish([{ type: 'content_block_stop', index: i }]))
    flights.forEach((f) => f.complete(MESSAGE))
    expect(await Promise.all(reads)).toEqual([0, 1, 2].map((index) => [{ type: 'content_block_stop', index }]))
    expect(hub.size).toBe(0)
  })
})
