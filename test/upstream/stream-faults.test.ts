import { afterEach, beforeEach, expect, test } from 'bun:test'
import { FakeUpstream, sseBody, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents } from '../support/anthropic-sse'
import { captureLogger } from '../support/log-capture'
import { ask, until } from './helpers'

let upstream: FakeUpstream
let proxy: InProcessProxy

beforeEach(async () => {
  upstream = await FakeUpstream.start()
})
afterEach(async () => {
  await proxy.close()
  await upstream.close()
})

/** The first pieces of a text stream as separate SSE writes, without [DONE]. */
const pieces = (texts: string[]) => textStream(texts).slice(0, texts.length + 1).map((c) => `data: ${JSON.stringify(c)}\n\n`)

test('a stall mid-stream ends in event: error after STREAM_IDLE_TIMEOUT', async () => {
  const { logger, warnings } = captureLogger()
  proxy = await startApp(upstream.url, { STREAM_IDLE_TIMEOUT: '0.3' }, { logger })
  upstream.enqueue({ sse: pieces(['Hello', ' there', ' and more']), stallAfter: 2 })
  const res = await postMessages(proxy.url, ask({ stream: true }))
  expect(res.status).toBe(200)
  const { events } = await readAnthropicEvents(res)
  const last = events.at(-1)!
  expect(last).toMatchObject({ type: 'error', error: { type: 'timeout_error' } })
  expect((last as { error: { message: string } }).error.message).toContain('STREAM_IDLE_TIMEOUT')
  expect(events.some((e) => e.type === 'content_block_delta')).toBe(true)
  expect(proxy.deps.metrics.snapshot().timeouts_total.idle).toBe(1)
  expect(warnings().some((l) => l.timeout === 'idle' && l.setting === 'STREAM_IDLE_TIMEOUT')).toBe(true)
  await until(() => upstream.chatRequests[0].aborted)
})

test('a stream cut without [DONE] ends in event: error (api_error)', async () => {
  proxy = await startApp(upstream.url)
  upstream.enqueue({ sse: pieces(['Hello', ' there', ' and']), closeAfter: 3, chunkDelayMs: 50 })
  const res = await postMessages(proxy.url, ask({ stream: true }))
  expect(res.status).toBe(200)
  const { events } = await readAnthropicEvents(res)
  expect(events.some((e) => e.type === 'content_block_delta')).toBe(true)
  expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  expect(events.some((e) => e.type === 'message_stop')).toBe(false)
})

test('a client that disconnects mid-stream: the upstream sees its request aborted within 100 ms', async () => {
  proxy = await startApp(upstream.url)
  const many = Array.from({ length: 200 }, (_, i) => `word${i} `)
  upstream.enqueue({ sse: [sseBody(textStream(many))].flatMap((s) => s.split(/(?<=\n\n)/)), chunkDelayMs: 20 })
  const ctrl = new AbortController()
  const res = await fetch(`${proxy.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
    body: JSON.stringify(ask({ stream: true })),
    signal: ctrl.signal,
  })
  const reader = res.body!.getReader()
  let text = ''
  for (let i = 0; i < 100 && !text.includes('content_block_delta'); i++) text += new TextDecoder().decode((await reader.read()).value)
  expect(text).toContain('content_block_delta')
  const leftAt = Date.now()
  ctrl.abort()
  await until(() => upstream.chatRequests[0].aborted)
  expect(upstream.chatRequests[0].abortedAt! - leftAt).toBeLessThanOrEqual(100)
  await until(() => proxy.records.length === 1)
  expect(proxy.records[0]).toMatchObject({ status: 499, outcome: 'client_gone' })
  expect(proxy.deps.upstream.poolStats().inFlight).toBe(0)
})

test('malformed bytes are replaced, counted in a warning, and the stream goes on', async () => {
  const { logger, warnings } = captureLogger()
  proxy = await startApp(upstream.url, {}, { logger })
  const chunks = textStream(['ok ', 'XX', ' end'])
  const enc = new TextEncoder()
  const bad = enc.encode(`data: ${JSON.stringify(chunks[2])}\n\n`)
  const at = bad.indexOf('X'.charCodeAt(0))
  bad.set([0xff, 0xfe], at)
  upstream.enqueue({
    chunks: [sseBody(chunks.slice(0, 2), { done: false }), bad, sseBody(chunks.slice(3))],
    headers: { 'content-type': 'text/event-stream' },
  })
  const { events } = await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))
  const text = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? [e.delta.text] : [])).join('')
  expect(text).toBe('ok \uFFFD\uFFFD end')
  expect(events.some((e) => e.type === 'message_stop')).toBe(true)
  const warn = warnings().find((l) => typeof l.replaced_bytes === 'number')
  expect(warn?.replaced_bytes).toBe(2)
})

test('MAX_STREAM_SECONDS bounds a whole streamed answer: event: error, counted as a total timeout', async () => {
  proxy = await startApp(upstream.url, { MAX_STREAM_SECONDS: '0.4', HTTP_READ_TIMEOUT: '5' })
  const words = Array.from({ length: 50 }, (_, i) => `w${i} `)
  upstream.enqueue({ sse: [sseBody(textStream(words))].flatMap((s) => s.split(/(?<=\n\n)/)), chunkDelayMs: 50 })
  const { events } = await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))
  expect(events.at(-1)).toMatchObject({ type: 'error', error: { type: 'timeout_error' } })
  expect((events.at(-1) as { error: { message: string } }).error.message).toContain('MAX_STREAM_SECONDS')
  expect(proxy.deps.metrics.snapshot().timeouts_total.total).toBe(1)
  await until(() => upstream.chatRequests[0].aborted)
})

test('MAX_STREAM_SECONDS bounds a non-streaming answer whose body stalls: 504 timeout_error', async () => {
  const { logger, warnings } = captureLogger()
  proxy = await startApp(upstream.url, { MAX_STREAM_SECONDS: '0.4', HTTP_READ_TIMEOUT: '5' }, { logger })
  upstream.enqueue({ chunks: ['{"id":"chatcmpl-1",', '"object":"chat.completion"}'], stallAfter: 1, headers: { 'content-type': 'application/json' } })
  const res = await postMessages(proxy.url, ask())
  expect(res.status).toBe(504)
  const body = (await res.json()) as { error: { type: string; message: string } }
  expect(body.error.type).toBe('timeout_error')
  expect(body.error.message).toContain('MAX_STREAM_SECONDS')
  expect(proxy.deps.metrics.snapshot().timeouts_total.total).toBe(1)
  expect(warnings().some((l) => l.timeout === 'total')).toBe(true)
  await until(() => upstream.chatRequests[0].aborted)
  expect(proxy.deps.upstream.poolStats().inFlight).toBe(0)
})
