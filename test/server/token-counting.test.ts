import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents } from '../support/anthropic-sse'
import { TokenCounter } from '../../src/tokens/count'
import type { AnthropicCountTokensRequest } from '../../src/translate/types'

// The local token count is work on the hot path (the whole conversation is walked and hashed). It must happen only
// when its number is used: the limiter's permit, a stream's message_start, or an upstream answer without usage.

let upstream: FakeUpstream
const proxies: InProcessProxy[] = []
const counter = new TokenCounter('o200k_base')
let counts = 0
const countTokens = (req: AnthropicCountTokensRequest) => {
  counts++
  return counter.countRequest(req)
}
const body = { model: 'claude-sonnet-4-5', max_tokens: 100, system: 'You are terse.', messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }] }
const expected = counter.countRequest(body as AnthropicCountTokensRequest)

async function proxyWith(env: Record<string, string>): Promise<InProcessProxy> {
  const p = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0', ...env }, { countTokens })
  proxies.push(p)
  return p
}

beforeAll(async () => {
  upstream = await FakeUpstream.start()
})
afterEach(() => {
  counts = 0
})
afterAll(async () => {
  for (const p of proxies) await p.close()
  await upstream.close()
})

describe('the local token count runs only when its number is used', () => {
  test('a non-streaming answer that reports usage, with the limiter off, is not counted locally', async () => {
    const proxy = await proxyWith({ CLIENT_RATE_LIMIT_ENABLED: 'false' })
    upstream.enqueue({ json: textCompletion('hi', { prompt_tokens: 77, completion_tokens: 1 }) })
    const res = await postMessages(proxy.url, body)
    const json = (await res.json()) as { usage: { input_tokens: number } }
    expect(res.status).toBe(200)
    expect(json.usage.input_tokens).toBe(77)
    expect(counts).toBe(0)
  })

  test('an upstream answer without usage gets the local count', async () => {
    const proxy = await proxyWith({ CLIENT_RATE_LIMIT_ENABLED: 'false' })
    const { usage: _dropped, ...completion } = textCompletion('hi') as { usage: unknown }
    upstream.enqueue({ json: completion })
    const res = await postMessages(proxy.url, body)
    const json = (await res.json()) as { usage: { input_tokens: number } }
    expect(res.status).toBe(200)
    expect(json.usage.input_tokens).toBe(expected)
    expect(counts).toBe(1)
  })

  test('a stream counts once, and message_start carries the count', async () => {
    const proxy = await proxyWith({ CLIENT_RATE_LIMIT_ENABLED: 'false' })
    upstream.enqueue({ sse: [sseBody(textStream(['a', 'b'], { prompt_tokens: 12, completion_tokens: 2 }))] })
    const res = await postMessages(proxy.url, { ...body, stream: true })
    const { events } = await readAnthropicEvents(res)
    const start = events.find((e) => e.type === 'message_start') as { message: { usage: { input_tokens: number } } }
    expect(start.message.usage.input_tokens).toBe(expected)
    expect(counts).toBe(1)
  })

  test('with the limiter on, the permit is sized by the count (once per request)', async () => {
    const proxy = await proxyWith({ CLIENT_RATE_LIMIT_ENABLED: 'true', CLIENT_RATE_LIMIT_TPM: '1000000', CLIENT_RATE_LIMIT_RPM: '1000' })
    upstream.enqueue({ json: textCompletion('hi') })
    upstream.enqueue({ sse: [sseBody(textStream(['x']))] })
    expect((await postMessages(proxy.url, body)).status).toBe(200)
    expect(counts).toBe(1)
    const res = await postMessages(proxy.url, { ...body, stream: true })
    await readAnthropicEvents(res)
    expect(counts).toBe(2)
  })

  test('a context overflow without a count in the upstream message reports the local count', async () => {
    const proxy = await proxyWith({ CLIENT_RATE_LIMIT_ENABLED: 'false' })
    upstream.enqueue({ status: 400, json: { error: { type: 'invalid_request_error', message: 'the input length exceeds the context length' } } })
    const res = await postMessages(proxy.url, body)
    const json = (await res.json()) as { error: { message: string } }
    expect(res.status).toBe(400)
    expect(json.error.message).toBe(`prompt is too long: ${expected} tokens > ${expected - 1} maximum`)
    expect(counts).toBe(1)
  })
})
