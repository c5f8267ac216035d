/**
 * The client-side rate limit with real timers: RateLimiter (the pure state machine) admits requests, WaitQueue
 * keeps the ones it refuses in FIFO order until HTTP_POOL_TIMEOUT, and one timer wakes the queue when the front
 * request could fit or a deadline passes. Everything else (limits, windows, adaptation) lives in the pure parts.
 *
 * With a SharedLimiter (Redis), permits come from it while it is available: one call per try, sleeping until the
 * time it names, and failing at once when that is past HTTP_POOL_TIMEOUT. When it fails the local limiter takes over.
 */
import { RateLimiter, type EffectiveLimits, type Permit } from '../resilience/rate-limiter'
import { WaitQueue } from '../resilience/wait-queue'
import { ProxyError } from '../server/errors'
import type { Metrics } from '../metrics/registry'
import { sleep } from './sleep'

/** CLIENT_RATE_LIMIT_* and HTTP_POOL_TIMEOUT (ms), the metrics to update and the clock. */
export interface LimiterGateOptions {
  rpm: number
  tpm: number
  burst: number
  adaptive: boolean
  poolTimeoutMs: number
  metrics?: Metrics
  now?: () => number
  /** Limits shared with other processes (Redis); the local limiter is the fallback. */
  shared?: SharedLimiter
}

/** A permit from a SharedLimiter. */
export interface SharedPermit { readonly seq: string; readonly tokens: number }

/** A SharedLimiter's answer, as RateLimiter.tryAcquire's. */
export type SharedAcquisition = { ok: true; permit: SharedPermit } | { ok: false; waitMs: number }

/** A rate limiter whose state lives outside this process, one call per permit. */
export interface SharedLimiter {
  /** False while its store is unreachable: the local limiter is used. */
  readonly available: boolean
  /** Admits one request now or says how long to wait; undefined when the store failed. */
  tryAcquire(tokens: number): Promise<SharedAcquisition | undefined>
  /** Replaces a permit's estimated tokens by the reported ones (fire and forget). */
  correct(permit: SharedPermit, actualTokens: number): void
  onUpstream429(): void
  onSuccess(): void
  effectiveLimits(): EffectiveLimits
}

/** An admitted request's permit. */
export interface GatePermit {
  /** Milliseconds the request waited in the queue (0 when admitted at once). */
  readonly waitedMs: number
  /** Replaces the estimated tokens by what the upstream reported (once; later calls do nothing). */
  settle(actualTokens?: number): void
}

/** The 429 a request gets when no permit came within HTTP_POOL_TIMEOUT; carries retry-after. */
export class LimiterTimeout extends ProxyError {
  constructor(message: string, readonly retryAfterMs: number, readonly waitedMs: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
    super('rate_limit_error', message, { status: 429, headers: { 'retry-after': String(seconds), 'retry-after-ms': String(Math.ceil(retryAfterMs)) } })
  }
}

interface Waiter {
  tokens: number
  enqueuedAt: number
  ticket: number
  resolve: (p: GatePermit) => void
  reject: (e: unknown) => void
  cleanup: () => void
}

/** Admission to the upstream under CLIENT_RATE_LIMIT_RPM / TPM / BURST; see the module comment. */
export class LimiterGate {
  readonly #limiter: RateLimiter
  readonly #queue = new WaitQueue<Waiter>()
  readonly #now: () => number
  readonly #poolTimeoutMs: number
  readonly #metrics?: Metrics
  readonly #shared: SharedLimiter | undefined
  readonly #adaptive: boolean
  #timer: ReturnType<typeof setTimeout> | undefined
  /** When the front waiter may fit, from the limiter's last refusal. */
  #frontFitsAt = 0

  constructor(opts: LimiterGateOptions) {
    this.#now = opts.now ?? (() => performance.now())
    this.#poolTimeoutMs = Math.max(0, opts.poolTimeoutMs)
    this.#metrics = opts.metrics
    this.#shared = opts.shared
    this.#adaptive = opts.adaptive
    this.#limiter = new RateLimiter({ rpm: opts.rpm, tpm: opts.tpm, burst: opts.burst, adaptive: opts.adaptive, now: this.#now })
    this.#publish()
  }

  /** The limits in force now (lowered after upstream 429s in adaptive mode). */
  effectiveLimits(): EffectiveLimits {
    return this.#shared?.available ? this.#shared.effectiveLimits() : this.#limiter.effectiveLimits()
  }

  /** Requests waiting for a permit. */
  get queueLength(): number {
    return this.#queue.size
  }

  /**
   * A permit for one request of `tokens` input tokens: at once, or after waiting in line. Rejects with a
   * LimiterTimeout (429) after HTTP_POOL_TIMEOUT, or with the signal's reason when the client leaves first.
   */
  acquire(tokens: number, signal: AbortSignal): Promise<GatePermit> {
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.#shared?.available) return this.#acquireShared(this.#shared, tokens, signal)
    return this.#acquireLocal(tokens, signal)
  }

