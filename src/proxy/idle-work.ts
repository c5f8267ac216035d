/**
 * Work done while no request is in flight, so requests never wait for it:
 * - the tokenizer is loaded shortly after start-up (about 0.2 s of CPU, which holds up the event loop), at the
 *   first moment nothing is in flight, instead of by the first request that needs a count;
 * - once a burst of requests is over (nothing in flight for `idleMs`), a full garbage collection runs, so the
 *   memory the burst used goes back to the system while the proxy is idle rather than whenever the collector
 *   next decides to run. Collections are at least `minGapMs` apart.
 */
export interface IdleWorkOptions {
  /** Requests in flight now. */
  inFlight(): number
  /** Loads what the first request would otherwise load (the tokenizer). */
  warm(): void
  /** A full, synchronous collection (Bun.gc(true)). */
  collect(): void
  /** Milliseconds after start-up before `warm` runs (later while requests are in flight: it is retried as often). */
  warmAfterMs: number
  /** Milliseconds with nothing in flight after which a burst counts as over. */
  idleMs: number
  /** Least milliseconds between two collections. */
  minGapMs: number
}

export class IdleWork {
  readonly #o: IdleWorkOptions
  #timer: ReturnType<typeof setTimeout> | undefined
  #warmTimer: ReturnType<typeof setTimeout> | undefined
  #lastDone = 0
  #lastCollect = -Infinity
  #closed = false

  constructor(options: IdleWorkOptions) {
    this.#o = options
    const warmWhenIdle = () => {
      this.#warmTimer = undefined
      if (this.#closed) return
      if (options.inFlight() === 0) return options.warm()
      this.#warmTimer = setTimeout(warmWhenIdle, options.warmAfterMs)
      this.#warmTimer.unref?.()
    }
    this.#warmTimer = setTimeout(warmWhenIdle, options.warmAfterMs)
    this.#warmTimer.unref?.()
  }

  /** Called when a request has finished (streams: when the stream ended). */
  requestDone(): void {
    this.#lastDone = performance.now()
    if (this.#timer === undefined && !this.#closed) this.#arm(this.#o.idleMs)
  }

  /** Stops every timer. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#warmTimer)
    this.#timer = this.#warmTimer = undefined
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms))
    this.#timer.unref?.()
  }

  #check(): void {
    this.#timer = undefined
    // A request in flight will call requestDone when it ends, which arms the timer again.
    if (this.#o.inFlight() > 0) return
    const now = performance.now()
    const quietFor = now - this.#lastDone
    if (quietFor < this.#o.idleMs) return this.#arm(this.#o.idleMs - quietFor)
    const sinceCollect = now - this.#lastCollect
    if (sinceCollect < this.#o.minGapMs) return this.#arm(this.#o.minGapMs - sinceCollect)
    this.#lastCollect = now
    this.#o.collect()
  }
}
