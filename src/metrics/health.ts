/** Breaker state names as reported by the health score and metrics. */
export type BreakerStateName = 'closed' | 'half_open' | 'open'

/** What the health score is computed from. */
export interface HealthInput {
  /** Share of recent requests that succeeded, 0..1; null when there was no recent traffic. */
  successRate: number | null
  breakerState: BreakerStateName
  /** Recent p95 of total request time in ms; null when unknown. */
  p95Ms: number | null
  /** 0..1: how close the client-side rate limiter is to its limits (queue or used fraction). */
  limiterPressure: number
  /** Result of the last upstream reachability check; null when not checked. */
  upstreamReachable: boolean | null
  /** REDIS_URL is set but Redis is unreachable: limits, breakers and the cache are this process's own. */
  sharedStateDown?: boolean
}

/** A 0..100 score and the status derived from it. */
export interface Health {
  score: number
  status: 'ok' | 'degraded' | 'down'
}

const clamp01 = (x: number) => (x > 1 ? 1 : x > 0 ? x : 0)

/**
 * Health of the proxy from recent traffic:
 *
 *     score = 100 × successRate                         (successRate = 1 when there was no recent traffic)
 *           − 40 if the breaker is open or the upstream is unreachable
 *           − 15 if the breaker is half-open
 *           − 25 × clamp((p95Ms − 10 000) / 50 000, 0, 1)  (nothing up to a p95 of 10 s, all 25 at 60 s)
 *           − 25 × clamp(limiterPressure, 0, 1)
 *           − 20 if Redis (REDIS_URL) is unreachable
 *     score is rounded and clamped to 0..100
 *
 *     status = down      when the breaker is open, the upstream is unreachable, or score < 40
 *              degraded  when the breaker is half-open, Redis is unreachable, or score < 80
 *              ok        otherwise
 */
export function healthScore(input: HealthInput): Health {
  const unreachable = input.upstreamReachable === false
  const open = input.breakerState === 'open'
  const halfOpen = input.breakerState === 'half_open'
  let score = 100 * (input.successRate == null ? 1 : clamp01(input.successRate))
  if (open || unreachable) score -= 40
  if (halfOpen) score -= 15
  if (input.p95Ms != null) score -= 25 * clamp01((input.p95Ms - 10_000) / 50_000)
  score -= 25 * clamp01(input.limiterPressure)
  if (input.sharedStateDown) score -= 20
  const rounded = Math.round(Math.min(100, Math.max(0, score)))
  const status = open || unreachable || rounded < 40 ? 'down' : halfOpen || input.sharedStateDown || rounded < 80 ? 'degraded' : 'ok'
  return { score: rounded, status }
}