  #acquireLocal(tokens: number, signal: AbortSignal): Promise<GatePermit> {
    const now = this.#now()
    if (this.#queue.size === 0) {
      const a = this.#limiter.tryAcquire(tokens)
      if (a.ok) {
        this.#publish()
        return Promise.resolve(this.#permit(a.permit, 0))
      }
      if (this.#poolTimeoutMs === 0) return Promise.reject(this.#timeout(a.waitMs, 0))
    }
    return new Promise<GatePermit>((resolve, reject) => {
      const onAbort = () => {
        waiter.cleanup()
        this.#queue.remove(waiter.ticket)
        reject(signal.reason)
        this.#wake()
      }
      const waiter: Waiter = { tokens, enqueuedAt: now, ticket: 0, resolve, reject, cleanup: () => signal.removeEventListener('abort', onAbort) }
      signal.addEventListener('abort', onAbort, { once: true })
      waiter.ticket = this.#queue.enqueue(waiter, now + this.#poolTimeoutMs)
      this.#wake()
    })
  }

  /** The upstream answered 429 (lowers the limits in adaptive mode). */
  onUpstream429(): void {
    this.#limiter.onUpstream429()
    if (this.#adaptive && this.#shared?.available) this.#shared.onUpstream429()
    this.#publish()
  }

  /** The upstream answered successfully (recovers the limits step by step in adaptive mode). */
  onSuccess(): void {
    this.#limiter.onSuccess()
    if (this.#adaptive && this.#shared?.available) this.#shared.onSuccess()
    this.#publish()
    if (this.#queue.size > 0) this.#wake()
  }

  /** Permits from the shared limiter: try, sleep until the time it names, give up when that is past the deadline. */
  async #acquireShared(shared: SharedLimiter, tokens: number, signal: AbortSignal): Promise<GatePermit> {
    const startedAt = this.#now()
    const deadline = startedAt + this.#poolTimeoutMs
    for (;;) {
      const a = await shared.tryAcquire(tokens)
      if (signal.aborted) throw signal.reason
      if (a === undefined) return this.#acquireLocal(tokens, signal)
      const now = this.#now()
      const waited = now - startedAt
      if (a.ok) {
        if (waited >= 1) this.#metrics?.limiterWait(waited)
        this.#publish()
        return this.#sharedPermit(shared, a.permit, waited)
      }
      if (now + a.waitMs > deadline) {
        if (this.#poolTimeoutMs > 0) this.#metrics?.limiterWait(waited)
        this.#publish()
        throw this.#timeout(a.waitMs, waited, this.#poolTimeoutMs > 0)
      }
      await sleep(a.waitMs, signal)
    }
  }

  #sharedPermit(shared: SharedLimiter, permit: SharedPermit, waitedMs: number): GatePermit {
    return settleOnce(waitedMs, (actualTokens) => {
      if (actualTokens !== undefined) shared.correct(permit, actualTokens)
    })
  }

  #permit(permit: Permit, waitedMs: number): GatePermit {
    return settleOnce(waitedMs, (actualTokens) => {
      if (actualTokens !== undefined) this.#limiter.correct(permit, actualTokens)
      if (this.#queue.size > 0) this.#wake()
    })
  }

  #timeout(retryAfterMs: number, waitedMs: number, queued = waitedMs > 0): LimiterTimeout {
    const l = this.effectiveLimits()
    const wait = queued ? `within HTTP_POOL_TIMEOUT (${+(this.#poolTimeoutMs / 1000).toFixed(3)} s)` : 'now'
    return new LimiterTimeout(
      `ccproxy's client-side rate limit (${l.rpm} requests and ${l.tpm} tokens per minute, burst ${l.burst}) had no room ${wait}; retry after ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`,
      retryAfterMs,
      waitedMs,
    )
  }

  /** Admits what fits, rejects what expired, and arms the timer for the next moment something can change. */
  #wake(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const now = this.#now()
    const spacingMs = 60_000 / Math.max(1, this.#limiter.effectiveLimits().rpm)
    this.#queue.expired(now).forEach((w, i) => {
      w.cleanup()
      const retryAfterMs = Math.max(0, this.#frontFitsAt - now) + i * spacingMs
      this.#metrics?.limiterWait(now - w.enqueuedAt)
      w.reject(this.#timeout(Math.max(1000, retryAfterMs), now - w.enqueuedAt))
    })
    const admitted = this.#queue.next(now, (w) => {
      const a = this.#limiter.tryAcquire(w.tokens)
      if (!a.ok) this.#frontFitsAt = now + a.waitMs
      return a
    })
    for (const { item, permit } of admitted) {
      item.cleanup()
      const waited = now - item.enqueuedAt
      this.#metrics?.limiterWait(waited)
      item.resolve(this.#permit(permit, waited))
    }
    this.#publish()
    const at = this.#queue.nextWakeMs()
    if (at !== null) {
      this.#timer = setTimeout(() => this.#wake(), Math.max(0, Math.ceil(at - this.#now())))
    }
  }

  #publish(): void {
    if (!this.#metrics) return
    const l = this.effectiveLimits()
    this.#metrics.setLimiter({ rpm: l.rpm, tpm: l.tpm, queueLength: this.#queue.size })
  }
}

/** A permit whose settle() runs `onSettle` once; later calls do nothing. */
function settleOnce(waitedMs: number, onSettle: (actualTokens?: number) => void): GatePermit {
  let settled = false
  return {
    waitedMs,
    settle: (actualTokens) => {
      if (settled) return
      settled = true
      onSettle(actualTokens)
    },
  }
}
