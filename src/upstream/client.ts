import type { Logger } from 'pino'
import { ProxyError } from '../server/errors'
import { isRetryableStatus, retryDelayMs } from '../resilience/backoff'
import type { EffectiveLimits } from '../resilience/rate-limiter'
import type { Metrics, TimeoutKind } from '../metrics/registry'
import { allOpenError, allOpenErrorShared, createEndpoints, endpointsHealth, firstByteTimeout, openError, overallBreakerState, pickEndpoint, pickEndpointShared, recordVerdict, recordVerdictShared, settleShared, type EndpointHealth, type EndpointSettings, type LiveEndpoint, type SharedBreaker, type UpstreamEndpoint } from './endpoints'
import { ConnectionSlots, PoolTimeout } from './pool'
import { LimiterGate, LimiterTimeout, type GatePermit, type SharedLimiter } from './limiter-gate'
import type { BreakerTransition } from '../resilience/circuit-breaker'
import { clientGone, runAttempt, secondsText } from './attempt'
import { createSendResult, type SendResult } from './answer'
import { caBundle, prefetchDns, SMALL_BODY_BYTES, upstreamBody } from './transport'
import { roughTokens } from '../tokens/estimate'
import type { RequestSpan } from '../tracing/tracer'
import { sleep } from './sleep'

export type { UpstreamEndpoint, EndpointHealth } from './endpoints'
export { clientGone, describeFetchError } from './attempt'
export type { SendResult, UpstreamUsage } from './answer'

/** Settings the client reads (seconds, as configured); the app's Config satisfies it. */
export interface UpstreamClientSettings extends EndpointSettings {
  POOL_MAX_CONNECTIONS: number
  HTTP_CONNECT_TIMEOUT: number
  HTTP_WRITE_TIMEOUT: number
  HTTP_POOL_TIMEOUT: number
  PROVIDER_MAX_RETRIES: number
  PROVIDER_RETRY_BASE_DELAY: number
  PROVIDER_RETRY_JITTER: number
  CLIENT_RATE_LIMIT_ENABLED: boolean
  CLIENT_RATE_LIMIT_RPM: number
  CLIENT_RATE_LIMIT_TPM: number
  CLIENT_RATE_LIMIT_BURST: number
  CLIENT_RATE_LIMIT_ADAPTIVE: boolean
  OPENAI_API_KEY?: string | undefined
}

/** Where the client reports: log lines, metrics, and the randomness of retry jitter. */
export interface UpstreamClientDeps {
  logger?: Logger
  metrics?: Metrics
  random?: () => number
  /** Worker processes sharing this machine's limits: the local limiter gets RPM, TPM and BURST divided by it. */
  limitDivisor?: number
  /** State shared with other processes (REDIS_URL): the rate limiter, and a breaker per endpoint. */
  shared?: {
    limiter?: SharedLimiter
    breaker?: (endpointUrl: string, hooks: { onTransition(t: BreakerTransition): void; onChange(): void }) => SharedBreaker
  }
}

/** What one call needs. */
export interface SendOptions {
  body: string
  upstreamModel: string
  /** Aborted when the client goes away: stops waits, retries and the upstream request at once. */
  signal: AbortSignal
  requestId: string
  /**
   * The prompt's tokens as counted locally, computed on first use (memoise it): the rate-limit permit's size, and the
   * count in a "prompt is too long" error whose upstream message gave none. Without the limiter a successful call
   * never asks for it.
   */
  inputTokens: () => number
  /** Called once, when the first attempt's body has been handed to the connection: work to overlap with the upstream's wait. */
  whileWaiting?: () => void
  /** The request's trace span: each attempt gets a child span and sends its traceparent upstream. */
  trace?: RequestSpan
}

/**
 * The only place that calls fetch. One call takes a rate-limit permit, then makes up to 1 + PROVIDER_MAX_RETRIES
 * attempts, each holding a connection slot and passing its endpoint's circuit breaker; a failed attempt moves to
 * the next endpoint, and comes back to one already tried only after the backoff delay. Retries stop when the
 * count is spent or the next wait would pass MAX_STREAM_SECONDS. Nothing is retried once the caller has the
 * response, so nothing is retried after a byte reached the client.
 */
