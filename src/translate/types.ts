/**
 * Wire types for both sides. Anthropic Messages (anthropic-version 2023-06-01 and 2026-10-21) and
 * OpenAI Chat Completions. Only the fields ccproxy reads or writes are typed; everything else passes as unknown.
 */

// ---------- Anthropic ----------

export type AnthropicRole = 'user' | 'assistant' | 'system'

export interface AnthropicCacheControl { type: 'ephemeral'; ttl?: string; scope?: string }

export type AnthropicImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string }

export type AnthropicDocumentSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'text'; media_type?: string; data: string }
  | { type: 'content'; content: string | AnthropicContentBlock[] }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string }

export interface AnthropicTextBlock { type: 'text'; text: string; cache_control?: AnthropicCacheControl; citations?: unknown }
export interface AnthropicImageBlock { type: 'image'; source: AnthropicImageSource; cache_control?: AnthropicCacheControl }
export interface AnthropicDocumentBlock { type: 'document'; source: AnthropicDocumentSource; title?: string; context?: string; cache_control?: AnthropicCacheControl }
export interface AnthropicToolUseBlock { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: AnthropicCacheControl }
export interface AnthropicToolResultBlock {
  type: 'tool_result'
  tool_use_id: string
  content?: string | AnthropicContentBlock[]
  is_error?: boolean
  cache_control?: AnthropicCacheControl
}
export interface AnthropicThinkingBlock { type: 'thinking'; thinking: string; signature?: string }
export interface AnthropicRedactedThinkingBlock { type: 'redacted_thinking'; data: string }
/** Server-tool blocks and anything newer: carried opaquely. */
export interface AnthropicOtherBlock { type: string; [key: string]: unknown }

export type AnthropicContentBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock

export interface AnthropicMessage { role: AnthropicRole; content: string | (AnthropicContentBlock | AnthropicOtherBlock)[] }

export interface AnthropicTool {
  name: string
  description?: string
  input_schema?: Record<string, unknown>
  type?: string
  strict?: boolean
  cache_control?: AnthropicCacheControl
  [key: string]: unknown
}

export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' }

export type AnthropicThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: string }
  | { type: 'adaptive'; display?: string }
  | { type: 'disabled' }
  | { type: string; budget_tokens?: number }

/** The fields messages and count_tokens requests share. */
export interface AnthropicRequestBase {
  model: string
  messages: AnthropicMessage[]
  system?: string | AnthropicTextBlock[]
  stop_sequences?: string[]
  stream?: boolean
  temperature?: number
  top_p?: number
  top_k?: number
  metadata?: { user_id?: string | null }
  tools?: AnthropicTool[]
  tool_choice?: AnthropicToolChoice
  thinking?: AnthropicThinkingConfig
  output_config?: { effort?: string; format?: { type: 'json_schema'; schema: Record<string, unknown> } }
  [key: string]: unknown
}

export interface AnthropicMessagesRequest extends AnthropicRequestBase { max_tokens: number }

/** count_tokens takes no max_tokens (a client may still send one). */
export interface AnthropicCountTokensRequest extends AnthropicRequestBase { max_tokens?: number }

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded'

export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens: number
  cache_read_input_tokens: number
}

export type AnthropicResponseBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }

export interface AnthropicMessageResponse {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicResponseBlock[]
  stop_reason: AnthropicStopReason | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error'

/** One Anthropic SSE event: its `type` is also the `event:` line. */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessageResponse }
  | { type: 'content_block_start'; index: number; content_block: Record<string, unknown> }
  | { type: 'content_block_delta'; index: number; delta: Record<string, unknown> }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: AnthropicStopReason | null; stop_sequence: string | null }; usage: AnthropicUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: AnthropicErrorType; message: string } }

// ---------- OpenAI ----------

export type OpenAIContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'file'; file: { file_data?: string; file_id?: string; filename?: string } }

export interface OpenAIToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
  /** Gemini's OpenAI endpoint: the thought signature that must come back on the next request. */
  extra_content?: { google?: { thought_signature?: string } }
  [key: string]: unknown
}

export interface OpenAISystemMessage { role: 'system' | 'developer'; content: string }
export interface OpenAIUserMessage { role: 'user'; content: string | OpenAIContentPart[] }
export interface OpenAIAssistantMessage {
  role: 'assistant'
  content: string | null
  tool_calls?: OpenAIToolCall[]
  /** DeepSeek thinking mode: required on assistant turns that called tools. */
  reasoning_content?: string
  /** OpenRouter: the reasoning items of that turn, sent back verbatim. */
  reasoning_details?: OpenAIReasoningDetail[]
  [key: string]: unknown
}
export interface OpenAIToolMessage { role: 'tool'; tool_call_id: string; content: string }

export type OpenAIChatMessage = OpenAISystemMessage | OpenAIUserMessage | OpenAIAssistantMessage | OpenAIToolMessage

export interface OpenAITool { type: 'function'; function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean } }

export interface OpenAIChatRequest {
  model: string
  messages: OpenAIChatMessage[]
  max_tokens?: number
  max_completion_tokens?: number
  temperature?: number
  top_p?: number
  stop?: string[]
  stream?: boolean
  stream_options?: { include_usage: boolean }
  tools?: OpenAITool[]
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } }
  parallel_tool_calls?: boolean
  reasoning_effort?: string
  /** OpenRouter's unified reasoning control. */
  reasoning?: { effort?: string; max_tokens?: number; enabled?: boolean }
  /** DeepSeek thinking-mode switch. */
  thinking?: { type: 'enabled' | 'disabled' }
  top_k?: number
  response_format?: unknown
  user?: string
  [key: string]: unknown
}

export interface OpenAIUsage {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null
  completion_tokens_details?: { reasoning_tokens?: number } | null
  prompt_cache_hit_tokens?: number
  prompt_cache_miss_tokens?: number
  [key: string]: unknown
}

export interface OpenAIToolCallDelta {
  index?: number
  id?: string
  type?: string
  function?: { name?: string; arguments?: string | Record<string, unknown> }
  extra_content?: { google?: { thought_signature?: string } }
  [key: string]: unknown
}

export interface OpenAIReasoningDetail {
  type: string
  text?: string
  summary?: string
  data?: string
  signature?: string
  format?: string
  id?: string
  index?: number
  [key: string]: unknown
}

export interface OpenAIDelta {
  role?: string
  content?: string | null | Array<{ type: string; text?: string; thinking?: unknown; [key: string]: unknown }>
  reasoning_content?: string | null
  reasoning?: string | null
  reasoning_details?: OpenAIReasoningDetail[]
  tool_calls?: OpenAIToolCallDelta[]
  refusal?: string | null
  [key: string]: unknown
}

export interface OpenAIChatChunk {
  id?: string
  object?: string
  model?: string
  choices?: Array<{ index?: number; delta?: OpenAIDelta; finish_reason?: string | null; [key: string]: unknown }>
  usage?: OpenAIUsage | null
  x_groq?: { usage?: OpenAIUsage; [key: string]: unknown }
  error?: { message?: string; type?: string; code?: unknown; [key: string]: unknown }
  [key: string]: unknown
}

export interface OpenAIChatResponse {
  id?: string
  model?: string
  choices?: Array<{ index?: number; message?: OpenAIDelta & { role?: string }; finish_reason?: string | null }>
  usage?: OpenAIUsage | null
  error?: { message?: string; type?: string; code?: unknown }
  [key: string]: unknown
}
