import { afterEach, beforeEach, expect, test } from 'bun:test'
import { FakeUpstream, textCompletion } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { ask, deadPort } from './helpers'

let healthy: FakeUpstream
let proxy: InProcessProxy

beforeEach(async () => {
  healthy = await FakeUpstream.start()
})
afterEach(async () => {
  await proxy.close()
  await healthy.close()
})

test('failover from a dead first endpoint to a healthy second one; each has its own breaker; /v1/health shows both', async () => {
  const dead = `http://127.0.0.1:${await deadPort()}/v1`
  proxy = await startApp(`${dead},${healthy.url}`, { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '2', PROVIDER_MAX_RETRIES: '3' })
  healthy.setFallback({ json: textCompletion('from the second') })

  const first = await postMessages(proxy.url, ask())
  expect(first.status).toBe(200)
  expect(((await first.json()) as { content: { text: string }[] }).content[0].text).toBe('from the second')
  expect(proxy.records[0].attempts).toBe(2)
  expect(proxy.deps.upstream.endpointsHealth()).toMatchObject([
    { url: dead, breaker: 'CLOSED', failures: 1, consecutive_failures: 1 },
    { url: healthy.url, breaker: 'CLOSED', successes: 1, failures: 0 },
  ])

  expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(proxy.deps.upstream.endpointsHealth()[0].breaker).toBe('OPEN')
  // With the first endpoint's breaker open, requests go straight to the second.
  expect((await postMessages(proxy.url, ask())).status).toBe(200)
  expect(proxy.records[2].attempts).toBe(1)
  expect(healthy.chatRequests).toHaveLength(3)

  const health = (await (await fetch(`${proxy.url}/v1/health`)).json()) as { endpoints: { url: string; breaker: string }[] }
  expect(health.endpoints.map((e) => [e.url, e.breaker])).toEqual([[dead, 'OPEN'], [healthy.url, 'CLOSED']])
  expect(proxy.deps.metrics.snapshot().breaker.state).toBe('half_open')
})

test('an endpoint that answers 5xx or never answers before the first byte hands the request to the next', async () => {
  const failing = await FakeUpstream.start()
  try {
    failing.enqueue({ status: 503, json: { error: { message: 'overloaded' } } }, { hang: true })
    proxy = await startApp(`${failing.url},${healthy.url}`, { HTTP_READ_TIMEOUT: '0.3', PROVIDER_MAX_RETRIES: '1' })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(failing.chatRequests).toHaveLength(2)
    expect(healthy.chatRequests).toHaveLength(2)
    expect(proxy.records.map((r) => r.attempts)).toEqual([2, 2])
  } finally {
    await failing.close()
  }
})

test('when every endpoint is open, requests fail fast with 529 and no upstream call', async () => {
  const other = await FakeUpstream.start()
  try {
    const fail = { status: 500, json: { error: { message: 'down' } } }
    healthy.setFallback(fail)
    other.setFallback(fail)
    proxy = await startApp(`${healthy.url},${other.url}`, { CIRCUIT_BREAKER_FAILURE_THRESHOLD: '1', PROVIDER_MAX_RETRIES: '1', CIRCUIT_BREAKER_RECOVERY_TIMEOUT: '30' })
    expect((await postMessages(proxy.url, ask())).status).toBe(500)
    const fast = await postMessages(proxy.url, ask())
    expect(fast.status).toBe(529)
    expect(Number(fast.headers.get('retry-after'))).toBeGreaterThan(1)
    expect(healthy.chatRequests.length + other.chatRequests.length).toBe(2)
    expect(proxy.deps.metrics.snapshot().breaker.state).toBe('open')
  } finally {
    await other.close()
  }
})
