import { BASE_PROFILE, type ProviderProfile } from './profile'

/**
 * Any other OpenAI-compatible server (vLLM, llama.cpp, LM Studio, LiteLLM, …): alternating roles for strict chat
 * templates, top_k accepted, max_completion_tokens only for OpenAI reasoning models.
 */
export const genericProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'generic',
  maxTokensField: 'by_model',
  requiresAlternation: true,
  acceptsTopK: true,
}
