import { afterEach, beforeEach, expect, test } from 'bun:test'
import { FakeUpstream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { captureLogger } from '../support/log-capture'
import { ask, until, type ErrorBody } from './helpers'

let upstream: FakeUpstream
let proxy: InProcessProxy

const fail500 = { status: 500, json: { error: { message: 'internal error' } } }

beforeEach(async () => {
  upstream = await FakeUpstream.start()
})
afterEach(async () => {
  await proxy.close()
  await upstream.close()
})

test('five 500s open the breaker; the sixth fails fast with 529 and no upstream call; half-open trials close it again', async () => {
  const { logger, warnings } = captureLogger()
  proxy = await startApp(
    upstream.url,
    { PROVIDER_MAX_RETRIES: '0', CIRCUIT_BREAKER_FAILURE_THRESHOLD: '5', CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '0.3', CIRCUIT_BREAKER_HALF_OPEN_REQUESTS: '2' },
    { logger },
  )
  const client = proxy.deps.upstream
  upstream.enqueue(fail500, fail500, fail500, fail500, fail500)
  for (let i = 0; i < 5; i++) expect((await postMessages(proxy.url, ask())).status).toBe(500)
  expect(client.endpointsHealth()[0].breaker).toBe('OPEN')

  const fast = await postMessages(proxy.url, ask())
  expect(fast.status).toBe(529)
  expect(((await fast.json()) as ErrorBody).error.type).toBe('overloaded_error')
  const retryAfter = Number(fast.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(Number(fast.headers.get('retry-after-ms'))).toBeLessThanOrEqual(300)
  expect(upstream.chatRequests).toHaveLength(5)
  expect(proxy.deps.metrics.snapshot().breaker.state).toBe('open')

  await until(() => client.endpointsHealth()[0].breaker === 'HALF_OPEN')
  expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(client.endpointsHealth()[0].breaker).toBe('HALF_OPEN')
  expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(client.endpointsHealth()[0].breaker).toBe('CLOSED')
  expect(upstream.chatRequests).toHaveLength(7)

  const moves = warnings().filter((l) => String(l.msg).startsWith('circuit breaker')).map((l) => `${l.from}->${l.to}`)
  expect(moves).toEqual(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED'])
  const m = proxy.deps.metrics.snapshot().breaker
  expect(m).toEqual({ state: 'closed', state_code: 0, transitions_total: 3 })
})

test('a failed half-open trial opens the breaker again', async () => {
  proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0', CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '0.3', CIRCUIT_BREAKER_HALF_OPEN_REQUESTS: '1' })
  const client = proxy.deps.upstream
  upstream.enqueue(fail500, fail500, { status: 502, json: { error: { message: 'bad gateway' } } })
  for (let i = 0; i < 2; i++) await postMessages(proxy.url, ask())
  expect(client.endpointsHealth()[0].breaker).toBe('OPEN')
  await until(() => client.endpointsHealth()[0].breaker === 'HALF_OPEN')
  expect((await postMessages(proxy.url, ask())).status).toBe(529)
  expect(client.endpointsHealth()[0].breaker).toBe('OPEN')
  expect((await postMessages(proxy.url, ask())).status).toBe(529)
  expect(upstream.chatRequests).toHaveLength(3)
})

test('4xx answers caused by the request never open the breaker', async () => {
  proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0', CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2' })
  upstream.setFallback({ status: 400, json: { error: { message: 'bad request' } } })
  for (let i = 0; i < 4; i++) expect((await postMessages(proxy.url, ask())).status).toBe(400)
  expect(proxy.deps.upstream.endpointsHealth()[0].breaker).toBe('CLOSED')
  expect(upstream.chatRequests).toHaveLength(4)
})
