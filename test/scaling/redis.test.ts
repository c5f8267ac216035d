import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { baseEnv, ensureBinary, startProxy, type RunningProxy } from '../support/proxy-process'
import { postMessages } from '../support/proxy-app'
import { readAnthropicEvents, withoutPings } from '../support/anthropic-sse'
import { assertAnthropicGrammar } from '../support/grammar'
import { TestRedis } from '../support/redis-server'
import { until, type ErrorBody } from '../upstream/helpers'

const ask = (text: string, extra: Record<string, unknown> = {}) => ({ model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra })

type Health = { status: string; redis: { status: string }; endpoints: Array<{ breaker: string }> }
const health = async (p: RunningProxy) => (await (await fetch(`${p.url}/v1/health`)).json()) as Health
const count = (text: string, needle: string) => text.split(needle).length - 1

describe.if(Bun.which('redis-server') !== null || !!process.env.CI)('replicas sharing state through Redis (compiled binary, real redis-server)', () => {
  let redis: TestRedis
  let upstream: FakeUpstream
  let replicas: RunningProxy[] = []
  let dirs: string[] = []
  let prefixes = 0

  beforeAll(async () => {
    redis = await TestRedis.start()
  })
  afterAll(async () => {
    await redis?.stop()
  })
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.stop()))
    await upstream?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
    replicas = []
    dirs = []
  })

  /** Two ccproxy processes (each on its own port) with the same Redis, key prefix and fake upstream. */
  async function twoReplicas(env: Record<string, string>): Promise<[RunningProxy, RunningProxy]> {
    upstream = await FakeUpstream.start()
    const prefix = `t${process.pid}-${++prefixes}:`
    const bin = ensureBinary()
    const start = () => {
      const dir = mkdtempSync(join(tmpdir(), 'ccproxy-redis-'))
      dirs.push(dir)
      return startProxy(bin, { env: baseEnv(dir, upstream.url, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, PROVIDER_MAX_RETRIES: '0', ...env }) })
    }
    replicas = await Promise.all([start(), start()])
    for (const r of replicas) expect((await health(r)).redis.status).toBe('ok')
    return replicas as [RunningProxy, RunningProxy]
  }

  test('40 concurrent requests over two replicas with RPM 20 and burst 20: at most 20 reach the upstream, the rest get 429 with retry-after', async () => {
    const [a, b] = await twoReplicas({ CLIENT_RATE_LIMIT_RPM: '20', CLIENT_RATE_LIMIT_BURST: '20', HTTP_POOL_TIMEOUT: '1' })
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => postMessages((i % 2 ? b : a).url, ask(`q${i}`))))
    const ok = responses.filter((r) => r.status === 200)
    const limited = responses.filter((r) => r.status === 429)
    expect(upstream.chatRequests.length).toBeLessThanOrEqual(20)
    expect(ok.length).toBeGreaterThan(0)
    expect(ok.length).toBe(upstream.chatRequests.length)
    expect(ok.length + limited.length).toBe(40)
    expect(limited.length).toBeGreaterThanOrEqual(20)
    for (const r of limited) {
      expect(((await r.json()) as ErrorBody).error.type).toBe('rate_limit_error')
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    }
    // The quota is the key's: another burst on either replica is refused without reaching the upstream.
    expect((await postMessages(a.url, ask('one more'))).status).toBe(429)
    expect((await postMessages(b.url, ask('and another'))).status).toBe(429)
    expect(upstream.chatRequests.length).toBeLessThanOrEqual(20)
  }, 30_000)

  test('a breaker opened through one replica is seen by the other: it fails fast with 529 and never calls the upstream', async () => {
    const [a, b] = await twoReplicas({ CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '30' })
    upstream.setFallback({ status: 500, json: { error: { message: 'upstream down' } } })
    expect((await postMessages(a.url, ask('x'))).status).toBe(500)
    expect((await postMessages(a.url, ask('y'))).status).toBe(500)
    expect(upstream.chatRequests).toHaveLength(2)
    const fast = await postMessages(b.url, ask('z'))
    expect(fast.status).toBe(529)
    expect(((await fast.json()) as ErrorBody).error.type).toBe('overloaded_error')
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThan(20)
    expect(upstream.chatRequests).toHaveLength(2)
    expect((await health(b)).endpoints[0].breaker).toBe('OPEN')
    expect(a.stderr()).toContain('CLOSED -> OPEN')
  }, 30_000)

  test('an answer cached by one replica is a hit on the other; a request running on one is joined from the other', async () => {
    const [a, b] = await twoReplicas({ RESPONSE_CACHE_ENABLED: 'true' })
    upstream.setFallback({ json: textCompletion('shared answer') })
    const first = await postMessages(a.url, ask('cache me'))
    expect(first.headers.get('x-ccproxy-cache')).toBe('miss')
    const second = await postMessages(b.url, ask('cache me'))
    expect(second.headers.get('x-ccproxy-cache')).toBe('hit')
    const [ma, mb] = (await Promise.all([first.json(), second.json()])) as Array<{ id: string; content: unknown }>
    expect(mb.content).toEqual(ma.content)
    expect(mb.id).not.toBe(ma.id)
    expect(upstream.chatRequests).toHaveLength(1)

    // In flight: B asks while A's call runs, and B's streaming client gets the answer as a well-formed stream.
    upstream.setFallback({ json: textCompletion('slow shared answer'), delayMs: 400 })
    const leader = postMessages(a.url, ask('in flight'))
    await until(() => upstream.chatRequests.length === 2)
    const joiner = await postMessages(b.url, ask('in flight', { stream: true }))
    expect(joiner.headers.get('x-ccproxy-cache')).toBe('joined')
    const { events } = await readAnthropicEvents(joiner)
    expect(assertAnthropicGrammar(withoutPings(events)).content).toEqual([{ type: 'text', text: 'slow shared answer' }])
    expect((await leader).status).toBe(200)
    expect(upstream.chatRequests).toHaveLength(2)

    // A streamed answer stored by B is a hit for a non-streaming client of A.
    upstream.setFallback({ sse: [sseBody(textStream(['streamed ', 'once']))] })
    await readAnthropicEvents(await postMessages(b.url, ask('streamed', { stream: true })))
    const hit = await postMessages(a.url, ask('streamed'))
    expect(hit.headers.get('x-ccproxy-cache')).toBe('hit')
    expect(((await hit.json()) as { content: unknown }).content).toEqual([{ type: 'text', text: 'streamed once' }])
    expect(upstream.chatRequests).toHaveLength(3)
  }, 30_000)

  test('Redis stopping mid-run: requests still succeed on the local fallback, health says degraded, one warning; sharing resumes when it is back', async () => {
    const [a, b] = await twoReplicas({ RESPONSE_CACHE_ENABLED: 'true', REDIS_TIMEOUT_MS: '200' })
    upstream.setFallback((req) => ({ json: textCompletion(`answer to ${req.body?.messages?.at(-1)?.content}`) }))
    await postMessages(a.url, ask('before'))
    expect((await postMessages(b.url, ask('before'))).headers.get('x-ccproxy-cache')).toBe('hit')

    await redis.stop()
    for (let i = 0; i < 3; i++) {
      for (const r of [a, b]) {
        const res = await postMessages(r.url, ask(`during ${i}`))
        expect(res.status).toBe(200)
        await res.arrayBuffer()
      }
    }
    for (const r of [a, b]) {
      await until(() => r.stderr().includes('Redis unavailable'), 5000)
      const h = await health(r)
      expect(h.status).toBe('degraded')
      expect(h.redis.status).toBe('down')
      expect(await (await fetch(`${r.url}/metrics`)).text()).toContain('ccproxy_redis_up 0')
    }
    // Each replica answered the same question from its own memory: the caches are local now.
    expect((await postMessages(a.url, ask('during 0'))).headers.get('x-ccproxy-cache')).toBe('hit')
    const requestsDuring = upstream.chatRequests.length
    expect(requestsDuring).toBe(1 + 6)
    expect(count(a.stderr(), 'Redis unavailable')).toBe(1)
    expect(count(b.stderr(), 'Redis unavailable')).toBe(1)

    await redis.restart()
    for (const r of [a, b]) await until(() => r.stderr().includes('Redis is back'), 5000)
    for (const r of [a, b]) {
      const h = await health(r)
      expect(h.redis.status).toBe('ok')
      expect(h.status).toBe('ok')
    }
    await postMessages(a.url, ask('after'))
    expect((await postMessages(b.url, ask('after'))).headers.get('x-ccproxy-cache')).toBe('hit')
    expect(upstream.chatRequests.length).toBe(requestsDuring + 1)
  }, 30_000)

  test('a frozen Redis (no answers, connection open) costs at most REDIS_TIMEOUT_MS: requests go on locally', async () => {
    const [a] = await twoReplicas({ REDIS_TIMEOUT_MS: '150', CLIENT_RATE_LIMIT_RPM: '1000', CLIENT_RATE_LIMIT_BURST: '100' })
    redis.freeze(true)
    try {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => postMessages(a.url, ask(`frozen ${i}`))))
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
      expect((await health(a)).redis.status).toBe('down')
      expect(count(a.stderr(), 'Redis unavailable')).toBe(1)
    } finally {
      redis.freeze(false)
    }
    await until(() => a.stderr().includes('Redis is back'), 5000)
  }, 30_000)
})
