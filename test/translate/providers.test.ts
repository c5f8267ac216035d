import { describe, expect, test } from 'bun:test'
import { detectProvider, getProfile, PROVIDER_NAMES, resolveProfile } from '../../src/translate/providers'
import { normalizeGeminiSchema } from '../../src/translate/providers/gemini'
import { ccTools } from './cc-shapes'

describe('detectProvider', () => {
  test('known hosts map to their profiles', () => {
    expect(detectProvider('https://api.openai.com/v1')).toBe('openai')
    expect(detectProvider('https://my-res.openai.azure.com')).toBe('azure')
    expect(detectProvider('https://my-res.cognitiveservices.azure.com/openai/v1')).toBe('azure')
    expect(detectProvider('https://openrouter.ai/api/v1')).toBe('openrouter')
    expect(detectProvider('https://api.deepseek.com')).toBe('deepseek')
    expect(detectProvider('https://api.x.ai/v1')).toBe('xai')
    expect(detectProvider('https://api.groq.com/openai/v1')).toBe('groq')
    expect(detectProvider('https://generativelanguage.googleapis.com/v1beta/openai/')).toBe('gemini')
  })

  test('Ollama is recognised by its port or an ollama host or path', () => {
    expect(detectProvider('http://localhost:11434/v1')).toBe('ollama')
    expect(detectProvider('http://127.0.0.1:11434/v1')).toBe('ollama')
    expect(detectProvider('http://ollama:8080/v1')).toBe('ollama')
    expect(detectProvider('https://gpu-box.lan/ollama/v1')).toBe('ollama')
  })

  test('anything else is generic (vLLM, llama.cpp, LM Studio), including unparsable URLs', () => {
    expect(detectProvider('http://localhost:8000/v1')).toBe('generic')
    expect(detectProvider('http://localhost:1234/v1')).toBe('generic')
    expect(detectProvider('https://api.openai.com.evil.example/v1')).toBe('generic')
    expect(detectProvider('not a url')).toBe('generic')
  })

  test('resolveProfile honours an explicit UPSTREAM_PROVIDER and detects on auto', () => {
    expect(resolveProfile('auto', 'https://openrouter.ai/api/v1').name).toBe('openrouter')
    expect(resolveProfile('deepseek', 'http://localhost:8000/v1').name).toBe('deepseek')
  })

  test('every provider name has a profile with that name', () => {
    expect(PROVIDER_NAMES).toEqual(['openai', 'azure', 'openrouter', 'deepseek', 'xai', 'groq', 'gemini', 'ollama', 'generic'])
    for (const name of PROVIDER_NAMES) expect(getProfile(name).name).toBe(name)
  })
})

describe('chatUrl', () => {
  test('most profiles append /chat/completions to the base URL', () => {
    expect(getProfile('openai').chatUrl('https://api.openai.com/v1', 'gpt-5', {})).toBe('https://api.openai.com/v1/chat/completions')
    expect(getProfile('openrouter').chatUrl('https://openrouter.ai/api/v1/', 'x', {})).toBe('https://openrouter.ai/api/v1/chat/completions')
    expect(getProfile('gemini').chatUrl('https://generativelanguage.googleapis.com/v1beta/openai/', 'g', {})).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    )
    expect(getProfile('generic').chatUrl('http://h/v1?key=1', 'm', {})).toBe('http://h/v1/chat/completions?key=1')
    expect(getProfile('generic').chatUrl('http://h/v1/chat/completions', 'm', {})).toBe('http://h/v1/chat/completions')
  })

  test('Azure: a bare resource URL gets the classic deployment path and api-version', () => {
    const azure = getProfile('azure')
    const cfg = { AZURE_API_VERSION: '2024-10-21' }
    expect(azure.chatUrl('https://res.openai.azure.com', 'gpt-5-mini', cfg)).toBe('https://res.openai.azure.com/openai/deployments/gpt-5-mini/chat/completions?api-version=2024-10-21')
    expect(azure.chatUrl('https://res.openai.azure.com/openai/', 'my deploy', cfg)).toBe('https://res.openai.azure.com/openai/deployments/my%20deploy/chat/completions?api-version=2024-10-21')
  })

  test('Azure: a base URL naming a deployment is used as is', () => {
    const url = getProfile('azure').chatUrl('https://res.openai.azure.com/openai/deployments/prod-gpt', 'ignored', { AZURE_API_VERSION: '2025-01-01-preview' })
    expect(url).toBe('https://res.openai.azure.com/openai/deployments/prod-gpt/chat/completions?api-version=2025-01-01-preview')
  })

  test('Azure: an api-version already in the base URL is kept', () => {
    const url = getProfile('azure').chatUrl('https://res.openai.azure.com/openai/deployments/d?api-version=2024-06-01', 'x', { AZURE_API_VERSION: '2024-10-21' })
    expect(url).toBe('https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-06-01')
  })

  test('U07 Azure: the /openai/v1 surface takes {base}/chat/completions with no api-version', () => {
    expect(getProfile('azure').chatUrl('https://res.openai.azure.com/openai/v1', 'gpt-5-mini', { AZURE_API_VERSION: '2024-10-21' })).toBe(
      'https://res.openai.azure.com/openai/v1/chat/completions',
    )
  })
})

