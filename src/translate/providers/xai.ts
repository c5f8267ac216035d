import { BASE_PROFILE, type ProviderProfile } from './profile'

/** xAI: reasoning_effort only on models that take it (grok-3-mini); parallel_tool_calls accepted. */
export const xaiProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'xai',
  parallelToolCalls: true,
}
