import { describe, expect, test } from 'bun:test'
import { MAX_RETRY_DELAY_MS, isRetryableStatus, retryAfterMs, retryDelayMs } from '../../src/resilience/backoff.ts'

const opts = { baseDelayS: 0.5, jitterS: 0.25, random: () => 0.5 }
const headers = (h: Record<string, string>) => new Headers(h)

describe('isRetryableStatus', () => {
  test('retries 408, 409, 429, 500, 502, 503, 504 and 529 only', () => {
    for (const s of [408, 409, 429, 500, 502, 503, 504, 529]) expect(isRetryableStatus(s)).toBe(true)
    for (const s of [200, 400, 401, 403, 404, 413, 422, 501, 505]) expect(isRetryableStatus(s)).toBe(false)
  })
})

describe('retryDelayMs', () => {
  test('is base × 2^attempt plus jitter drawn from random', () => {
    expect(retryDelayMs(0, opts)).toBe(625)
    expect(retryDelayMs(1, opts)).toBe(1_125)
    expect(retryDelayMs(2, opts)).toBe(2_125)
    expect(retryDelayMs(3, { ...opts, random: () => 0 })).toBe(4_000)
    expect(retryDelayMs(0, { ...opts, random: () => 0.999999 })).toBeLessThan(750)
  })

  test('the backoff is capped at 60 s', () => {
    expect(retryDelayMs(12, opts)).toBe(MAX_RETRY_DELAY_MS)
  })

  test('honours retry-after in seconds', () => {
    expect(retryDelayMs(0, opts, headers({ 'retry-after': '7' }))).toBe(7_000)
    expect(retryDelayMs(0, opts, headers({ 'retry-after': '1.5' }))).toBe(1_500)
  })

  test('prefers retry-after-ms', () => {
    expect(retryDelayMs(0, opts, headers({ 'retry-after-ms': '250', 'retry-after': '7' }))).toBe(250)
  })

  test('honours retry-after as an HTTP date given now', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')
    const h = headers({ 'retry-after': 'Wed, 21 Oct 2026 07:28:12 GMT' })
    expect(retryDelayMs(0, { ...opts, now }, h)).toBe(12_000)
    expect(retryDelayMs(0, opts, h)).toBe(625)
  })

  test('caps what the upstream asks for at 60 s', () => {
    expect(retryDelayMs(0, opts, headers({ 'retry-after': '3600' }))).toBe(60_000)
    expect(retryDelayMs(0, opts, headers({ 'retry-after-ms': '90000' }))).toBe(60_000)
  })

  test('falls back to the backoff for zero, past or garbage retry-after', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')
    expect(retryDelayMs(1, opts, headers({ 'retry-after': '0' }))).toBe(1_125)
    expect(retryDelayMs(1, opts, headers({ 'retry-after': 'soon' }))).toBe(1_125)
    expect(retryDelayMs(1, { ...opts, now }, headers({ 'retry-after': 'Wed, 21 Oct 2026 07:27:00 GMT' }))).toBe(1_125)
    expect(retryDelayMs(1, opts, headers({ 'retry-after-ms': '-5', 'retry-after': '2' }))).toBe(2_000)
    expect(retryAfterMs(headers({}))).toBeUndefined()
  })
})
