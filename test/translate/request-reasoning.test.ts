import { describe, expect, test } from 'bun:test'
import { getProfile, type ProviderName } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import { clampEffort, readThinking } from '../../src/translate/request-reasoning'
import type { AnthropicMessagesRequest } from '../../src/translate/types'
import { r01, r03, r04, r05 } from './cc-shapes'

const body = (req: AnthropicMessagesRequest, provider: ProviderName, model: string) =>
  anthropicToOpenAI(req, { upstreamModel: model, profile: getProfile(provider), stream: true }).body

const REASONING_FIELDS = ['reasoning_effort', 'reasoning', 'thinking'] as const
const reasoningOf = (b: Record<string, unknown>) => Object.fromEntries(REASONING_FIELDS.filter((k) => k in b).map((k) => [k, b[k]]))

describe('thinking → reasoning', () => {
  test('R01 adaptive thinking with effort medium → reasoning_effort medium on OpenAI reasoning models', () => {
    expect(reasoningOf(body(r01(), 'openai', 'gpt-5'))).toEqual({ reasoning_effort: 'medium' })
    expect(reasoningOf(body(r01(), 'azure', 'o4-mini'))).toEqual({ reasoning_effort: 'medium' })
  })

  test('R01 non-reasoning models (gpt-4o) get no reasoning fields', () => {
    expect(reasoningOf(body(r01(), 'openai', 'gpt-4o'))).toEqual({})
    expect(reasoningOf(body(r01(), 'openrouter', 'openai/gpt-4o'))).toEqual({})
    expect(reasoningOf(body(r01(), 'groq', 'llama-3.3-70b-versatile'))).toEqual({})
  })

  test('R04 thinking budgets map by range: < 4096 low, < 16384 medium, else high', () => {
    const withBudget = (budget_tokens: number) => body({ ...r04(), thinking: { type: 'enabled', budget_tokens } }, 'openai', 'o3').reasoning_effort
    expect(withBudget(1024)).toBe('low')
    expect(withBudget(4095)).toBe('low')
    expect(withBudget(4096)).toBe('medium')
    expect(withBudget(16383)).toBe('medium')
    expect(withBudget(31999)).toBe('high')
  })

  test('an explicit output_config.effort wins over the budget', () => {
    expect(body({ ...r04(), output_config: { effort: 'low' } }, 'openai', 'gpt-5').reasoning_effort).toBe('low')
  })

  test('xhigh and max are clamped to the highest effort the model takes', () => {
    expect(body({ ...r01(), output_config: { effort: 'max' } }, 'openai', 'gpt-5').reasoning_effort).toBe('high')
    expect(body({ ...r01(), output_config: { effort: 'xhigh' } }, 'openai', 'o3').reasoning_effort).toBe('high')
    expect(clampEffort('medium', ['low', 'high'])).toBe('high')
    expect(clampEffort('max', ['low', 'high'])).toBe('high')
    expect(clampEffort('minimal', ['low', 'medium', 'high'])).toBe('low')
  })

  test('thinking disabled never sends reasoning_effort', () => {
    const off = { ...r01(), thinking: { type: 'disabled' as const } }
    for (const [p, m] of [['openai', 'gpt-5'], ['azure', 'o3'], ['xai', 'grok-3-mini'], ['groq', 'openai/gpt-oss-120b'], ['gemini', 'gemini-2.5-pro'], ['openrouter', 'anthropic/claude-sonnet-4.5']] as const) {
      expect(reasoningOf(body(off, p, m))).toEqual({})
    }
  })

  test('adaptive thinking without an effort leaves the upstream default (no reasoning_effort)', () => {
    const req = { ...r01(), output_config: undefined }
    expect(reasoningOf(body(req, 'openai', 'gpt-5'))).toEqual({})
  })

  test('xAI: reasoning_effort only where the model takes it (grok-3-mini low|high; grok-4 none)', () => {
    expect(body(r01(), 'xai', 'grok-3-mini').reasoning_effort).toBe('high')
    expect(body({ ...r01(), output_config: { effort: 'low' } }, 'xai', 'grok-3-mini').reasoning_effort).toBe('low')
    expect(reasoningOf(body(r01(), 'xai', 'grok-4'))).toEqual({})
    expect(reasoningOf(body(r01(), 'xai', 'grok-code-fast-1'))).toEqual({})
  })

  test('Gemini and gpt-oss reasoning models take reasoning_effort', () => {
    expect(body(r01(), 'gemini', 'gemini-2.5-flash').reasoning_effort).toBe('medium')
    expect(body(r01(), 'groq', 'openai/gpt-oss-120b').reasoning_effort).toBe('medium')
    expect(body(r01(), 'ollama', 'gpt-oss:20b').reasoning_effort).toBe('medium')
  })
})

