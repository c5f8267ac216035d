import { describe, expect, test } from 'bun:test'
import { mapFinishReason, mapUsage } from '../../src/translate/usage'

describe('mapUsage', () => {
  test('splits prompt tokens into input, cache reads and cache writes', () => {
    expect(mapUsage({ prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 30 } })).toEqual({
      input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 30, cache_read_input_tokens: 60,
    })
  })

  test('fractional usage counts are rounded down to whole tokens (message_delta counts must be integers)', () => {
    expect(mapUsage({ prompt_tokens: 10.5, completion_tokens: 0.5, total_tokens: 11.9, prompt_tokens_details: { cached_tokens: 2.7 } })).toEqual({
      input_tokens: 8, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 2,
    })
  })

  test('negative, infinite and non-numeric counts are 0', () => {
    expect(mapUsage({ prompt_tokens: -5, completion_tokens: Infinity, total_tokens: '9' as never })).toEqual({
      input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
    })
  })
})

describe('mapFinishReason', () => {
  test('maps OpenAI reasons and passes unknown ones as end_turn', () => {
    expect(['stop', 'length', 'tool_calls', 'content_filter', 'eos'].map(mapFinishReason)).toEqual(['end_turn', 'max_tokens', 'tool_use', 'refusal', 'end_turn'])
  })
})
