import { describe, expect, test } from 'bun:test'
import { RateLimiter, type Permit } from '../../src/resilience/rate-limiter.ts'

function setup(rpm: number, tpm: number, burst: number, adaptive = true) {
  const clock = { t: 5_000_000 }
  const limiter = new RateLimiter({ rpm, tpm, burst, adaptive, now: () => clock.t })
  return { clock, limiter }
}

function admit(limiter: RateLimiter, tokens = 1): Permit {
  const result = limiter.tryAcquire(tokens)
  if (!result.ok) throw new Error(`refused, wait ${result.waitMs}`)
  return result.permit
}

describe('RateLimiter requests', () => {
  test('burst 5 with RPM 10 admits 5 at once, then asks to wait 6 s', () => {
    const { clock, limiter } = setup(10, 1_000_000, 5)
    for (let i = 0; i < 5; i++) admit(limiter)
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 6_000 })
    clock.t += 5_999
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 1 })
    clock.t += 1
    admit(limiter)
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 6_000 })
  })

  test('the sliding window never admits more than RPM in any 60 s span, even with a large burst', () => {
    const { clock, limiter } = setup(10, 1_000_000, 100)
    const start = clock.t
    for (let i = 0; i < 10; i++) admit(limiter)
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 60_000 })

    const admitted: number[] = Array(10).fill(start)
    for (let t = start; t < start + 600_000; t += 250) {
      clock.t = t
      for (let r = limiter.tryAcquire(1); r.ok; r = limiter.tryAcquire(1)) admitted.push(t)
    }
    for (let i = 0; i + 10 < admitted.length; i++) expect(admitted[i + 10] - admitted[i]).toBeGreaterThanOrEqual(60_000)
    expect(admitted.length).toBeGreaterThanOrEqual(100)
  })

  test('waitMs is when the request would in fact be admitted', () => {
    const { clock, limiter } = setup(60, 6_000, 3)
    let admitted = 0
    for (let i = 0; i < 40; i++) {
      const r = limiter.tryAcquire(150)
      if (r.ok) { admitted++; continue }
      clock.t += r.waitMs - 1
      expect(limiter.tryAcquire(150).ok).toBe(false)
      clock.t += 1
      admit(limiter, 150)
      admitted++
    }
    expect(admitted).toBe(40)
    expect(limiter.windowUsage().tokens).toBeLessThanOrEqual(6_000)
  })
})

describe('RateLimiter tokens', () => {
  test('the token bucket holds TPM × BURST / RPM and refills at TPM/60 per second', () => {
    const { clock, limiter } = setup(100, 60_000, 10)
    admit(limiter, 6_000)
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 1 })
    clock.t += 1
    expect(limiter.tryAcquire(501)).toEqual({ ok: false, waitMs: 500 })
    clock.t += 500
    admit(limiter, 501)
  })

  test('the token window caps TPM over 60 s', () => {
    const { clock, limiter } = setup(1_000, 10_000, 1_000)
    admit(limiter, 6_000)
    clock.t += 30_000
    admit(limiter, 4_000)
    clock.t += 10_000
    expect(limiter.tryAcquire(1_000)).toEqual({ ok: false, waitMs: 20_000 })
    clock.t += 20_000
    admit(limiter, 1_000)
    expect(limiter.windowUsage()).toEqual({ requests: 2, tokens: 5_000 })
  })

  test('correct() moves the difference into the window and the bucket', () => {
    const { clock, limiter } = setup(1_000, 10_000, 1_000)
    const permit = admit(limiter, 2_000)
    limiter.correct(permit, 9_000)
    expect(permit.tokens).toBe(9_000)
    expect(limiter.windowUsage().tokens).toBe(9_000)
    expect(limiter.tryAcquire(2_000).ok).toBe(false)
    limiter.correct(permit, 500)
    expect(limiter.windowUsage().tokens).toBe(500)
    admit(limiter, 2_000)
    expect(limiter.windowUsage().tokens).toBe(2_500)
    clock.t += 60_000
    limiter.correct(permit, 10_000)
    expect(limiter.windowUsage()).toEqual({ requests: 0, tokens: 0 })
  })

  test('correct() finds its permit after the window ring wrapped around and grew', () => {
    const { clock, limiter } = setup(300, 1_000_000_000, 300)
    for (let i = 0; i < 200; i++) admit(limiter)
    clock.t += 60_000
    const permits = Array.from({ length: 300 }, () => admit(limiter))
    limiter.correct(permits[0], 1_001)
    limiter.correct(permits[299], 2_001)
    expect(limiter.windowUsage()).toEqual({ requests: 300, tokens: 3_300 })
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 60_000 })
    clock.t += 60_000
    expect(limiter.windowUsage()).toEqual({ requests: 0, tokens: 0 })
  })

  test('a request larger than the token bucket waits for a full bucket and an empty window, then goes', () => {
    const { clock, limiter } = setup(100, 30_000, 10)
    admit(limiter, 1_000)
    const r = limiter.tryAcquire(50_000)
    expect(r).toEqual({ ok: false, waitMs: 60_000 })
    clock.t += 60_000
    admit(limiter, 50_000)
    // the bucket is 47,000 tokens in debt: (47,000 + 100) / 0.5 tokens per ms
    expect(limiter.tryAcquire(100)).toEqual({ ok: false, waitMs: 94_200 })
  })
})

describe('RateLimiter adaptive', () => {
  test('a 429 lowers limits to 80%; 10 successes recover 10% of configured, capped at configured', () => {
    const { limiter } = setup(100, 10_000, 10)
    limiter.onUpstream429()
    expect(limiter.effectiveLimits()).toEqual({ rpm: 80, tpm: 8_000, burst: 8 })
    limiter.onUpstream429()
    expect(limiter.effectiveLimits()).toEqual({ rpm: 64, tpm: 6_400, burst: 6 })
    for (let i = 0; i < 9; i++) limiter.onSuccess()
    expect(limiter.effectiveLimits().rpm).toBe(64)
    limiter.onSuccess()
    expect(limiter.effectiveLimits()).toEqual({ rpm: 74, tpm: 7_400, burst: 7 })
    for (let i = 0; i < 5; i++) limiter.onSuccess()
    limiter.onUpstream429()
    expect(limiter.effectiveLimits().rpm).toBe(59)
    for (let i = 0; i < 9; i++) limiter.onSuccess()
    expect(limiter.effectiveLimits().rpm).toBe(59)
    for (let i = 0; i < 200; i++) limiter.onSuccess()
    expect(limiter.effectiveLimits()).toEqual({ rpm: 100, tpm: 10_000, burst: 10 })
  })

  test('lowered limits apply to admission at once', () => {
    const { limiter } = setup(600, 1_000_000, 10)
    limiter.onUpstream429()
    for (let i = 0; i < 8; i++) admit(limiter)
    expect(limiter.tryAcquire(1)).toEqual({ ok: false, waitMs: 125 })
  })

  test('with adaptive off, 429s change nothing', () => {
    const { limiter } = setup(100, 10_000, 10, false)
    limiter.onUpstream429()
    expect(limiter.effectiveLimits()).toEqual({ rpm: 100, tpm: 10_000, burst: 10 })
  })
})
