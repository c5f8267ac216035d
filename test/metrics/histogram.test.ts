import { describe, expect, test } from 'bun:test'
import { Histogram, LATENCY_BUCKETS_MS, WindowedCounter, WindowedHistogram, niceBuckets } from '../../src/metrics/histogram'

/** A seeded PRNG so the distributions are the same on every run. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The exact p-th percentile (nearest rank) of sorted values. */
const exact = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]

/** Lower and upper bound of the bucket holding v. */
function bucketOf(v: number, bounds = LATENCY_BUCKETS_MS): [number, number] {
  const i = bounds.findIndex((b) => v <= b)
  return i === -1 ? [bounds[bounds.length - 1], Infinity] : [i === 0 ? 0 : bounds[i - 1], bounds[i]]
}

function expectWithinBucket(h: Histogram, values: number[], ps = [1, 10, 25, 50, 75, 90, 95, 99, 99.9]) {
  const sorted = [...values].sort((a, b) => a - b)
  for (const p of ps) {
    const [lo, hi] = bucketOf(exact(sorted, p))
    const est = h.percentile(p)!
    expect(est).toBeGreaterThanOrEqual(lo)
    expect(est).toBeLessThanOrEqual(hi)
  }
}

describe('bucket boundaries', () => {
  test('latency buckets run from 0.5 ms to 600 s, log-spaced, 40 to 60 of them', () => {
    expect(LATENCY_BUCKETS_MS[0]).toBe(0.5)
    expect(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1]).toBe(600_000)
    expect(LATENCY_BUCKETS_MS.length).toBeGreaterThanOrEqual(40)
    expect(LATENCY_BUCKETS_MS.length).toBeLessThanOrEqual(60)
    for (let i = 1; i < LATENCY_BUCKETS_MS.length; i++) {
      const ratio = LATENCY_BUCKETS_MS[i] / LATENCY_BUCKETS_MS[i - 1]
      expect(ratio).toBeGreaterThan(1.1)
      expect(ratio).toBeLessThanOrEqual(1.5)
    }
  })

  test('niceBuckets gives clean decimal numbers', () => {
    expect(niceBuckets(0.001, 0.01)).toEqual([0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01])
  })
})

describe('Histogram', () => {
  test('empty histogram has no percentiles', () => {
    const h = new Histogram()
    expect(h.count).toBe(0)
    expect(h.percentile(50)).toBeNull()
    expect(h.mean).toBeNull()
  })

  test('a single value is every percentile', () => {
    const h = new Histogram()
    h.observe(123)
    expect(h.percentile(0)).toBe(123)
    expect(h.percentile(50)).toBe(123)
    expect(h.percentile(100)).toBe(123)
  })

  test('uniform 1..10000 ms: percentiles within a few per cent', () => {
    const h = new Histogram()
    const values = Array.from({ length: 10_000 }, (_, i) => i + 1)
    for (const v of values) h.observe(v)
    expect(h.count).toBe(10_000)
    expect(h.sum).toBe(50_005_000)
    for (const p of [50, 90, 95, 99]) expect(Math.abs(h.percentile(p)! - p * 100) / (p * 100)).toBeLessThan(0.03)
    expectWithinBucket(h, values)
  })

  test('log-normal latencies: every percentile falls in the bucket of the exact one', () => {
    const rnd = mulberry32(7)
    const h = new Histogram()
    const values: number[] = []
    for (let i = 0; i < 50_000; i++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
      const v = Math.exp(Math.log(800) + 1.2 * normal)
      values.push(v)
      h.observe(v)
    }
    expectWithinBucket(h, values)
  })

  test('exponential latencies: every percentile falls in the bucket of the exact one', () => {
    const rnd = mulberry32(42)
    const h = new Histogram()
    const values = Array.from({ length: 20_000 }, () => -Math.log(1 - rnd()) * 2500)
    for (const v of values) h.observe(v)
    expectWithinBucket(h, values)
  })

  test('values above the last bound land in +Inf and p100 is the maximum', () => {
    const h = new Histogram()
    h.observe(10)
    h.observe(900_000)
    expect(h.bucketCounts().at(-1)).toBe(1)
    expect(h.percentile(100)).toBe(900_000)
    expect(h.cumulativeCounts().at(-1)).toBe(2)
  })

  test('negative and NaN values are ignored', () => {
    const h = new Histogram()
    h.observe(-1)
    h.observe(Number.NaN)
    expect(h.count).toBe(0)
  })

  test('a value equal to a bound counts in that bucket (le is inclusive)', () => {
    const h = new Histogram()
    h.observe(1000)
    const i = LATENCY_BUCKETS_MS.indexOf(1000)
    expect(h.bucketCounts()[i]).toBe(1)
  })

  test('one million observations keep the bucket count constant', () => {
    const h = new Histogram()
    const buckets = h.bucketCounts().length
    const rnd = mulberry32(1)
    for (let i = 0; i < 1_000_000; i++) h.observe(rnd() * 700_000)
    expect(h.count).toBe(1_000_000)
    expect(h.bucketCounts().length).toBe(buckets)
    expect(buckets).toBe(LATENCY_BUCKETS_MS.length + 1)
    expect(h.cumulativeCounts().at(-1)).toBe(1_000_000)
  })

  test('merge adds counts, sums and extremes; reset empties', () => {
    const a = new Histogram()
    const b = new Histogram()
    a.observe(5)
    b.observe(50)
    b.observe(500)
    a.merge(b)
    expect(a.count).toBe(3)
    expect(a.sum).toBe(555)
    expect(a.min).toBe(5)
    expect(a.max).toBe(500)
    a.reset()
    expect(a.count).toBe(0)
    expect(a.bucketCounts().every((c) => c === 0)).toBe(true)
  })
})

