import { Histogram, WindowedCounter, WindowedHistogram, niceBuckets, type WindowOptions } from './histogram'
import { healthScore, type BreakerStateName, type Health, type HealthInput } from './health'

/** Timeout kinds counted separately. */
export const TIMEOUT_KINDS = ['connect', 'write', 'first_byte', 'idle', 'total', 'pool'] as const
export type TimeoutKind = (typeof TIMEOUT_KINDS)[number]

/** Response cache outcomes. */
export type CacheResult = 'hit' | 'miss' | 'joined'

/** Token usage of one request. */
export interface TokenUsage {
  input: number
  output: number
  cacheRead?: number
  cacheCreation?: number
}

/** What is known about a request when it ends. */
export interface FinishedRequest {
  /** HTTP status sent to the client (or the status of the error event, after the first byte). */
  status: number
  /** Upstream model name the request went to. */
  model: string
  totalMs: number
  /** Time until the first byte was sent to the client. */
  firstByteMs?: number
  /** Time spent waiting on the upstream (all attempts). */
  upstreamMs?: number
  tokens?: TokenUsage
  stream: boolean
}

/** Percentiles of a latency in milliseconds; null when there is no sample. */
export interface LatencySummary {
  count: number
  sum_ms: number
  mean_ms: number | null
  p50: number | null
  p95: number | null
  p99: number | null
  /** The same over the recent window (`window_seconds`). */
  recent: { count: number; p50: number | null; p95: number | null; p99: number | null }
}

/** The JSON served at GET /v1/metrics. Field names are stable; units are in the names. */
export interface MetricsSnapshot {
  timestamp_ms: number
  uptime_seconds: number
  /** Width of every `recent` figure, in seconds. */
  window_seconds: number
  requests: {
    total: number
    in_flight: number
    /** Requests that failed (5xx, 429, 408), a subset of total. */
    errors_total: number
    by_status_class: Record<string, number>
    by_model: Record<string, number>
  }
  recent: { requests: number; errors: number; success_rate: number | null; requests_per_second: number }
  latency_ms: { total: LatencySummary; first_byte: LatencySummary; upstream: LatencySummary }
  tokens: { input_total: number; output_total: number; cache_read_total: number; cache_creation_total: number }
  /** Output tokens per second of generation, per request, over the recent window. */
  output_tokens_per_second: { recent_mean: number | null; p50: number | null; p95: number | null; count: number }
  retries_total: number
  timeouts_total: Record<TimeoutKind, number>
  breaker: { state: BreakerStateName; state_code: 0 | 1 | 2; transitions_total: number }
  limiter: {
    rpm_effective: number | null
    tpm_effective: number | null
    queue_length: number
    waits_total: number
    wait_ms: LatencySummary
    /** 0..1, see `Metrics.limiterPressure`. */
    pressure: number
  }
  cache: { hits_total: number; misses_total: number; joins_total: number; hit_ratio: number | null }
  /** Redis (REDIS_URL): off when not configured; up is 1 while it answers, 0 while the local fallback is in use. */
  redis: { status: 'off' | 'ok' | 'down'; up: 0 | 1 | null }
  process: { rss_bytes: number; heap_used_bytes: number; heap_total_bytes: number; external_bytes: number }
  health: Health
}

/** Options for Metrics; every clock read goes through `now`. */
export interface MetricsOptions {
  now?: () => number
  /** Width of the `recent` window in ms (default 5 minutes). */
  windowMs?: number
  memoryUsage?: () => { rss: number; heapUsed: number; heapTotal: number; external: number }
}

const STATE_CODE = { closed: 0, half_open: 1, open: 2 } as const
const STATE_NAME: BreakerStateName[] = ['closed', 'half_open', 'open']
const MAX_MODELS = 100
const SLICE_MS = 10_000
const QUEUE_FULL = 50
const TPS_BUCKETS = niceBuckets(0.1, 20_000)
const RECENT_KEYS = ['requests', 'errors', 'outputTokens', 'generationMs', 'inputTokens'] as const

/** True when a final status counts against the success rate. */
export const isFailureStatus = (status: number) => status >= 500 || status === 429 || status === 408 || status < 100