describe('headers', () => {
  test('Azure authenticates with api-key, everyone else with a bearer token', () => {
    expect(getProfile('azure').authHeaders('k1')).toEqual({ 'api-key': 'k1' })
    for (const name of PROVIDER_NAMES.filter((n) => n !== 'azure')) expect(getProfile(name).authHeaders('k2')).toEqual({ authorization: 'Bearer k2' })
    expect(getProfile('ollama').authHeaders('')).toEqual({})
  })

  test('OpenRouter gets its attribution headers', () => {
    expect(getProfile('openrouter').extraHeaders['X-Title']).toBe('ccproxy')
    expect(getProfile('openrouter').extraHeaders['HTTP-Referer']).toBeString()
    expect(getProfile('openai').extraHeaders).toEqual({})
  })
})

describe('profile data', () => {
  test('each profile declares its reasoning form, replay form and quirks', () => {
    const table = Object.fromEntries(
      PROVIDER_NAMES.map((n) => {
        const p = getProfile(n)
        return [n, [p.reasoning, p.replay, p.maxTokensField, p.parallelToolCalls, p.requiresAlternation, p.supportsPdf, p.acceptsTopK]]
      }),
    )
    expect(table).toEqual({
      openai: ['reasoning_effort', 'none', 'by_model', true, false, true, false],
      azure: ['reasoning_effort', 'none', 'by_model', true, false, false, false],
      openrouter: ['openrouter', 'openrouter_reasoning_details', 'max_tokens', true, false, true, true],
      deepseek: ['deepseek', 'deepseek_reasoning_content', 'max_tokens', false, false, false, false],
      xai: ['reasoning_effort', 'none', 'max_tokens', true, false, false, false],
      groq: ['reasoning_effort', 'none', 'max_tokens', true, false, false, false],
      gemini: ['reasoning_effort', 'gemini_thought_signature', 'max_tokens', false, false, false, false],
      ollama: ['reasoning_effort', 'none', 'max_tokens', false, true, false, false],
      generic: ['reasoning_effort', 'none', 'by_model', false, true, false, true],
    })
    expect(PROVIDER_NAMES.filter((n) => getProfile(n).normalizeSchema)).toEqual(['gemini'])
  })
})

describe('Gemini schema normalisation', () => {
  test('strips the keywords Gemini rejects ($schema, additionalProperties, exclusiveMinimum, propertyNames, patternProperties, default)', () => {
    const out = normalizeGeminiSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: {
        n: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 1 },
        m: { type: 'object', propertyNames: { pattern: '^a' }, patternProperties: { '^a': { type: 'string' } }, additionalProperties: { type: 'string' } },
      },
      required: ['n'],
    })
    expect(out).toEqual({ type: 'object', properties: { n: { type: 'number', maximum: 10 }, m: { type: 'object' } }, required: ['n'] })
  })

  test('const becomes a one-value enum, oneOf becomes anyOf, [T, "null"] becomes nullable', () => {
    expect(normalizeGeminiSchema({ const: 'fixed' })).toEqual({ type: 'string', enum: ['fixed'] })
    expect(normalizeGeminiSchema({ type: ['string', 'null'] })).toEqual({ type: 'string', nullable: true })
    expect(normalizeGeminiSchema({ oneOf: [{ type: 'string', const: 'a' }, { type: 'integer' }] })).toEqual({ anyOf: [{ type: 'string', enum: ['a'] }, { type: 'integer' }] })
  })

  test('formats other than enum and date-time on strings move into the description', () => {
    expect(normalizeGeminiSchema({ type: 'string', format: 'uri', description: 'Link' })).toEqual({ type: 'string', description: 'Link (format: uri)' })
    expect(normalizeGeminiSchema({ type: 'string', format: 'date-time' })).toEqual({ type: 'string', format: 'date-time' })
    expect(normalizeGeminiSchema({ type: 'integer', format: 'int64' })).toEqual({ type: 'integer', format: 'int64' })
  })

  test('property names that look like keywords are kept; empty properties and dangling required are removed', () => {
    expect(normalizeGeminiSchema({ type: 'object', properties: { title: { type: 'string' }, default: { type: 'string' } }, required: ['title', 'ghost'] })).toEqual({
      type: 'object',
      properties: { title: { type: 'string' }, default: { type: 'string' } },
      required: ['title'],
    })
    expect(normalizeGeminiSchema({ type: 'object', properties: {} })).toEqual({ type: 'object' })
  })

  test('nested items and anyOf are normalised; the input is not mutated', () => {
    const input = { type: 'array', items: { type: 'object', additionalProperties: false, properties: { a: { anyOf: [{ type: 'string', $comment: 'x' }] } } } }
    const before = JSON.stringify(input)
    expect(normalizeGeminiSchema(input)).toEqual({ type: 'array', items: { type: 'object', properties: { a: { anyOf: [{ type: 'string' }] } } } })
    expect(JSON.stringify(input)).toBe(before)
  })

  test('R01 Claude Code tool schemas come out free of rejected keywords', () => {
    const text = JSON.stringify(ccTools().map((t) => normalizeGeminiSchema(t.input_schema!)))
    for (const word of ['$schema', 'additionalProperties', 'exclusiveMinimum', 'propertyNames', 'default', '"format":"uri"']) expect(text).not.toContain(word)
  })
})
