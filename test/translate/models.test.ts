import { describe, expect, test } from 'bun:test'
import { compileModelMap, mapModel, modelRules } from '../../src/translate/models'

const cfg = (MODEL_MAP: string[] = []) => ({ BIG_MODEL_NAME: 'big-model', SMALL_MODEL_NAME: 'small-model', MODEL_MAP })

describe('mapModel', () => {
  test('names containing haiku go to SMALL_MODEL_NAME', () => {
    expect(mapModel('claude-haiku-4-5-20251001', cfg())).toBe('small-model')
    expect(mapModel('claude-3-5-haiku-latest', cfg())).toBe('small-model')
  })

  test('every other claude-* name goes to BIG_MODEL_NAME', () => {
    expect(mapModel('claude-opus-5-5', cfg())).toBe('big-model')
    expect(mapModel('claude-sonnet-4-5-20250929', cfg())).toBe('big-model')
    expect(mapModel('Claude-Sonnet-4-5', cfg())).toBe('big-model')
  })

  test('R03 any other name passes unchanged', () => {
    expect(mapModel('deepseek-chat', cfg())).toBe('deepseek-chat')
    expect(mapModel('openai/gpt-5', cfg())).toBe('openai/gpt-5')
  })

  test('MODEL_MAP globs win, first match first', () => {
    const map = cfg(['claude-opus-*=gpt-5', '*haiku*=gpt-5-mini', 'claude-*=gpt-5-chat', 'deepseek-?hat=deepseek-reasoner'])
    expect(mapModel('claude-opus-5-5', map)).toBe('gpt-5')
    expect(mapModel('claude-haiku-4-5', map)).toBe('gpt-5-mini')
    expect(mapModel('claude-sonnet-4-5', map)).toBe('gpt-5-chat')
    expect(mapModel('deepseek-chat', map)).toBe('deepseek-reasoner')
    expect(mapModel('CLAUDE-OPUS-4', map)).toBe('gpt-5')
    expect(mapModel('gpt-4o', map)).toBe('gpt-4o')
  })

  test('globs are anchored and treat regex characters literally', () => {
    const map = cfg(['gpt-4.1=exact'])
    expect(mapModel('gpt-4.1', map)).toBe('exact')
    expect(mapModel('gpt-4x1', map)).toBe('gpt-4x1')
    expect(mapModel('my-gpt-4.1', map)).toBe('my-gpt-4.1')
  })

  test('a precompiled map is accepted as MODEL_MAP', () => {
    const compiled = compileModelMap(['*sonnet*=mid'])
    expect(mapModel('claude-sonnet-4-5', { BIG_MODEL_NAME: 'b', SMALL_MODEL_NAME: 's', MODEL_MAP: compiled })).toBe('mid')
  })

  test('compileModelMap trims entries, skips blanks and rejects malformed ones by name', () => {
    expect(compileModelMap([' a* = b ', '']).map((r) => [r.glob, r.model])).toEqual([['a*', 'b']])
    expect(() => compileModelMap(['claude-opus-*'])).toThrow('MODEL_MAP entry "claude-opus-*" must look like glob=model')
    expect(() => compileModelMap(['=gpt-5'])).toThrow('must look like glob=model')
    expect(() => compileModelMap(['a='])).toThrow('must look like glob=model')
  })
})

