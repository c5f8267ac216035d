/**
 * The pure decision half of upstream retries: which statuses are worth retrying and how long to wait.
 */

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504, 529])

/** Longest wait, whether the upstream asked for it or the exponential backoff grew to it. */
export const MAX_RETRY_DELAY_MS = 60_000

/** Whether an upstream HTTP status is worth another attempt: 408, 409, 429, 500, 502, 503, 504, 529. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status)
}

/** PROVIDER_RETRY_BASE_DELAY and PROVIDER_RETRY_JITTER, with randomness and time passed in. */
export interface RetryDelayOptions {
  /** PROVIDER_RETRY_BASE_DELAY, seconds. */
  baseDelayS: number
  /** PROVIDER_RETRY_JITTER, seconds. */
  jitterS: number
  /** Uniform in [0, 1). */
  random: () => number
  /** Current time in ms since the epoch; needed only to honour `retry-after` given as an HTTP date. */
  now?: number
}

/** Anything with a Fetch-style `get` (Headers does). */
export interface HeaderSource { get(name: string): string | null }

/**
 * The upstream's requested delay in ms from `retry-after-ms`, else `retry-after` (seconds or an HTTP date);
 * undefined when absent, unparseable, not positive, or a date with no `now` to compare with.
 */
export function retryAfterMs(headers: HeaderSource, now?: number): number | undefined {
  const ms = headers.get('retry-after-ms')
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms.trim())
    if (Number.isFinite(value) && value > 0) return value
  }
  const after = headers.get('retry-after')?.trim()
  if (after === undefined || after === '') return undefined
  if (/^\d+(\.\d+)?$/.test(after)) {
    const seconds = Number(after)
    return seconds > 0 ? seconds * 1000 : undefined
  }
  if (now === undefined) return undefined
  const at = Date.parse(after)
  if (!Number.isFinite(at) || at - now <= 0) return undefined
  return at - now
}

/**
 * Delay before retry number `attempt` (0-based) in ms: what the upstream asked for via `retry-after-ms` or
 * `retry-after`, else baseDelayS × 2^attempt plus uniform jitter in [0, jitterS) seconds; at most 60 s either
 * way. A zero, negative, past or unparseable retry-after falls back to the backoff, as the Anthropic SDK does.
 */
export function retryDelayMs(attempt: number, opts: RetryDelayOptions, headers?: HeaderSource): number {
  const asked = headers === undefined ? undefined : retryAfterMs(headers, opts.now)
  if (asked !== undefined) return Math.min(MAX_RETRY_DELAY_MS, asked)
  const backoff = opts.baseDelayS * 2 ** Math.max(0, attempt) + opts.random() * opts.jitterS
  return Math.min(MAX_RETRY_DELAY_MS, backoff * 1000)
}
