import { BASE_PROFILE, type ProviderProfile } from './profile'

/**
 * DeepSeek: thinking mode is switched by `thinking:{type}`; assistant turns that called tools must carry their
 * `reasoning_content` back (api-docs.deepseek.com/guides/thinking_mode).
 */
export const deepseekProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'deepseek',
  reasoning: 'deepseek',
  replay: 'deepseek_reasoning_content',
}
