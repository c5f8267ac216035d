import { describe, expect, test } from 'bun:test'
import { AdaptiveTimeout, MAX_ADAPTIVE_TIMEOUT_MS, MIN_ADAPTIVE_TIMEOUT_MS } from '../../src/resilience/adaptive-timeout.ts'

const BASE = 600_000

function fill(timeout: AdaptiveTimeout, inputTokens: number, values: number[]) {
  for (const v of values) timeout.record(inputTokens, v)
}

describe('AdaptiveTimeout', () => {
  test('uses the base timeout until a size class has minSamples samples', () => {
    const timeout = new AdaptiveTimeout({ enabled: true, baseTimeoutMs: BASE, minSamples: 20 })
    fill(timeout, 1_000, Array(19).fill(20_000))
    expect(timeout.timeoutFor(1_000)).toBe(BASE)
    timeout.record(1_000, 20_000)
    expect(timeout.timeoutFor(1_000)).toBe(40_000)
  })

  test('is 2 × p95 of the class, per class', () => {
    const timeout = new AdaptiveTimeout({ enabled: true, baseTimeoutMs: BASE, minSamples: 20 })
    fill(timeout, 100, Array.from({ length: 100 }, (_, i) => (i + 1) * 100))
    expect(timeout.timeoutFor(3_999)).toBe(2 * 9_500)
    fill(timeout, 50_000, Array.from({ length: 20 }, (_, i) => (i + 1) * 1_000))
    expect(timeout.timeoutFor(50_000)).toBe(2 * 19_000)
    expect(timeout.timeoutFor(127_999)).toBe(2 * 19_000)
    expect(timeout.timeoutFor(4_000)).toBe(BASE)
    expect(timeout.timeoutFor(128_000)).toBe(BASE)
  })

  test('never goes below 10 s nor above 600 s', () => {
    const timeout = new AdaptiveTimeout({ enabled: true, baseTimeoutMs: 30_000, minSamples: 5 })
    fill(timeout, 10, Array(5).fill(300))
    expect(timeout.timeoutFor(10)).toBe(MIN_ADAPTIVE_TIMEOUT_MS)
    fill(timeout, 200_000, Array(5).fill(400_000))
    expect(timeout.timeoutFor(200_000)).toBe(MAX_ADAPTIVE_TIMEOUT_MS)
  })

  test('forgets samples older than the window', () => {
    const timeout = new AdaptiveTimeout({ enabled: true, baseTimeoutMs: BASE, minSamples: 10, windowSize: 10 })
    fill(timeout, 10, Array(10).fill(100_000))
    expect(timeout.timeoutFor(10)).toBe(200_000)
    fill(timeout, 10, Array(10).fill(8_000))
    expect(timeout.timeoutFor(10)).toBe(16_000)
    expect(timeout.snapshot()[0]).toEqual({ belowTokens: 4_000, samples: 10, p95Ms: 8_000, timeoutMs: 16_000 })
  })

  test('disabled: always the base timeout', () => {
    const timeout = new AdaptiveTimeout({ enabled: false, baseTimeoutMs: 45_000 })
    fill(timeout, 10, Array(100).fill(1_000))
    expect(timeout.timeoutFor(10)).toBe(45_000)
  })

  test('ignores invalid samples', () => {
    const timeout = new AdaptiveTimeout({ enabled: true, baseTimeoutMs: BASE, minSamples: 1 })
    timeout.record(10, Number.NaN)
    timeout.record(10, -5)
    expect(timeout.timeoutFor(10)).toBe(BASE)
    expect(timeout.snapshot().map((c) => c.belowTokens)).toEqual([4_000, 32_000, 128_000, null])
  })
})
