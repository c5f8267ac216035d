import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { RedisLink } from '../../src/redis/link'
import { RedisRateLimiter } from '../../src/redis/rate-limiter'
import { RedisBreaker } from '../../src/redis/breaker'
import { RedisCache } from '../../src/redis/cache-store'
import type { BreakerTransition } from '../../src/resilience/circuit-breaker'
import type { AnthropicMessageResponse } from '../../src/translate/types'
import { captureLogger } from '../support/log-capture'
import { HAVE_REDIS, TestRedis, sharedTestRedis } from '../support/redis-server'
import { deadPort, until } from '../upstream/helpers'

const MESSAGE: AnthropicMessageResponse = {
  id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [{ type: 'text', text: 'shared' }],
  stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
}

describe.if(HAVE_REDIS)('the Redis stores, two replicas on two connections', () => {
  let redis: { url: string; stop(): Promise<void> }
  const links: RedisLink[] = []
  let n = 0

  beforeAll(async () => {
    redis = await sharedTestRedis()
  })
  afterAll(async () => {
    for (const l of links) l.close()
    await redis.stop()
  })

  /** Two started links with one fresh key prefix: two replicas of one deployment. */
  async function pair(): Promise<[RedisLink, RedisLink]> {
    const prefix = `unit${process.pid}-${++n}:`
    const made = [0, 1].map(() => new RedisLink({ url: redis.url, timeoutMs: 500, prefix }))
    links.push(...made)
    await Promise.all(made.map((l) => l.start()))
    for (const l of made) expect(l.up).toBe(true)
    return made as [RedisLink, RedisLink]
  }

  describe('rate limiter', () => {
    test('one quota for both: burst 5 is spent across replicas, then the wait is one request of refill', async () => {
      const [la, lb] = await pair()
      const a = new RedisRateLimiter(la, 'acct', { rpm: 60, tpm: 1_000_000, burst: 5 })
      const b = new RedisRateLimiter(lb, 'acct', { rpm: 60, tpm: 1_000_000, burst: 5 })
      const got = await Promise.all([a, b, a, b, a].map((l) => l.tryAcquire(10)))
      expect(got.every((g) => g?.ok)).toBe(true)
      const refused = await b.tryAcquire(10)
      expect(refused?.ok).toBe(false)
      if (refused && !refused.ok) {
        expect(refused.waitMs).toBeGreaterThan(800)
        expect(refused.waitMs).toBeLessThanOrEqual(1000)
      }
    })

    test('the sliding window never admits more than RPM in 60 s, whatever the bucket', async () => {
      const [la, lb] = await pair()
      const a = new RedisRateLimiter(la, 'acct', { rpm: 3, tpm: 1_000_000, burst: 10 })
      const b = new RedisRateLimiter(lb, 'acct', { rpm: 3, tpm: 1_000_000, burst: 10 })
      for (const l of [a, b, a]) expect((await l.tryAcquire(1))?.ok).toBe(true)
      const refused = await b.tryAcquire(1)
      expect(refused?.ok).toBe(false)
      if (refused && !refused.ok) expect(refused.waitMs).toBeGreaterThan(55_000)
    })

    test('a permit corrected to the reported usage leaves the token bucket in debt', async () => {
      const [la] = await pair()
      const a = new RedisRateLimiter(la, 'acct', { rpm: 100, tpm: 1000, burst: 10 })
      const first = await a.tryAcquire(10)
      expect(first?.ok).toBe(true)
      if (first?.ok) a.correct(first.permit, 110)
      expect((await a.tryAcquire(5))?.ok).toBe(false)
    })

    test('an upstream 429 seen by one replica lowers the limits of both to 80%', async () => {
      const [la, lb] = await pair()
      const a = new RedisRateLimiter(la, 'acct', { rpm: 100, tpm: 1_000_000, burst: 50 })
      const b = new RedisRateLimiter(lb, 'acct', { rpm: 100, tpm: 1_000_000, burst: 50 })
      a.onUpstream429()
      await a.tryAcquire(1)
      await b.tryAcquire(1)
      expect(b.effectiveLimits()).toEqual({ rpm: 80, tpm: 800_000, burst: 40 })
    })
  })

  describe('circuit breaker', () => {
    const opts = { failureThreshold: 2, recoveryTimeoutMs: 200, halfOpenRequests: 2, trialLeaseMs: 60_000 }
    const hooks = (moves: string[]) => ({ onTransition: (t: BreakerTransition) => void moves.push(`${t.from}->${t.to}`), onChange: () => {} })

    test('failures through one replica open it for the other; half-open trials are counted across replicas', async () => {
      const [la, lb] = await pair()
      const movesA: string[] = []
      const movesB: string[] = []
      const a = new RedisBreaker(la, 'https://up.example/v1', opts, hooks(movesA))
      const b = new RedisBreaker(lb, 'https://up.example/v1', opts, hooks(movesB))
      expect(await a.allow()).toEqual({ ok: true, trial: false })
      await a.onFailure()
      await a.onFailure()
      expect(movesA).toEqual(['CLOSED->OPEN'])
      const refused = await b.allow()
      expect(refused?.ok).toBe(false)
      if (refused && !refused.ok) expect(refused.retryAfterMs).toBeLessThanOrEqual(200)
      expect(b.snapshot()?.state).toBe('OPEN')

      await Bun.sleep(250)
      expect(await a.allow()).toEqual({ ok: true, trial: true })
      expect(await b.allow()).toEqual({ ok: true, trial: true })
      expect((await a.allow())?.ok).toBe(false)
      await a.onSuccess()
      await b.onSuccess()
      expect((await a.peek())?.state).toBe('CLOSED')
      expect([...movesA, ...movesB].sort()).toEqual(['CLOSED->OPEN', 'HALF_OPEN->CLOSED', 'OPEN->HALF_OPEN'])
    })

    test('a failed trial opens it again; a trial whose replica vanished is forgotten after its lease', async () => {
      const [la, lb] = await pair()
      const a = new RedisBreaker(la, 'https://up.example/v1', { ...opts, halfOpenRequests: 1, trialLeaseMs: 100 }, hooks([]))
      const b = new RedisBreaker(lb, 'https://up.example/v1', { ...opts, halfOpenRequests: 1, trialLeaseMs: 100 }, hooks([]))
      await a.onFailure()
      await a.onFailure()
      await Bun.sleep(250)
      expect((await b.allow())?.ok).toBe(true)
      await b.onFailure()
      expect((await a.peek())?.state).toBe('OPEN')
      await Bun.sleep(250)
      expect((await a.allow())?.ok).toBe(true)
      expect((await b.allow())?.ok).toBe(false)
      await Bun.sleep(150)
      expect((await b.allow())?.ok).toBe(true)
    })
  })

  describe('response cache and in-flight index', () => {
    const options = { ttlMs: 60_000, maxBytes: 1 << 20, maxWaitMs: 5000 }

    test('one replica leads, the other waits for its answer; then the answer is a hit everywhere', async () => {
      const [la, lb] = await pair()
      const a = new RedisCache(la, options)
      const b = new RedisCache(lb, options)
      const lead = await a.begin('k1', false)
      expect(lead?.kind).toBe('lead')
      expect(await b.begin('k1', false)).toEqual({ kind: 'wait' })
      const waiting = b.wait('k1', new AbortController().signal)
      await a.finish('k1', (lead as { token: string }).token, { kind: 'message', message: MESSAGE, store: true })
      expect(await waiting).toEqual({ kind: 'message', message: MESSAGE, store: false })
      expect(await b.begin('k1', false)).toEqual({ kind: 'hit', message: MESSAGE })
      expect(await a.clear()).toBe(1)
      expect((await b.begin('k1', false))?.kind).toBe('lead')
    })

    test('an error is shared with the waiting replica; a lead given up with nothing to share reads as gone', async () => {
      const [la, lb] = await pair()
      const a = new RedisCache(la, options)
      const b = new RedisCache(lb, options)
      const first = (await a.begin('k2', false)) as { token: string }
      const waiting = b.wait('k2', new AbortController().signal)
      await a.finish('k2', first.token, { kind: 'error', error: { type: 'api_error', message: 'boom', status: 500 } })
      expect(await waiting).toEqual({ kind: 'error', error: { type: 'api_error', message: 'boom', status: 500 } })

      const second = (await a.begin('k3', false)) as { token: string }
      const waiting2 = b.wait('k3', new AbortController().signal)
      await a.finish('k3', second.token, { kind: 'gone' })
      expect(await waiting2).toEqual({ kind: 'gone' })
      expect((await b.begin('k3', false))?.kind).toBe('lead')
    })
  })
})

describe.if(HAVE_REDIS)('the Redis link', () => {
  test('a Redis that is down at start: one warning, calls answer undefined at once, and it connects when Redis appears', async () => {
    const port = await deadPort()
    const { logger, lines, warnings } = captureLogger()
    const statuses: string[] = []
    const link = new RedisLink({ url: `redis://127.0.0.1:${port}`, timeoutMs: 100, prefix: 'x:', logger, onStatus: (s) => void statuses.push(s), probeIntervalMs: 100 })
    await link.start(300)
    expect(link.status).toBe('down')
    expect(await link.call('PING', [])).toBeUndefined()
    await Bun.sleep(350)
    expect(warnings()).toHaveLength(1)
    expect(String(warnings()[0].msg)).toContain('Redis unavailable')
    const server = await TestRedis.start(port)
    try {
      await until(() => link.up, 5000)
      expect(await link.call('PING', [])).toBe('PONG')
      expect(lines.some((l) => String(l.msg).startsWith('Redis connected'))).toBe(true)
      expect(statuses).toEqual(['down', 'ok'])
    } finally {
      link.close()
      await server.stop()
    }
  })
})
