/**
 * POOL_MAX_CONNECTIONS: a FIFO semaphore on upstream requests in flight. Bun's fetch speaks HTTP/1.1 to the
 * upstream and never pipelines, so one request in flight is one connection in use; holding a slot from the
 * attempt until its body is read or aborted bounds the open connections. Waiters give up after HTTP_POOL_TIMEOUT.
 */

/** Thrown when no slot freed up within the wait. */
export class PoolTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super('no upstream connection slot freed up in time')
  }
}

interface Waiter {
  grant: (release: () => void) => void
  timer: ReturnType<typeof setTimeout> | undefined
  done: boolean
}

/** Connection slots: at most `max` held at once; the rest wait in order. */
export class ConnectionSlots {
  #held = 0
  readonly #waiters: Waiter[] = []

  constructor(readonly max: number) {}

  /** Slots held now. */
  get inFlight(): number {
    return this.#held
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length
  }

  /**
   * Takes a slot, waiting up to `timeoutMs` (FIFO). Resolves with its release function (safe to call twice);
   * rejects with PoolTimeout, or with the signal's reason when it aborts first.
   */
  acquire(timeoutMs: number, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.#held < this.max && this.#waiters.length === 0) {
      this.#held++
      return Promise.resolve(this.#releaser())
    }
    if (timeoutMs <= 0) return Promise.reject(new PoolTimeout(0))
    const started = performance.now()
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: resolve, timer: undefined, done: false }
      const settle = (err: unknown) => {
        if (waiter.done) return
        waiter.done = true
        clearTimeout(waiter.timer)
        signal.removeEventListener('abort', onAbort)
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(err)
      }
      const onAbort = () => settle(signal.reason)
      waiter.grant = (release) => {
        waiter.done = true
        clearTimeout(waiter.timer)
        signal.removeEventListener('abort', onAbort)
        resolve(release)
      }
      waiter.timer = setTimeout(() => settle(new PoolTimeout(performance.now() - started)), timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiters.shift()
      if (next) next.grant(this.#releaser())
      else this.#held--
    }
  }
}

/**
 * Connections known to be open and idle in an endpoint's keep-alive pool, by when each went idle. Bun does not say
 * which connection a request gets, so this is what ccproxy can know: an answer that ended normally (read to its
 * end, not aborted, no `Connection: close`) leaves its connection in the pool for the next request. A request that
 * takes one of these skips the connect phase, so it can send its body as a plain string (no round trip through the
 * JavaScript thread to mark the phases) and be timed from the start by the first-byte timeout alone. A connection
 * idle longer than `windowMs` may have been closed by the server (5 s is a common keep-alive timeout), so it is
 * not counted on; nor are more than `max` (POOL_MAX_KEEPALIVE_CONNECTIONS).
 */
export class WarmConnections {
  readonly #idleSince: number[] = []

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Idle connections counted on now. */
  get count(): number {
    this.#expire()
    return this.#idleSince.length
  }

  /** Takes one idle connection (the most recently used) if one can be counted on. */
  take(): boolean {
    this.#expire()
    return this.#idleSince.pop() !== undefined
  }

  /** A connection went back to the pool. */
  put(): void {
    if (this.max <= 0 || this.windowMs <= 0) return
    this.#idleSince.push(this.now())
    if (this.#idleSince.length > this.max) this.#idleSince.shift()
  }

  #expire(): void {
    const oldest = this.now() - this.windowMs
    let stale = 0
    while (stale < this.#idleSince.length && this.#idleSince[stale] < oldest) stale++
    if (stale > 0) this.#idleSince.splice(0, stale)
  }
}
