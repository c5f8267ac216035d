/**
 * Circuit breaker for one upstream: a pure state machine on an injected clock.
 *
 * CLOSED ── failureThreshold consecutive failures ──▶ OPEN ── recoveryTimeoutMs ──▶ HALF_OPEN
 * HALF_OPEN lets halfOpenRequests trials through; all succeed ▶ CLOSED, any fails ▶ OPEN (timer restarts).
 * The OPEN → HALF_OPEN move happens when the breaker is next looked at (allow, state, snapshot).
 */

/** The breaker's three states. */
export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN'

/** CIRCUIT_BREAKER_* settings (recovery in ms) and the clock. */
export interface CircuitBreakerOptions {
  failureThreshold: number
  recoveryTimeoutMs: number
  halfOpenRequests: number
  now: () => number
}

/** allow()'s answer: go (as a half-open trial or not), or fail fast and retry after the given time. */
export type BreakerDecision = { ok: true; trial: boolean } | { ok: false; retryAfterMs: number }

/** One state change, as listeners receive it. */
export interface BreakerTransition { from: BreakerState; to: BreakerState; at: number; consecutiveFailures: number }

/** The breaker as health reports show it. */
export interface BreakerSnapshot {
  state: BreakerState
  consecutiveFailures: number
  openedAt: number | null
  retryAfterMs: number
  transitions: number
}

/** How long a request refused while half-open trials are outstanding is told to wait. */
export const HALF_OPEN_BUSY_RETRY_MS = 1_000

/** What happened to one upstream attempt, as far as the breaker cares. */
export interface AttemptOutcome { status?: number; kind?: 'timeout' | 'connection' | 'aborted' }

/**
 * Whether an attempt's outcome counts against the upstream's health: 5xx (including 529), timeouts and
 * connection errors do. Client aborts never do, nor any 4xx: those are caused by the request, and 429 is the
 * upstream's rate limit working as intended (the rate limiter adapts to it), not a sign the upstream is down.
 */
export function isBreakerFailure(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'aborted') return false
  if (outcome.kind === 'timeout' || outcome.kind === 'connection') return true
  return outcome.status !== undefined && outcome.status >= 500
}

/**
 * Verdicts arriving while OPEN are ignored (they belong to requests let through earlier). While HALF_OPEN,
 * verdicts count against trials only while trials are outstanding.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions
  readonly #listeners = new Set<(t: BreakerTransition) => void>()
  #state: BreakerState = 'CLOSED'
  #consecutiveFailures = 0
  #openedAt: number | null = null
  #transitions = 0
  #trialsIssued = 0
  #trialsInFlight = 0
  #trialsSucceeded = 0

  constructor(options: CircuitBreakerOptions) {
    this.#options = {
      ...options,
      failureThreshold: Math.max(1, Math.floor(options.failureThreshold)),
      halfOpenRequests: Math.max(1, Math.floor(options.halfOpenRequests)),
      recoveryTimeoutMs: Math.max(0, options.recoveryTimeoutMs),
    }
  }

  /** The current state (moving OPEN to HALF_OPEN if the recovery time has passed). */
  get state(): BreakerState {
    this.#tick()
    return this.#state
  }

  /** Asks to send one request upstream. Every ok answer must be followed by onSuccess, onFailure or release. */
  allow(): BreakerDecision {
    this.#tick()
    if (this.#state === 'CLOSED') return { ok: true, trial: false }
    if (this.#state === 'OPEN') return { ok: false, retryAfterMs: this.#retryAfterMs() }
    if (this.#trialsIssued < this.#options.halfOpenRequests) {
      this.#trialsIssued++
      this.#trialsInFlight++
      return { ok: true, trial: true }
    }
    return { ok: false, retryAfterMs: Math.min(HALF_OPEN_BUSY_RETRY_MS, this.#options.recoveryTimeoutMs) }
  }

  /** The permitted request succeeded (or failed in a way isBreakerFailure does not count). */
  onSuccess(): void {
    this.#tick()
    if (this.#state === 'CLOSED') {
      this.#consecutiveFailures = 0
    } else if (this.#state === 'HALF_OPEN' && this.#trialsInFlight > 0) {
      this.#trialsInFlight--
      this.#trialsSucceeded++
      if (this.#trialsSucceeded >= this.#options.halfOpenRequests) this.#moveTo('CLOSED')
    }
  }

  /** The permitted request failed in a way isBreakerFailure counts. */
  onFailure(): void {
    this.#tick()
    if (this.#state === 'CLOSED') {
      this.#consecutiveFailures++
      if (this.#consecutiveFailures >= this.#options.failureThreshold) this.#moveTo('OPEN')
    } else if (this.#state === 'HALF_OPEN' && this.#trialsInFlight > 0) {
      this.#consecutiveFailures++
      this.#moveTo('OPEN')
    }
  }

  /** The permitted request ended with no verdict (e.g. the client left): frees its trial slot, counts nothing. */
  release(): void {
    this.#tick()
    if (this.#state === 'HALF_OPEN' && this.#trialsInFlight > 0) {
      this.#trialsInFlight--
      this.#trialsIssued--
    }
  }

  /** Calls `listener` on every state change; returns a function that unsubscribes it. */
  onTransition(listener: (t: BreakerTransition) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Health view: state, failures in a row, when it last opened, time left until half-open, transitions so far. */
  snapshot(): BreakerSnapshot {
    this.#tick()
    return {
      state: this.#state,
      consecutiveFailures: this.#consecutiveFailures,
      openedAt: this.#openedAt,
      retryAfterMs: this.#state === 'OPEN' ? this.#retryAfterMs() : 0,
      transitions: this.#transitions,
    }
  }

  #retryAfterMs(): number {
    return Math.max(0, (this.#openedAt ?? 0) + this.#options.recoveryTimeoutMs - this.#options.now())
  }

  #tick(): void {
    if (this.#state === 'OPEN' && this.#retryAfterMs() <= 0) this.#moveTo('HALF_OPEN')
  }

  #moveTo(to: BreakerState): void {
    const from = this.#state
    const at = this.#options.now()
    this.#state = to
    this.#transitions++
    this.#trialsIssued = 0
    this.#trialsInFlight = 0
    this.#trialsSucceeded = 0
    if (to === 'OPEN') this.#openedAt = at
    if (to === 'CLOSED') this.#consecutiveFailures = 0
    const transition = { from, to, at, consecutiveFailures: this.#consecutiveFailures }
    for (const listener of this.#listeners) listener(transition)
  }
}