describe('WindowedHistogram', () => {
  test('recent percentiles follow the injected clock', () => {
    let now = 0
    const w = new WindowedHistogram({ now: () => now, sliceMs: 60_000, slices: 6 })
    for (let i = 0; i < 100; i++) w.observe(100)
    now = 3 * 60_000
    for (let i = 0; i < 100; i++) w.observe(10_000)
    expect(w.recent(5 * 60_000).count).toBe(200)
    expect(w.recent(60_000).count).toBe(100)
    expect(w.recent(60_000).percentile(50)).toBe(10_000)
    now = 6 * 60_000
    const last5 = w.recent(5 * 60_000)
    expect(last5.count).toBe(100)
    expect(last5.percentile(95)).toBe(10_000)
    now = 9 * 60_000
    expect(w.recent(5 * 60_000).count).toBe(0)
  })

  test('a slot reused after the ring wraps forgets its old values', () => {
    let now = 0
    const w = new WindowedHistogram({ now: () => now, sliceMs: 1000, slices: 3 })
    w.observe(1)
    now = 3000
    w.observe(2)
    expect(w.recent(3000).count).toBe(1)
    expect(w.recent(3000).max).toBe(2)
  })

  test('an hour of observations keeps the number of slices constant', () => {
    let now = 0
    const w = new WindowedHistogram({ now: () => now })
    const slices = w.slices
    for (; now < 3_600_000; now += 250) w.observe(now % 5000)
    expect(w.slices).toBe(slices)
    expect(w.recent(300_000).count).toBeLessThanOrEqual((300_000 / 250) + 1)
  })
})

describe('WindowedCounter', () => {
  test('sums per key over the window and forgets older slices', () => {
    let now = 0
    const c = new WindowedCounter(['a', 'b'] as const, { now: () => now, sliceMs: 10_000, slices: 7 })
    c.add('a')
    c.add('b', 5)
    now = 30_000
    c.add('a', 2)
    expect(c.recent(60_000)).toEqual({ a: 3, b: 5 })
    expect(c.recent(10_000)).toEqual({ a: 2, b: 0 })
    now = 90_000
    expect(c.recent(60_000)).toEqual({ a: 0, b: 0 })
    c.add('a')
    c.reset()
    expect(c.recent(60_000)).toEqual({ a: 0, b: 0 })
  })
})
