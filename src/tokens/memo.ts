/**
 * Bounded least-recently-used map from a text's 64-bit hash to its token count.
 * Keys are fixed-size hashes (not the texts), so the entry bound is also the memory bound
 * (roughly 100 bytes an entry in JavaScriptCore's Map).
 */
export class TokenMemo {
  readonly #map = new Map<bigint, number>()
  readonly #maxEntries: number
  hits = 0
  misses = 0

  constructor(maxEntries = 100_000) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries))
  }

  /** Entries held now. */
  get size(): number {
    return this.#map.size
  }

  /** The count stored for `key`, marking it most recently used; undefined (a miss) if absent. */
  get(key: bigint): number | undefined {
    const value = this.#map.get(key)
    if (value === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.#map.delete(key)
    this.#map.set(key, value)
    return value
  }

  /** Stores a count, evicting the least recently used entries beyond the bound. */
  set(key: bigint, value: number): void {
    this.#map.set(key, value)
    if (this.#map.size > this.#maxEntries) {
      const keys = this.#map.keys()
      while (this.#map.size > this.#maxEntries) this.#map.delete(keys.next().value as bigint)
    }
  }

  /** Forgets every entry and resets the statistics. */
  clear(): void {
    this.#map.clear()
    this.hits = 0
    this.misses = 0
  }
}
