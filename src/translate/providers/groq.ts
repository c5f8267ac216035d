import { BASE_PROFILE, type ProviderProfile } from './profile'

/** Groq: plain OpenAI compatibility with parallel_tool_calls. */
export const groqProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'groq',
  parallelToolCalls: true,
}
