import type { Config } from '../config/schema'
import { ProxyError, toProxyError } from '../server/errors'
import { MessageAssembler } from '../translate/assemble'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../translate/types'
import type { CacheDirectives } from './cache-control'
import { FlightAbortedError, InflightHub, type AbortUpstream, type Flight, type Subscription } from './inflight'
import { ResponseCache, estimateMessageSize, isCacheable, type CacheStats } from './lru-store'

/** The value of the `x-ccproxy-cache` response header. */
export type CacheStatus = 'miss' | 'hit' | 'joined'

/** A batch of events as the relay sends it: what a flight carries. */
export type EventBatch = readonly AnthropicStreamEvent[]

/** How a request is answered: from the store, by joining a running call, or by calling the upstream. */
export type CacheDecision =
  | { readonly status: 'hit'; readonly message: AnthropicMessageResponse }
  | { readonly status: 'joined'; readonly subscription: Subscription<EventBatch> }
  /** `flight` is undefined when the cache is off: call the upstream as if there were no cache. */
  | { readonly status: 'miss'; readonly flight: Flight<EventBatch> | undefined }

/** How a led call ended, as published to other replicas; `gone`: ended with nothing to share (everyone left). */
export type SharedOutcome =
  | { readonly kind: 'message'; readonly message: AnthropicMessageResponse; readonly store: boolean }
  | { readonly kind: 'error'; readonly error: { type: string; message: string; status: number } }
  | { readonly kind: 'gone' }

/** A shared lookup: a stored answer, the lease of a new call (this process leads), or another replica's call to wait for. */
export type SharedBegin = { kind: 'hit'; message: AnthropicMessageResponse } | { kind: 'lead'; token: string } | { kind: 'wait' }

/** The cache and in-flight index shared by every replica (Redis); each call resolves undefined when the store failed. */
export interface SharedCache {
  readonly available: boolean
  begin(key: string, noCache: boolean): Promise<SharedBegin | undefined>
  /** Publishes a led call's outcome, storing the answer when `store`, and drops its lease; never rejects. */
  finish(key: string, token: string, outcome: SharedOutcome): Promise<void>
  /** Waits for another replica's call; undefined when the store failed or the wait ran out. */
  wait(key: string, signal: AbortSignal): Promise<SharedOutcome | undefined>
  /** Drops every stored answer; resolves with how many. */
  clear(): Promise<number>
}

/** The settings the cache reads. */
export type CacheSettings = Pick<Config, 'RESPONSE_CACHE_ENABLED' | 'RESPONSE_CACHE_TTL_S' | 'RESPONSE_CACHE_MAX_ENTRIES' | 'RESPONSE_CACHE_MAX_BYTES'>

/**
 * The response cache and in-flight de-duplication together, as the request path uses them: begin() decides how a
 * request is answered, complete()/fail() settle a led call (storing a cacheable answer before its flight leaves
 * the hub, so no identical request can fall between the two). Off (RESPONSE_CACHE_ENABLED=false), every request
 * is a miss without a flight.
 */
export class CacheLayer {
  readonly store: ResponseCache
  readonly hub = new InflightHub<EventBatch>()
  /** Leases of the calls this process leads in the shared index. */
  private readonly leases = new Map<Flight<EventBatch>, string>()
  /** Outcomes of led calls still being written to the shared store. */
  private readonly publishing = new WeakMap<Flight<EventBatch>, Promise<void>>()

  constructor(
    private readonly settings: CacheSettings,
    now?: () => number,
    private readonly sharedStore?: SharedCache,
  ) {
    this.store = new ResponseCache({
      ttlMs: settings.RESPONSE_CACHE_TTL_S * 1000,
      maxEntries: settings.RESPONSE_CACHE_MAX_ENTRIES,
      maxBytes: settings.RESPONSE_CACHE_MAX_BYTES,
      now,
    })
  }

  /** Whether RESPONSE_CACHE_ENABLED is on. */
  get enabled(): boolean {
    return this.settings.RESPONSE_CACHE_ENABLED
  }

