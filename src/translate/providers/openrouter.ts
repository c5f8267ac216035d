import { BASE_PROFILE, type ProviderProfile } from './profile'

/** OpenRouter: attribution headers, `reasoning:{…}`, reasoning_details replay, PDFs, top_k. */
export const openrouterProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'openrouter',
  extraHeaders: { 'HTTP-Referer': 'http://localhost/ccproxy', 'X-Title': 'ccproxy' },
  reasoning: 'openrouter',
  replay: 'openrouter_reasoning_details',
  parallelToolCalls: true,
  supportsPdf: true,
  acceptsTopK: true,
}
