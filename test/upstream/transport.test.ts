import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents, withoutPings } from '../support/anthropic-sse'
import { assertAnthropicGrammar } from '../support/grammar'
import { ACCEPT_ENCODING, bypassesProxy, caBundle, keepAliveOption, proxyFor } from '../../src/upstream/transport'
import { ask, type ErrorBody } from './helpers'

let upstream: FakeUpstream
let proxy: InProcessProxy | undefined

beforeAll(async () => {
  upstream = await FakeUpstream.start()
})
afterAll(async () => {
  await upstream.close()
})
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  upstream.requests.length = 0
})

describe('compressed answers', () => {
  test.each(['gzip', 'deflate', 'br', 'zstd'] as const)('%s is asked for and decoded, streaming and not', async (encoding) => {
    proxy = await startApp(upstream.url)
    upstream.enqueue({ json: textCompletion(`packed with ${encoding}`), encoding })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(200)
    expect(((await res.json()) as { content: { text: string }[] }).content[0].text).toBe(`packed with ${encoding}`)

    upstream.enqueue({ sse: [sseBody(textStream(['streamed ', encoding]))], encoding })
    const msg = assertAnthropicGrammar(withoutPings((await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))).events))
    expect(msg.content).toEqual([{ type: 'text', text: `streamed ${encoding}` }])
    expect(upstream.chatRequests.every((r) => r.headers['accept-encoding'] === ACCEPT_ENCODING)).toBe(true)
  })
})

describe('keep-alive pool', () => {
  test('requests reuse one connection; POOL_MAX_KEEPALIVE_CONNECTIONS=0 closes each after its answer', async () => {
    const script = { json: textCompletion('hi'), delayMs: 20 }
    upstream.setFallback(script)
    proxy = await startApp(upstream.url)
    let before = upstream.connections
    for (let i = 0; i < 4; i++) expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(upstream.connections - before).toBe(1)
    await proxy.close()

    proxy = await startApp(upstream.url, { POOL_MAX_KEEPALIVE_CONNECTIONS: '0' })
    before = upstream.connections
    for (let i = 0; i < 4; i++) expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(upstream.connections - before).toBe(4)
    upstream.setFallback((req) => (req.body?.stream ? { sse: [sseBody(textStream(['Hello', ' world']))] } : { json: textCompletion('Hello world') }))
  })

  test('the request body goes with Content-Length, never chunked', async () => {
    proxy = await startApp(upstream.url)
    await postMessages(proxy.url, ask())
    const sent = upstream.chatRequests[0]
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(sent.raw)))
    expect(sent.headers['transfer-encoding']).toBeUndefined()
  })

  test('POOL_MAX_CONNECTIONS caps requests in flight; one more waits up to HTTP_POOL_TIMEOUT, then 504 timeout_error', async () => {
    upstream.setFallback({ json: textCompletion('slow'), delayMs: 600 })
    proxy = await startApp(upstream.url, { POOL_MAX_CONNECTIONS: '2', HTTP_POOL_TIMEOUT: '0.2', PROVIDER_MAX_RETRIES: '0' })
    const all = await Promise.all([0, 1, 2].map(() => postMessages(proxy!.url, ask())))
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 504])
    const refused = all.find((r) => r.status === 504)!
    const body = (await refused.json()) as ErrorBody
    expect(body.error.type).toBe('timeout_error')
    expect(body.error.message).toContain('POOL_MAX_CONNECTIONS')
    expect(upstream.chatRequests).toHaveLength(2)
    expect(proxy.deps.metrics.snapshot().timeouts_total.pool).toBe(1)
    expect(proxy.deps.upstream.poolStats()).toEqual({ max: 2, inFlight: 0, waiting: 0 })
    upstream.setFallback((req) => (req.body?.stream ? { sse: [sseBody(textStream(['Hello', ' world']))] } : { json: textCompletion('Hello world') }))
  })
})

/** A forward proxy on loopback: absolute-form requests are forwarded, CONNECT is tunnelled; every request is noted. */
async function startForwardProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = []
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const target = new URL(req.url!)
    const out = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers)
      up.pipe(res)
    })
    out.on('error', () => res.destroy())
    req.pipe(out)
  })
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, port] = req.url!.split(':')
    const up = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      up.write(head)
      up.pipe(socket)
      socket.pipe(up)
    })
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