  /** Whether lookups go to the shared store now (call beginShared instead of begin). */
  get shared(): boolean {
    return this.settings.RESPONSE_CACHE_ENABLED && this.sharedStore?.available === true
  }

  /**
   * begin() across replicas: joins a flight of this process first, else one call to the shared store finds a
   * stored answer, leads a new call, or finds another replica's call, which a local flight then waits for (its
   * joiners get the answer as joined, pings included). Falls back to begin() when the store fails.
   */
  async beginShared(key: string, directives: CacheDirectives, abortUpstream: AbortUpstream): Promise<CacheDecision> {
    const store = this.sharedStore!
    const local = directives.noCache ? undefined : this.joinLocal(key)
    if (local) return local
    const r = await store.begin(key, directives.noCache)
    if (r === undefined) return this.begin(key, directives, abortUpstream)
    if (r.kind === 'hit') {
      this.store.recordLookup(true)
      return { status: 'hit', message: r.message }
    }
    if (!directives.noCache) this.store.recordLookup(false)
    if (r.kind === 'lead') {
      const flight = this.hub.lead(key, abortUpstream)
      this.leases.set(flight, r.token)
      flight.result.catch((e) => this.endLease(flight, e instanceof FlightAbortedError ? { kind: 'gone' } : { kind: 'error', error: errorOutcome(e) }))
      return { status: 'miss', flight }
    }
    const running = this.hub.join(key)
    if (running) {
      this.store.recordJoin()
      return { status: 'joined', subscription: running }
    }
    const stop = new AbortController()
    const flight = this.hub.lead(key, () => stop.abort())
    const subscription = this.hub.join(key)!
    flight.leave()
    this.store.recordJoin()
    void store.wait(key, stop.signal).then((o) => {
      if (o?.kind === 'message') flight.complete(o.message)
      else if (o?.kind === 'error') flight.fail(new ProxyError(o.error.type as ProxyError['type'], o.error.message, { status: o.error.status }))
      else flight.fail(new ProxyError('overloaded_error', 'The replica answering an identical request stopped before finishing; retry.', { status: 529, headers: { 'retry-after': '1' } }))
    })
    return { status: 'joined', subscription }
  }

  /**
   * Looks `key` up (unless the client sent no-cache), joins a running identical call, or registers this request
   * as the leader of a new one; `abortUpstream` must abort that call (it runs when every client has left).
   */
  begin(key: string, directives: CacheDirectives, abortUpstream: AbortUpstream): CacheDecision {
    if (!this.enabled) return { status: 'miss', flight: undefined }
    if (!directives.noCache) {
      const message = this.store.get(key)
      if (message !== undefined) return { status: 'hit', message }
      const subscription = this.hub.join(key)
      if (subscription !== undefined) {
        this.store.recordJoin()
        return { status: 'joined', subscription }
      }
    }
    return { status: 'miss', flight: this.hub.lead(key, abortUpstream) }
  }

  /**
   * A led call answered: stores the message when it is cacheable and the client allowed storing (size: the
   * length of its serialised form when at hand, else an estimate), then completes the flight. Returns whether it
   * was stored.
   */
  complete(flight: Flight<EventBatch> | undefined, message: AnthropicMessageResponse, opts: { noStore: boolean; size?: number }): boolean {
    if (flight === undefined) return false
    const cacheable = !opts.noStore && isCacheable(message)
    const stored = cacheable && this.store.set(flight.key, message, opts.size ?? estimateMessageSize(message))
    if (this.leases.size > 0) this.endLease(flight, { kind: 'message', message, store: cacheable })
    flight.complete(message)
    return stored
  }

  /** A led call failed: joiners get the same error. */
  fail(flight: Flight<EventBatch> | undefined, error: unknown): void {
    flight?.fail(error)
  }

