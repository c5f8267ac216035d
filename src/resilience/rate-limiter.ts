/**
 * Client-side limiter for requests and tokens sent upstream: a pure state machine on an injected clock.
 *
 * Two gates must both admit a request:
 * - token buckets. Requests: capacity BURST, refilled at RPM/60 per second. Tokens: capacity TPM × BURST / RPM
 *   (BURST requests of the average size the limits allow, never more than TPM), refilled at TPM/60 per second.
 * - a sliding 60 s window that never holds more than RPM requests or TPM tokens.
 *
 * A request larger than the token bucket (or than TPM) would never fit, so it is admitted once the bucket is
 * full and the window holds no tokens; it then leaves the bucket in debt, which later requests wait out, so the
 * long-run rate stays at TPM. Only such a request can make one 60 s span exceed TPM.
 *
 * Adaptive mode: an upstream 429 lowers the effective RPM, TPM and BURST to 80% of their current values; every
 * 10 consecutive successes raise them by 10% of the configured values, never above them.
 */

/** CLIENT_RATE_LIMIT_* settings and the clock. */
export interface RateLimiterOptions {
  rpm: number
  tpm: number
  burst: number
  /** Adapt to upstream 429s (CLIENT_RATE_LIMIT_ADAPTIVE); default true. */
  adaptive?: boolean
  now: () => number
}

/** Proof of admission: which window entry it is, when and for how many tokens (updated by correct()). */
export interface Permit { readonly seq: number; readonly at: number; readonly tokens: number }

/** tryAcquire's answer: admitted, or the earliest time from now at which both gates would admit it. */
export type Acquisition = { ok: true; permit: Permit } | { ok: false; waitMs: number }

/** Limits in force after adaptation. */
export interface EffectiveLimits { rpm: number; tpm: number; burst: number }

/** Span of the sliding window. */
export const WINDOW_MS = 60_000
/** On an upstream 429, limits become this fraction of their current values. */
export const ADAPTIVE_DECREASE = 0.8
/** Fraction of the configured limits regained per ADAPTIVE_SUCCESSES successes in a row. */
export const ADAPTIVE_STEP = 0.1
export const ADAPTIVE_SUCCESSES = 10

const EPS = 1e-6

function whole(x: number): number {
  return Math.max(1, Math.floor(x + EPS))
}

/** Request and token limiter; see the module comment for the rules. */
export class RateLimiter {
  readonly #rpm: number
  readonly #tpm: number
  readonly #burst: number
  readonly #adaptive: boolean
  readonly #now: () => number
  #factor = 1
  #successes = 0
  #requestLevel: number
  #tokenLevel: number
  #refilledAt: number
  #times: Float64Array
  #tokens: Float64Array
  #head = 0
  #count = 0
  #nextSeq = 0
  #windowTokens = 0