describe('TLS and proxies', () => {
  let dir: string
  let certFile: string
  let tlsUpstream: ReturnType<typeof Bun.serve>
  let tlsUrl: string
  let forward: Awaited<ReturnType<typeof startForwardProxy>>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccproxy-tls-'))
    certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    const r = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`)
    tlsUpstream = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: { cert: Bun.file(certFile), key: Bun.file(keyFile) },
      fetch: async (req) => {
        const body = (await req.json()) as { stream?: boolean }
        if (body.stream) return new Response(sseBody(textStream(['over ', 'TLS'])), { headers: { 'content-type': 'text/event-stream' } })
        return Response.json(textCompletion('over TLS'))
      },
    })
    tlsUrl = `https://127.0.0.1:${tlsUpstream.port}/v1`
    forward = await startForwardProxy()
  })
  afterAll(async () => {
    await tlsUpstream.stop(true)
    await forward.close()
  })
  afterEach(() => {
    forward.seen.length = 0
  })

  test('without SSL_CERT_FILE a self-signed upstream is refused with a clear error', async () => {
    proxy = await startApp(tlsUrl, { PROVIDER_MAX_RETRIES: '0' })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(502)
    expect(((await res.json()) as ErrorBody).error.message).toContain('SSL_CERT_FILE')
  })

  test('SSL_CERT_FILE adds its CA to the default roots', async () => {
    proxy = await startApp(tlsUrl, { SSL_CERT_FILE: certFile })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(200)
    expect(((await res.json()) as { content: { text: string }[] }).content[0].text).toBe('over TLS')
    const bundle = caBundle(certFile)
    const defaults = tls.getCACertificates('default')
    expect(bundle).toHaveLength(defaults.length + 1)
    expect(bundle.slice(0, defaults.length)).toEqual(defaults)
  })

  test('a bad SSL_CERT_FILE stops start-up with a message naming it', async () => {
    const notPem = join(dir, 'not.pem')
    writeFileSync(notPem, 'hello')
    await expect(startApp(tlsUrl, { SSL_CERT_FILE: notPem })).rejects.toThrow('SSL_CERT_FILE')
    await expect(startApp(tlsUrl, { SSL_CERT_FILE: join(dir, 'missing.pem') })).rejects.toThrow('SSL_CERT_FILE')
  })

  test('HTTPS_PROXY tunnels https:// upstreams with CONNECT', async () => {
    proxy = await startApp(tlsUrl, { SSL_CERT_FILE: certFile, HTTPS_PROXY: forward.url })
    const { events } = await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))
    expect(assertAnthropicGrammar(withoutPings(events)).content).toEqual([{ type: 'text', text: 'over TLS' }])
    expect(forward.seen).toEqual([`CONNECT 127.0.0.1:${tlsUpstream.port}`])
    expect(proxy.deps.upstream.endpointsHealth()[0].proxy).toBe(forward.url)
  })

  test('HTTP_PROXY carries http:// upstreams as absolute-form requests; HTTPS_PROXY does not apply to them', async () => {
    proxy = await startApp(upstream.url, { HTTP_PROXY: forward.url })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(forward.seen).toEqual([`POST ${upstream.url}/chat/completions`])
    await proxy.close()
    forward.seen.length = 0
    proxy = await startApp(upstream.url, { HTTPS_PROXY: forward.url })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(forward.seen).toEqual([])
  })

  test('NO_PROXY sends matching hosts direct', async () => {
    proxy = await startApp(tlsUrl, { SSL_CERT_FILE: certFile, HTTPS_PROXY: forward.url, NO_PROXY: 'example.com,127.0.0.1' })
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    expect(forward.seen).toEqual([])
    expect(proxy.deps.upstream.endpointsHealth()[0].proxy).toBeUndefined()
  })
})

