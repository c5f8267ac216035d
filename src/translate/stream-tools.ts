import type { OpenAIToolCallDelta } from './types'

/** One upstream tool call as the stream translator tracks it. */
export interface ToolCallState {
  /** The id sent to the client: the upstream id, or a synthetic `toolu_…` one. */
  id: string
  /** The upstream id, when the upstream sent one. */
  upstreamId: string | undefined
  name: string
  /** Every argument fragment so far, concatenated. */
  args: string
  /** Fragments held back while the call waits for its turn to be emitted. */
  held: string[]
  /** Anthropic block index once started; -1 while held. */
  block: number
  /** Gemini `extra_content.google.thought_signature`. */
  signature: string | undefined
  signatureSent: boolean
}

/** The arguments fragment of a tool-call delta: strings as sent, objects (Ollama, old servers) stringified, else ''. */
export function argumentsFragment(tc: OpenAIToolCallDelta): string {
  const args = tc.function?.arguments
  if (typeof args === 'string') return args
  return args !== null && typeof args === 'object' ? JSON.stringify(args) : ''
}

/** A non-empty string, or undefined (continuation fragments carry `id:""` and `name:""`). */
export function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Gemini's thought signature on a tool-call delta, when present. */
export function thoughtSignature(tc: OpenAIToolCallDelta): string | undefined {
  const extra = tc.extra_content
  return extra ? nonEmpty(extra.google?.thought_signature) : undefined
}

/** True when `text` is already one complete JSON value, so no further fragment can belong to it. */
export function isCompleteJson(text: string): boolean {
  if (text === '') return false
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * A deterministic, random-looking tool id (`toolu_` + 24 base-36 chars) for calls that arrive without one,
 * derived from the message id and the call's ordinal, so the pure translator needs no randomness.
 */
export function syntheticToolId(seed: string, n: number): string {
  const s = seed + '#' + n
  let a = 0x811c9dc5
  let b = 0x9747b28c ^ n
  let c = 0x5bd1e995
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    a = Math.imul(a ^ ch, 16777619)
    b = Math.imul(b ^ ch, 2246822507)
    c = Math.imul(c ^ ch, 3266489909)
  }
  const part = (h: number) => (h >>> 0).toString(36).padStart(8, '0').slice(-8)
  return 'toolu_' + part(a) + part(b ^ (a >>> 13)) + part(c ^ (b >>> 7))
}
