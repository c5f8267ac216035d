import { BASE_PROFILE, type ProviderProfile } from './profile'

/** Ollama's /v1 endpoint: local chat templates want alternating roles; no key needed. */
export const ollamaProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'ollama',
  requiresAlternation: true,
}
