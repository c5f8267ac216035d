import { describe, expect, test } from 'bun:test'
import { ProxyError } from '../../src/server/errors'
import { promptTooLongMessage, upstreamErrorToProxyError, upstreamErrorType } from '../../src/translate/errors'

const openaiBody = (message: string, code: string | null = null, type = 'invalid_request_error') => JSON.stringify({ error: { message, type, param: null, code } })
const map = (status: number, body: string, headers: Record<string, string> = {}, hints = {}) => upstreamErrorToProxyError(status, body, new Headers(headers), hints)

describe('status mapping (protocol.md C3)', () => {
  const cases: [number, string, number][] = [
    [400, 'invalid_request_error', 400],
    [401, 'authentication_error', 401],
    [402, 'billing_error', 402],
    [403, 'permission_error', 403],
    [404, 'not_found_error', 404],
    [408, 'timeout_error', 504],
    [409, 'invalid_request_error', 400],
    [413, 'request_too_large', 413],
    [422, 'invalid_request_error', 400],
    [429, 'rate_limit_error', 429],
    [500, 'api_error', 500],
    [501, 'api_error', 500],
    [502, 'overloaded_error', 529],
    [503, 'overloaded_error', 529],
    [504, 'timeout_error', 504],
    [520, 'api_error', 500],
  ]
  for (const [status, type, mapped] of cases) {
    test(`upstream ${status} → ${mapped} ${type}`, () => {
      const e = map(status, openaiBody('something failed'))
      expect(e).toBeInstanceOf(ProxyError)
      expect([e.type, e.status]).toEqual([type as ProxyError['type'], mapped])
    })
  }

  test('OpenAI insufficient_quota (a 429) is a billing error, so clients stop retrying', () => {
    const e = map(429, openaiBody('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'))
    expect([e.type, e.status]).toEqual(['billing_error', 402])
  })
})

