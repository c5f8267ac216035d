import { modelRules, type ModelRules } from './models'
import type { ProviderProfile } from './providers/profile'
import type { AnthropicMessagesRequest, OpenAIChatRequest } from './types'

/** Anthropic effort levels (output_config.effort), lowest first. */
const LADDER = ['minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const

/** What the client asked for: thinking off, on (with an effort and/or a budget), or not said. */
export interface ThinkingRequest {
  readonly mode: 'unset' | 'off' | 'on'
  readonly effort?: string
  readonly budget?: number
}

/**
 * Reads `thinking` and `output_config.effort`. A budget maps to an effort by range: < 4096 low, < 16384 medium,
 * else high; an explicit effort wins over the budget. `adaptive` (and newer types) is on with the effort given,
 * if any; an effort with no `thinking` field counts as on.
 */
export function readThinking(req: AnthropicMessagesRequest): ThinkingRequest {
  const thinking = req.thinking
  const explicit = typeof req.output_config?.effort === 'string' ? req.output_config.effort : undefined
  if (thinking?.type === 'disabled') return { mode: 'off' }
  if (!thinking) return explicit ? { mode: 'on', effort: explicit } : { mode: 'unset' }
  const rawBudget = (thinking as { budget_tokens?: unknown }).budget_tokens
  const budget = typeof rawBudget === 'number' ? rawBudget : undefined
  if (thinking.type === 'enabled' && budget !== undefined) {
    return { mode: 'on', budget, effort: explicit ?? (budget < 4096 ? 'low' : budget < 16384 ? 'medium' : 'high') }
  }
  return { mode: 'on', effort: explicit }
}

/** The accepted effort nearest at or above the wanted one (the highest accepted when none is above). */
export function clampEffort(wanted: string, accepted: readonly string[]): string {
  if (accepted.includes(wanted)) return wanted
  const from = LADDER.indexOf(wanted as (typeof LADDER)[number])
  for (let i = Math.max(from, 0); i < LADDER.length; i++) if (accepted.includes(LADDER[i])) return LADDER[i]
  return accepted[accepted.length - 1]
}

const DEEPSEEK_THINKING_RULES = modelRules('deepseek-reasoner')

/**
 * Sets the output cap (clamped to the model's cap, never raised; `0` becomes 1, the smallest value upstreams
 * accept) in the field the profile and model want, and the reasoning fields in the profile's form. Thinking
 * `off` never produces reasoning_effort.
 */
export function applyTokensAndReasoning(body: OpenAIChatRequest, req: AnthropicMessagesRequest, rules: ModelRules, profile: ProviderProfile): void {
  const thinking = readThinking(req)
  let cap = rules.outputCap
  // deepseek-chat with thinking switched on is served as the reasoner, with its larger output limit.
  if (profile.reasoning === 'deepseek' && thinking.mode === 'on' && cap !== undefined) cap = Math.max(cap, DEEPSEEK_THINKING_RULES.outputCap!)
  const maxTokens = Math.max(1, cap !== undefined ? Math.min(req.max_tokens, cap) : req.max_tokens)
  const field = profile.maxTokensField === 'by_model' ? (rules.maxCompletionTokens ? 'max_completion_tokens' : 'max_tokens') : profile.maxTokensField
  body[field] = maxTokens

  switch (profile.reasoning) {
    case 'reasoning_effort':
      if (thinking.mode === 'on' && rules.reasoning && rules.efforts && thinking.effort) body.reasoning_effort = clampEffort(thinking.effort, rules.efforts)
      return
    case 'openrouter':
      if (thinking.mode !== 'on' || !(rules.reasoning || !rules.known)) return
      if (thinking.budget !== undefined && req.output_config?.effort === undefined) {
        body.reasoning = { max_tokens: Math.max(1, Math.min(thinking.budget, maxTokens - 1)) }
      } else if (thinking.effort) body.reasoning = { effort: clampEffort(thinking.effort, ['low', 'medium', 'high']) }
      else body.reasoning = { enabled: true }
      return
    case 'deepseek':
      if (thinking.mode === 'off') body.thinking = { type: 'disabled' }
      else if (thinking.mode === 'on') {
        body.thinking = { type: 'enabled' }
        // DeepSeek takes high|max only: low and medium become high, xhigh and max become max.
        if (thinking.effort) body.reasoning_effort = thinking.effort === 'xhigh' || thinking.effort === 'max' ? 'max' : 'high'
      }
      return
    default:
      return
  }
}
