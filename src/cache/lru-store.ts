import type { AnthropicMessageResponse } from '../translate/types'

/** Bounds and clock of a ResponseCache. */
export interface ResponseCacheOptions {
  /** How long an answer is served, in milliseconds; 0 stores nothing. */
  readonly ttlMs: number
  /** Most answers kept; 0 stores nothing. */
  readonly maxEntries: number
  /** Most bytes (sum of the sizes given to set) kept; 0 stores nothing. */
  readonly maxBytes: number
  /** Milliseconds clock (tests inject one); performance.now by default. */
  readonly now?: () => number
}

/** What /v1/cache/stats reports. */
export interface CacheStats {
  entries: number
  bytes: number
  /** Lookups answered from the cache. */
  hits: number
  /** Lookups that found nothing fresh (including those that then joined a running request). */
  misses: number
  /** Requests that joined an identical running request instead of calling the upstream. */
  joins: number
  /** Answers dropped to stay within the bounds or because they expired. */
  evictions: number
  /** hits / (hits + misses), 0 before any lookup. */
  hit_rate: number | null
}

interface Entry {
  readonly message: AnthropicMessageResponse
  readonly size: number
  readonly expiresAt: number
}

const CACHEABLE_STOPS: ReadonlySet<string> = new Set(['end_turn', 'tool_use', 'stop_sequence'])

/**
 * Whether an answer may be stored: a complete message that stopped on end_turn, tool_use (with a tool_use block)
 * or stop_sequence, with some content. Never errors, refusals, pause_turn, or answers cut by max_tokens or the
 * context window: a repeat of those should reach the upstream again.
 */
export function isCacheable(message: AnthropicMessageResponse | null | undefined): boolean {
  if (message == null || message.type !== 'message' || message.role !== 'assistant') return false
  const stop = message.stop_reason
  if (stop === null || !CACHEABLE_STOPS.has(stop)) return false
  const content = message.content
  if (!Array.isArray(content) || content.length === 0) return false
  if (stop === 'tool_use') return content.some((b) => b.type === 'tool_use')
  return true
}

/**
 * A size estimate of a stored answer, in string characters, for callers without a serialised form at hand:
 * every string of its blocks plus the JSON of tool inputs and a fixed overhead for the envelope. Measure once,
 * at store time; when the JSON body was built anyway, its length is the better figure.
 */
export function estimateMessageSize(message: AnthropicMessageResponse): number {
  let n = 256 + message.id.length + message.model.length
  for (const b of message.content) {
    n += 32
    switch (b.type) {
      case 'text':
        n += b.text.length
        break
      case 'thinking':
        n += b.thinking.length + b.signature.length
        break
      case 'redacted_thinking':
        n += b.data.length
        break
      case 'tool_use':
        n += b.id.length + b.name.length + (JSON.stringify(b.input)?.length ?? 0)
        break
      default:
        n += JSON.stringify(b)?.length ?? 0
    }
  }
  return n
}

/**
 * Completed answers by cache key: least-recently-used order kept by Map insertion order (a hit moves the entry
 * to the back), a fixed TTL from the moment of storing, and both an entry bound and a byte bound enforced on
 * every set, so memory stays bounded whatever arrives. Stored messages are shared: treat them as read-only.
 */
export class ResponseCache {
  private readonly map = new Map<string, Entry>()
  private readonly now: () => number
  private _bytes = 0
  private hits = 0
  private misses = 0
  private joins = 0
  private evictions = 0

  constructor(private readonly opts: ResponseCacheOptions) {
    this.now = opts.now ?? (() => performance.now())
  }

  /** The fresh answer stored under `key`, counted as a hit; undefined (a miss) when absent or expired. */
  get(key: string): AnthropicMessageResponse | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) {
      this.misses++
      return undefined
    }
    this.map.delete(key)
    if (entry.expiresAt <= this.now()) {
      this._bytes -= entry.size
      this.evictions++
      this.misses++
      return undefined
    }
    this.map.set(key, entry)
    this.hits++
    return entry.message
  }

  /**
   * Stores an answer of `size` bytes (measured once by the caller), evicting least-recently-used entries until
   * both bounds hold. Returns false, storing nothing, when the answer alone exceeds a bound or the TTL is 0; a
   * previous entry under the same key is replaced (or dropped, when the new one cannot be stored).
   */
  set(key: string, message: AnthropicMessageResponse, size: number): boolean {
    this.delete(key)
    const { maxEntries, maxBytes, ttlMs } = this.opts
    if (!(size >= 0) || size > maxBytes || maxEntries < 1 || !(ttlMs > 0)) return false
    while (this.map.size > 0 && (this.map.size >= maxEntries || this._bytes + size > maxBytes)) this.evictOldest()
    this.map.set(key, { message, size, expiresAt: this.now() + ttlMs })
    this._bytes += size
    return true
  }

  /** Removes one entry; true when it existed. */
  delete(key: string): boolean {
    const entry = this.map.get(key)
    if (entry === undefined) return false
    this.map.delete(key)
    this._bytes -= entry.size
    return true
  }

  /** Empties the cache (counters are kept); returns how many entries were dropped. */
  clear(): number {
    const n = this.map.size
    this.map.clear()
    this._bytes = 0
    return n
  }

  /** Counts a lookup answered elsewhere (the shared store): a hit or a miss. */
  recordLookup(hit: boolean): void {
    if (hit) this.hits++
    else this.misses++
  }

  /** Counts one request that joined a running identical request (its lookup was already counted a miss). */
  recordJoin(): void {
    this.joins++
  }

  /** Drops every expired entry; returns how many. O(entries): for the stats route, not the request path. */
  prune(): number {
    const now = this.now()
    let n = 0
    for (const [key, entry] of this.map) {
      if (entry.expiresAt > now) continue
      this.map.delete(key)
      this._bytes -= entry.size
      n++
    }
    this.evictions += n
    return n
  }

  /** Current counts, after dropping expired entries so entries and bytes are the live ones. */
  stats(): CacheStats {
    this.prune()
    const lookups = this.hits + this.misses
    return {
      entries: this.map.size,
      bytes: this._bytes,
      hits: this.hits,
      misses: this.misses,
      joins: this.joins,
      evictions: this.evictions,
      hit_rate: lookups === 0 ? null : this.hits / lookups,
    }
  }

  /** Number of entries held (expired ones included until they are looked up, evicted or pruned). */
  get size(): number {
    return this.map.size
  }

  /** Sum of the sizes of the entries held. */
  get bytes(): number {
    return this._bytes
  }

  private evictOldest(): void {
    const first = this.map.keys().next()
    if (first.done) return
    this.delete(first.value)
    this.evictions++
  }
}