describe('the upstream message', () => {
  test('OpenAI error.message, prefixed so the user knows the upstream said it', () => {
    const e = map(404, openaiBody('The model `gpt-9` does not exist or you do not have access to it.', 'model_not_found'))
    expect(e.message).toBe('Upstream provider error (HTTP 404): The model `gpt-9` does not exist or you do not have access to it.')
  })

  test('U06 unsupported parameter message passes through', () => {
    const body = openaiBody("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 'unsupported_parameter')
    expect(map(400, body).message).toContain("Use 'max_completion_tokens' instead.")
  })

  test('OpenRouter {error:{code,message,metadata}}', () => {
    const body = JSON.stringify({ error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/settings/credits', metadata: {} } })
    const e = map(402, body)
    expect([e.type, e.status]).toEqual(['billing_error', 402])
    expect(e.message).toBe('Upstream provider error (HTTP 402): Insufficient credits. Add more using https://openrouter.ai/settings/credits')
  })

  test('Ollama {error:{type,message}} and {error:"…"}', () => {
    expect(map(404, JSON.stringify({ error: { type: 'not_found_error', message: 'model "qwen9" not found, try pulling it first' } })).message).toEndWith('model "qwen9" not found, try pulling it first')
    expect(map(500, JSON.stringify({ error: 'llama runner process has terminated' })).message).toEndWith('llama runner process has terminated')
  })

  test('vLLM {object:"error",message}', () => {
    const body = JSON.stringify({ object: 'error', message: 'The model `foo` does not exist.', type: 'NotFoundError', param: null, code: 404 })
    expect(map(404, body).message).toBe('Upstream provider error (HTTP 404): The model `foo` does not exist.')
  })

  test('Gemini wraps the error in an array', () => {
    const body = JSON.stringify([{ error: { code: 400, message: 'Invalid JSON payload received. Unknown name "top_k": Cannot find field.', status: 'INVALID_ARGUMENT' } }])
    expect(map(400, body).message).toEndWith('Unknown name "top_k": Cannot find field.')
  })

  test('plain text and HTML bodies', () => {
    expect(map(502, 'Bad Gateway').message).toBe('Upstream provider error (HTTP 502): Bad Gateway')
    expect(map(502, '<html><body>nginx</body></html>').message).toBe('Upstream provider error (HTTP 502): the upstream answered with an HTML error page')
    expect(map(500, '').message).toBe('Upstream provider error (HTTP 500): HTTP 500')
  })

  test('the upstream API key never appears in the message', () => {
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789'
    const e = map(401, openaiBody(`Incorrect API key provided: ${key}.`, 'invalid_api_key'), {}, { apiKey: key })
    expect(e.message).not.toContain(key)
    expect(e.message).toContain('[redacted]')
    const custom = 'local-secret-1234'
    expect(map(401, `bad key ${custom}`, {}, { apiKey: custom }).message).not.toContain(custom)
    expect(map(401, openaiBody('Incorrect API key provided: gsk_ABCDEFGHIJKLMNOPQRSTUV')).message).not.toContain('gsk_ABCDEFGHIJKLMNOPQRSTUV')
  })
})

describe('retry headers', () => {
  test('retry-after and retry-after-ms are forwarded', () => {
    const e = map(429, openaiBody('Rate limit reached', 'rate_limit_exceeded'), { 'retry-after': '7', 'retry-after-ms': '6500', 'x-other': '1' })
    expect(e.headers).toEqual({ 'retry-after': '7', 'retry-after-ms': '6500' })
  })

  test('no retry headers, no extra headers', () => {
    expect(map(500, 'boom').headers).toEqual({})
  })
})

describe('context overflow → "prompt is too long: N tokens > M maximum"', () => {
  const overflow = (status: number, body: string, hints = {}) => {
    const e = map(status, body, {}, hints)
    expect([e.type, e.status]).toEqual(['invalid_request_error', 400])
    return e.message
  }

  test('OpenAI context_length_exceeded ("maximum context length is … resulted in …")', () => {
    const body = openaiBody("This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.", 'context_length_exceeded')
    expect(overflow(400, body)).toBe('prompt is too long: 130000 tokens > 128000 maximum')
  })

  test('U05 OpenAI "Input tokens exceed the configured limit of 272000 tokens"', () => {
    const body = openaiBody('Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in 300000 tokens. Please reduce the length of the messages.', 'context_length_exceeded')
    expect(overflow(400, body)).toBe('prompt is too long: 300000 tokens > 272000 maximum')
  })

  test('DeepSeek / vLLM "you requested N tokens (A in the messages, B in the completion)"', () => {
    const body = openaiBody("This model's maximum context length is 131072 tokens. However, you requested 131134 tokens (122942 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.", 'invalid_request_error')
    expect(overflow(400, body)).toBe('prompt is too long: 131134 tokens > 131072 maximum')
    const vllm = JSON.stringify({ object: 'error', message: "This model's maximum context length is 131072 tokens. However, you requested 351430 tokens. Please reduce the length of the messages or completion.", type: 'BadRequestError', code: 400 })
    expect(overflow(400, vllm)).toBe('prompt is too long: 351430 tokens > 131072 maximum')
  })

  test('vLLM "max_tokens is too large … your request has N input tokens" counts input plus completion', () => {
    const body = JSON.stringify({ object: 'error', message: "'max_tokens' or 'max_completion_tokens' is too large: 2000. This model's maximum context length is 4096 tokens and your request has 2104 input tokens (2000 > 4096 - 2104).", type: 'BadRequestError', code: 400 })
    expect(overflow(400, body)).toBe('prompt is too long: 4104 tokens > 4096 maximum')
  })

  test('OpenRouter "This endpoint\'s maximum context length is … you requested about …"', () => {
    const body = JSON.stringify({ error: { code: 400, message: "This endpoint's maximum context length is 163840 tokens. However, you requested about 172900 tokens (4429 of text input, 4631 of tool input, 163840 in the output). Please reduce the length of either one, or use the \"middle-out\" transform to compress your prompt automatically." } })
    expect(overflow(400, body)).toBe('prompt is too long: 172900 tokens > 163840 maximum')
  })

  test('Claude behind OpenRouter already says "prompt is too long"', () => {
    const body = JSON.stringify({ error: { code: 400, message: 'Provider returned error', metadata: { raw: '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 205429 tokens > 200000 maximum"}}' } } })
    expect(overflow(400, body)).toBe('prompt is too long: 205429 tokens > 200000 maximum')
  })

  test('Gemini "The input token count (N) exceeds the maximum number of tokens allowed (M)"', () => {
    const body = JSON.stringify([{ error: { code: 400, message: 'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } }])
    expect(overflow(400, body)).toBe('prompt is too long: 1200293 tokens > 1048576 maximum')
  })

  test('xAI "maximum prompt length is M but the request contains N tokens"', () => {
    const body = JSON.stringify({ code: 'Client specified an invalid argument', error: "This model's maximum prompt length is 131072 but the request contains 136973 tokens." })
    expect(overflow(400, body)).toBe('prompt is too long: 136973 tokens > 131072 maximum')
  })

  test('llama.cpp exceed_context_size_error with n_prompt_tokens and n_ctx (even as HTTP 500)', () => {
    const body = JSON.stringify({ error: { code: 500, message: 'the request exceeds the available context size. try increasing the context size or enable context shift', type: 'exceed_context_size_error', n_prompt_tokens: 14429, n_ctx: 8192 } })
    expect(overflow(500, body)).toBe('prompt is too long: 14429 tokens > 8192 maximum')
  })

  test('Cerebras-style "Current length is N while limit is M"', () => {
    expect(overflow(400, openaiBody('Please reduce the length of the messages or completion. Current length is 42328 while limit is 40000'))).toBe('prompt is too long: 42328 tokens > 40000 maximum')
  })

  test('Groq gives no numbers: the estimate is used when given, with the tightest limit the refusal implies', () => {
    const body = openaiBody('Please reduce the length of the messages or completion.', 'context_length_exceeded')
    expect(overflow(400, body, { inputTokens: 140000 })).toBe('prompt is too long: 140000 tokens > 139999 maximum')
    expect(overflow(400, body)).toMatch(/^prompt is too long: \d+ tokens > \d+ maximum$/)
  })

  test('Ollama "the input length exceeds the context length" (no numbers)', () => {
    expect(overflow(400, JSON.stringify({ error: { type: 'invalid_request_error', message: 'the input length exceeds the context length' } }), { inputTokens: 9000 })).toBe('prompt is too long: 9000 tokens > 8999 maximum')
  })

  test('a rate limit that mentions request size stays a rate limit', () => {
    const body = openaiBody('Request too large for model `llama-3.3-70b-versatile` on tokens per minute (TPM): Limit 6000, Requested 14810, please reduce your message size and try again.', 'rate_limit_exceeded', 'tokens')
    expect(map(429, body).type).toBe('rate_limit_error')
  })

  test('promptTooLongMessage fallbacks', () => {
    expect(promptTooLongMessage(10, 5)).toBe('prompt is too long: 10 tokens > 5 maximum')
    expect(promptTooLongMessage(undefined, 5)).toBe('prompt is too long: 6 tokens > 5 maximum')
    expect(promptTooLongMessage(undefined, 5, 900)).toBe('prompt is too long: 900 tokens > 5 maximum')
    expect(promptTooLongMessage(10, undefined)).toBe('prompt is too long: 10 tokens > 9 maximum')
    expect(promptTooLongMessage(undefined, undefined)).toBe('prompt is too long: 1 tokens > 0 maximum')
  })

  test('numbers written with thousands separators are read', () => {
    expect(overflow(400, openaiBody("This model's maximum context length is 128,000 tokens. However, your messages resulted in 130,500 tokens."))).toBe('prompt is too long: 130500 tokens > 128000 maximum')
  })
})

describe('upstreamErrorType', () => {
  test('maps kind strings case-insensitively and anything else to api_error', () => {
    expect([upstreamErrorType('Rate_Limit_Exceeded'), upstreamErrorType('server_error'), upstreamErrorType(429), upstreamErrorType(null)]).toEqual(['rate_limit_error', 'api_error', 'api_error', 'api_error'])
  })

  test('a kind that is a deeply nested array is api_error, not a stack overflow in String()', () => {
    expect(upstreamErrorType(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)))).toBe('api_error')
  })
})
