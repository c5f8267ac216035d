import type { OpenAIReasoningDetail } from './types'

/**
 * Provider state that must survive a round trip through Claude Code. Claude Code sends a thinking block's
 * `signature` and a redacted_thinking block's `data` back verbatim (protocol.md A10, probes s02 and s28), so
 * ccproxy wraps what the upstream needs to see again into those strings and unwraps it on the next request.
 */
export interface ProviderState {
  /** OpenRouter `reasoning_details` items, exactly as received (type, format, id, index, signature, data). */
  reasoning_details?: OpenAIReasoningDetail[]
  /** Gemini `extra_content.google.thought_signature`, by tool call id. */
  thought_signatures?: Record<string, string>
}

const PREFIX = 'ccp1.'

/** Encodes provider state as `ccp1.<base64url(JSON)>`. */
export function encodeProviderState(state: ProviderState): string {
  return PREFIX + Buffer.from(JSON.stringify(state), 'utf8').toString('base64url')
}

/** Decodes a string made by encodeProviderState; anything else (a real Anthropic signature, garbage) gives undefined. */
export function decodeProviderState(value: unknown): ProviderState | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'))
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ProviderState) : undefined
  } catch {
    return undefined
  }
}
