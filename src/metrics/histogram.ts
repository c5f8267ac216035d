/**
 * Bounded histograms: fixed log-spaced buckets, so memory never grows with the number of samples, and a ring
 * of time slices for "recent" percentiles. The bucket boundaries are also the Prometheus `le` labels.
 */

const MANTISSAS = [1, 1.5, 2, 3, 4, 5, 6, 8]

/** Log-spaced "nice" boundaries (1, 1.5, 2, 3, 4, 5, 6, 8 per decade) from `from` to `to`, inclusive. */
export function niceBuckets(from: number, to: number): number[] {
  const out: number[] = []
  for (let e = Math.floor(Math.log10(from)) - 1; e <= Math.ceil(Math.log10(to)); e++) {
    for (const m of MANTISSAS) {
      const v = Number.parseFloat(`${m}e${e}`)
      if (v >= from && v <= to) out.push(v)
    }
  }
  return out
}

/** Latency bucket upper bounds in milliseconds: 0.5 ms … 600 s, 50 buckets (ratio at most 1.5). */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze(niceBuckets(0.5, 600_000))

/** A fixed-bucket histogram; `percentile` interpolates linearly inside the bucket holding the rank. */
export class Histogram {
  /** Upper bounds (inclusive, as Prometheus `le`); one more overflow bucket holds larger values. */
  readonly bounds: readonly number[]
  private readonly counts: Float64Array
  private n = 0
  private total = 0
  private lo = Infinity
  private hi = -Infinity

  constructor(bounds: readonly number[] = LATENCY_BUCKETS_MS) {
    this.bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  /** Records one value (negative and NaN values are ignored). */
  observe(value: number): void {
    if (!(value >= 0)) return
    this.counts[this.indexOf(value)]++
    this.n++
    this.total += value
    if (value < this.lo) this.lo = value
    if (value > this.hi) this.hi = value
  }

  /** Number of recorded values. */
  get count(): number {
    return this.n
  }

  /** Sum of recorded values. */
  get sum(): number {
    return this.total
  }

  /** Smallest recorded value, or null when empty. */
  get min(): number | null {
    return this.n ? this.lo : null
  }

  /** Largest recorded value, or null when empty. */
  get max(): number | null {
    return this.n ? this.hi : null
  }

  /** Mean of recorded values, or null when empty. */
  get mean(): number | null {
    return this.n ? this.total / this.n : null
  }

  /** The p-th percentile (p in 0..100), or null when empty; accurate to the bucket resolution. */
  percentile(p: number): number | null {
    if (this.n === 0) return null
    const rank = (Math.min(100, Math.max(0, p)) / 100) * this.n
    if (rank <= 0) return this.lo
    let before = 0
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]
      if (c > 0 && before + c >= rank) {
        const lower = Math.max(i === 0 ? 0 : this.bounds[i - 1], this.lo)
        const upper = Math.min(i < this.bounds.length ? this.bounds[i] : this.hi, this.hi)
        return lower + (upper - lower) * ((rank - before) / c)
      }
      before += c
    }
    return this.hi
  }

  /** Per-bucket counts (not cumulative); the last entry is the overflow bucket (+Inf). */
  bucketCounts(): number[] {
    return Array.from(this.counts)
  }

  /** Cumulative counts per bound, ending with the +Inf bucket (which equals `count`). */
  cumulativeCounts(): number[] {
    let acc = 0
    return Array.from(this.counts, (c) => (acc += c))
  }

  /** Adds another histogram with the same bounds into this one. */
  merge(other: Histogram): this {
    if (other.bounds.length !== this.bounds.length) throw new Error('histogram bounds differ')
    if (other.n === 0) return this
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i]
    this.n += other.n
    this.total += other.total
    this.lo = Math.min(this.lo, other.lo)
    this.hi = Math.max(this.hi, other.hi)
    return this
  }

  /** Forgets every value. */
  reset(): void {
    this.counts.fill(0)
    this.n = 0
    this.total = 0
    this.lo = Infinity
    this.hi = -Infinity
  }

  private indexOf(value: number): number {
    let a = 0
    let b = this.bounds.length
    while (a < b) {
      const mid = (a + b) >>> 1
      if (value <= this.bounds[mid]) b = mid
      else a = mid + 1
    }
    return a
  }
}