describe('OpenRouter reasoning', () => {
  test('R04 a thinking budget becomes reasoning.max_tokens, kept below max_tokens', () => {
    expect(body(r04(), 'openrouter', 'anthropic/claude-haiku-4.5').reasoning).toEqual({ max_tokens: 31999 })
    expect(body({ ...r04(), max_tokens: 8000 }, 'openrouter', 'anthropic/claude-haiku-4.5').reasoning).toEqual({ max_tokens: 7999 })
  })

  test('R01 adaptive thinking with effort becomes reasoning.effort', () => {
    expect(body(r01(), 'openrouter', 'anthropic/claude-opus-4.5').reasoning).toEqual({ effort: 'medium' })
    expect(body({ ...r01(), output_config: { effort: 'max' } }, 'openrouter', 'openai/gpt-5').reasoning).toEqual({ effort: 'high' })
  })

  test('adaptive thinking without an effort enables reasoning; unknown models get it too (OpenRouter ignores it where unsupported)', () => {
    expect(body({ ...r01(), output_config: undefined }, 'openrouter', 'google/gemini-3.1-flash-lite-preview').reasoning).toEqual({ enabled: true })
    expect(body(r01(), 'openrouter', 'someone/new-model').reasoning).toEqual({ effort: 'medium' })
  })

  test('OpenRouter never gets reasoning_effort', () => {
    expect('reasoning_effort' in body(r01(), 'openrouter', 'openai/gpt-5')).toBe(false)
  })
})

describe('DeepSeek thinking mode', () => {
  test('R03 deepseek-chat with adaptive thinking and effort high → thinking enabled + reasoning_effort high', () => {
    const b = body(r03(), 'deepseek', 'deepseek-chat')
    expect(reasoningOf(b)).toEqual({ thinking: { type: 'enabled' }, reasoning_effort: 'high' })
  })

  test('DeepSeek maps low and medium to high, xhigh and max to max', () => {
    const effort = (e: string) => body({ ...r03(), output_config: { effort: e } }, 'deepseek', 'deepseek-chat').reasoning_effort
    expect([effort('low'), effort('medium'), effort('high'), effort('xhigh'), effort('max')]).toEqual(['high', 'high', 'high', 'max', 'max'])
    expect(body(r05(), 'deepseek', 'deepseek-reasoner').reasoning_effort).toBe('high')
  })

  test('DeepSeek thinking disabled → thinking:{type:"disabled"} and no reasoning_effort', () => {
    expect(reasoningOf(body({ ...r03(), thinking: { type: 'disabled' } }, 'deepseek', 'deepseek-chat'))).toEqual({ thinking: { type: 'disabled' } })
  })

  test('DeepSeek without a thinking field leaves the model default', () => {
    expect(reasoningOf(body({ ...r03(), thinking: undefined, output_config: undefined }, 'deepseek', 'deepseek-chat'))).toEqual({})
  })

  test('deepseek-chat is capped at 8192 output tokens, or at the reasoner cap 65536 with thinking on', () => {
    expect(body({ ...r03(), thinking: { type: 'disabled' } }, 'deepseek', 'deepseek-chat').max_tokens).toBe(8192)
    expect(body(r03(), 'deepseek', 'deepseek-chat').max_tokens).toBe(32000)
    expect(body({ ...r03(), max_tokens: 128000 }, 'deepseek', 'deepseek-reasoner').max_tokens).toBe(65536)
  })
})

describe('readThinking', () => {
  test('reads enabled, adaptive, disabled and absent thinking', () => {
    const req = (thinking: AnthropicMessagesRequest['thinking'], effort?: string): AnthropicMessagesRequest => ({ model: 'm', max_tokens: 1, messages: [], thinking, output_config: effort ? { effort } : undefined })
    expect(readThinking(req({ type: 'enabled', budget_tokens: 8000 }))).toEqual({ mode: 'on', budget: 8000, effort: 'medium' })
    expect(readThinking(req({ type: 'adaptive' }, 'xhigh'))).toEqual({ mode: 'on', effort: 'xhigh' })
    expect(readThinking(req({ type: 'disabled' }, 'high'))).toEqual({ mode: 'off' })
    expect(readThinking(req(undefined))).toEqual({ mode: 'unset' })
    expect(readThinking(req(undefined, 'low'))).toEqual({ mode: 'on', effort: 'low' })
  })
})
