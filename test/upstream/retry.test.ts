import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { FakeUpstream, textCompletion } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { captureLogger } from '../support/log-capture'
import { ask, deadPort, until, type ErrorBody } from './helpers'

let upstream: FakeUpstream
let proxy: InProcessProxy | undefined

beforeEach(async () => {
  upstream = await FakeUpstream.start()
})
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  await upstream.close()
})

describe('retries', () => {
  test('429 with retry-after: 1 twice, then success: one success for the client, three attempts a second apart', async () => {
    const limited = { status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'Rate limit reached', type: 'requests' } } }
    upstream.enqueue(limited, limited, { json: textCompletion('finally') })
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '3', PROVIDER_RETRY_BASE_DELAY: '0.01' })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(200)
    expect(((await res.json()) as { content: { text: string }[] }).content[0].text).toBe('finally')
    const seen = upstream.chatRequests
    expect(seen).toHaveLength(3)
    expect(seen[1].receivedAt - seen[0].receivedAt).toBeGreaterThanOrEqual(900)
    expect(seen[2].receivedAt - seen[1].receivedAt).toBeGreaterThanOrEqual(900)
    expect(proxy.records[0].attempts).toBe(3)
    expect(proxy.deps.metrics.snapshot().retries_total).toBe(2)
  })

  test('a 400 caused by the request is never retried', async () => {
    upstream.enqueue({ status: 400, json: { error: { message: 'bad tool schema', type: 'invalid_request_error' } } })
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '3' })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(400)
    expect(upstream.chatRequests).toHaveLength(1)
    expect(proxy.deps.upstream.endpointsHealth()[0].consecutive_failures).toBe(0)
  })

  test('connection refused (a port bound, then closed): after the retries a clean Anthropic error', async () => {
    const port = await deadPort()
    const { logger, warnings } = captureLogger()
    proxy = await startApp(`http://127.0.0.1:${port}/v1`, { PROVIDER_MAX_RETRIES: '2' }, { logger })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(502)
    const body = (await res.json()) as ErrorBody
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('api_error')
    expect(body.error.message).toContain('connection refused')
    expect(body.error.message).toContain(`127.0.0.1:${port}`)
    expect(body.request_id).toMatch(/^req_/)
    expect(proxy.deps.metrics.snapshot().retries_total).toBe(2)
    expect(warnings().filter((l) => l.msg === 'retrying upstream request')).toHaveLength(2)
    expect(proxy.deps.upstream.endpointsHealth()[0]).toMatchObject({ failures: 3, consecutive_failures: 3, breaker: 'CLOSED' })
  })

  test('an upstream that accepts and never answers: the first-byte timeout fires as configured (504 timeout_error)', async () => {
    upstream.enqueue({ hang: true })
    const { logger, warnings } = captureLogger()
    proxy = await startApp(upstream.url, { HTTP_READ_TIMEOUT: '0.3', PROVIDER_MAX_RETRIES: '0' }, { logger })
    const res = await postMessages(proxy.url, ask({ stream: true }))
    expect(res.status).toBe(504)
    const body = (await res.json()) as ErrorBody
    expect(body.error.type).toBe('timeout_error')
    expect(body.error.message).toContain('HTTP_READ_TIMEOUT')
    expect(proxy.deps.metrics.snapshot().timeouts_total.first_byte).toBe(1)
    expect(warnings().some((l) => l.timeout === 'first_byte' && String(l.msg).includes('HTTP_READ_TIMEOUT'))).toBe(true)
    await upstream.waitForRequests(1)
    await Bun.sleep(50)
    expect(upstream.chatRequests[0].aborted).toBe(true)
  })

  test('a timeout before the first byte is retried, and the retry can succeed', async () => {
    upstream.enqueue({ hang: true }, { json: textCompletion('second time') })
    proxy = await startApp(upstream.url, { HTTP_READ_TIMEOUT: '0.3', PROVIDER_MAX_RETRIES: '1' })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(200)
    expect(upstream.chatRequests).toHaveLength(2)
    expect(proxy.deps.metrics.snapshot().timeouts_total.first_byte).toBe(1)
  })

  test('a client that leaves during the retry wait stops the retries at once', async () => {
    upstream.setFallback({ status: 503, json: { error: { message: 'busy' } } })
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '5', PROVIDER_RETRY_BASE_DELAY: '0.3' })
    const ctrl = new AbortController()
    const pending = fetch(`${proxy.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask()), signal: ctrl.signal }).catch(() => null)
    await upstream.waitForRequests(1)
    ctrl.abort()
    await pending
    const app = proxy
    await until(() => app.records.length === 1)
    expect(app.records[0].status).toBe(499)
    await Bun.sleep(600) // past the moment the next attempt would have gone out
    expect(upstream.chatRequests).toHaveLength(1)
  })
})

test('Bun adds no retry of its own: a reused connection closed under a POST fails once, and only ccproxy retries', async () => {
  // Answers the first request on a kept-alive connection after 5 ms; closes the connection on every later one.
  let seen = 0
  const completion = JSON.stringify(textCompletion('first'))
  const server = Bun.listen<{ buf: string }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: '' }
      },
      data(s, raw) {
        s.data.buf += raw.toString()
        const head = s.data.buf.indexOf('\r\n\r\n')
        if (head < 0) return
        const length = Number(/content-length: (\d+)/i.exec(s.data.buf.slice(0, head))?.[1] ?? 0)
        if (s.data.buf.length < head + 4 + length) return
        s.data.buf = ''
        if (++seen > 1) return void s.end()
        setTimeout(() => s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${completion.length}\r\nconnection: keep-alive\r\n\r\n${completion}`), 5)
      },
    },
  })
  try {
    proxy = await startApp(`http://127.0.0.1:${server.port}/v1`, { PROVIDER_MAX_RETRIES: '0' })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    const second = await postMessages(proxy.url, ask())
    expect(second.status).toBe(502)
    expect(seen).toBe(2)
    await proxy.close()
    proxy = await startApp(`http://127.0.0.1:${server.port}/v1`, { PROVIDER_MAX_RETRIES: '2' })
    seen = 1
    expect((await postMessages(proxy.url, ask())).status).toBe(502)
    expect(seen).toBe(4)
    expect(proxy.deps.metrics.snapshot().retries_total).toBe(2)
  } finally {
    server.stop(true)
  }
})

describe('adaptive first-byte timeout', () => {
  test('first-byte times are learned per prompt size class; once a class has 20 samples its timeout is 2 x p95 (at least 10 s)', async () => {
    proxy = await startApp(upstream.url)
    const classes = () => proxy!.deps.upstream.endpointsHealth()[0].first_byte_timeouts
    expect(classes()[0]).toMatchObject({ below_tokens: 4000, samples: 0, timeout_ms: 600_000 })
    for (let i = 0; i < 20; i++) expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(classes()[0]).toMatchObject({ samples: 20, timeout_ms: 10_000 })
    expect(classes()[1]).toMatchObject({ below_tokens: 32000, samples: 0, timeout_ms: 600_000 })
  })

  test('HTTP_ADAPTIVE_TIMEOUT=false keeps HTTP_READ_TIMEOUT', async () => {
    proxy = await startApp(upstream.url, { HTTP_ADAPTIVE_TIMEOUT: 'false', HTTP_READ_TIMEOUT: '120' })
    for (let i = 0; i < 20; i++) await postMessages(proxy.url, ask())
    expect(proxy.deps.upstream.endpointsHealth()[0].first_byte_timeouts[0]).toMatchObject({ samples: 20, timeout_ms: 120_000 })
  })
})
