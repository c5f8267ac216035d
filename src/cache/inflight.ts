import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../translate/types'

/** Aborts the upstream call behind a flight. */
export type AbortUpstream = (reason?: unknown) => void

/** The error a flight settles with when every client left and its upstream call was aborted. */
export class FlightAbortedError extends Error {
  constructor() {
    super('Every client of this answer left; the upstream request was aborted.')
    this.name = 'FlightAbortedError'
  }
}

/** Where a flight stands: running, or settled with a message or an error. */
export type FlightState = 'running' | 'complete' | 'failed'

const noop = () => {}

/**
 * One upstream answer in progress, shared by its leader and any joiners. The leader publishes chunks (event
 * batches or encoded SSE bytes, kept by reference, never copied) and finally completes or fails it. Every chunk is
 * kept until the flight settles, so a joiner arriving at any moment reads the answer from its first chunk; the
 * flight leaves the hub the moment it settles, and its log is garbage once its last reader is done. The leader is
 * one reference, each joiner another; when all have left before it settled, the upstream call is aborted (once).
 */
export class Flight<C = readonly AnthropicStreamEvent[]> {
  private readonly log: C[] = []
  private refs = 1
  private _state: FlightState = 'running'
  private _error: unknown = undefined
  private leaderLeft = false
  private joined = 0
  private wake: (() => void) | undefined
  private waiting: Promise<void> | undefined
  private readonly resolve: (m: AnthropicMessageResponse) => void
  private readonly reject: (e: unknown) => void
  /** The final message; rejects with the flight's error. Never an unhandled rejection. */
  readonly result: Promise<AnthropicMessageResponse>

  constructor(
    readonly key: string,
    private readonly abortUpstream: AbortUpstream,
    private readonly onSettled: (flight: Flight<C>) => void = noop,
  ) {
    const { promise, resolve, reject } = Promise.withResolvers<AnthropicMessageResponse>()
    promise.catch(noop)
    this.result = promise
    this.resolve = resolve
    this.reject = reject
  }

  /** Everything published so far, in order (a live view: it grows while the flight runs). */
  get chunks(): readonly C[] {
    return this.log
  }

  /** running, complete or failed. */
  get state(): FlightState {
    return this._state
  }

  /** Whether complete or fail was called (or everyone left). */
  get settled(): boolean {
    return this._state !== 'running'
  }

  /** The error the flight failed with, once failed. */
  get error(): unknown {
    return this._error
  }

  /** Clients still holding the flight: the leader (until it leaves) plus joiners that have not left. */
  get subscribers(): number {
    return this.refs
  }

  /** How many joiners ever joined. */
  get joins(): number {
    return this.joined
  }

  /** Appends one chunk for every reader; ignored once settled. */
  publish(chunk: C): void {
    if (this._state !== 'running') return
    this.log.push(chunk)
    this.notify()
  }

  /** Settles with the final message: readers finish the log, result resolves, the key leaves the hub. */
  complete(message: AnthropicMessageResponse): void {
    if (this._state !== 'running') return
    this._state = 'complete'
    this.settle()
    this.resolve(message)
  }

  /** Settles with an error: readers finish the log (which may end in an error event), result rejects. */
  fail(error: unknown): void {
    if (this._state !== 'running') return
    this._state = 'failed'
    this._error = error
    this.settle()
    this.reject(error)
  }

  /** The leader's client went away; the upstream call goes on while a joiner remains. Idempotent. */
  leave(): void {
    if (this.leaderLeft) return
    this.leaderLeft = true
    this.release()
  }

  /** A promise that resolves at the next publish, settlement or leave (one shared promise for all waiters). */
  changed(): Promise<void> {
    if (this._state !== 'running') return Promise.resolve()
    return (this.waiting ??= new Promise<void>((r) => (this.wake = r)))
  }

  /** @internal A joiner takes a reference. */
  retain(): void {
    this.refs++
    this.joined++
  }

  /** @internal Drops one reference; the last one, before settlement, aborts the upstream call. */
  release(): void {
    this.refs--
    if (this.refs > 0 || this._state !== 'running') {
      this.notify()
      return
    }
    try {
      this.abortUpstream(new FlightAbortedError())
    } catch {}
    this.fail(new FlightAbortedError())
  }

  /** @internal Wakes every waiter. */
  notify(): void {
    const wake = this.wake
    if (wake === undefined) return
    this.wake = undefined
    this.waiting = undefined
    wake()
  }

  private settle(): void {
    this.onSettled(this)
    this.notify()
  }
}

/**
 * A joiner's view of a flight: the chunks from the first one on, live, then the end; and the final message.
 * Iterate it (`for await (const chunk of sub)`) or, allocation-free, read `chunks` from a cursor and await
 * `changed()`. Call leave() when the client goes away.
 */
export class Subscription<C = readonly AnthropicStreamEvent[]> implements AsyncIterable<C> {
  private _left = false

  constructor(readonly flight: Flight<C>) {}

  /** Everything published so far (a live view). */
  get chunks(): readonly C[] {
    return this.flight.chunks
  }

  /** The final message; rejects with the leader's error. */
  get result(): Promise<AnthropicMessageResponse> {
    return this.flight.result
  }

  /** Whether the flight settled (no more chunks will come). */
  get settled(): boolean {
    return this.flight.settled
  }

  /** Whether this subscriber left. */
  get left(): boolean {
    return this._left
  }

  /** Resolves at the next publish, settlement or leave. */
  changed(): Promise<void> {
    return this._left ? Promise.resolve() : this.flight.changed()
  }

  /** This joiner's client went away; the last one out (leader included) aborts the upstream call. Idempotent. */
  leave(): void {
    if (this._left) return
    this._left = true
    this.flight.release()
  }

  /** Every chunk from the first, then live ones; ends when the flight settles or this subscriber leaves. */
  async *[Symbol.asyncIterator](): AsyncGenerator<C, void, undefined> {
    const log = this.flight.chunks
    let i = 0
    for (;;) {
      while (i < log.length) {
        if (this._left) return
        yield log[i++]
      }
      if (this._left || this.flight.settled) return
      await this.flight.changed()
    }
  }
}

/**
 * The running upstream answers by cache key. The first request for a key leads (it calls the upstream and
 * publishes into the flight); identical requests while it runs join. A flight leaves the hub synchronously when it
 * settles, so a request arriving afterwards finds the stored answer (store it before completing) or leads anew.
 */
export class InflightHub<C = readonly AnthropicStreamEvent[]> {
  private readonly flights = new Map<string, Flight<C>>()
  private readonly remove = (f: Flight<C>) => {
    if (this.flights.get(f.key) === f) this.flights.delete(f.key)
  }

  /** Registers the leader of a new upstream call under `key` (replacing, for later joiners, any running one). */
  lead(key: string, abortUpstream: AbortUpstream): Flight<C> {
    const flight = new Flight<C>(key, abortUpstream, this.remove)
    this.flights.set(key, flight)
    return flight
  }

  /** Joins the running flight for `key`, or undefined when none runs. */
  join(key: string): Subscription<C> | undefined {
    const flight = this.flights.get(key)
    if (flight === undefined || flight.settled) return undefined
    flight.retain()
    return new Subscription(flight)
  }

  /** Whether a flight runs for `key`. */
  has(key: string): boolean {
    return this.flights.has(key)
  }

  /** Number of running flights. */
  get size(): number {
    return this.flights.size
  }
}
