import { BASE_PROFILE, type ProviderProfile } from './profile'

/** api.openai.com: max_completion_tokens and role developer for reasoning models, PDFs as file parts. */
export const openaiProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'openai',
  maxTokensField: 'by_model',
  parallelToolCalls: true,
  supportsPdf: true,
  developerRole: true,
}
