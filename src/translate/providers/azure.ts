import { appendChatPath, BASE_PROFILE, type ChatUrlConfig, type ProviderProfile } from './profile'

const DEFAULT_API_VERSION = '2024-10-21'

/**
 * Azure OpenAI URLs (protocol.md B1). The `/openai/v1` surface takes the model in the body and no api-version;
 * a base that names a deployment is used as is; a bare resource URL gets the classic deployment path. Classic
 * URLs carry `api-version` unless the base URL already has one.
 */
export function azureChatUrl(baseUrl: string, upstreamModel: string, cfg: ChatUrlConfig): string {
  const q = baseUrl.indexOf('?')
  const path = (q >= 0 ? baseUrl.slice(0, q) : baseUrl).replace(/\/+$/, '')
  const query = q >= 0 ? baseUrl.slice(q + 1) : ''
  if (/\/openai\/v1$/i.test(path) || /\/v1$/i.test(path)) return appendChatPath(baseUrl)
  let url: string
  if (/\/deployments\/[^/]+/i.test(path)) url = appendChatPath(path)
  else {
    const resource = path.replace(/\/openai$/i, '')
    url = `${resource}/openai/deployments/${encodeURIComponent(upstreamModel)}/chat/completions`
  }
  const version = /(?:^|&)api-version=/.test(query) ? '' : `api-version=${encodeURIComponent(cfg.AZURE_API_VERSION || DEFAULT_API_VERSION)}`
  const params = [query, version].filter(Boolean).join('&')
  return params ? `${url}?${params}` : url
}

/** Azure OpenAI: `api-key` header, deployment URLs, otherwise OpenAI's rules. */
export const azureProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'azure',
  chatUrl: azureChatUrl,
  authHeaders: (apiKey): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {}),
  maxTokensField: 'by_model',
  parallelToolCalls: true,
  developerRole: true,
}
