import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { checkHistogram, parseExposition, type Family } from '../support/prometheus-text'
import { PROMETHEUS_CONTENT_TYPE } from '../../src/metrics/prometheus'
import type { MetricsSnapshot } from '../../src/metrics/registry'

let upstream: FakeUpstream
let proxy: InProcessProxy

const ask = (extra: object = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra })
const getJson = async <T = any>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> => {
  const res = await fetch(`${proxy.url}${path}`, init)
  return { status: res.status, body: (await res.json()) as T, headers: res.headers }
}
const metrics = async () => (await getJson<MetricsSnapshot>('/v1/metrics')).body
const value = (f: Family | undefined, labels: Record<string, string> = {}) =>
  f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value

beforeAll(async () => {
  upstream = await FakeUpstream.start()
  proxy = await startApp(upstream.url, { BIG_MODEL_NAME: 'ops-big', PROVIDER_MAX_RETRIES: '0', HTTP_READ_TIMEOUT: '0.2', HTTP_ADAPTIVE_TIMEOUT: 'false' })
})
afterAll(async () => {
  await proxy.close()
  await upstream.close()
})

describe('operations routes after scripted traffic', () => {
  test('before any traffic: health is ok (200) with the score, breaker, reachability, version and uptime', async () => {
    const { status, body, headers } = await getJson('/v1/health')
    expect(status).toBe(200)
    expect(headers.get('content-type')).toContain('application/json')
    expect(body).toMatchObject({ status: 'ok', health_score: 100, breaker: { state: 'closed' }, upstream: { reachable: null } })
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(Number.isInteger(body.uptime_s)).toBe(true)
  })

  test('3 successes, an upstream 429 and a first-byte timeout are counted in /v1/metrics', async () => {
    upstream.enqueue(
      { json: textCompletion('one', { prompt_tokens: 11, completion_tokens: 5 }) },
      { json: textCompletion('two', { prompt_tokens: 7, completion_tokens: 2 }) },
      { sse: [sseBody(textStream(['th', 'ree'], { prompt_tokens: 13, completion_tokens: 4 }))] },
      { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'Rate limit reached', type: 'requests' } } },
      { hang: true },
    )
    const statuses: number[] = []
    for (const body of [ask(), ask(), ask({ stream: true }), ask(), ask()]) {
      const res = await postMessages(proxy.url, body)
      await res.text()
      statuses.push(res.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 504])

    const m = await metrics()
    expect(m.requests.total).toBe(5)
    expect(m.requests.in_flight).toBe(0)
    expect(m.requests.errors_total).toBe(2)
    expect(m.requests.by_status_class).toEqual({ '2xx': 3, '4xx': 1, '5xx': 1 })
    expect(m.requests.by_model).toEqual({ 'ops-big': 5 })
    expect(m.recent).toMatchObject({ requests: 5, errors: 2, success_rate: 0.6 })
    expect(m.tokens).toEqual({ input_total: 31, output_total: 11, cache_read_total: 0, cache_creation_total: 0 })
    expect(m.latency_ms.total.count).toBe(5)
    expect(m.latency_ms.first_byte.count).toBe(3)
    // Counted by the upstream client's onTimeout hook (HTTP_READ_TIMEOUT elapsed once, with no retry).
    expect(m.timeouts_total.first_byte).toBe(1)
    expect(m.health).toEqual({ score: 60, status: 'degraded' })
  })

  test('/metrics is valid Prometheus text with the same numbers', async () => {
    const res = await fetch(`${proxy.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    const families = parseExposition(await res.text())
    for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
    const requests = families.get('ccproxy_requests_total')
    expect(value(requests, { status_class: '2xx', model: 'ops-big' })).toBe(3)
    expect(value(requests, { status_class: '4xx', model: 'ops-big' })).toBe(1)
    expect(value(requests, { status_class: '5xx', model: 'ops-big' })).toBe(1)
    expect(value(families.get('ccproxy_request_errors_total'))).toBe(2)
    expect(value(families.get('ccproxy_tokens_total'), { kind: 'input' })).toBe(31)
    expect(value(families.get('ccproxy_tokens_total'), { kind: 'output' })).toBe(11)
    expect(value(families.get('ccproxy_timeouts_total'), { kind: 'first_byte' })).toBe(1)
    expect(value(families.get('ccproxy_request_duration_seconds'), { le: '+Inf' })).toBe(5)
    expect(value(families.get('ccproxy_health_score'))).toBe(60)
  })

  test('health after that traffic: degraded, still 200, upstream reachable', async () => {
    const { status, body } = await getJson('/v1/health')
    expect(status).toBe(200)
    expect(body).toMatchObject({ status: 'degraded', health_score: 60, upstream: { reachable: true } })
  })

  test('POST /v1/metrics/reset zeroes the counters in both formats', async () => {
    const reset = await getJson('/v1/metrics/reset', { method: 'POST' })
    expect(reset.status).toBe(200)
    expect(reset.body).toEqual({ ok: true })
    const m = await metrics()
    expect(m.requests).toMatchObject({ total: 0, errors_total: 0, by_status_class: { '2xx': 0, '4xx': 0, '5xx': 0 } })
    expect(m.tokens.input_total + m.tokens.output_total).toBe(0)
    expect(Object.values(m.timeouts_total).every((n) => n === 0)).toBe(true)
    expect(m.latency_ms.total.count).toBe(0)
    expect(m.recent.requests).toBe(0)
    const families = parseExposition(await (await fetch(`${proxy.url}/metrics`)).text())
    expect(families.get('ccproxy_requests_total')!.samples).toHaveLength(0)
    expect(value(families.get('ccproxy_timeouts_total'), { kind: 'first_byte' })).toBe(0)
    expect((await getJson('/v1/health')).body).toMatchObject({ status: 'ok', health_score: 100 })
  })

  test('cache routes answer when the response cache is off', async () => {
    const stats = await getJson('/v1/cache/stats')
    expect(stats.body).toMatchObject({ enabled: false, entries: 0, bytes: 0, hits: 0, misses: 0, joins: 0, evictions: 0, hit_rate: null })
    expect((await getJson('/v1/cache/clear', { method: 'POST' })).body).toEqual({ cleared: 0 })
  })
})

describe('health goes down', () => {
  test('503 down when the upstream cannot be reached', async () => {
    const gone = await FakeUpstream.start()
    const deadUrl = gone.url
    await gone.close()
    const p = await startApp(deadUrl, { PROVIDER_MAX_RETRIES: '0' })
    try {
      expect((await fetch(`${p.url}/v1/health`)).status).toBe(200)
      const res = await postMessages(p.url, ask())
      expect(res.status).toBe(502)
      const health = await fetch(`${p.url}/v1/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'down', upstream: { reachable: false } })
    } finally {
      await p.close()
    }
  })

  test('503 down when most recent requests failed, though the upstream answers', async () => {
    const failing = await FakeUpstream.start()
    failing.setFallback({ status: 500, json: { error: { message: 'boom', type: 'server_error' } } })
    const p = await startApp(failing.url, { PROVIDER_MAX_RETRIES: '0' })
    try {
      for (let i = 0; i < 3; i++) expect((await postMessages(p.url, ask())).status).toBeGreaterThanOrEqual(500)
      const health = await fetch(`${p.url}/v1/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'down', health_score: 0 })
    } finally {
      await p.close()
      await failing.close()
    }
  })
})

describe('health follows the circuit breaker', () => {
  test('503 down with the breaker open after CIRCUIT_BREAKER_FAILURE_THRESHOLD failed attempts', async () => {
    const failing = await FakeUpstream.start()
    failing.setFallback({ status: 500, json: { error: { message: 'boom', type: 'server_error' } } })
    const p = await startApp(failing.url, { PROVIDER_MAX_RETRIES: '0', CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '60' })
    try {
      for (let i = 0; i < 2; i++) await (await postMessages(p.url, ask())).arrayBuffer()
      const health = await fetch(`${p.url}/v1/health`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'down', breaker: { state: 'open' } })
      expect(((await (await fetch(`${p.url}/v1/metrics`)).json()) as MetricsSnapshot).breaker.state).toBe('open')
    } finally {
      await p.close()
      await failing.close()
    }
  })
})

describe('every response carries a request-id', () => {
  const CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

  test('ops, pages, docs, assets, models, errors and unknown routes', async () => {
    const calls: Array<[string, string, string?]> = [
      ['GET', '/v1/health'], ['GET', '/v1/metrics'], ['GET', '/metrics'], ['POST', '/v1/metrics/reset'],
      ['GET', '/v1/cache/stats'], ['POST', '/v1/cache/clear'], ['GET', '/dashboard'], ['GET', '/swagger'],
      ['GET', '/swagger/json'], ['GET', '/swagger/assets/swagger-ui.css'], ['GET', '/swagger/assets/nothing.js'],
      ['GET', '/v1/models'], ['POST', '/v1/messages/count_tokens', JSON.stringify(ask())], ['POST', '/v1/messages', '{not json'],
      ['GET', '/no/such/route'],
    ]
    const ids = new Set<string>()
    for (const [method, path, body] of calls) {
      const res = await fetch(`${proxy.url}${path}`, { method, body, headers: body ? { 'content-type': 'application/json' } : {} })
      await res.arrayBuffer()
      const id = res.headers.get('request-id')
      expect({ path, id }).toEqual({ path, id: expect.stringMatching(/^req_[A-Za-z0-9]{24}$/) })
      ids.add(id!)
    }
    expect(ids.size).toBe(calls.length)
  })

  test('HTML pages carry the security headers', async () => {
    for (const path of ['/dashboard', '/swagger']) {
      const res = await fetch(`${proxy.url}${path}`)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('content-security-policy')).toBe(CSP)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('referrer-policy')).toBe('no-referrer')
      expect(await res.text()).toStartWith('<!doctype html>')
    }
  })
})

describe('GET /swagger/json', () => {
  test('documents every route with a summary, a tag and response schemas; bodies for the POST routes that take one', async () => {
    const { body: doc } = await getJson('/swagger/json')
    expect(doc.openapi).toBe('3.0.3')
    const expected = ['/v1/messages', '/v1/messages/count_tokens', '/v1/models', '/v1/health', '/v1/metrics', '/metrics',
      '/v1/metrics/reset', '/v1/cache/stats', '/v1/cache/clear', '/dashboard']
    expect(Object.keys(doc.paths).sort()).toEqual(expected.sort())
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const where = `${method.toUpperCase()} ${path}`
        expect({ where, summary: typeof op.summary, tags: op.tags?.length > 0 }).toEqual({ where, summary: 'string', tags: true })
        const ok = op.responses['200']
        const schema = Object.values<any>(ok?.content ?? {})[0]?.schema
        expect({ where, schema: typeof schema }).toEqual({ where, schema: 'object' })
      }
    }
    expect(doc.paths['/v1/messages'].post.requestBody.content['application/json'].schema.required).toEqual(['model', 'max_tokens', 'messages'])
    expect(doc.paths['/v1/health'].get.responses['503']).toBeDefined()
    expect(doc.paths['/v1/metrics'].get.responses['200'].content['application/json'].schema.properties.timeouts_total.required).toContain('first_byte')
    expect(doc.components.schemas.ErrorBody).toBeDefined()
  })
})
