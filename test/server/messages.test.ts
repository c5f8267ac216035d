import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents, withoutPings } from '../support/anthropic-sse'
import { assertAnthropicGrammar } from '../support/grammar'

let upstream: FakeUpstream
let proxy: InProcessProxy
let sdk: Anthropic

const base = { id: 'chatcmpl-int', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' }
const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })

/** A parallel tool-call stream in OpenAI's shape: ids and names in the first fragments, arguments split. */
function parallelToolStream(): object[] {
  return [
    chunk({ role: 'assistant', content: null }),
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'Read', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"file_' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: 'path":"/tmp/a"}' } }] }),
    chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'Read', arguments: '{"file_path":' } }] }),
    chunk({ tool_calls: [{ index: 1, function: { arguments: '"/tmp/b"}' } }] }),
    chunk({}, 'tool_calls'),
    { ...base, choices: [], usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 100 } } },
  ]
}

/** A minimal request body; `extra` overrides or adds fields. */
const ask = (extra: Record<string, unknown> = {}) => ({ model: 'claude-opus-5-5', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hello' }], ...extra }) as Anthropic.MessageCreateParamsNonStreaming

beforeAll(async () => {
  upstream = await FakeUpstream.start()
  proxy = await startApp(upstream.url, { BIG_MODEL_NAME: 'big-up', SMALL_MODEL_NAME: 'small-up', PROVIDER_MAX_RETRIES: '0' }, { pingIntervalMs: 150 })
  sdk = new Anthropic({ baseURL: proxy.url, apiKey: 'client-key', maxRetries: 0 })
})
afterAll(async () => {
  await proxy.close()
  await upstream.close()
})
beforeEach(() => {
  upstream.requests.length = 0
})

describe('POST /v1/messages, streaming', () => {
  test('the SDK assembles a streamed text answer; model names map and the client name is echoed', async () => {
    upstream.enqueue({ sse: [sseBody(textStream(['Hel', 'lo ', 'there'], { prompt_tokens: 12, completion_tokens: 3 }))] })
    const msg = await sdk.messages.stream(ask()).finalMessage()
    expect(msg.content).toHaveLength(1)
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hello there' })
    expect(msg.model).toBe('claude-opus-5-5')
    expect(msg.stop_reason).toBe('end_turn')
    expect(msg.usage.input_tokens).toBe(12)
    expect(msg.usage.output_tokens).toBe(3)
    const sent = upstream.chatRequests[0].body
    expect(sent.model).toBe('big-up')
    expect(sent.stream).toBe(true)
    expect(sent.stream_options).toEqual({ include_usage: true })
  })

  test('haiku names go to SMALL_MODEL_NAME, other names pass through unchanged', async () => {
    await sdk.messages.create(ask({ model: 'claude-haiku-4-5' }))
    await sdk.messages.create(ask({ model: 'gpt-5-codex' }))
    expect(upstream.chatRequests.map((r) => r.body.model)).toEqual(['small-up', 'gpt-5-codex'])
  })

  test('parallel tool calls arrive as contiguous tool_use blocks the SDK can parse', async () => {
    upstream.enqueue({ sse: [sseBody(parallelToolStream())] })
    const res = await postMessages(proxy.url, ask({ stream: true }))
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    expect(res.headers.get('request-id')).toMatch(/^req_/)
    const { events } = await readAnthropicEvents(res)
    const msg = assertAnthropicGrammar(withoutPings(events))
    expect(msg.content).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'Read', input: { file_path: '/tmp/a' } },
      { type: 'tool_use', id: 'call_b', name: 'Read', input: { file_path: '/tmp/b' } },
    ])
    expect(msg.stop_reason).toBe('tool_use')
    expect(msg.usage).toEqual({ input_tokens: 20, output_tokens: 30, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 })

    upstream.enqueue({ sse: [sseBody(parallelToolStream())] })
    const viaSdk = await sdk.messages.stream(ask()).finalMessage()
    expect(viaSdk.content.map((b) => (b.type === 'tool_use' ? b.input : null))).toEqual([{ file_path: '/tmp/a' }, { file_path: '/tmp/b' }])
  })

  test('reasoning_content becomes a thinking block before the text', async () => {
    upstream.enqueue({
      sse: [sseBody([chunk({ role: 'assistant', content: null, reasoning_content: '' }), chunk({ reasoning_content: 'Let me think.' }), chunk({ content: 'Answer.' }), chunk({}, 'stop', { usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } })])],
    })
    const msg = await sdk.messages.stream(ask({ thinking: { type: 'enabled', budget_tokens: 2048 } })).finalMessage()
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text'])
    expect((msg.content[0] as { thinking: string }).thinking).toBe('Let me think.')
  })

  test('query strings are ignored, Authorization: Bearer is accepted, unknown fields and betas do not break', async () => {
    upstream.enqueue({ sse: [sseBody(textStream(['ok']))] })
    const res = await fetch(`${proxy.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-key', 'anthropic-version': '2026-10-21', 'anthropic-beta': 'claude-code-20250219,context-management-2025-06-27' },
      body: JSON.stringify(ask({ stream: true, context_management: { edits: [] }, diagnostics: { x: 1 }, speed: 'fast', output_config: { effort: 'medium' } })),
    })
    expect(res.status).toBe(200)
    const msg = assertAnthropicGrammar(withoutPings((await readAnthropicEvents(res)).events))
    expect(msg.content).toEqual([{ type: 'text', text: 'ok' }])
    const sent = upstream.chatRequests[0]
    expect(sent.body.context_management).toBeUndefined()
    expect(sent.headers['anthropic-beta']).toBeUndefined()
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-test-key-0123456789')
  })

  test('a UTF-8 character split across upstream reads arrives intact', async () => {
    const body = new TextEncoder().encode(sseBody(textStream(['naïve café 日本語 🎉'])))
    const cut = body.indexOf(0xf0) + 2
    upstream.enqueue({ chunks: [body.slice(0, cut), body.slice(cut)], chunkDelayMs: 20, headers: { 'content-type': 'text/event-stream' } })
    const msg = await sdk.messages.stream(ask()).finalMessage()
    expect((msg.content[0] as { text: string }).text).toBe('naïve café 日本語 🎉')
  })

  test('an error object in a 200 stream before any content becomes a real HTTP error', async () => {
    upstream.enqueue({ sse: ['data: {"error":{"message":"The server is overloaded","type":"overloaded"}}\n\n'] })
    const res = await postMessages(proxy.url, ask({ stream: true }))
    expect(res.status).toBe(529)
    const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string }
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('overloaded_error')
    expect(body.request_id).toMatch(/^req_/)
  })

  test('an error after content becomes event: error, never a quiet end_turn', async () => {
    const pieces = [chunk({ role: 'assistant', content: 'partial ' }), chunk({ content: 'answer' })]
    upstream.enqueue({ sse: [sseBody(pieces, { done: false }), 'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n'] })
    const { events } = await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))
    const last = events.at(-1)!
    expect(last.type).toBe('error')
    expect(last).toMatchObject({ error: { type: 'api_error' } })
    expect(events.some((e) => e.type === 'message_stop')).toBe(false)
    assertAnthropicGrammar(withoutPings(events))
  })

  test('an upstream stream with nothing in it is an error, not an empty success', async () => {
    upstream.enqueue({ sse: ['data: [DONE]\n\n'] })
    const res = await postMessages(proxy.url, ask({ stream: true }))
    expect(res.status).toBeGreaterThanOrEqual(500)
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('api_error')
  })

  test('event: ping goes out while the upstream is silent', async () => {
    const stream = textStream(['slow', ' answer'])
    upstream.enqueue({ sse: [sseBody(stream.slice(0, 2), { done: false }), sseBody(stream.slice(2))], chunkDelayMs: 500 })
    const { events } = await readAnthropicEvents(await postMessages(proxy.url, ask({ stream: true })))
    expect(events.filter((e) => e.type === 'ping').length).toBeGreaterThanOrEqual(1)
    expect(assertAnthropicGrammar(withoutPings(events)).content).toEqual([{ type: 'text', text: 'slow answer' }])
  })
})

describe('POST /v1/messages, not streaming', () => {
  test('returns one Message with content, stop_reason and usage', async () => {
    upstream.enqueue({ json: textCompletion('Hi!', { prompt_tokens: 7, completion_tokens: 2 }) })
    const res = await postMessages(proxy.url, ask())
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const msg = (await res.json()) as Record<string, unknown>
    expect(msg).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-opus-5-5', content: [{ type: 'text', text: 'Hi!' }], stop_reason: 'end_turn', usage: { input_tokens: 7, output_tokens: 2 } })
    expect(upstream.chatRequests[0].body.stream).toBeUndefined()
  })
})

describe('errors before the first byte', () => {
  const expectError = async (res: Response, status: number, type: string) => {
    expect(res.status).toBe(status)
    const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string }
    expect(body.type).toBe('error')
    expect(body.error.type).toBe(type)
    expect(body.request_id).toMatch(/^req_/)
    return body.error.message
  }

  test('bad JSON gets 400 invalid_request_error', async () => {
    const msg = await expectError(await postMessages(proxy.url, '{"model": '), 400, 'invalid_request_error')
    expect(msg).toContain('JSON')
  })

  test.each([
    [{ max_tokens: 10, messages: [] }, 'model'],
    [{ model: 42, max_tokens: 10, messages: [] }, 'model'],
    [{ model: 'claude-opus-5-5', max_tokens: 10 }, 'messages'],
    [{ model: 'claude-opus-5-5', messages: [] }, 'max_tokens'],
    [{ model: 'claude-opus-5-5', max_tokens: 'many', messages: [] }, 'max_tokens'],
  ])('a malformed request names the field (%j)', async (body, field) => {
    const msg = await expectError(await postMessages(proxy.url, body), 400, 'invalid_request_error')
    expect(msg).toContain(field)
    expect(upstream.chatRequests).toHaveLength(0)
  })

  test('an upstream 429 keeps its retry-after', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '7' }, json: { error: { message: 'Rate limit reached', type: 'requests' } } })
    const res = await postMessages(proxy.url, ask())
    await expectError(res, 429, 'rate_limit_error')
    expect(res.headers.get('retry-after')).toBe('7')
  })

  test('a context overflow becomes "prompt is too long: N tokens > M maximum"', async () => {
    upstream.enqueue({ status: 400, json: { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } })
    const msg = await expectError(await postMessages(proxy.url, ask({ stream: true })), 400, 'invalid_request_error')
    expect(msg).toBe('prompt is too long: 130512 tokens > 128000 maximum')
  })

  test.each([[401, 'authentication_error'], [403, 'permission_error'], [404, 'not_found_error'], [503, 'overloaded_error'], [500, 'api_error']])('an upstream %i maps to %s', async (status, type) => {
    upstream.enqueue({ status, json: { error: { message: `upstream said ${status}` } } })
    const res = await postMessages(proxy.url, ask())
    const msg = await expectError(res, status === 503 ? 529 : status, type)
    expect(msg).toContain(`upstream said ${status}`)
    expect(msg).not.toContain('sk-upstream-test-key')
  })

  test('unknown routes answer in Anthropic error format', async () => {
    const res = await fetch(`${proxy.url}/v1/nope`)
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error')
  })
})

describe('count_tokens and models', () => {
  test('count_tokens counts locally and says it is an estimate', async () => {
    const res = await fetch(`${proxy.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ model: 'claude-opus-5-5', system: 'You are terse.', messages: [{ role: 'user', content: 'How many tokens is this sentence?' }] }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ccproxy-token-count')).toBe('estimate')
    const body = (await res.json()) as { input_tokens: number }
    expect(body.input_tokens).toBeGreaterThan(10)
    expect(body.input_tokens).toBeLessThan(40)
    expect(upstream.requests).toHaveLength(0)
    const viaSdk = await sdk.messages.countTokens({ model: 'claude-opus-5-5', messages: [{ role: 'user', content: 'How many tokens is this sentence?' }], system: 'You are terse.' })
    expect(viaSdk.input_tokens).toBe(body.input_tokens)
  })

  test('GET /v1/models lists the configured models in Anthropic list shape', async () => {
    const res = await fetch(`${proxy.url}/v1/models`)
    const body = (await res.json()) as { data: { type: string; id: string }[]; has_more: boolean; first_id: string }
    expect(body.data.map((m) => m.id)).toEqual(['big-up', 'small-up'])
    expect(body.data.every((m) => m.type === 'model')).toBe(true)
    expect(body.has_more).toBe(false)
    expect(body.first_id).toBe('big-up')
  })
})
