import type { Config } from '../config/schema'
import { ProxyError } from '../server/errors'
import { MessageAssembler } from '../translate/assemble'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../translate/types'
import type { CacheDirectives } from './cache-control'
import { InflightHub, type AbortUpstream, type Flight, type Subscription } from './inflight'
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

  constructor(
    private readonly settings: CacheSettings,
    now?: () => number,
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
    const stored = !opts.noStore && isCacheable(message) && this.store.set(flight.key, message, opts.size ?? estimateMessageSize(message))
    flight.complete(message)
    return stored
  }

  /** A led call failed: joiners get the same error. */
  fail(flight: Flight<EventBatch> | undefined, error: unknown): void {
    flight?.fail(error)
  }

  /** For /v1/cache/stats. */
  stats(): CacheStats & { enabled: boolean; inflight: number } {
    return { enabled: this.enabled, ...this.store.stats(), inflight: this.hub.size }
  }

  /** For /v1/cache/clear: drops every stored answer (running calls go on); returns how many. */
  clear(): number {
    return this.store.clear()
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

  /** Clients still reading this answer (the leader's own, until it left, plus joiners). */
  get subscribers(): number {
    return this.flight?.subscribers ?? 0
  }
}