  /** Publishes the outcome of a call led under a shared lease (once). */
  private endLease(flight: Flight<EventBatch>, outcome: SharedOutcome): void {
    const token = this.leases.get(flight)
    if (token === undefined) return
    this.leases.delete(flight)
    this.publishing.set(flight, this.sharedStore!.finish(flight.key, token, outcome))
  }

  /**
   * While a completed call's outcome is being written to the shared store, a promise of that write (undefined
   * otherwise): awaiting it before the response ends makes the answer a hit on every replica once the client has it.
   */
  published(flight: Flight<EventBatch> | undefined): Promise<void> | undefined {
    return flight === undefined ? undefined : this.publishing.get(flight)
  }

  private joinLocal(key: string): CacheDecision | undefined {
    const subscription = this.hub.join(key)
    if (subscription === undefined) return undefined
    this.store.recordLookup(false)
    this.store.recordJoin()
    return { status: 'joined', subscription }
  }

  /** For /v1/cache/stats. */
  stats(): CacheStats & { enabled: boolean; inflight: number } {
    return { enabled: this.enabled, ...this.store.stats(), inflight: this.hub.size }
  }

  /** For /v1/cache/clear: drops every stored answer, shared ones included (running calls go on); returns how many. */
  clear(): number | Promise<number> {
    const local = this.store.clear()
    if (!this.sharedStore?.available) return local
    return this.sharedStore.clear().then((n) => Math.max(n, local))
  }
}

/**
 * The leader's side of a streamed flight: the relay hands it every batch it sends (pings and errors included) and
 * tells it when the stream ended; it publishes the batches by reference, assembles the final message, and
 * completes (storing when cacheable) or fails the flight. Without a flight every call is a no-op.
 */
export class LeaderTap {
  private readonly assembler: MessageAssembler | undefined
  private ended = false

  constructor(
    private readonly layer: CacheLayer,
    private readonly flight: Flight<EventBatch> | undefined,
    private readonly noStore: boolean,
    /** Assemble the message even without a flight (to log the response body). */
    assemble = false,
  ) {
    this.assembler = flight === undefined && !assemble ? undefined : new MessageAssembler()
  }

  /** The message assembled so far (undefined when nothing is assembled). */
  message(): AnthropicMessageResponse | undefined {
    return this.assembler?.message()
  }

  /** One batch sent (or, after the leader's client left, that would have been sent). */
  send(events: EventBatch): void {
    const a = this.assembler
    if (a === undefined || this.ended || events.length === 0) return
    for (let i = 0; i < events.length; i++) a.push(events[i])
    this.flight?.publish(events)
  }

  /** The stream is over. A message_stop seen and no error: complete; otherwise fail with the error seen or `error`. */
  end(error?: unknown): void {
    const a = this.assembler
    if (a === undefined || this.ended) return
    this.ended = true
    if (this.flight === undefined) return
    if (a.complete && a.error === undefined && error === undefined) {
      this.layer.complete(this.flight, a.message(), { noStore: this.noStore })
      return
    }
    const seen = a.error
    this.layer.fail(this.flight, seen ? new ProxyError(seen.type, seen.message) : (error ?? new ProxyError('api_error', 'The upstream stream ended early.')))
  }

  /**
   * The leader's client went away. Returns true when the upstream read should stop now (no flight, or no joiner
   * left: the flight has then aborted the call); false while joiners still read, so the relay keeps reading and
   * publishing without writing to the gone client.
   */
  leave(): boolean {
    const flight = this.flight
    if (flight === undefined) return true
    flight.leave()
    return flight.settled
  }

  /** The write of this answer to the shared store, while it runs (see CacheLayer.published). */
  published(): Promise<void> | undefined {
    return this.layer.published(this.flight)
  }

  /** Clients still reading this answer (the leader's own, until it left, plus joiners). */
  get subscribers(): number {
    return this.flight?.subscribers ?? 0
  }
}

function errorOutcome(e: unknown): { type: string; message: string; status: number } {
  const p = toProxyError(e)
  return { type: p.type, message: p.message, status: p.status }
}