export class UpstreamClient {
  readonly #s: UpstreamClientSettings
  readonly #endpoints: LiveEndpoint[]
  readonly #slots: ConnectionSlots
  readonly #gate: LimiterGate | undefined
  readonly #log: Logger | undefined
  readonly #metrics: Metrics | undefined
  readonly #random: () => number
  /** Some endpoint has a shared breaker: decisions take a call to the store. */
  readonly #sharedBreakers: boolean

  constructor(endpoints: readonly UpstreamEndpoint[], settings: UpstreamClientSettings, deps: UpstreamClientDeps = {}) {
    if (endpoints.length === 0) throw new Error('OPENAI_BASE_URL names no endpoint.')
    this.#s = settings
    this.#log = deps.logger
    this.#metrics = deps.metrics
    this.#random = deps.random ?? Math.random
    const ca = settings.SSL_CERT_FILE ? caBundle(settings.SSL_CERT_FILE) : undefined
    const onTransition = (ep: UpstreamEndpoint, t: BreakerTransition) => {
      this.#log?.warn({ endpoint: ep.baseUrl, from: t.from, to: t.to, consecutive_failures: t.consecutiveFailures }, `circuit breaker for ${ep.baseUrl}: ${t.from} -> ${t.to}`)
      this.#metrics?.breakerTransition()
      this.#metrics?.setBreakerState(overallBreakerState(this.#endpoints))
    }
    this.#endpoints = createEndpoints(endpoints, settings, ca, onTransition)
    const sharedBreaker = deps.shared?.breaker
    if (sharedBreaker) {
      for (const ep of this.#endpoints) {
        ep.shared = sharedBreaker(ep.baseUrl, { onTransition: (t) => onTransition(ep, t), onChange: () => this.#metrics?.setBreakerState(overallBreakerState(this.#endpoints)) })
      }
    }
    this.#sharedBreakers = sharedBreaker !== undefined
    this.#slots = new ConnectionSlots(settings.POOL_MAX_CONNECTIONS)
    if (settings.CLIENT_RATE_LIMIT_ENABLED) {
      const n = Math.max(1, Math.floor(deps.limitDivisor ?? 1))
      this.#gate = new LimiterGate({
        rpm: Math.max(1, Math.floor(settings.CLIENT_RATE_LIMIT_RPM / n)),
        tpm: Math.max(1, Math.floor(settings.CLIENT_RATE_LIMIT_TPM / n)),
        burst: Math.max(1, Math.floor(settings.CLIENT_RATE_LIMIT_BURST / n)),
        adaptive: settings.CLIENT_RATE_LIMIT_ADAPTIVE,
        poolTimeoutMs: settings.HTTP_POOL_TIMEOUT * 1000,
        metrics: deps.metrics,
        shared: deps.shared?.limiter,
      })
    }
    const bunCap = Number(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) || 256
    if (settings.POOL_MAX_CONNECTIONS > bunCap) {
      this.#log?.warn({ POOL_MAX_CONNECTIONS: settings.POOL_MAX_CONNECTIONS, BUN_CONFIG_MAX_HTTP_REQUESTS: bunCap }, `Bun sends at most ${bunCap} requests at once; start ccproxy with BUN_CONFIG_MAX_HTTP_REQUESTS=${settings.POOL_MAX_CONNECTIONS} to allow POOL_MAX_CONNECTIONS in flight`)
    }
  }

