/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), pure: parse and validate `traceparent`, make ids and
 * child contexts, pass `tracestate` through. Randomness is passed in.
 */

/** Returns `n` random bytes. */
export type RandomBytes = (n: number) => Uint8Array

/** A parsed `traceparent`: lowercase hex ids and the trace flags byte. */
export interface TraceParent {
  readonly version: string
  readonly traceId: string
  readonly parentId: string
  readonly flags: number
}

/** The context of a span this process creates: its ids, its parent's span id (when there is one) and the flags. */
export interface SpanContext {
  readonly traceId: string
  readonly spanId: string
  /** The caller's span id from an incoming `traceparent`; undefined for a root span. */
  readonly parentSpanId?: string
  readonly flags: number
  /** The incoming `tracestate`, passed on unchanged (undefined when absent or unusable). */
  readonly tracestate?: string
}

/** The `sampled` trace flag. */
export const FLAG_SAMPLED = 0x01

const HEX = '0123456789abcdef'
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
const LOWER_HEX = /^[0-9a-f]+$/
/** Longest `tracestate` passed on: 32 list members of at most 256 characters plus separators. */
const MAX_TRACESTATE = 8192

const isHex = (s: string, length: number) => s.length === length && LOWER_HEX.test(s)

/**
 * Parses a `traceparent` header; null when it is absent or invalid. Version 00 must be exactly 55 characters.
 * A higher version (not ff) is read by its first four fields, as the spec asks, when what follows starts with `-`.
 */
export function parseTraceparent(header: string | null | undefined): TraceParent | null {
  if (!header) return null
  const value = header.trim()
  if (value.length < 55) return null
  const version = value.slice(0, 2)
  if (!isHex(version, 2) || version === 'ff') return null
  if (version === '00' ? value.length !== 55 : value.length > 55 && value[55] !== '-') return null
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return null
  const traceId = value.slice(3, 35)
  const parentId = value.slice(36, 52)
  const flags = value.slice(53, 55)
  if (!isHex(traceId, 32) || traceId === ZERO_TRACE) return null
  if (!isHex(parentId, 16) || parentId === ZERO_SPAN) return null
  if (!isHex(flags, 2)) return null
  return { version, traceId, parentId, flags: Number.parseInt(flags, 16) }
}

/** Formats a version-00 `traceparent`. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${HEX[(flags >> 4) & 15]}${HEX[flags & 15]}`
}

/** Lowercase hex of `n` random bytes, never all zero (an all-zero id is invalid). */
export function randomHexId(random: RandomBytes, n: number): string {
  for (;;) {
    const bytes = random(n)
    if (bytes.length !== n) throw new RangeError(`random(${n}) gave ${bytes.length} bytes`)
    if (bytes.some((b) => b !== 0)) return bytes.toHex()
  }
}

/** A new 16-byte trace id. */
export const newTraceId = (random: RandomBytes) => randomHexId(random, 16)

/** A new 8-byte span id. */
export const newSpanId = (random: RandomBytes) => randomHexId(random, 8)

/**
 * The `tracestate` to pass on: the trimmed header, or undefined when it is empty, too long, or comes without a
 * valid `traceparent` (the spec says to ignore it then).
 */
export function passTracestate(tracestate: string | null | undefined, parent: TraceParent | null): string | undefined {
  if (!parent || !tracestate) return undefined
  const value = tracestate.trim()
  return value && value.length <= MAX_TRACESTATE ? value : undefined
}

/**
 * The context of a new span: a child of the incoming `traceparent` when it is valid (same trace id and flags,
 * its span id as parent), else the root of a new sampled trace.
 */
export function startSpanContext(traceparent: string | null | undefined, tracestate: string | null | undefined, random: RandomBytes): SpanContext {
  const parent = parseTraceparent(traceparent)
  const spanId = newSpanId(random)
  if (!parent) return { traceId: newTraceId(random), spanId, flags: FLAG_SAMPLED }
  return { traceId: parent.traceId, spanId, parentSpanId: parent.parentId, flags: parent.flags, tracestate: passTracestate(tracestate, parent) }
}

/** A child of `ctx` (same trace, flags and tracestate; `ctx.spanId` as parent). */
export function childSpanContext(ctx: SpanContext, random: RandomBytes): SpanContext {
  return { traceId: ctx.traceId, spanId: newSpanId(random), parentSpanId: ctx.spanId, flags: ctx.flags, tracestate: ctx.tracestate }
}

/** The headers that carry `ctx` to the next hop: `traceparent` naming `spanId` as parent, and `tracestate`. */
export function traceHeaders(ctx: Pick<SpanContext, 'traceId' | 'flags' | 'tracestate'>, spanId: string): Record<string, string> {
  const headers: Record<string, string> = { traceparent: formatTraceparent(ctx.traceId, spanId, ctx.flags) }
  if (ctx.tracestate) headers.tracestate = ctx.tracestate
  return headers
}
