import { afterEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents, withoutPings } from '../support/anthropic-sse'
import { assertAnthropicGrammar } from '../support/grammar'

const CACHE_ON = { RESPONSE_CACHE_ENABLED: 'true', PROVIDER_MAX_RETRIES: '0' }
const ask = (text: string, extra: Record<string, unknown> = {}) => ({ model: 'claude-opus-5-5', max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra })

let upstream: FakeUpstream | undefined
let proxy: InProcessProxy | undefined
afterEach(async () => {
  await proxy?.close()
  await upstream?.close()
  proxy = upstream = undefined
})

async function setup(env: Record<string, string> = {}) {
  upstream = await FakeUpstream.start()
  proxy = await startApp(upstream.url, { ...CACHE_ON, ...env })
  return { up: upstream, px: proxy }
}

const stats = async (px: InProcessProxy) => (await (await fetch(`${px.url}/v1/cache/stats`)).json()) as Record<string, number>

describe('response cache', () => {
  test('two identical non-streaming requests: the upstream sees one, the second is a hit', async () => {
    const { up, px } = await setup()
    up.setFallback({ json: textCompletion('cached answer') })
    const a = await postMessages(px.url, ask('same question'))
    const b = await postMessages(px.url, ask('same question', { metadata: { user_id: '{"session_id":"other"}' } }))
    expect(a.headers.get('x-ccproxy-cache')).toBe('miss')
    expect(b.headers.get('x-ccproxy-cache')).toBe('hit')
    const [ma, mb] = (await Promise.all([a.json(), b.json()])) as { id: string; content: unknown }[]
    expect(mb.content).toEqual(ma.content)
    expect(mb.id).not.toBe(ma.id)
    expect(up.chatRequests).toHaveLength(1)
    expect(await stats(px)).toMatchObject({ entries: 1, hits: 1, misses: 1, hit_rate: 0.5 })
  })

  test('a streamed answer is served again from the cache as a well-formed stream, and to a non-streaming client', async () => {
    const { up, px } = await setup()
    up.setFallback({ sse: [sseBody(textStream(['streamed ', 'once']))] })
    const first = await readAnthropicEvents(await postMessages(px.url, ask('stream me', { stream: true })))
    const second = await postMessages(px.url, ask('stream me', { stream: true }))
    expect(second.headers.get('x-ccproxy-cache')).toBe('hit')
    const again = await readAnthropicEvents(second)
    expect(assertAnthropicGrammar(withoutPings(again.events)).content).toEqual(assertAnthropicGrammar(withoutPings(first.events)).content)
    const sdk = new Anthropic({ baseURL: px.url, apiKey: 'k', maxRetries: 0 })
    const viaSdk = await sdk.messages.stream(ask('stream me') as Anthropic.MessageCreateParamsNonStreaming).finalMessage()
    expect(viaSdk.content[0]).toMatchObject({ type: 'text', text: 'streamed once' })
    const json = (await (await postMessages(px.url, ask('stream me'))).json()) as { content: unknown }
    expect(json.content).toEqual([{ type: 'text', text: 'streamed once' }])
    expect(up.chatRequests).toHaveLength(1)
  })

  test('entries expire after RESPONSE_CACHE_TTL_S', async () => {
    const { up, px } = await setup({ RESPONSE_CACHE_TTL_S: '0.3' })
    up.setFallback({ json: textCompletion('short-lived') })
    await postMessages(px.url, ask('ttl'))
    expect((await postMessages(px.url, ask('ttl'))).headers.get('x-ccproxy-cache')).toBe('hit')
    await Bun.sleep(400)
    expect((await postMessages(px.url, ask('ttl'))).headers.get('x-ccproxy-cache')).toBe('miss')
    expect(up.chatRequests).toHaveLength(2)
  })

  test('no-cache bypasses the lookup; no-store prevents storing', async () => {
    const { up, px } = await setup()
    up.setFallback({ json: textCompletion('fresh') })
    await postMessages(px.url, ask('directives'))
    expect((await postMessages(px.url, ask('directives'), { 'cache-control': 'no-cache' })).headers.get('x-ccproxy-cache')).toBe('miss')
    expect(up.chatRequests).toHaveLength(2)
    await postMessages(px.url, ask('never kept'), { 'cache-control': 'no-store' })
    expect((await postMessages(px.url, ask('never kept'))).headers.get('x-ccproxy-cache')).toBe('miss')
    expect(up.chatRequests).toHaveLength(4)
  })

  test('errors, refusals and answers cut by max_tokens are never stored', async () => {
    const { up, px } = await setup()
    up.enqueue({ status: 500, json: { error: { message: 'boom' } } })
    expect((await postMessages(px.url, ask('err'))).status).toBe(500)
    expect((await postMessages(px.url, ask('err'))).headers.get('x-ccproxy-cache')).toBe('miss')
    const cut = { ...(textCompletion('trunc') as object), choices: [{ index: 0, message: { role: 'assistant', content: 'trunc' }, finish_reason: 'length' }] }
    const refused = { ...(textCompletion('no') as object), choices: [{ index: 0, message: { role: 'assistant', content: 'no' }, finish_reason: 'content_filter' }] }
    up.enqueue({ json: cut }, { json: cut }, { json: refused }, { json: refused })
    for (const q of ['cut', 'cut', 'refused', 'refused']) expect((await postMessages(px.url, ask(q))).headers.get('x-ccproxy-cache')).toBe('miss')
    expect(up.chatRequests).toHaveLength(6)
    expect((await stats(px)).entries).toBe(1)
  })

  test('the key includes the model, tools and parameters', async () => {
    const { up, px } = await setup()
    up.setFallback({ json: textCompletion('x') })
    await postMessages(px.url, ask('k'))
    await postMessages(px.url, ask('k', { model: 'claude-haiku-4-5' }))
    await postMessages(px.url, ask('k', { temperature: 0.2 }))
    await postMessages(px.url, ask('k', { tools: [{ name: 'Read', input_schema: { type: 'object' } }] }))
    expect(up.chatRequests).toHaveLength(4)
  })

  test('memory stays bounded: 1,000 distinct 100 KB answers never exceed RESPONSE_CACHE_MAX_BYTES', async () => {
    const maxBytes = 2 * 1024 * 1024
    const { up, px } = await setup({ RESPONSE_CACHE_MAX_BYTES: String(maxBytes), RESPONSE_CACHE_MAX_ENTRIES: '100000' })
    const big = 'x'.repeat(100 * 1024)
    up.setFallback({ json: textCompletion(big) })
    for (let batch = 0; batch < 125; batch++) {
      await Promise.all(Array.from({ length: 8 }, (_, i) => postMessages(px.url, ask(`distinct ${batch * 8 + i}`)).then((r) => r.arrayBuffer())))
      if (batch % 25 === 0) expect((await stats(px)).bytes).toBeLessThanOrEqual(maxBytes)
    }
    const s = await stats(px)
    expect(up.chatRequests).toHaveLength(1000)
    expect(s.bytes).toBeLessThanOrEqual(maxBytes)
    expect(s.entries).toBeLessThanOrEqual(Math.floor(maxBytes / (100 * 1024)))
    expect(s.evictions).toBeGreaterThanOrEqual(1000 - s.entries)
    const cleared = (await (await fetch(`${px.url}/v1/cache/clear`, { method: 'POST' })).json()) as { cleared: number }
    expect(cleared.cleared).toBe(s.entries)
    expect((await stats(px)).entries).toBe(0)
  }, 60_000)
})