  /** Starts resolving every endpoint's host (or its proxy's) so the first request finds the DNS answer cached. */
  prefetchDns(): void {
    for (const ep of this.#endpoints) prefetchDns(ep.baseUrl, ep.proxy)
  }

  /**
   * Re-reads the shared breakers (and the breaker gauge), so health and metrics follow what other replicas did
   * even while this one sends nothing; also called when the shared store comes or goes.
   */
  refreshSharedBreakers(): void {
    this.#metrics?.setBreakerState(overallBreakerState(this.#endpoints))
    for (const ep of this.#endpoints) if (ep.shared?.available) void ep.shared.peek()
  }

  /** Every endpoint's breaker state and counts, for GET /v1/health. */
  endpointsHealth(): EndpointHealth[] {
    return endpointsHealth(this.#endpoints)
  }

  /** The client-side rate limits in force now; null when CLIENT_RATE_LIMIT_ENABLED is off. */
  limiterLimits(): (EffectiveLimits & { queueLength: number }) | null {
    return this.#gate ? { ...this.#gate.effectiveLimits(), queueLength: this.#gate.queueLength } : null
  }

  /** Connection slots in use and waiting (POOL_MAX_CONNECTIONS). */
  poolStats(): { max: number; inFlight: number; waiting: number } {
    return { max: this.#slots.max, inFlight: this.#slots.inFlight, waiting: this.#slots.waiting }
  }

  /** Closes the idle keep-alive connections of every endpoint. */
  close(): void {
    for (const ep of this.#endpoints) ep.session.close()
  }

  /** Counts and logs a timeout that happened while reading an answer (`idle`, `total`). */
  recordTimeout(kind: TimeoutKind, requestId: string, timeoutMs: number, setting: string): void {
    this.#metrics?.timeout(kind)
    this.#log?.warn({ request_id: requestId, timeout: kind, timeout_ms: Math.round(timeoutMs), setting }, `upstream ${kind} timeout (${setting})`)
  }

  /** Sends one chat completion request; resolves with a 2xx response or throws a ProxyError. */
  async send(opts: SendOptions): Promise<SendResult> {
    const closed = this.#sharedBreakers ? await allOpenErrorShared(this.#endpoints) : allOpenError(this.#endpoints)
    if (closed) throw closed
    const permit = await this.#admit(opts)
    try {
      return await this.#attempts(opts, permit)
    } catch (err) {
      permit?.settle(0)
      throw err
    }
  }

  async #attempts(opts: SendOptions, permit: GatePermit | undefined): Promise<SendResult> {
    const s = this.#s
    const maxAttempts = 1 + s.PROVIDER_MAX_RETRIES
    const giveUpAt = performance.now() + s.MAX_STREAM_SECONDS * 1000
    const body = upstreamBody(opts.body)
    // The first-byte timeout's size class is taken from the body's size, so that choosing it never needs the tokenizer.
    const sizeTokens = roughTokens(body.byteLength)
    let whileWaiting = opts.whileWaiting
    const tried = new Set<LiveEndpoint>()
    let cursor = 0
    let lastError: ProxyError | undefined
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (opts.signal.aborted) throw clientGone()
      const release = await this.#takeSlot(opts)
      const pick = this.#sharedBreakers ? await pickEndpointShared(this.#endpoints, cursor) : pickEndpoint(this.#endpoints, cursor)
      if (!pick.ok) {
        release()
        throw openError(this.#endpoints, pick.retryAfterMs)
      }
      const { ep, index } = pick
      tried.add(ep)
      const firstByte = firstByteTimeout(ep, sizeTokens)
      const limits = { connectMs: s.HTTP_CONNECT_TIMEOUT * 1000, writeMs: s.HTTP_WRITE_TIMEOUT * 1000, firstByteMs: firstByte.ms, firstByteSource: firstByte.source }
      const span = opts.trace?.startAttempt({ 'server.address': ep.baseUrl, 'http.request.resend_count': attempt, 'gen_ai.request.model': opts.upstreamModel }, `chat ${opts.upstreamModel}`)
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...ep.headers, ...span?.headers() }
      const hints = { get inputTokens() { return opts.inputTokens() }, apiKey: s.OPENAI_API_KEY }
      // A large body takes an idle connection from the count too (Bun gives it one all the same), but keeps its timed write.
      const warm = ep.warm.take() && body.byteLength <= SMALL_BODY_BYTES
      const r = await runAttempt(ep, { url: ep.chatUrl(opts.upstreamModel), headers, body, signal: opts.signal, hints, onWritten: whileWaiting, warm }, limits)
      whileWaiting = undefined
      if (r.kind === 'response' || r.kind === 'status') this.#metrics?.setUpstreamReachable(true)
      else if (r.kind === 'connection') this.#metrics?.setUpstreamReachable(false)
      span?.end({ 'http.response.status_code': r.kind === 'response' ? r.response.status : r.kind === 'status' ? r.status : 0 }, r.kind === 'response' ? undefined : r.kind === 'client_gone' ? 'client gone' : r.error.message)
      if (r.kind === 'response') {
        if (pick.shared) await settleShared(ep, 'success')
        else ep.breaker.onSuccess()
        ep.successes++
        this.#gate?.onSuccess()
        if (r.waitMs > 0) ep.firstByte.record(sizeTokens, r.waitMs)
        return createSendResult(r, { endpoint: ep.baseUrl, attempts: attempt + 1, release, reused: () => ep.warm.put(), permit, signal: opts.signal, maxStreamMs: s.MAX_STREAM_SECONDS * 1000, onTotalTimeout: (ms) => this.recordTimeout('total', opts.requestId, ms, 'MAX_STREAM_SECONDS') })
      }
      release()
      if (r.kind === 'client_gone') {
        if (pick.shared) await settleShared(ep, 'release')
        else ep.breaker.release()
        throw clientGone()
      }
      if (pick.shared) await recordVerdictShared(ep, r)
      else recordVerdict(ep, r)
      lastError = r.error
      ep.lastError = r.error.message
      if (r.kind === 'status') {
        if (r.status === 429) this.#gate?.onUpstream429()
        if (!isRetryableStatus(r.status)) throw r.error
      }
      if (r.kind === 'timeout') {
        this.#metrics?.timeout(r.phase)
        this.#log?.warn({ request_id: opts.requestId, endpoint: ep.baseUrl, timeout: r.phase, timeout_ms: Math.round(r.timeoutMs), attempt: attempt + 1 }, r.error.message)
      }
      if (attempt + 1 >= maxAttempts) break
      cursor = (index + 1) % this.#endpoints.length
      const delayMs = tried.has(this.#endpoints[cursor])
        ? retryDelayMs(attempt, { baseDelayS: s.PROVIDER_RETRY_BASE_DELAY, jitterS: s.PROVIDER_RETRY_JITTER, random: this.#random, now: Date.now() }, r.kind === 'status' ? r.headers : undefined)
        : 0
      if (performance.now() + delayMs >= giveUpAt) break
      this.#metrics?.retry()
      this.#log?.warn({ request_id: opts.requestId, attempt: attempt + 2, delay_ms: Math.round(delayMs), endpoint: this.#endpoints[cursor].baseUrl, reason: r.error.message }, 'retrying upstream request')
      if (delayMs > 0) await sleep(delayMs, opts.signal).catch(() => undefined)
    }
    if (opts.signal.aborted) throw clientGone()
    throw lastError ?? new ProxyError('api_error', 'The upstream request failed.')
  }

  /** A rate-limit permit (when CLIENT_RATE_LIMIT_ENABLED), waiting up to HTTP_POOL_TIMEOUT. */
  async #admit(opts: SendOptions): Promise<GatePermit | undefined> {
    if (!this.#gate) return undefined
    try {
      return await this.#gate.acquire(opts.inputTokens(), opts.signal)
    } catch (e) {
      if (e instanceof LimiterTimeout) {
        this.#metrics?.timeout('pool')
        this.#log?.warn({ request_id: opts.requestId, timeout: 'pool', waited_ms: Math.round(e.waitedMs), retry_after_ms: Math.round(e.retryAfterMs) }, 'no rate-limit permit within HTTP_POOL_TIMEOUT')
        throw e
      }
      throw clientGone()
    }
  }

  /** A connection slot (POOL_MAX_CONNECTIONS), waiting up to HTTP_POOL_TIMEOUT. */
  async #takeSlot(opts: SendOptions): Promise<() => void> {
    try {
      return await this.#slots.acquire(this.#s.HTTP_POOL_TIMEOUT * 1000, opts.signal)
    } catch (e) {
      if (!(e instanceof PoolTimeout)) throw clientGone()
      this.#metrics?.timeout('pool')
      this.#log?.warn({ request_id: opts.requestId, timeout: 'pool', waited_ms: Math.round(e.waitedMs), in_flight: this.#slots.inFlight }, 'no upstream connection slot within HTTP_POOL_TIMEOUT')
      return Promise.reject(new ProxyError('timeout_error', `All ${this.#slots.max} upstream connections (POOL_MAX_CONNECTIONS) stayed busy for ${secondsText(this.#s.HTTP_POOL_TIMEOUT * 1000)} (HTTP_POOL_TIMEOUT).`))
    }
  }
}