  constructor(options: RateLimiterOptions) {
    this.#rpm = Math.max(1, options.rpm)
    this.#tpm = Math.max(1, options.tpm)
    this.#burst = Math.max(1, options.burst)
    this.#adaptive = options.adaptive ?? true
    this.#now = options.now
    this.#requestLevel = this.#requestCapacity()
    this.#tokenLevel = this.#tokenCapacity()
    this.#refilledAt = this.#now()
    const initial = Math.min(256, whole(this.#rpm))
    this.#times = new Float64Array(initial)
    this.#tokens = new Float64Array(initial)
  }

  /** The limits in force now (lower than configured after upstream 429s). */
  effectiveLimits(): EffectiveLimits {
    return { rpm: whole(this.#rpm * this.#factor), tpm: whole(this.#tpm * this.#factor), burst: this.#requestCapacity() }
  }

  /** Requests and tokens admitted in the last 60 s. */
  windowUsage(): { requests: number; tokens: number } {
    this.#prune(this.#now())
    return { requests: this.#count, tokens: Math.max(0, this.#windowTokens) }
  }

  /** Admits one request of `tokens` input tokens now, or says how long until it would be admitted. */
  tryAcquire(tokens: number): Acquisition {
    const n = Number.isFinite(tokens) ? Math.max(0, tokens) : 0
    const now = this.#now()
    this.#refill(now)
    this.#prune(now)
    const waitMs = this.#waitFor(n, now)
    if (waitMs > 0) return { ok: false, waitMs: Math.max(1, Math.ceil(waitMs)) }
    this.#requestLevel -= 1
    this.#tokenLevel -= n
    const seq = this.#push(now, n)
    return { ok: true, permit: { seq, at: now, tokens: n } }
  }

  /** Replaces a permit's estimated tokens by the upstream's reported usage, in the bucket and the window. */
  correct(permit: Permit, actualTokens: number): void {
    const actual = Number.isFinite(actualTokens) ? Math.max(0, actualTokens) : permit.tokens
    const diff = actual - permit.tokens
    if (diff === 0) return
    const now = this.#now()
    this.#refill(now)
    this.#prune(now)
    this.#tokenLevel = Math.min(this.#tokenCapacity(), this.#tokenLevel - diff)
    const age = permit.seq - (this.#nextSeq - this.#count)
    if (age >= 0 && age < this.#count) {
      this.#tokens[this.#slot(age)] += diff
      this.#windowTokens += diff
    }
    ;(permit as { tokens: number }).tokens = actual
  }

  /** The upstream answered 429: lower the effective limits to 80% (adaptive mode only). */
  onUpstream429(): void {
    if (!this.#adaptive) return
    this.#successes = 0
    this.#rescale(this.#factor * ADAPTIVE_DECREASE)
  }

  /** The upstream answered successfully: every 10th success in a row recovers 10% of the configured limits. */
  onSuccess(): void {
    if (!this.#adaptive || this.#factor >= 1) return
    if (++this.#successes < ADAPTIVE_SUCCESSES) return
    this.#successes = 0
    this.#rescale(Math.min(1, this.#factor + ADAPTIVE_STEP))
  }

  #rescale(factor: number): void {
    this.#refill(this.#now())
    this.#factor = Math.round(factor * 1e9) / 1e9
    this.#requestLevel = Math.min(this.#requestLevel, this.#requestCapacity())
    this.#tokenLevel = Math.min(this.#tokenLevel, this.#tokenCapacity())
  }

  #requestCapacity(): number {
    return whole(this.#burst * this.#factor)
  }

  #tokenCapacity(): number {
    const tpm = this.#tpm * this.#factor
    return Math.max(1, Math.min(tpm, (tpm * this.#burst) / this.#rpm))
  }

  #refill(now: number): void {
    const elapsed = now - this.#refilledAt
    if (elapsed <= 0) return
    this.#refilledAt = now
    const perMs = this.#factor / WINDOW_MS
    this.#requestLevel = Math.min(this.#requestCapacity(), this.#requestLevel + elapsed * this.#rpm * perMs)
    this.#tokenLevel = Math.min(this.#tokenCapacity(), this.#tokenLevel + elapsed * this.#tpm * perMs)
  }

  /** Milliseconds until both gates admit `n` tokens (0 = now), assuming nothing else is admitted meanwhile. */
  #waitFor(n: number, now: number): number {
    const perMs = this.#factor / WINDOW_MS
    const tokenNeed = Math.min(n, this.#tokenCapacity())
    let wait = 0
    if (this.#requestLevel < 1 - EPS) wait = (1 - this.#requestLevel) / (this.#rpm * perMs)
    if (this.#tokenLevel < tokenNeed - EPS) wait = Math.max(wait, (tokenNeed - this.#tokenLevel) / (this.#tpm * perMs))
    const rpmCap = whole(this.#rpm * this.#factor)
    if (this.#count >= rpmCap) wait = Math.max(wait, this.#expiry(this.#count - rpmCap) - now)
    const tpmCap = whole(this.#tpm * this.#factor)
    const windowNeed = Math.min(n, tpmCap)
    if (this.#windowTokens + windowNeed > tpmCap + EPS) {
      let remaining = this.#windowTokens
      let i = 0
      while (i < this.#count && remaining + windowNeed > tpmCap + EPS) remaining -= this.#tokens[this.#slot(i++)]
      wait = Math.max(wait, this.#expiry(i - 1) - now)
    }
    return wait
  }

  /** When the window entry `age` places after the oldest leaves the window. */
  #expiry(age: number): number {
    return this.#times[this.#slot(age)] + WINDOW_MS
  }

  #slot(age: number): number {
    return (this.#head + age) % this.#times.length
  }

  #prune(now: number): void {
    while (this.#count > 0 && this.#times[this.#head] + WINDOW_MS <= now) {
      this.#windowTokens -= this.#tokens[this.#head]
      this.#head = (this.#head + 1) % this.#times.length
      this.#count--
    }
    if (this.#count === 0) this.#windowTokens = 0
  }

  #push(now: number, tokens: number): number {
    if (this.#count === this.#times.length) this.#grow()
    const slot = this.#slot(this.#count)
    this.#times[slot] = now
    this.#tokens[slot] = tokens
    this.#count++
    this.#windowTokens += tokens
    return this.#nextSeq++
  }

  /** Doubles the ring (it never needs more than the configured RPM entries: admission stops there). */
  #grow(): void {
    const size = Math.max(this.#times.length * 2, 1)
    const times = new Float64Array(size)
    const tokens = new Float64Array(size)
    for (let i = 0; i < this.#count; i++) {
      times[i] = this.#times[this.#slot(i)]
      tokens[i] = this.#tokens[this.#slot(i)]
    }
    this.#times = times
    this.#tokens = tokens
    this.#head = 0
  }
}
