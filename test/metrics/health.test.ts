import { describe, expect, test } from 'bun:test'
import { healthScore, type HealthInput } from '../../src/metrics/health'

const base: HealthInput = { successRate: null, breakerState: 'closed', p95Ms: null, limiterPressure: 0, upstreamReachable: null }

describe('healthScore', () => {
  test('no traffic is ok at 100', () => {
    expect(healthScore(base)).toEqual({ score: 100, status: 'ok' })
  })

  test('an open breaker is down', () => {
    expect(healthScore({ ...base, successRate: 1, breakerState: 'open' })).toEqual({ score: 60, status: 'down' })
  })

  test('a half-open breaker is degraded', () => {
    expect(healthScore({ ...base, breakerState: 'half_open' })).toEqual({ score: 85, status: 'degraded' })
  })

  test('an unreachable upstream is down', () => {
    expect(healthScore({ ...base, upstreamReachable: false }).status).toBe('down')
    expect(healthScore({ ...base, upstreamReachable: true })).toEqual({ score: 100, status: 'ok' })
  })

  test('p95 costs nothing up to 10 s and 25 points at 60 s and beyond', () => {
    expect(healthScore({ ...base, p95Ms: 10_000 }).score).toBe(100)
    expect(healthScore({ ...base, p95Ms: 35_000 })).toEqual({ score: 88, status: 'ok' })
    expect(healthScore({ ...base, p95Ms: 60_000 })).toEqual({ score: 75, status: 'degraded' })
    expect(healthScore({ ...base, p95Ms: 600_000 }).score).toBe(75)
  })

  test('limiter pressure costs up to 25 points', () => {
    expect(healthScore({ ...base, limiterPressure: 0.4 })).toEqual({ score: 90, status: 'ok' })
    expect(healthScore({ ...base, limiterPressure: 1 })).toEqual({ score: 75, status: 'degraded' })
    expect(healthScore({ ...base, limiterPressure: 7 }).score).toBe(75)
  })

  test('the success rate scales the score; below 40 is down', () => {
    expect(healthScore({ ...base, successRate: 0.9 })).toEqual({ score: 90, status: 'ok' })
    expect(healthScore({ ...base, successRate: 0.6 })).toEqual({ score: 60, status: 'degraded' })
    expect(healthScore({ ...base, successRate: 0.3 })).toEqual({ score: 30, status: 'down' })
  })

  test('everything bad clamps at 0', () => {
    expect(healthScore({ successRate: 0, breakerState: 'open', p95Ms: 90_000, limiterPressure: 1, upstreamReachable: false }))
      .toEqual({ score: 0, status: 'down' })
  })
})
