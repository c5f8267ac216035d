import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { FakeUpstream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'

const KEY = 'ccp-client-key-0123456789'
const UPSTREAM_KEY = 'sk-upstream-test-key-0123456789'
const ask = { model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }

let upstream: FakeUpstream
let proxy: InProcessProxy

beforeAll(async () => {
  upstream = await FakeUpstream.start()
  proxy = await startApp(upstream.url, { CCPROXY_API_KEYS: `other-key,${KEY}`, PROVIDER_MAX_RETRIES: '0', MAX_REQUEST_BYTES: String(4 * 1024 * 1024), CLIENT_BODY_TIMEOUT: '0.5' })
})
afterAll(async () => {
  await proxy.close()
  await upstream.close()
})

const call = (path: string, init: RequestInit = {}) => fetch(`${proxy.url}${path}`, init)

describe('client keys', () => {
  const protectedCalls: [string, RequestInit][] = [
    ['/v1/messages', { method: 'POST', body: JSON.stringify(ask) }],
    ['/v1/messages/count_tokens', { method: 'POST', body: JSON.stringify(ask) }],
    ['/v1/models', {}],
    ['/v1/metrics', {}],
    ['/metrics', {}],
    ['/v1/metrics/reset', { method: 'POST' }],
    ['/v1/cache/stats', {}],
    ['/v1/cache/clear', { method: 'POST' }],
    ['/dashboard', {}],
  ]

  test.each(protectedCalls)('%s needs a key: missing or wrong gets 401 authentication_error', async (path, init) => {
    const attempts: Record<string, string>[] = [{}, { 'x-api-key': 'wrong' }, { authorization: 'Bearer wrong' }, { 'x-api-key': `${KEY}x` }]
    for (const headers of attempts) {
      const res = await call(path, { ...init, headers: { 'content-type': 'application/json', ...headers } })
      expect(res.status).toBe(401)
      const body = (await res.json()) as { type: string; error: { type: string } }
      expect(body.error.type).toBe('authentication_error')
    }
    expect(upstream.chatRequests).toHaveLength(0)
  })

  test('a right key works as x-api-key or Authorization: Bearer, and the dashboard takes ?key=', async () => {
    expect((await call('/v1/messages', { method: 'POST', body: JSON.stringify(ask), headers: { 'x-api-key': KEY } })).status).toBe(200)
    expect((await call('/v1/messages', { method: 'POST', body: JSON.stringify(ask), headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200)
    expect((await call('/v1/models', { headers: { 'x-api-key': 'other-key' } })).status).toBe(200)
    expect((await call(`/dashboard?key=${KEY}`)).status).toBe(200)
    expect((await call('/v1/cache/clear', { method: 'POST', headers: { 'x-api-key': KEY } })).status).toBe(200)
  })

  test('/v1/health stays open and reveals no internals without a key', async () => {
    const open = await call('/v1/health')
    expect(open.status).toBe(200)
    expect(await open.json()).toEqual({ status: 'ok' })
    const full = (await (await call('/v1/health', { headers: { 'x-api-key': KEY } })).json()) as Record<string, unknown>
    expect(Object.keys(full)).toEqual(expect.arrayContaining(['status', 'health_score', 'breaker', 'version', 'endpoints']))
  })
})

describe('credentials and headers', () => {
  test('only an allow-list reaches the upstream: no client credentials, hop-by-hop or identity headers', async () => {
    upstream.requests.length = 0
    const res = await call('/v1/messages?beta=true', {
      method: 'POST',
      body: JSON.stringify(ask),
      headers: {
        'content-type': 'application/json',
        'x-api-key': KEY,
        cookie: 'session=secret-cookie',
        'x-forwarded-for': '203.0.113.9',
        forwarded: 'for=203.0.113.9',
        'x-real-ip': '203.0.113.9',
        'user-agent': 'claude-cli/2.1.332 (external, sdk-cli)',
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219',
        'x-claude-code-session-id': 'sess-123',
        'x-stainless-retry-count': '0',
        'proxy-authorization': 'Basic c2VjcmV0',
        te: 'trailers',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    })
    expect(res.status).toBe(200)
    const sent = upstream.chatRequests[0].headers
    expect(sent.authorization).toBe(`Bearer ${UPSTREAM_KEY}`)
    for (const h of ['x-api-key', 'cookie', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'anthropic-version', 'anthropic-beta', 'x-claude-code-session-id', 'x-stainless-retry-count', 'proxy-authorization', 'te']) expect(sent[h]).toBeUndefined()
    expect(sent['user-agent'] ?? '').not.toContain('claude-cli')
    expect(JSON.stringify(sent)).not.toContain(KEY)
    expect(sent.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
  })

  test('the upstream key never reaches a client, even when the upstream echoes it in an error', async () => {
    upstream.enqueue({ status: 401, json: { error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}. You can find your key at …`, code: 'invalid_api_key' } } })
    const res = await call('/v1/messages', { method: 'POST', body: JSON.stringify(ask), headers: { 'x-api-key': KEY } })
    expect(res.status).toBe(401)
    const text = await res.text()
    expect(text).not.toContain(UPSTREAM_KEY)
    expect(text).not.toContain(UPSTREAM_KEY.slice(3, 20))
  })
})

describe('limits', () => {
  const auth = { 'x-api-key': KEY, 'content-type': 'application/json' }

  test('a body over MAX_REQUEST_BYTES gets 413 request_too_large without being read whole', async () => {
    const declared = await rawRequest(`POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: ${200 * 1024 * 1024}\r\n\r\n{"model":`)
    expect(declared).toMatch(/^HTTP\/1.1 413/)
    expect(declared).toContain('request_too_large')
    const chunked = await call('/v1/messages', { method: 'POST', headers: auth, body: new Blob(['{"model":"' + 'x'.repeat(5 * 1024 * 1024) + '"}']).stream() })
    expect(chunked.status).toBe(413)
  })

  test('absurd shapes get 400, not a crash or a stall', async () => {
    const deep = '{"model":"m","max_tokens":1,"messages":[{"role":"user","content":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}]}'
    const many = JSON.stringify({ ...ask, messages: Array.from({ length: 100_001 }, () => ({ role: 'user', content: 'x' })) })
    for (const body of [deep, many, '[]', 'null', '"x"', '{"model":{"$gt":""}}']) {
      const res = await call('/v1/messages', { method: 'POST', headers: auth, body })
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error')
    }
    const schema = '{"type":"object","properties":{"a":'.repeat(20_000) + '{"type":"string"}' + '}}'.repeat(20_000)
    const deepTools = JSON.stringify(ask).slice(0, -1) + `,"tools":[{"name":"t","input_schema":${schema}}]}`
    const res = await call('/v1/messages', { method: 'POST', headers: auth, body: deepTools })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/nested/)
    expect((await call('/v1/health')).status).toBe(200)
  })

  test('header size is bounded', async () => {
    const res = await rawRequest(`GET /v1/health HTTP/1.1\r\nhost: localhost\r\nx-big: ${'a'.repeat(256 * 1024)}\r\n\r\n`)
    expect(res).toMatch(/^HTTP\/1.1 (431|400|413)/)
  })

  test('a client that sends its body too slowly gets 408', async () => {
    const started = Date.now()
    const res = await rawRequest(`POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"model":`, 3000)
    expect(res).toMatch(/^HTTP\/1.1 408/)
    expect(Date.now() - started).toBeLessThan(2900)
  })
})

describe('CORS', () => {
  test('off by default: no CORS headers, preflight not answered', async () => {
    const res = await call('/v1/health', { headers: { origin: 'https://evil.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const pre = await call('/v1/messages', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('CORS_ALLOW_ORIGINS allows the listed origins only', async () => {
    const p = await startApp(upstream.url, { CORS_ALLOW_ORIGINS: 'https://app.example' })
    try {
      const pre = await fetch(`${p.url}/v1/messages`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })
      expect(pre.status).toBe(204)
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example')
      expect(pre.headers.get('access-control-allow-headers')).toContain('x-api-key')
      const ok = await postMessages(p.url, ask, { origin: 'https://app.example' })
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example')
      const other = await postMessages(p.url, ask, { origin: 'https://evil.example' })
      expect(other.headers.get('access-control-allow-origin')).toBeNull()
    } finally {
      await p.close()
    }
  })
})

/** Sends raw bytes to the proxy and returns what comes back within `waitMs` (the socket is then closed). */
function rawRequest(text: string, waitMs = 2000): Promise<string> {
  const { port } = new URL(proxy.url)
  return new Promise((resolve) => {
    let got = ''
    const s = connect(Number(port), '127.0.0.1', () => s.write(text))
    const done = () => {
      clearTimeout(t)
      s.destroy()
      resolve(got)
    }
    const t = setTimeout(done, waitMs)
    s.on('data', (d) => {
      got += d.toString()
      if (/\r\n\r\n/.test(got) && (/content-length: 0/i.test(got) || /\}$/.test(got.trim()))) done()
    })
    s.on('error', done)
    s.on('close', done)
  })
}

