import { afterAll, beforeAll, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { FakeUpstream, sseBody, textStream } from '../support/fake-upstream'
import { baseEnv, isolatedBinary, startProxy, type RunningProxy } from '../support/proxy-process'

const CLIENT_KEY = 'ccp-e2e-client-key-ABCDEFGHIJ'
const UPSTREAM_KEY = 'sk-upstream-test-key-0123456789'
let upstream: FakeUpstream
let proxy: RunningProxy
let dir: string

beforeAll(async () => {
  const b = isolatedBinary()
  dir = b.dir
  upstream = await FakeUpstream.start()
  proxy = await startProxy(b.bin, {
    cwd: dir,
    env: baseEnv(dir, upstream.url, { CCPROXY_API_KEYS: CLIENT_KEY, MAX_REQUEST_BYTES: String(1024 * 1024), CLIENT_BODY_TIMEOUT: '1', PROVIDER_MAX_RETRIES: '0', LOG_LEVEL: 'debug', LOG_BODIES: 'true' }),
  })
})
afterAll(async () => {
  expect(await proxy.stop()).toBe(0)
  await upstream.close()
})

/** Writes raw bytes on a fresh connection and closes it after `holdMs` (a bounded, loopback-only abuse). */
function raw(bytes: string | Uint8Array, holdMs = 50): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(proxy.port, '127.0.0.1', () => s.write(bytes))
    const end = () => {
      s.destroy()
      resolve()
    }
    setTimeout(end, holdMs)
    s.on('error', end)
  })
}

const post = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${proxy.url}/v1/messages`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, ...headers } }).then(
    async (r) => {
      await r.arrayBuffer()
      return r.status
    },
    () => 0,
  )

test('a flood of malformed and oversized requests leaves the binary serving normal requests correctly', async () => {
  const statuses: number[] = []
  const bad: (() => Promise<unknown>)[] = [
    () => post('{"model": "x", "messages": [').then((s) => statuses.push(s)),
    () => post(crypto.getRandomValues(new Uint8Array(2048))).then((s) => statuses.push(s)),
    () => post('{"model":"m","max_tokens":1,"messages":[{"role":"user","content":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}]}').then((s) => statuses.push(s)),
    () => post('"' + 'x'.repeat(2 * 1024 * 1024) + '"').then((s) => statuses.push(s)),
    () => post(JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'wizard', content: 1 }] })).then((s) => statuses.push(s)),
    () => post(JSON.stringify({ model: 'm', max_tokens: -5, messages: [] })).then((s) => statuses.push(s)),
    () => post('{}', { 'x-api-key': 'not-the-key' }).then((s) => statuses.push(s)),
    () => raw(`POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${CLIENT_KEY}\r\ncontent-length: 999999999\r\n\r\n{`),
    () => raw('GARBAGE / HTTP/9.9\r\n\r\n\u0000\u0001\u0002'),
    () => raw(`GET /v1/health HTTP/1.1\r\nhost: localhost\r\nx-big: ${'b'.repeat(200_000)}\r\n\r\n`),
    () => raw(`POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${CLIENT_KEY}\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`),
    () => raw(`POST /v1/messages HTTP/1.1\r\nhost: localhost\r\nx-api-key: ${CLIENT_KEY}\r\ncontent-length: 100\r\n\r\n{"mo`, 1500),
  ]
  for (let round = 0; round < 10; round++) await Promise.all(bad.map((f) => f()))
  expect(statuses.length).toBe(70)
  expect(statuses.every((s) => s === 0 || (s >= 400 && s < 500))).toBe(true)
  expect(statuses.filter((s) => s === 400).length).toBeGreaterThanOrEqual(40)
  expect(statuses).toContain(413)
  expect(statuses).toContain(401)
  expect(proxy.proc.exitCode).toBeNull()

  upstream.enqueue({ sse: [sseBody(textStream(['still ', 'here']))] })
  const sdk = new Anthropic({ baseURL: proxy.url, apiKey: CLIENT_KEY, maxRetries: 0 })
  const msg = await sdk.messages.stream({ model: 'claude-opus-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'are you ok?' }] }).finalMessage()
  expect(msg.content[0]).toMatchObject({ type: 'text', text: 'still here' })
  const health = await fetch(`${proxy.url}/v1/health`)
  expect(health.status).toBe(200)
}, 60_000)

test('the log files name neither the client key nor the upstream key', async () => {
  upstream.enqueue({ status: 401, json: { error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}` } } })
  expect(await post(JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }))).toBe(401)
  await Bun.sleep(200)
  const log = join(dir, 'log.jsonl')
  const errors = join(dir, 'error.jsonl')
  expect(existsSync(log)).toBe(true)
  const text = readFileSync(log, 'utf8') + (existsSync(errors) ? readFileSync(errors, 'utf8') : '')
  expect(text).toContain('"request_id"')
  expect(text).toContain('are you ok?')
  for (const secret of [CLIENT_KEY, UPSTREAM_KEY, UPSTREAM_KEY.slice(3, 20)]) expect(text).not.toContain(secret)
})
