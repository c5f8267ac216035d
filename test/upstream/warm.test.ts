import { afterEach, describe, expect, test } from 'bun:test'
import { WarmConnections } from '../../src/upstream/pool'
import { WARM_WINDOW_MS } from '../../src/upstream/endpoints'
import { FakeUpstream, sseBody, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { ask, until, type ErrorBody } from './helpers'

describe('WarmConnections', () => {
  test('counts connections put back, takes the most recent first, forgets them after the window', () => {
    let now = 0
    const warm = new WarmConnections(20, 2_000, () => now)
    expect(warm.take()).toBe(false)
    warm.put()
    now = 500
    warm.put()
    expect(warm.count).toBe(2)
    expect(warm.take()).toBe(true)
    expect(warm.count).toBe(1)
    now = 2_001 // the one idle since 0 may have been closed by the server by now
    expect(warm.count).toBe(0)
    expect(warm.take()).toBe(false)
  })

  test('holds at most `max` (the pool keeps no more); none when keep-alive is off', () => {
    const warm = new WarmConnections(2, 2_000, () => 0)
    for (let i = 0; i < 5; i++) warm.put()
    expect(warm.count).toBe(2)
    const off = new WarmConnections(0, 0, () => 0)
    off.put()
    expect(off.take()).toBe(false)
  })

  test('the window stays inside common server keep-alive timeouts (5 s)', () => {
    expect(WARM_WINDOW_MS).toBeLessThan(5_000)
  })
})

describe('requests on a connection left idle by the previous answer', () => {
  let upstream: FakeUpstream | undefined
  let proxy: InProcessProxy | undefined
  afterEach(async () => {
    await proxy?.close()
    await upstream?.close()
    proxy = upstream = undefined
  })
  const idle = () => proxy!.deps.upstream.endpointsHealth()[0].idle_connections

  test('an answer read to its end leaves its connection counted; the next request reuses it', async () => {
    upstream = await FakeUpstream.start()
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0' })
    expect(idle()).toBe(0)
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(idle()).toBe(1)
    for (let i = 0; i < 3; i++) {
      const res = await postMessages(proxy.url, ask({ stream: i % 2 === 1 }))
      expect(res.status).toBe(200)
      await res.text()
      await until(() => idle() === 1)
    }
    expect(upstream.requests).toHaveLength(4)
    expect(upstream.connections).toBe(1)
  })

  test('a warm request still gets the first-byte timeout, named, when the upstream never answers', async () => {
    upstream = await FakeUpstream.start()
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0', HTTP_READ_TIMEOUT: '0.3', HTTP_ADAPTIVE_TIMEOUT: 'false' })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(idle()).toBe(1)
    upstream.enqueue({ hang: true })
    const res = await postMessages(proxy.url, ask())
    const body = (await res.json()) as ErrorBody
    expect(res.status).toBe(504)
    expect(body.error.type).toBe('timeout_error')
    expect(body.error.message).toContain('HTTP_READ_TIMEOUT')
    expect(idle()).toBe(0)
  })

  test('an answer with Connection: close, or a stream the client left, leaves nothing counted', async () => {
    upstream = await FakeUpstream.start()
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0' })
    upstream.enqueue((req) => ({ headers: { connection: 'close' }, json: { id: 'c', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'bye' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } } }))
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(idle()).toBe(0)
    upstream.enqueue({ sse: [...sseBody(textStream(Array.from({ length: 40 }, (_, i) => `w${i} `))).split(/(?<=\n\n)/)], chunkDelayMs: 50 })
    const ctrl = new AbortController()
    const res = await fetch(`${proxy.url}/v1/messages`, { method: 'POST', body: JSON.stringify(ask({ stream: true })), headers: { 'content-type': 'application/json' }, signal: ctrl.signal })
    const reader = res.body!.getReader()
    await reader.read()
    ctrl.abort()
    await until(() => upstream!.requests.at(-1)?.aborted === true)
    expect(idle()).toBe(0)
  })

  test('POOL_MAX_KEEPALIVE_CONNECTIONS=0: nothing is ever counted', async () => {
    upstream = await FakeUpstream.start()
    proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0', POOL_MAX_KEEPALIVE_CONNECTIONS: '0' })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(idle()).toBe(0)
  })
})
