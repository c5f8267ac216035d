import type { Histogram } from './histogram'
import type { Metrics } from './registry'

/** An extra counter or gauge family to append to the exposition (e.g. from the upstream pool). */
export interface PromFamily {
  /** Full metric name, e.g. `ccproxy_upstream_connections`. */
  name: string
  help: string
  type: 'counter' | 'gauge'
  samples: Array<{ labels?: Record<string, string>; value: number }>
}

/** Escapes a label value for the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

/** A sample value as Prometheus writes it (`+Inf`, `-Inf`, `NaN` for the non-finite). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf'
  return String(v)
}

const formatLabels = (labels?: Record<string, string>) => {
  const entries = labels ? Object.entries(labels) : []
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : ''
}

const seconds = (ms: number) => Number.parseFloat((ms / 1000).toPrecision(12))

class Exposition {
  private lines: string[] = []

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
    return this
  }

  sample(name: string, value: number, labels?: Record<string, string>): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`)
    return this
  }

  simple(name: string, type: 'counter' | 'gauge', help: string, value: number): this {
    return this.family(name, type, help).sample(name, value)
  }

  /** A histogram recorded in ms, exposed in seconds. */
  histogramSeconds(name: string, help: string, h: Histogram): this {
    this.family(name, 'histogram', help)
    const cumulative = h.cumulativeCounts()
    h.bounds.forEach((b, i) => this.sample(`${name}_bucket`, cumulative[i], { le: formatValue(seconds(b)) }))
    this.sample(`${name}_bucket`, h.count, { le: '+Inf' })
    this.sample(`${name}_sum`, seconds(h.sum))
    return this.sample(`${name}_count`, h.count)
  }

  text(): string {
    return `${this.lines.join('\n')}\n`
  }
}

/** The metrics in Prometheus text exposition format 0.0.4, every family named `ccproxy_*` with HELP and TYPE. */
export function toPrometheus(m: Metrics, extra: readonly PromFamily[] = []): string {
  const s = m.snapshot()
  const h = m.histograms()
  const out = new Exposition()

  out.family('ccproxy_requests_total', 'counter', 'Finished requests by status class and upstream model.')
  for (const r of m.requestCounts()) out.sample('ccproxy_requests_total', r.count, { status_class: r.statusClass, model: r.model })
  out.simple('ccproxy_request_errors_total', 'counter', 'Finished requests that failed (5xx, 429, 408).', s.requests.errors_total)
  out.simple('ccproxy_requests_in_flight', 'gauge', 'Requests being served now.', s.requests.in_flight)

  out.histogramSeconds('ccproxy_request_duration_seconds', 'Total time of a request, from arrival to the last byte.', h.total)
  out.histogramSeconds('ccproxy_time_to_first_byte_seconds', 'Time from arrival to the first byte sent to the client.', h.firstByte)
  out.histogramSeconds('ccproxy_upstream_duration_seconds', 'Time spent waiting on the upstream, all attempts.', h.upstream)

  out.family('ccproxy_tokens_total', 'counter', 'Tokens by kind, as reported by the upstream.')
  out.sample('ccproxy_tokens_total', s.tokens.input_total, { kind: 'input' })
  out.sample('ccproxy_tokens_total', s.tokens.output_total, { kind: 'output' })
  out.sample('ccproxy_tokens_total', s.tokens.cache_read_total, { kind: 'cache_read' })
  out.sample('ccproxy_tokens_total', s.tokens.cache_creation_total, { kind: 'cache_creation' })
  out.simple('ccproxy_output_tokens_per_second', 'gauge', 'Recent mean generation speed of answers, in output tokens per second.',
    s.output_tokens_per_second.recent_mean ?? 0)

  out.simple('ccproxy_retries_total', 'counter', 'Upstream retries.', s.retries_total)
  out.family('ccproxy_timeouts_total', 'counter', 'Timeouts by kind: connect, write, first_byte, idle, total, pool.')
  for (const [kind, n] of Object.entries(s.timeouts_total)) out.sample('ccproxy_timeouts_total', n, { kind })

  out.simple('ccproxy_circuit_breaker_state', 'gauge', 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', s.breaker.state_code)
  out.simple('ccproxy_circuit_breaker_transitions_total', 'counter', 'Circuit breaker state changes.', s.breaker.transitions_total)

  out.simple('ccproxy_rate_limit_rpm', 'gauge', 'Effective client-side limit in requests per minute (0 when off).', s.limiter.rpm_effective ?? 0)
  out.simple('ccproxy_rate_limit_tpm', 'gauge', 'Effective client-side limit in input tokens per minute (0 when off).', s.limiter.tpm_effective ?? 0)
  out.simple('ccproxy_rate_limit_queue_length', 'gauge', 'Requests waiting for a rate-limit permit.', s.limiter.queue_length)
  out.simple('ccproxy_rate_limit_waits_total', 'counter', 'Requests that waited for a rate-limit permit.', s.limiter.waits_total)
  out.histogramSeconds('ccproxy_rate_limit_wait_seconds', 'Time spent waiting for a rate-limit permit.', h.limiterWait)

  out.family('ccproxy_cache_requests_total', 'counter', 'Response cache lookups by result: hit, miss, joined (shared an identical request in flight).')
  out.sample('ccproxy_cache_requests_total', s.cache.hits_total, { result: 'hit' })
  out.sample('ccproxy_cache_requests_total', s.cache.misses_total, { result: 'miss' })
  out.sample('ccproxy_cache_requests_total', s.cache.joins_total, { result: 'joined' })

  if (s.redis.up !== null) out.simple('ccproxy_redis_up', 'gauge', 'Whether Redis (REDIS_URL) answers: 1 shared state in use, 0 local fallback.', s.redis.up)
  out.simple('ccproxy_health_score', 'gauge', 'Health score 0..100 (see the README for the formula).', s.health.score)
  out.simple('ccproxy_process_resident_memory_bytes', 'gauge', 'Resident set size of the process.', s.process.rss_bytes)
  out.simple('ccproxy_process_heap_used_bytes', 'gauge', 'JavaScript heap in use.', s.process.heap_used_bytes)
  out.simple('ccproxy_uptime_seconds', 'gauge', 'Seconds since the proxy started.', s.uptime_seconds)

  for (const f of extra) {
    out.family(f.name, f.type, f.help)
    for (const x of f.samples) out.sample(f.name, x.value, x.labels)
  }
  return out.text()
}

/** The Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