describe('in-flight de-duplication', () => {
  test('three concurrent identical streams: the upstream sees one, all three get the same complete stream', async () => {
    const { up, px } = await setup()
    up.setFallback({ sse: [...textStream(['one ', 'two ', 'three']), 'data: [DONE]\n\n'], chunkDelayMs: 60 })
    const responses = await Promise.all([0, 1, 2].map((i) => Bun.sleep(i * 40).then(() => postMessages(px.url, ask('together', { stream: true })))))
    expect(responses.map((r) => r.headers.get('x-ccproxy-cache')).sort()).toEqual(['joined', 'joined', 'miss'])
    const bodies = await Promise.all(responses.map((r) => readAnthropicEvents(r)))
    const messages = bodies.map((b) => assertAnthropicGrammar(withoutPings(b.events)))
    for (const m of messages) expect(m.content).toEqual([{ type: 'text', text: 'one two three' }])
    expect(new Set(messages.map((m) => m.id)).size).toBe(3)
    expect(up.chatRequests).toHaveLength(1)
    expect((await stats(px)).joins).toBe(2)
  })

  test('a non-streaming joiner gets the same Message', async () => {
    const { up, px } = await setup()
    up.setFallback({ json: textCompletion('joined json'), delayMs: 200 })
    const [a, b] = await Promise.all([postMessages(px.url, ask('jj')), Bun.sleep(50).then(() => postMessages(px.url, ask('jj')))])
    expect(b.headers.get('x-ccproxy-cache')).toBe('joined')
    expect(((await b.json()) as { content: unknown }).content).toEqual(((await a.json()) as { content: unknown }).content)
    expect(up.chatRequests).toHaveLength(1)
  })

  test('the first of two joined clients disconnecting does not disturb the second; all leaving aborts the upstream', async () => {
    const { up, px } = await setup()
    const pieces = textStream(['a', 'b', 'c', 'd', 'e', 'f']).map((c) => `data: ${JSON.stringify(c)}\n\n`)
    up.setFallback({ sse: [...pieces, 'data: [DONE]\n\n'], chunkDelayMs: 80 })
    const leader = await postMessages(px.url, ask('leave', { stream: true }))
    const joiner = await postMessages(px.url, ask('leave', { stream: true }))
    expect(joiner.headers.get('x-ccproxy-cache')).toBe('joined')
    const reader = leader.body!.getReader()
    await reader.read()
    await reader.cancel()
    const { events } = await readAnthropicEvents(joiner)
    expect(assertAnthropicGrammar(withoutPings(events)).content).toEqual([{ type: 'text', text: 'abcdef' }])
    expect(up.chatRequests).toHaveLength(1)
    expect(up.chatRequests[0].aborted).toBe(false)

    up.setFallback({ sse: [...pieces, 'data: [DONE]\n\n'], chunkDelayMs: 200 })
    const r1 = await postMessages(px.url, ask('all leave', { stream: true }))
    const r2 = await postMessages(px.url, ask('all leave', { stream: true }))
    expect(r2.headers.get('x-ccproxy-cache')).toBe('joined')
    await r1.body!.cancel()
    await r2.body!.cancel()
    for (let i = 0; i < 40 && !up.chatRequests[1].aborted; i++) await Bun.sleep(25)
    expect(up.chatRequests[1].aborted).toBe(true)
  })
})
