/** Every provider family ccproxy has a profile for. */
export type ProviderName = 'openai' | 'azure' | 'openrouter' | 'deepseek' | 'xai' | 'groq' | 'gemini' | 'ollama' | 'generic'

/**
 * How reasoning is requested: OpenAI's `reasoning_effort`; OpenRouter's `reasoning:{effort|max_tokens|enabled}`;
 * DeepSeek's `thinking:{type}` plus `reasoning_effort` high|max; or not at all.
 */
export type ReasoningForm = 'reasoning_effort' | 'openrouter' | 'deepseek' | 'none'

/**
 * How the previous turns' provider reasoning goes back upstream: not at all; DeepSeek `reasoning_content` on
 * assistant turns with tool calls; OpenRouter `reasoning_details`; Gemini `extra_content.google.thought_signature`
 * on each tool call.
 */
export type ReplayForm = 'none' | 'deepseek_reasoning_content' | 'openrouter_reasoning_details' | 'gemini_thought_signature'

/**
 * Which field carries the output cap: always `max_tokens`, always `max_completion_tokens`, or `by_model`
 * (`max_completion_tokens` for OpenAI reasoning models, `max_tokens` otherwise).
 */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens' | 'by_model'

/** The settings a profile's chatUrl reads. */
export interface ChatUrlConfig {
  readonly AZURE_API_VERSION?: string
}

/** One upstream family's quirks: data plus small pure functions. */
export interface ProviderProfile {
  readonly name: ProviderName
  /** The chat completions URL for a base URL (OPENAI_BASE_URL) and upstream model. */
  chatUrl(baseUrl: string, upstreamModel: string, cfg: ChatUrlConfig): string
  /** Authentication headers for the upstream key. */
  authHeaders(apiKey: string): Record<string, string>
  /** Fixed headers sent with every upstream request. */
  readonly extraHeaders: Readonly<Record<string, string>>
  readonly maxTokensField: MaxTokensField
  readonly reasoning: ReasoningForm
  readonly replay: ReplayForm
  /** The upstream accepts `parallel_tool_calls`. */
  readonly parallelToolCalls: boolean
  /** Chat templates demand user/assistant alternation: consecutive same-role messages are merged. */
  readonly requiresAlternation: boolean
  /** PDF documents can be sent as `{type:"file"}` content parts. */
  readonly supportsPdf: boolean
  /** `top_k` is accepted. */
  readonly acceptsTopK: boolean
  /** `user` is accepted. */
  readonly acceptsUser: boolean
  /** Instructions may be sent as role `developer` to models that want it (OpenAI, Azure). */
  readonly developerRole: boolean
  /** Rewrites a tool's JSON schema into what the upstream accepts; absent = sent unchanged. */
  normalizeSchema?(schema: Record<string, unknown>): Record<string, unknown>
}

/** `{base}/chat/completions`, keeping a query string; a base that already ends in /chat/completions is kept. */
export function appendChatPath(baseUrl: string): string {
  const q = baseUrl.indexOf('?')
  const path = (q >= 0 ? baseUrl.slice(0, q) : baseUrl).replace(/\/+$/, '')
  const query = q >= 0 ? baseUrl.slice(q) : ''
  return (path.endsWith('/chat/completions') ? path : `${path}/chat/completions`) + query
}

/** `Authorization: Bearer <key>`, or nothing when there is no key (local servers). */
export function bearerAuth(apiKey: string): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {}
}

/** The defaults most OpenAI-compatible upstreams share; each profile overrides what differs. */
export const BASE_PROFILE: Omit<ProviderProfile, 'name'> = {
  chatUrl: (baseUrl) => appendChatPath(baseUrl),
  authHeaders: bearerAuth,
  extraHeaders: {},
  maxTokensField: 'max_tokens',
  reasoning: 'reasoning_effort',
  replay: 'none',
  parallelToolCalls: false,
  requiresAlternation: false,
  supportsPdf: false,
  acceptsTopK: false,
  acceptsUser: true,
  developerRole: false,
}
