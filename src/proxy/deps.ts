import type { Config } from '../config/schema'
import type { Logger } from 'pino'
import { UpstreamClient, type UpstreamEndpoint } from '../upstream/client'
import { compileModelMap, mapModel } from '../translate/models'
import { detectProvider, getProfile, type ProviderProfile } from '../translate/providers'
import { TokenCounter, encodingForModel } from '../tokens/count'
import type { AnthropicCountTokensRequest } from '../translate/types'
import type { RequestRecord } from './messages'
import { Metrics } from '../metrics/registry'
import { logRequest } from '../log/app-logger'
import { CacheLayer } from '../cache/layer'
import { BodyMemo } from './body-memo'
import { createTracer, type Tracer } from '../tracing/tracer'
import { KeyChecker } from '../plugins/auth'
import { IdleWork } from './idle-work'
import type { RedisLink } from '../redis/link'
import { createSharedState } from '../redis/shared-state'

/** A worker's place among the WORKERS processes sharing one port (1-based index). */
export interface WorkerInfo { readonly index: number; readonly count: number }

/** Everything a request handler needs, built once at start-up. */
export interface ProxyDeps {
  readonly config: Config
  readonly profile: ProviderProfile
  readonly upstream: UpstreamClient
  readonly logger: Logger
  readonly metrics: Metrics
  readonly startedAt: number
  /** The response cache and in-flight de-duplication. */
  readonly cache: CacheLayer
  /** The upstream part of every cache key (all configured endpoints: failover may answer from any). */
  readonly cacheUpstream: string
  readonly tracer: Tracer
  /** The Redis link when REDIS_URL is set: start it before listening, close it when stopping. */
  readonly redis?: RedisLink
  /** Set in a worker process: its index and how many workers share the port. */
  readonly worker?: WorkerInfo
  /** The client keys (CCPROXY_API_KEYS). */
  readonly keys: KeyChecker
  /** Parses request bodies, reusing the tool definitions and system prompt a session sends with every request. */
  readonly bodies: BodyMemo
  mapModel(requested: string): string
  countTokens(req: AnthropicCountTokensRequest): number
  /** Called once per finished request: metrics, the access log, then `observe` when given. */
  onRequestDone(rec: RequestRecord, totalMs: number): void
  /** Extra observer of finished requests (tests). */
  observe?(rec: RequestRecord, totalMs: number): void
  /** Milliseconds of upstream silence before an `event: ping` (10 s). */
  pingIntervalMs?: number
}

/** The upstream API key: OPENAI_API_KEY, else OPENROUTER_API_KEY. */
export function upstreamKey(config: Config): string | undefined {
  return config.OPENAI_API_KEY || config.OPENROUTER_API_KEY
}

/** Builds one upstream endpoint per configured base URL (they share the provider profile and the key). */
export function buildEndpoints(config: Config, profile: ProviderProfile): UpstreamEndpoint[] {
  const key = upstreamKey(config)
  const headers = { ...(key ? profile.authHeaders(key) : {}), ...profile.extraHeaders }
  return config.OPENAI_BASE_URL.map((baseUrl) => ({ baseUrl, headers, chatUrl: (model: string) => profile.chatUrl(baseUrl, model, config) }))
}

/** Wires the request-path dependencies from the settings. */
export function buildDeps(config: Config, logger: Logger, extra: Partial<ProxyDeps> = {}, scaling: { worker?: WorkerInfo } = {}): ProxyDeps {
  const providerName = config.UPSTREAM_PROVIDER === 'auto' ? detectProvider(config.OPENAI_BASE_URL[0]) : config.UPSTREAM_PROVIDER
  const profile = getProfile(providerName as Parameters<typeof getProfile>[0])
  const modelMap = compileModelMap(config.MODEL_MAP)
  const counter = new TokenCounter(encodingForModel(config.BIG_MODEL_NAME))
  const metrics = extra.metrics ?? new Metrics()
  const shared = createSharedState(config, { logger, metrics })
  const upstream = extra.upstream ?? new UpstreamClient(buildEndpoints(config, profile), config, {
    logger,
    metrics,
    limitDivisor: scaling.worker?.count,
    shared: shared && { limiter: shared.limiter, breaker: shared.breaker },
  })
  upstream.prefetchDns()
  // The tokenizer loads 0.3 s after start-up (once listening, so start-up health checks do not wait for it), and a
  // burst's garbage is collected once nothing has been in flight for a second (see idle-work.ts).
  const idle = new IdleWork({ inFlight: () => metrics.requestsInFlight, warm: () => void counter.fallback, collect: () => Bun.gc(true), warmAfterMs: 300, idleMs: 1_000, minGapMs: 5_000 })
  if (shared) {
    shared.link.onStatusChange(() => upstream.refreshSharedBreakers())
    shared.link.onProbe(() => upstream.refreshSharedBreakers())
  }
  const deps: ProxyDeps = {
    config,
    profile,
    upstream,
    logger,
    metrics,
    cache: extra.cache ?? new CacheLayer(config, undefined, shared?.cache),
    redis: shared?.link,
    worker: scaling.worker,
    cacheUpstream: config.OPENAI_BASE_URL.join(','),
    keys: new KeyChecker(config.CCPROXY_API_KEYS),
    bodies: new BodyMemo(),
    tracer: extra.tracer ?? createTracer(config, { onExportError: throttled(logger) }),
    startedAt: Date.now(),
    onRequestDone(rec, totalMs) {
      if (rec.cache) metrics.cache(rec.cache)
      metrics.requestFinished({
        status: rec.status,
        model: rec.upstreamModel ?? 'unknown',
        totalMs,
        firstByteMs: rec.firstByteMs,
        stream: rec.stream ?? false,
        tokens: rec.usage && { input: rec.usage.input_tokens, output: rec.usage.output_tokens, cacheRead: rec.usage.cache_read_input_tokens, cacheCreation: rec.usage.cache_creation_input_tokens },
      })
      logRequest(logger, rec, totalMs)
      idle.requestDone()
      deps.observe?.(rec, totalMs)
    },
    mapModel: (m) => mapModel(m, { BIG_MODEL_NAME: config.BIG_MODEL_NAME, SMALL_MODEL_NAME: config.SMALL_MODEL_NAME, MODEL_MAP: modelMap }),
    countTokens: (req) => counter.countRequest(req),
    ...extra,
  }
  return deps
}

/** Logs OTLP export failures at most once a minute (a dead collector fails every second). */
function throttled(logger: Logger): (message: string, spans: number) => void {
  let last = -Infinity
  return (message, spans) => {
    const now = Date.now()
    if (now - last < 60_000) return
    last = now
    logger.warn({ spans, err: message }, 'OTLP trace export failed')
  }
}
