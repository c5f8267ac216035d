import type { OpenAIReasoningDetail } from './types'
import { pathTooDeep } from './validate'

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

/** How deep decoded state may nest: it goes upstream inside the request body. */
const MAX_STATE_DEPTH = 32

type Obj = Record<string, unknown>
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Decodes a string made by encodeProviderState; anything else (a real Anthropic signature, garbage) gives undefined.
 * The client sends these strings back, so only the expected shapes survive: reasoning_details items that are
 * objects, thought signatures that are strings, nothing nested deeper than MAX_STATE_DEPTH.
 */
export function decodeProviderState(value: unknown): ProviderState | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (!isObject(parsed) || pathTooDeep(parsed, MAX_STATE_DEPTH) !== undefined) return undefined
  const state: ProviderState = {}
  const details = parsed.reasoning_details
  if (Array.isArray(details)) state.reasoning_details = details.filter(isObject) as OpenAIReasoningDetail[]
  const signatures = parsed.thought_signatures
  if (isObject(signatures)) {
    const kept: Record<string, string> = {}
    for (const id of Object.keys(signatures)) if (typeof signatures[id] === 'string') kept[id] = signatures[id] as string
    state.thought_signatures = kept
  }
  return state
}
