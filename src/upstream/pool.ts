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