describe('modelRules', () => {
  test('output caps: o3 and o4-mini 100000, gpt-5 family 128000', () => {
    expect(modelRules('o3').outputCap).toBe(100000)
    expect(modelRules('o3-mini').outputCap).toBe(100000)
    expect(modelRules('o4-mini').outputCap).toBe(100000)
    for (const m of ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-5.1', 'gpt-5.4-nano', 'gpt-5-codex']) expect(modelRules(m).outputCap).toBe(128000)
  })

  test('output caps: deepseek-reasoner 65536, deepseek-chat 8192, grok-code-fast-1 10000, grok-4-fast 30720', () => {
    expect(modelRules('deepseek-reasoner').outputCap).toBe(65536)
    expect(modelRules('deepseek-chat').outputCap).toBe(8192)
    expect(modelRules('grok-code-fast-1').outputCap).toBe(10000)
    expect(modelRules('grok-4-fast').outputCap).toBe(30720)
    expect(modelRules('grok-4-fast-reasoning').outputCap).toBe(30720)
    expect(modelRules('grok-4-fast-non-reasoning').outputCap).toBe(30720)
  })

  test('provider prefixes, tags and case are ignored', () => {
    expect(modelRules('openai/gpt-5').outputCap).toBe(128000)
    expect(modelRules('OpenAI/GPT-5-mini').reasoning).toBe(true)
    expect(modelRules('deepseek/deepseek-chat').outputCap).toBe(8192)
    expect(modelRules('x-ai/grok-code-fast-1').outputCap).toBe(10000)
    expect(modelRules('gpt-oss:20b').reasoning).toBe(true)
  })

  test('OpenAI reasoning models: max_completion_tokens, developer role, no stop, no sampling', () => {
    for (const m of ['o3', 'o4-mini', 'gpt-5', 'openai/gpt-5-mini']) {
      const r = modelRules(m)
      expect([r.reasoning, r.maxCompletionTokens, r.developerRole, r.acceptsStop, r.acceptsSampling]).toEqual([true, true, true, false, false])
    }
  })

  test('non-reasoning models take max_tokens, system, stop and sampling', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5-chat-latest', 'deepseek-chat', 'llama-3.3-70b-versatile', 'grok-3']) {
      const r = modelRules(m)
      expect([r.reasoning, r.maxCompletionTokens, r.developerRole, r.acceptsStop, r.acceptsSampling, r.known]).toEqual([false, false, false, true, true, true])
    }
    expect(modelRules('gpt-4o').outputCap).toBe(16384)
  })

  test('reasoning families outside OpenAI keep their sampling rules', () => {
    expect(modelRules('deepseek-reasoner')).toMatchObject({ reasoning: true, developerRole: false, acceptsSampling: false, maxCompletionTokens: false })
    expect(modelRules('grok-3-mini')).toMatchObject({ reasoning: true, acceptsStop: false, efforts: ['low', 'high'] })
    expect(modelRules('grok-4-0709').reasoning).toBe(true)
    expect(modelRules('grok-4-0709').efforts).toBeUndefined()
    expect(modelRules('gemini-2.5-pro')).toMatchObject({ reasoning: true, acceptsSampling: true })
    expect(modelRules('gemini-2.0-flash').reasoning).toBe(false)
    expect(modelRules('anthropic/claude-haiku-4.5').reasoning).toBe(true)
    expect(modelRules('qwen/qwen3-32b').reasoning).toBe(true)
  })

  test('unknown models are marked unknown and get no cap', () => {
    expect(modelRules('my-finetune')).toMatchObject({ known: false, reasoning: false })
    expect(modelRules('my-finetune').outputCap).toBeUndefined()
  })

  test('the same object is returned for the same name (memoised)', () => {
    expect(modelRules('gpt-5')).toBe(modelRules('gpt-5'))
  })
})

describe('modelRules caps for OpenRouter and Gemini families', () => {
  test('Gemini and Claude caps lower Claude Code\'s 128000, never raise it', () => {
    expect(modelRules('gemini-2.5-pro').outputCap).toBe(65536)
    expect(modelRules('google/gemini-3.1-flash-lite-preview').outputCap).toBe(65536)
    expect(modelRules('gemini-2.0-flash').outputCap).toBe(8192)
    expect(modelRules('anthropic/claude-opus-4.1').outputCap).toBe(32000)
    expect(modelRules('claude-opus-4-20250514').outputCap).toBe(32000)
    expect(modelRules('anthropic/claude-opus-4.5').outputCap).toBe(64000)
    expect(modelRules('anthropic/claude-sonnet-4.5').outputCap).toBe(64000)
    expect(modelRules('anthropic/claude-3.5-sonnet').outputCap).toBe(8192)
  })
})
