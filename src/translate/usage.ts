import type { AnthropicStopReason, AnthropicUsage, OpenAIUsage } from './types'

/** A token count from upstream: a positive finite number, rounded down (Anthropic's counts are integers), else 0. */
const count = (v: unknown): number => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? Math.floor(v) : 0)

/**
 * Maps an OpenAI-style usage object to Anthropic's four numbers (fixtures rule 7). Anthropic's input_tokens
 * excludes cache reads and writes; xAI leaves reasoning out of completion_tokens, so total − prompt wins when larger.
 */
export function mapUsage(u: OpenAIUsage): AnthropicUsage {
  const prompt = count(u.prompt_tokens)
  const details = u.prompt_tokens_details
  const cacheRead = count(details?.cached_tokens) || count(u.prompt_cache_hit_tokens)
  const cacheCreation = count(details?.cache_write_tokens)
  const completion = count(u.completion_tokens)
  const fromTotal = count(u.total_tokens) - prompt
  return {
    input_tokens: Math.max(0, prompt - cacheRead - cacheCreation),
    output_tokens: fromTotal > completion ? fromTotal : completion,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  }
}

/**
 * Maps an upstream finish_reason to Anthropic's stop_reason: stop→end_turn, length→max_tokens,
 * tool_calls|function_call→tool_use, content_filter→refusal. Anthropic spellings pass through; anything else is end_turn.
 */
export function mapFinishReason(reason: string): AnthropicStopReason {
  switch (reason) {
    case 'length':
    case 'max_tokens':
      return 'max_tokens'
    case 'tool_calls':
    case 'function_call':
    case 'tool_use':
      return 'tool_use'
    case 'content_filter':
    case 'refusal':
      return 'refusal'
    default:
      return 'end_turn'
  }
}