/** A ring of `slices` values, each covering `sliceMs` of the injected clock; stale slices are recycled. */
export class SliceRing<T> {
  private readonly items: T[]
  private readonly epochs: number[]

  constructor(
    private readonly opts: { now: () => number; sliceMs: number; slices: number; create: () => T; clear: (item: T) => void },
  ) {
    this.items = Array.from({ length: opts.slices }, opts.create)
    this.epochs = new Array(opts.slices).fill(-Infinity)
  }

  /** The slice for the current time, cleared first if it last held an older period. */
  current(): T {
    const epoch = Math.floor(this.opts.now() / this.opts.sliceMs)
    const slot = ((epoch % this.opts.slices) + this.opts.slices) % this.opts.slices
    if (this.epochs[slot] !== epoch) {
      this.opts.clear(this.items[slot])
      this.epochs[slot] = epoch
    }
    return this.items[slot]
  }

  /** The slices of the last `windowMs` (whole slices, the current one included), newest first. */
  recent(windowMs: number): T[] {
    const epoch = Math.floor(this.opts.now() / this.opts.sliceMs)
    const k = Math.min(this.opts.slices, Math.max(1, Math.ceil(windowMs / this.opts.sliceMs)))
    const out: T[] = []
    for (let i = 0; i < this.opts.slices; i++) {
      const age = epoch - this.epochs[i]
      if (age >= 0 && age < k) out.push(this.items[i])
    }
    return out
  }

  /** Number of slices held (constant). */
  get size(): number {
    return this.items.length
  }

  /** Clears every slice. */
  reset(): void {
    for (let i = 0; i < this.items.length; i++) {
      this.opts.clear(this.items[i])
      this.epochs[i] = -Infinity
    }
  }
}

/** Options for time-sliced recent values. */
export interface WindowOptions {
  now: () => number
  /** Width of one slice in ms (default 10 s). */
  sliceMs?: number
  /** Slices kept (default 31: five minutes plus the slice in progress). */
  slices?: number
}

/** A histogram over recent time: a ring of per-slice histograms merged on read. */
export class WindowedHistogram {
  readonly bounds: readonly number[]
  private readonly ring: SliceRing<Histogram>

  constructor(opts: WindowOptions & { bounds?: readonly number[] }) {
    const bounds = opts.bounds ?? LATENCY_BUCKETS_MS
    this.ring = new SliceRing({
      now: opts.now,
      sliceMs: opts.sliceMs ?? 10_000,
      slices: opts.slices ?? 31,
      create: () => new Histogram(bounds),
      clear: (h) => h.reset(),
    })
    this.bounds = bounds
  }

  /** Records one value in the current slice. */
  observe(value: number): void {
    this.ring.current().observe(value)
  }

  /** A new histogram of the values seen in the last `windowMs` (to slice resolution). */
  recent(windowMs: number): Histogram {
    const out = new Histogram(this.bounds)
    for (const h of this.ring.recent(windowMs)) out.merge(h)
    return out
  }

  /** Number of slices held (constant). */
  get slices(): number {
    return this.ring.size
  }

  /** Forgets every value. */
  reset(): void {
    this.ring.reset()
  }
}

/** Sums of named numbers over recent time (e.g. requests and errors), in slices like WindowedHistogram. */
export class WindowedCounter<K extends string> {
  private readonly keys: readonly K[]
  private readonly ring: SliceRing<Record<K, number>>

  constructor(keys: readonly K[], opts: WindowOptions) {
    const zero = () => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
    this.ring = new SliceRing({
      now: opts.now,
      sliceMs: opts.sliceMs ?? 10_000,
      slices: opts.slices ?? 31,
      create: zero,
      clear: (r) => {
        for (const k of keys) r[k] = 0
      },
    })
    this.keys = keys
  }

  /** Adds `by` (default 1) to `key` in the current slice. */
  add(key: K, by = 1): void {
    this.ring.current()[key] += by
  }

  /** Totals per key over the last `windowMs` (to slice resolution). */
  recent(windowMs: number): Record<K, number> {
    const out = Object.fromEntries(this.keys.map((k) => [k, 0])) as Record<K, number>
    for (const r of this.ring.recent(windowMs)) for (const k of this.keys) out[k] += r[k]
    return out
  }

  /** Forgets every value. */
  reset(): void {
    this.ring.reset()
  }
}
