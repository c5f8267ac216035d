/** A memo key: a short text itself, or 53 bits of a longer text's 64-bit hash (see TokenCounter.countText). */
export type MemoKey = string | number

interface Node {
  key: MemoKey
  value: number
  prev: Node
  next: Node
}

/**
 * Bounded least-recently-used map from a text key to its token count. Keys are bounded in size (short texts or
 * numbers), so the entry bound is also the memory bound (roughly 150 bytes an entry). The recency order is a
 * doubly linked list beside the Map: a hit relinks one node (a few field writes) instead of deleting and
 * re-inserting the Map entry.
 */
export class TokenMemo {
  readonly #map = new Map<MemoKey, Node>()
  /** Sentinel of the circular recency list: head.next is the least recently used entry, head.prev the most. */
  readonly #head: Node
  readonly #maxEntries: number
  hits = 0
  misses = 0

  constructor(maxEntries = 100_000) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries))
    const head = { key: '', value: 0 } as Node
    head.prev = head
    head.next = head
    this.#head = head
  }

  /** Entries held now. */
  get size(): number {
    return this.#map.size
  }

  /** The count stored for `key`, marking it most recently used; undefined (a miss) if absent. */
  get(key: MemoKey): number | undefined {
    const node = this.#map.get(key)
    if (node === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    const head = this.#head
    if (head.prev !== node) {
      node.prev.next = node.next
      node.next.prev = node.prev
      node.prev = head.prev
      node.next = head
      head.prev.next = node
      head.prev = node
    }
    return node.value
  }

  /** Stores a count as the most recently used entry, evicting the least recently used beyond the bound. */
  set(key: MemoKey, value: number): void {
    const head = this.#head
    const old = this.#map.get(key)
    if (old !== undefined) {
      old.value = value
      this.get(key)
      this.hits--
      return
    }
    const node: Node = { key, value, prev: head.prev, next: head }
    head.prev.next = node
    head.prev = node
    this.#map.set(key, node)
    while (this.#map.size > this.#maxEntries) {
      const lru = head.next
      lru.prev.next = lru.next
      lru.next.prev = lru.prev
      this.#map.delete(lru.key)
    }
  }

  /** Forgets every entry and resets the statistics. */
  clear(): void {
    this.#map.clear()
    this.#head.prev = this.#head
    this.#head.next = this.#head
    this.hits = 0
    this.misses = 0
  }
}
