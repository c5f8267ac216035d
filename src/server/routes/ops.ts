import { Elysia } from 'elysia'
import type { ProxyDeps } from '../../proxy/deps'
import { VERSION } from '../../version'
import { healthScore } from '../../metrics/health'
import { PROMETHEUS_CONTENT_TYPE, toPrometheus } from '../../metrics/prometheus'
import { presentedKey } from '../../plugins/auth'
import { opsOpenApiDetails } from '../openapi-ops'

/** The body of GET /v1/health and its HTTP status (503 when down). */
export function healthReport(deps: ProxyDeps): { status: number; body: object } {
  const input = deps.metrics.healthInput()
  const health = healthScore(input)
  const body = {
    status: health.status,
    health_score: health.score,
    breaker: { state: input.breakerState },
    upstream: { reachable: input.upstreamReachable },
    version: VERSION,
    uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
    redis: { status: deps.redis?.status ?? 'off' },
    pid: process.pid,
    ...(deps.worker ? { worker: deps.worker } : {}),
    endpoints: deps.upstream.endpointsHealth(),
  }
  return { status: health.status === 'down' ? 503 : 200, body }
}

/**
 * Operations routes: metrics as JSON and Prometheus text, reset, response cache stats and clear, and health
 * (200 when ok or degraded, 503 when down).
 */
export function opsRoutes(deps: ProxyDeps) {
  const docs = opsOpenApiDetails()
  return new Elysia({ name: 'ccproxy/ops' })
    .get('/v1/metrics', function metricsJson() {
      return { ...deps.metrics.snapshot(), request_bodies: deps.bodies.stats() }
    }, { detail: docs.metrics })
    .get('/metrics', function metricsPrometheus() {
      return new Response(toPrometheus(deps.metrics), { headers: { 'content-type': PROMETHEUS_CONTENT_TYPE } })
    }, { detail: docs.prometheus })
    .post('/v1/metrics/reset', function resetMetrics() {
      deps.metrics.reset()
      return { ok: true }
    }, { parse: 'none', detail: docs.reset })
    .get('/v1/cache/stats', () => deps.cache.stats(), { detail: docs.cacheStats })
    .post('/v1/cache/clear', async () => ({ cleared: await deps.cache.clear() }), { parse: 'none', detail: docs.cacheClear })
    .get('/v1/health', function health({ request, set }) {
      const report = healthReport(deps)
      set.status = report.status
      if (deps.worker) set.headers['x-ccproxy-worker'] = String(process.pid)
      // Open to load balancers; with client keys set, only a caller with a key sees the internals.
      if (!deps.keys.open && !deps.keys.accepts(presentedKey(request, '/v1/health'))) return { status: (report.body as { status: string }).status }
      return report.body
    }, { detail: docs.health })
}
