import { afterEach, beforeEach, expect, test } from 'bun:test'
import { FakeUpstream, textCompletion } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { captureLogger } from '../support/log-capture'
import { ask, type ErrorBody } from './helpers'

let upstream: FakeUpstream
let proxy: InProcessProxy

beforeEach(async () => {
  upstream = await FakeUpstream.start()
})
afterEach(async () => {
  await proxy.close()
  await upstream.close()
})

test('20 concurrent requests against RPM 10, burst 5: 5 pass, the rest queue and then get 429 with retry-after', async () => {
  const { logger, warnings } = captureLogger()
  proxy = await startApp(upstream.url, { CLIENT_RATE_LIMIT_RPM: '10', CLIENT_RATE_LIMIT_BURST: '5', HTTP_POOL_TIMEOUT: '1' }, { logger })
  const responses = await Promise.all(Array.from({ length: 20 }, () => postMessages(proxy.url, ask())))
  const ok = responses.filter((r) => r.status === 200)
  const limited = responses.filter((r) => r.status === 429)
  expect(ok).toHaveLength(5)
  expect(limited).toHaveLength(15)
  for (const r of limited) {
    const body = (await r.json()) as ErrorBody
    expect(body.error.type).toBe('rate_limit_error')
    expect(body.error.message).toContain('HTTP_POOL_TIMEOUT')
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  }
  expect(upstream.chatRequests).toHaveLength(5)
  const m = proxy.deps.metrics.snapshot()
  expect(m.limiter.waits_total).toBe(15)
  expect(m.limiter.queue_length).toBe(0)
  expect(m.limiter.rpm_effective).toBe(10)
  expect(m.timeouts_total.pool).toBe(15)
  expect(warnings().filter((l) => l.timeout === 'pool')).toHaveLength(15)
})

test('adaptive limits: an upstream 429 lowers them to 80%, successes bring them back', async () => {
  proxy = await startApp(upstream.url, { CLIENT_RATE_LIMIT_RPM: '100', CLIENT_RATE_LIMIT_TPM: '1000000', CLIENT_RATE_LIMIT_BURST: '50', PROVIDER_MAX_RETRIES: '0' })
  const client = proxy.deps.upstream
  expect(client.limiterLimits()).toMatchObject({ rpm: 100, tpm: 1_000_000, burst: 50 })
  upstream.enqueue({ status: 429, json: { error: { message: 'slow down', type: 'requests' } } })
  expect((await postMessages(proxy.url, ask())).status).toBe(429)
  expect(client.limiterLimits()).toMatchObject({ rpm: 80, tpm: 800_000, burst: 40 })
  expect(proxy.deps.metrics.snapshot().limiter).toMatchObject({ rpm_effective: 80, tpm_effective: 800_000 })
  for (let i = 0; i < 10; i++) expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(client.limiterLimits()).toMatchObject({ rpm: 90, burst: 45 })
  for (let i = 0; i < 10; i++) expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(client.limiterLimits()).toMatchObject({ rpm: 100, tpm: 1_000_000, burst: 50 })
  expect(proxy.deps.metrics.snapshot().limiter.rpm_effective).toBe(100)
})

test('the window is corrected with the upstream usage: a settled answer counts its real tokens', async () => {
  // TPM 1000 and burst 10 make a token bucket of 1000 × 10 / 100 = 100 tokens; the first answer reports 110
  // tokens in and out, so the second request (a few tokens) must wait, and with HTTP_POOL_TIMEOUT=0 is refused.
  proxy = await startApp(upstream.url, { CLIENT_RATE_LIMIT_RPM: '100', CLIENT_RATE_LIMIT_TPM: '1000', CLIENT_RATE_LIMIT_BURST: '10', HTTP_POOL_TIMEOUT: '0' })
  upstream.enqueue({ json: textCompletion('big', { prompt_tokens: 80, completion_tokens: 30 }) })
  expect((await postMessages(proxy.url, ask())).status).toBe(200)
  const second = await postMessages(proxy.url, ask())
  expect(second.status).toBe(429)
  expect(((await second.json()) as ErrorBody).error.type).toBe('rate_limit_error')
  expect(upstream.chatRequests).toHaveLength(1)
})

test('CLIENT_RATE_LIMIT_ENABLED=false sends everything on', async () => {
  proxy = await startApp(upstream.url, { CLIENT_RATE_LIMIT_ENABLED: 'false', CLIENT_RATE_LIMIT_RPM: '1', CLIENT_RATE_LIMIT_BURST: '1', HTTP_POOL_TIMEOUT: '0' })
  const responses = await Promise.all(Array.from({ length: 5 }, () => postMessages(proxy.url, ask())))
  expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])
  expect(proxy.deps.upstream.limiterLimits()).toBeNull()
})
