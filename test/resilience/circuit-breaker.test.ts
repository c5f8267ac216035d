import { describe, expect, test } from 'bun:test'
import { CircuitBreaker, HALF_OPEN_BUSY_RETRY_MS, isBreakerFailure, type BreakerTransition } from '../../src/resilience/circuit-breaker.ts'

function setup(overrides: { failureThreshold?: number; halfOpenRequests?: number } = {}) {
  const clock = { t: 1_000_000 }
  const transitions: BreakerTransition[] = []
  const breaker = new CircuitBreaker({
    failureThreshold: overrides.failureThreshold ?? 5,
    recoveryTimeoutMs: 30_000,
    halfOpenRequests: overrides.halfOpenRequests ?? 3,
    now: () => clock.t,
  })
  breaker.onTransition((t) => transitions.push(t))
  const fail = (n: number) => { for (let i = 0; i < n; i++) { expect(breaker.allow().ok).toBe(true); breaker.onFailure() } }
  return { clock, breaker, transitions, fail }
}

describe('CircuitBreaker', () => {
  test('full cycle: 5 failures open it, it fails fast, goes half-open after recovery, trials close it', () => {
    const { clock, breaker, transitions, fail } = setup()
    fail(4)
    expect(breaker.state).toBe('CLOSED')
    fail(1)
    expect(breaker.state).toBe('OPEN')
    expect(breaker.allow()).toEqual({ ok: false, retryAfterMs: 30_000 })

    clock.t += 12_000
    expect(breaker.allow()).toEqual({ ok: false, retryAfterMs: 18_000 })
    expect(breaker.snapshot()).toEqual({ state: 'OPEN', consecutiveFailures: 5, openedAt: 1_000_000, retryAfterMs: 18_000, transitions: 1 })

    clock.t += 18_000
    expect(breaker.state).toBe('HALF_OPEN')
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    expect(breaker.allow()).toEqual({ ok: false, retryAfterMs: HALF_OPEN_BUSY_RETRY_MS })
    breaker.onSuccess()
    breaker.onSuccess()
    expect(breaker.state).toBe('HALF_OPEN')
    breaker.onSuccess()
    expect(breaker.state).toBe('CLOSED')
    expect(breaker.allow()).toEqual({ ok: true, trial: false })
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED'])
    expect(transitions[1].at).toBe(1_030_000)
    expect(breaker.snapshot().consecutiveFailures).toBe(0)
  })

  test('a success resets the consecutive failure count', () => {
    const { breaker, fail } = setup()
    fail(4)
    breaker.allow()
    breaker.onSuccess()
    fail(4)
    expect(breaker.state).toBe('CLOSED')
    fail(1)
    expect(breaker.state).toBe('OPEN')
  })

  test('a failed trial opens it again with a fresh recovery timer', () => {
    const { clock, breaker, transitions, fail } = setup()
    fail(5)
    clock.t += 30_000
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    breaker.onSuccess()
    clock.t += 500
    breaker.onFailure()
    expect(breaker.state).toBe('OPEN')
    expect(breaker.snapshot().openedAt).toBe(1_030_500)
    expect(breaker.allow()).toEqual({ ok: false, retryAfterMs: 30_000 })
    breaker.onSuccess()
    expect(breaker.state).toBe('OPEN')
    clock.t += 30_000
    expect(breaker.state).toBe('HALF_OPEN')
    expect(transitions.map((t) => t.to)).toEqual(['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN'])
    expect(breaker.snapshot().transitions).toBe(4)
  })

  test('release frees a half-open trial slot without counting', () => {
    const { clock, breaker, fail } = setup({ halfOpenRequests: 1 })
    fail(5)
    clock.t += 30_000
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    expect(breaker.allow().ok).toBe(false)
    breaker.release()
    expect(breaker.state).toBe('HALF_OPEN')
    expect(breaker.allow()).toEqual({ ok: true, trial: true })
    breaker.onSuccess()
    expect(breaker.state).toBe('CLOSED')
  })

  test('4xx, 429 and client aborts are not breaker failures', () => {
    const { breaker } = setup()
    const outcomes = [{ status: 400 }, { status: 401 }, { status: 404 }, { status: 413 }, { status: 429 }, { kind: 'aborted' as const }]
    for (let i = 0; i < 20; i++) {
      breaker.allow()
      const outcome = outcomes[i % outcomes.length]
      if (isBreakerFailure(outcome)) breaker.onFailure()
      else breaker.onSuccess()
    }
    expect(breaker.state).toBe('CLOSED')
    for (const outcome of outcomes) expect(isBreakerFailure(outcome)).toBe(false)
    expect(isBreakerFailure({ status: 200 })).toBe(false)
    expect(isBreakerFailure({})).toBe(false)
  })

  test('5xx, 529, timeouts and connection errors are breaker failures', () => {
    for (const status of [500, 502, 503, 504, 529]) expect(isBreakerFailure({ status })).toBe(true)
    expect(isBreakerFailure({ kind: 'timeout' })).toBe(true)
    expect(isBreakerFailure({ kind: 'connection' })).toBe(true)
    expect(isBreakerFailure({ status: 503, kind: 'aborted' })).toBe(false)
  })

  test('the listener can unsubscribe', () => {
    const { breaker, fail } = setup({ failureThreshold: 1 })
    const seen: string[] = []
    const off = breaker.onTransition((t) => seen.push(t.to))
    off()
    fail(1)
    expect(seen).toEqual([])
    expect(breaker.state).toBe('OPEN')
  })
})
