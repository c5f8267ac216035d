/**
 * First-byte timeout learned from recent latency. Time to first byte grows with the prompt (prefill), so
 * samples are kept per size class of input tokens: under 4k, under 32k, under 128k, and 128k and up.
 * Once a class holds minSamples samples its timeout is 2 × p95 of its recent first-byte times, clamped to
 * [10 s, 600 s]; before that (or when disabled) it is the configured base (HTTP_READ_TIMEOUT).
 */

/** HTTP_ADAPTIVE_TIMEOUT, HTTP_READ_TIMEOUT (ms) and the sampling bounds. */
export interface AdaptiveTimeoutOptions {
  enabled: boolean
  baseTimeoutMs: number
  /** Samples a class needs before its own timeout is used; default 20. */
  minSamples?: number
  /** Most recent samples kept per class; default 200. */
  windowSize?: number
}

/** Upper bounds (exclusive) of the input-token size classes; the last class is unbounded. */
export const SIZE_CLASS_LIMITS = [4_000, 32_000, 128_000] as const
/** Floor and ceiling of a learned timeout. */
export const MIN_ADAPTIVE_TIMEOUT_MS = 10_000
export const MAX_ADAPTIVE_TIMEOUT_MS = 600_000

/** One size class as health reports show it. */
export interface TimeoutClassSnapshot { belowTokens: number | null; samples: number; p95Ms: number | null; timeoutMs: number }

class Ring {
  readonly values: Float64Array
  count = 0
  #next = 0
  #timeoutMs: number | null = null
  #p95: number | null = null

  constructor(size: number) {
    this.values = new Float64Array(size)
  }

  push(value: number): void {
    this.values[this.#next] = value
    this.#next = (this.#next + 1) % this.values.length
    if (this.count < this.values.length) this.count++
    this.#p95 = null
    this.#timeoutMs = null
  }

  /** Nearest-rank 95th percentile of the samples held; cached until the next push. */
  p95(): number | null {
    if (this.count === 0) return null
    if (this.#p95 === null) {
      const sorted = this.values.slice(0, this.count).sort()
      this.#p95 = sorted[Math.ceil(0.95 * this.count) - 1]
    }
    return this.#p95
  }

  timeoutMs(): number {
    if (this.#timeoutMs === null) {
      this.#timeoutMs = Math.min(MAX_ADAPTIVE_TIMEOUT_MS, Math.max(MIN_ADAPTIVE_TIMEOUT_MS, 2 * (this.p95() ?? 0)))
    }
    return this.#timeoutMs
  }
}

function sizeClass(inputTokens: number): number {
  let i = 0
  while (i < SIZE_CLASS_LIMITS.length && inputTokens >= SIZE_CLASS_LIMITS[i]) i++
  return i
}

/** Per-size-class first-byte timeout; see the module comment. */
export class AdaptiveTimeout {
  readonly #enabled: boolean
  readonly #baseTimeoutMs: number
  readonly #minSamples: number
  readonly #rings: Ring[]

  constructor(options: AdaptiveTimeoutOptions) {
    this.#enabled = options.enabled
    this.#baseTimeoutMs = options.baseTimeoutMs
    const windowSize = Math.max(1, Math.floor(options.windowSize ?? 200))
    this.#minSamples = Math.min(windowSize, Math.max(1, Math.floor(options.minSamples ?? 20)))
    this.#rings = Array.from({ length: SIZE_CLASS_LIMITS.length + 1 }, () => new Ring(windowSize))
  }

  /** Records how long an answer to a prompt of `inputTokens` took to its first byte. */
  record(inputTokens: number, firstByteMs: number): void {
    if (!Number.isFinite(firstByteMs) || firstByteMs < 0) return
    this.#rings[sizeClass(inputTokens)].push(firstByteMs)
  }

  /** The first-byte timeout for a prompt of `inputTokens`. */
  timeoutFor(inputTokens: number): number {
    if (!this.#enabled) return this.#baseTimeoutMs
    const ring = this.#rings[sizeClass(inputTokens)]
    return ring.count >= this.#minSamples ? ring.timeoutMs() : this.#baseTimeoutMs
  }

  /** Every size class: its upper bound, samples held, p95 and the timeout it gets now. */
  snapshot(): TimeoutClassSnapshot[] {
    return this.#rings.map((ring, i) => ({
      belowTokens: SIZE_CLASS_LIMITS[i] ?? null,
      samples: ring.count,
      p95Ms: ring.p95(),
      timeoutMs: this.timeoutFor(i === 0 ? 0 : SIZE_CLASS_LIMITS[i - 1]),
    }))
  }
}