const statusClass = (status: number) => (status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other')

const zeroCounters = () => ({
  total: 0,
  errors: 0,
  byStatusModel: new Map<string, { statusClass: string; model: string; count: number }>(),
  tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
  retries: 0,
  timeouts: Object.fromEntries(TIMEOUT_KINDS.map((k) => [k, 0])) as Record<TimeoutKind, number>,
  breakerTransitions: 0,
  limiterWaits: 0,
  cache: { hit: 0, miss: 0, joined: 0 } as Record<CacheResult, number>,
})

class Latency {
  readonly all: Histogram
  readonly window: WindowedHistogram
  constructor(window: WindowOptions) {
    this.all = new Histogram()
    this.window = new WindowedHistogram(window)
  }
  observe(ms: number) {
    this.all.observe(ms)
    this.window.observe(ms)
  }
  reset() {
    this.all.reset()
    this.window.reset()
  }
  summary(windowMs: number): LatencySummary {
    const r = this.window.recent(windowMs)
    return {
      count: this.all.count, sum_ms: this.all.sum, mean_ms: this.all.mean,
      p50: this.all.percentile(50), p95: this.all.percentile(95), p99: this.all.percentile(99),
      recent: { count: r.count, p50: r.percentile(50), p95: r.percentile(95), p99: r.percentile(99) },
    }
  }
}

/** Everything the proxy reports: counters, gauges and latency histograms, bounded in memory. */
export class Metrics {
  private readonly now: () => number
  private readonly windowMs: number
  private readonly memoryUsage: NonNullable<MetricsOptions['memoryUsage']>
  private readonly startedAt: number
  private readonly latency: { total: Latency; firstByte: Latency; upstream: Latency; limiterWait: Latency }
  private readonly tps: WindowedHistogram
  private readonly recentCounts: WindowedCounter<(typeof RECENT_KEYS)[number]>
  private c = zeroCounters()
  private inFlight = 0
  private breakerState: BreakerStateName = 'closed'
  private limiter = { rpm: null as number | null, tpm: null as number | null, queueLength: 0, pressure: null as number | null }
  private upstreamReachable: boolean | null = null
  private redisStatus: 'off' | 'ok' | 'down' = 'off'

  constructor(opts: MetricsOptions = {}) {
    this.now = opts.now ?? Date.now
    this.windowMs = opts.windowMs ?? 300_000
    this.memoryUsage = opts.memoryUsage ?? (() => process.memoryUsage())
    this.startedAt = this.now()
    const slices: WindowOptions = { now: this.now, sliceMs: SLICE_MS, slices: Math.ceil(Math.max(this.windowMs, 60_000) / SLICE_MS) + 1 }
    this.latency = { total: new Latency(slices), firstByte: new Latency(slices), upstream: new Latency(slices), limiterWait: new Latency(slices) }
    this.tps = new WindowedHistogram({ ...slices, bounds: TPS_BUCKETS })
    this.recentCounts = new WindowedCounter(RECENT_KEYS, slices)
  }

  /** Requests started and not yet finished. */
  get requestsInFlight(): number {
    return this.inFlight
  }

  /** Counts a request as started (in flight until `requestFinished`). */
  requestStarted(): void {
    this.inFlight++
  }

  /** Records a finished request: status, upstream model, timings in ms and token usage. */
  requestFinished(r: FinishedRequest): void {
    if (this.inFlight > 0) this.inFlight--
    this.c.total++
    const failed = isFailureStatus(r.status)
    if (failed) this.c.errors++
    this.countStatusModel(statusClass(r.status), r.model || 'unknown')
    this.recentCounts.add('requests')
    if (failed) this.recentCounts.add('errors')
    this.latency.total.observe(r.totalMs)
    if (r.firstByteMs != null) this.latency.firstByte.observe(r.firstByteMs)
    if (r.upstreamMs != null) this.latency.upstream.observe(r.upstreamMs)
    const t = r.tokens
    if (!t) return
    const sum = this.c.tokens
    sum.input += t.input || 0
    sum.output += t.output || 0
    sum.cacheRead += t.cacheRead || 0
    sum.cacheCreation += t.cacheCreation || 0
    this.recentCounts.add('inputTokens', t.input || 0)
    const generationMs = r.stream && r.firstByteMs != null ? r.totalMs - r.firstByteMs : (r.upstreamMs ?? r.totalMs)
    if (t.output > 0 && generationMs > 0) {
      this.tps.observe(t.output / (generationMs / 1000))
      this.recentCounts.add('outputTokens', t.output)
      this.recentCounts.add('generationMs', generationMs)
    }
  }

  /** Counts one upstream retry. */
  retry(): void {
    this.c.retries++
  }

  /** Counts one timeout of the given kind. */
  timeout(kind: TimeoutKind): void {
    if (kind in this.c.timeouts) this.c.timeouts[kind]++
  }

  /** Sets the breaker gauge (does not count a transition; see `breakerTransition`). */
  setBreakerState(state: BreakerStateName | 'half-open' | 0 | 1 | 2): void {
    this.breakerState = typeof state === 'number' ? STATE_NAME[state] ?? 'closed' : state === 'half-open' ? 'half_open' : state
  }

  /** Counts one breaker state change. */
  breakerTransition(): void {
    this.c.breakerTransitions++
  }

  /** Sets the limiter gauges: effective limits, queue length and, optionally, its own 0..1 pressure. */
  setLimiter(l: { rpm: number; tpm: number; queueLength: number; pressure?: number }): void {
    this.limiter = { rpm: l.rpm, tpm: l.tpm, queueLength: l.queueLength, pressure: l.pressure ?? null }
  }

  /** Records that a request waited `ms` for a limiter permit. */
  limiterWait(ms: number): void {
    this.c.limiterWaits++
    this.latency.limiterWait.observe(ms)
  }

  /** Counts one response-cache lookup outcome. */
  cache(result: CacheResult): void {
    if (result in this.c.cache) this.c.cache[result]++
  }

  /** Records whether Redis (REDIS_URL) answers: ok, down, or off when not configured. */
  setRedis(status: 'off' | 'ok' | 'down'): void {
    this.redisStatus = status
  }

  /** Records the last upstream reachability check (null = unknown). */
  setUpstreamReachable(reachable: boolean | null): void {
    this.upstreamReachable = reachable
  }

  /**
   * Limiter pressure, 0..1: the given pressure if `setLimiter` had one, else the largest of the queue length / 50,
   * requests in the last minute / effective RPM and input tokens in the last minute / effective TPM.
   */
  limiterPressure(): number {
    const l = this.limiter
    if (l.pressure != null) return Math.min(1, Math.max(0, l.pressure))
    const minute = this.recentCounts.recent(60_000)
    const rpmUsed = l.rpm ? minute.requests / l.rpm : 0
    const tpmUsed = l.tpm ? minute.inputTokens / l.tpm : 0
    return Math.min(1, Math.max(l.queueLength / QUEUE_FULL, rpmUsed, tpmUsed))
  }

  /** The input of `healthScore` from the current state. */
  healthInput(): HealthInput {
    const recent = this.recentCounts.recent(this.windowMs)
    return {
      successRate: recent.requests ? 1 - recent.errors / recent.requests : null,
      breakerState: this.breakerState,
      p95Ms: this.latency.total.window.recent(this.windowMs).percentile(95),
      limiterPressure: this.limiterPressure(),
      upstreamReachable: this.upstreamReachable,
      sharedStateDown: this.redisStatus === 'down',
    }
  }

  /** Request counts by status class and upstream model (for Prometheus). */
  requestCounts(): Array<{ statusClass: string; model: string; count: number }> {
    return [...this.c.byStatusModel.values()].map((x) => ({ ...x }))
  }

  /** The lifetime histograms, in ms except `outputTokensPerSecond` (recent window only). */
  histograms(): { total: Histogram; firstByte: Histogram; upstream: Histogram; limiterWait: Histogram } {
    const l = this.latency
    return { total: l.total.all, firstByte: l.firstByte.all, upstream: l.upstream.all, limiterWait: l.limiterWait.all }
  }

  /** A JSON-friendly copy of every figure; memory and uptime are read now. */
  snapshot(): MetricsSnapshot {
    const now = this.now()
    const recent = this.recentCounts.recent(this.windowMs)
    const tps = this.tps.recent(this.windowMs)
    const byClass: Record<string, number> = { '2xx': 0, '4xx': 0, '5xx': 0 }
    const byModel: Record<string, number> = {}
    for (const x of this.c.byStatusModel.values()) {
      byClass[x.statusClass] = (byClass[x.statusClass] ?? 0) + x.count
      byModel[x.model] = (byModel[x.model] ?? 0) + x.count
    }
    const mem = this.memoryUsage()
    const { c } = this
    const lookups = c.cache.hit + c.cache.miss
    const health = this.healthInput()
    const windowSeconds = this.windowMs / 1000
    return {
      timestamp_ms: now,
      uptime_seconds: (now - this.startedAt) / 1000,
      window_seconds: windowSeconds,
      requests: { total: c.total, in_flight: this.inFlight, errors_total: c.errors, by_status_class: byClass, by_model: byModel },
      recent: {
        requests: recent.requests,
        errors: recent.errors,
        success_rate: health.successRate,
        requests_per_second: recent.requests / this.coveredSeconds(now),
      },
      latency_ms: {
        total: this.latency.total.summary(this.windowMs),
        first_byte: this.latency.firstByte.summary(this.windowMs),
        upstream: this.latency.upstream.summary(this.windowMs),
      },
      tokens: {
        input_total: c.tokens.input,
        output_total: c.tokens.output,
        cache_read_total: c.tokens.cacheRead,
        cache_creation_total: c.tokens.cacheCreation,
      },
      output_tokens_per_second: {
        recent_mean: recent.generationMs > 0 ? recent.outputTokens / (recent.generationMs / 1000) : null,
        p50: tps.percentile(50),
        p95: tps.percentile(95),
        count: tps.count,
      },
      retries_total: c.retries,
      timeouts_total: { ...c.timeouts },
      breaker: { state: this.breakerState, state_code: STATE_CODE[this.breakerState], transitions_total: c.breakerTransitions },
      limiter: {
        rpm_effective: this.limiter.rpm,
        tpm_effective: this.limiter.tpm,
        queue_length: this.limiter.queueLength,
        waits_total: c.limiterWaits,
        wait_ms: this.latency.limiterWait.summary(this.windowMs),
        pressure: health.limiterPressure,
      },
      cache: { hits_total: c.cache.hit, misses_total: c.cache.miss, joins_total: c.cache.joined, hit_ratio: lookups ? c.cache.hit / lookups : null },
      redis: { status: this.redisStatus, up: this.redisStatus === 'off' ? null : this.redisStatus === 'ok' ? 1 : 0 },
      process: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed, heap_total_bytes: mem.heapTotal, external_bytes: mem.external },
      health: healthScore(health),
    }
  }

  /** Zeroes every counter and histogram; gauges (in flight, breaker, limiter) and uptime are kept. */
  reset(): void {
    this.c = zeroCounters()
    for (const l of Object.values(this.latency)) l.reset()
    this.tps.reset()
    this.recentCounts.reset()
  }

  /** Seconds the recent window really spans: whole past slices plus the current one, at most the uptime. */
  private coveredSeconds(now: number): number {
    const k = Math.ceil(this.windowMs / SLICE_MS)
    const spanMs = (k - 1) * SLICE_MS + (now % SLICE_MS)
    return Math.max(1, Math.min(spanMs, now - this.startedAt) / 1000)
  }

  private countStatusModel(cls: string, model: string): void {
    let key = `${cls} ${model}`
    if (!this.c.byStatusModel.has(key) && this.c.byStatusModel.size >= MAX_MODELS * 2) {
      model = 'other'
      key = `${cls} other`
    }
    const entry = this.c.byStatusModel.get(key)
    if (entry) entry.count++
    else this.c.byStatusModel.set(key, { statusClass: cls, model, count: 1 })
  }
}