describe('connect and write timeouts', () => {
  test('HTTP_CONNECT_TIMEOUT: a TLS handshake that never completes ends in 504 timeout_error naming it', async () => {
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      proxy = await startApp(`https://127.0.0.1:${silent.port}/v1`, { HTTP_CONNECT_TIMEOUT: '0.2', PROVIDER_MAX_RETRIES: '0' })
      const res = await postMessages(proxy.url, ask())
      expect(res.status).toBe(504)
      const body = (await res.json()) as ErrorBody
      expect(body.error.type).toBe('timeout_error')
      expect(body.error.message).toContain('HTTP_CONNECT_TIMEOUT')
      expect(proxy.deps.metrics.snapshot().timeouts_total.connect).toBe(1)
    } finally {
      silent.stop(true)
    }
  })

  test('HTTP_WRITE_TIMEOUT: an upstream that never reads a large body ends in 504 timeout_error naming it', async () => {
    const { UpstreamClient } = await import('../../src/upstream/client')
    const { testConfig } = await import('../support/proxy-app')
    const sink = createServer((req) => req.pause())
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()))
    const base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1`
    const config = testConfig(base, { HTTP_WRITE_TIMEOUT: '0.3', PROVIDER_MAX_RETRIES: '0', CLIENT_RATE_LIMIT_ENABLED: 'false' })
    const client = new UpstreamClient([{ baseUrl: base, headers: {}, chatUrl: () => `${base}/chat/completions` }], config)
    try {
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(48 * 1024 * 1024) }] })
      const err = await client.send({ body, upstreamModel: 'm', signal: new AbortController().signal, requestId: 'req_write', inputTokens: () => 10 }).then(() => null, (e) => e)
      expect(err?.type).toBe('timeout_error')
      expect(err?.message).toContain('HTTP_WRITE_TIMEOUT')
    } finally {
      client.close()
      sink.closeAllConnections()
      sink.close()
    }
  })
})

describe('DNS', () => {
  test('the upstream host is resolved at start-up, and the request finds the answer in the cache', async () => {
    const before = Bun.dns.getCacheStats()
    proxy = await startApp(`http://localhost:${upstream.port}/v1`)
    const afterStart = Bun.dns.getCacheStats()
    expect(afterStart.totalCount).toBe(before.totalCount + 1)
    expect((await postMessages(proxy.url, ask())).status).toBe(200)
    const afterRequest = Bun.dns.getCacheStats()
    expect(afterRequest.cacheHitsCompleted + afterRequest.cacheHitsInflight).toBeGreaterThan(afterStart.cacheHitsCompleted + afterStart.cacheHitsInflight)
    expect(afterRequest.cacheMisses).toBe(afterStart.cacheMisses)
  })
})

describe('settings map to transport options', () => {
  test('NO_PROXY entries: *, host, .host, *.host, host:port, IPs and IPv4 CIDR', () => {
    const u = (s: string) => new URL(s)
    expect(bypassesProxy(u('https://api.example.com/v1'), ['example.com'])).toBe(true)
    expect(bypassesProxy(u('https://example.com/v1'), ['.example.com'])).toBe(true)
    expect(bypassesProxy(u('https://a.b.example.com/v1'), ['*.example.com'])).toBe(true)
    expect(bypassesProxy(u('https://badexample.com/v1'), ['example.com'])).toBe(false)
    expect(bypassesProxy(u('https://x.org/v1'), ['*'])).toBe(true)
    expect(bypassesProxy(u('http://10.1.2.3:8000/v1'), ['10.0.0.0/8'])).toBe(true)
    expect(bypassesProxy(u('http://11.1.2.3:8000/v1'), ['10.0.0.0/8'])).toBe(false)
    expect(bypassesProxy(u('http://localhost:8080/v1'), ['localhost:8080'])).toBe(true)
    expect(bypassesProxy(u('http://localhost:9090/v1'), ['localhost:8080'])).toBe(false)
    expect(bypassesProxy(u('http://[::1]:8080/v1'), ['::1'])).toBe(true)
    expect(proxyFor('https://api.openai.com/v1', { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://q:2', NO_PROXY: [] })).toBe('http://p:1')
    expect(proxyFor('http://gpu-box:8000/v1', { HTTPS_PROXY: 'http://p:1', HTTP_PROXY: 'http://q:2', NO_PROXY: [] })).toBe('http://q:2')
    expect(proxyFor('http://gpu-box:8000/v1', { HTTPS_PROXY: 'http://p:1', NO_PROXY: [] })).toBeUndefined()
  })

  test('keep-alive: POOL_KEEPALIVE_EXPIRY is the idle timeout, POOL_MAX_KEEPALIVE_CONNECTIONS the idle cap, 0 turns it off', () => {
    expect(keepAliveOption({ POOL_MAX_KEEPALIVE_CONNECTIONS: 20, POOL_KEEPALIVE_EXPIRY: 30 })).toEqual({ idleTimeout: 30, maxIdleSockets: 20 })
    expect(keepAliveOption({ POOL_MAX_KEEPALIVE_CONNECTIONS: 0, POOL_KEEPALIVE_EXPIRY: 30 })).toBe(false)
    expect(keepAliveOption({ POOL_MAX_KEEPALIVE_CONNECTIONS: 5, POOL_KEEPALIVE_EXPIRY: 0 })).toBe(false)
  })
})
