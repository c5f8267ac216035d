import type { DocumentDecoration } from 'elysia'
import { TIMEOUT_KINDS } from '../metrics/registry'
import { VERSION } from '../version'

/** OpenAPI operation details of the operations routes (metrics, health, cache, dashboard), shown at /swagger. */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } })
const obj = (properties: Record<string, object>, extra: object = {}) => ({ type: 'object', required: Object.keys(properties), properties, ...extra })
const int = { type: 'integer', minimum: 0 }
const num = { type: 'number' }
const maybeNum = { type: 'number', nullable: true }
const counts = { type: 'object', additionalProperties: int }

const Latency = obj({
  count: int, sum_ms: num, mean_ms: maybeNum, p50: maybeNum, p95: maybeNum, p99: maybeNum,
  recent: obj({ count: int, p50: maybeNum, p95: maybeNum, p99: maybeNum }),
}, { description: 'Milliseconds; null when there is no sample' })

const HealthStatus = { type: 'string', enum: ['ok', 'degraded', 'down'] }
const BreakerState = { type: 'string', enum: ['closed', 'half_open', 'open'] }

const MetricsSnapshot = obj({
  timestamp_ms: num,
  uptime_seconds: num,
  window_seconds: num,
  requests: obj({ total: int, in_flight: int, errors_total: int, by_status_class: counts, by_model: counts }),
  recent: obj({ requests: int, errors: int, success_rate: maybeNum, requests_per_second: num }),
  latency_ms: obj({ total: Latency, first_byte: Latency, upstream: Latency }),
  tokens: obj({ input_total: int, output_total: int, cache_read_total: int, cache_creation_total: int }),
  output_tokens_per_second: obj({ recent_mean: maybeNum, p50: maybeNum, p95: maybeNum, count: int }),
  retries_total: int,
  timeouts_total: obj(Object.fromEntries(TIMEOUT_KINDS.map((kind) => [kind, int]))),
  breaker: obj({ state: BreakerState, state_code: { type: 'integer', enum: [0, 1, 2] }, transitions_total: int }),
  limiter: obj({
    rpm_effective: maybeNum, tpm_effective: maybeNum, queue_length: int, waits_total: int, wait_ms: Latency,
    pressure: { type: 'number', minimum: 0, maximum: 1 },
  }),
  cache: obj({ hits_total: int, misses_total: int, joins_total: int, hit_ratio: maybeNum }),
  redis: obj({ status: { type: 'string', enum: ['off', 'ok', 'down'] }, up: { type: 'integer', enum: [0, 1], nullable: true } }, { description: 'REDIS_URL: off when not set; down while the local fallback is in use' }),
  process: obj({ rss_bytes: int, heap_used_bytes: int, heap_total_bytes: int, external_bytes: int }),
  health: obj({ score: { type: 'integer', minimum: 0, maximum: 100 }, status: HealthStatus }),
  request_bodies: obj(
    { reused_total: int, kept: obj({ tools: int, system: int }) },
    { description: 'Request bodies whose tools or system member was recognised from an earlier request of the session and not parsed again, and how many distinct values of each are kept (at most 8)' },
  ),
})

const EndpointHealth = {
  type: 'object',
  properties: {
    url: { type: 'string' }, breaker: { type: 'string', enum: ['CLOSED', 'HALF_OPEN', 'OPEN'] }, consecutive_failures: int,
    retry_after_ms: int, successes: int, failures: int, last_error: { type: 'string' },
    idle_connections: { ...int, description: 'Connections its answers left in the keep-alive pool in the last 2 s: the next requests reuse them without a connect phase' },
  },
}

const healthFields = {
  status: HealthStatus,
  health_score: { type: 'integer', minimum: 0, maximum: 100 },
  breaker: obj({ state: BreakerState }),
  upstream: obj({ reachable: { type: 'boolean', nullable: true, description: 'From the latest request outcomes; null before any' } }),
  version: { type: 'string' },
  uptime_s: int,
  redis: obj({ status: { type: 'string', enum: ['off', 'ok', 'down'] } }, { description: 'Shared state (REDIS_URL); down makes the status at least degraded' }),
  pid: int,
}
const HealthBody = {
  type: 'object',
  required: Object.keys(healthFields),
  properties: { ...healthFields, endpoints: { type: 'array', description: 'Each upstream endpoint (OPENAI_BASE_URL) with its own breaker', items: EndpointHealth } },
}

const CacheStats = obj({
  enabled: { type: 'boolean' }, entries: int, bytes: int, hits: int, misses: int, joins: int, evictions: int,
  hit_rate: { type: 'number', nullable: true, minimum: 0, maximum: 1 },
})

const example = (response: ReturnType<typeof json>, value: object) => ({ ...response, content: { 'application/json': { ...response.content['application/json'], example: value } } })
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } })

/** The `detail` of each operations route. */
export function opsOpenApiDetails(): Record<'metrics' | 'prometheus' | 'reset' | 'cacheStats' | 'cacheClear' | 'health' | 'dashboard', DocumentDecoration> {
  const details = {
    metrics: {
      tags: ['operations'], summary: 'Metrics as JSON (what the dashboard polls)',
      responses: { 200: json(MetricsSnapshot, 'Counters, latency percentiles, tokens, breaker, limiter, cache, process') },
    },
    prometheus: {
      tags: ['operations'], summary: 'Metrics in Prometheus text format 0.0.4 (ccproxy_* families)',
      responses: { 200: { description: 'Text exposition', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
    reset: {
      tags: ['operations'], summary: 'Zero the counters and histograms (gauges and uptime are kept)',
      responses: { 200: json(obj({ ok: { type: 'boolean', enum: [true] } }), 'Reset done') },
    },
    cacheStats: {
      tags: ['operations'], summary: 'Response cache statistics',
      responses: { 200: json(CacheStats, 'Entries, bytes and lookups; enabled is false while there is no cache') },
    },
    cacheClear: {
      tags: ['operations'], summary: 'Empty the response cache',
      responses: { 200: json(obj({ cleared: int }), 'How many entries were removed') },
    },
    health: {
      tags: ['operations'], summary: 'Health of the proxy: score 0-100, breaker, upstream reachability',
      responses: {
        200: example(json(HealthBody, 'ok or degraded'), { status: 'ok', health_score: 100, breaker: { state: 'closed' }, upstream: { reachable: true }, version: VERSION, uptime_s: 3600 }),
        503: example(json(HealthBody, 'down'), { status: 'down', health_score: 20, breaker: { state: 'open' }, upstream: { reachable: false }, version: VERSION, uptime_s: 3600 }),
      },
    },
    dashboard: {
      tags: ['operations'], summary: 'Live dashboard (polls /v1/metrics every 2 s)',
      responses: { 200: html('A self-contained page') },
    },
  }
  return details as unknown as Record<keyof typeof details, DocumentDecoration>
}
