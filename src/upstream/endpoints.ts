/**
 * The upstream endpoints (OPENAI_BASE_URL, comma-separated), each with its own transport, circuit breaker and
 * learned first-byte timeout. Requests try them in the configured order, skipping those whose breaker is open.
 */
import { AdaptiveTimeout } from '../resilience/adaptive-timeout'
import { CircuitBreaker, isBreakerFailure, type AttemptOutcome, type BreakerDecision, type BreakerSnapshot, type BreakerState, type BreakerTransition } from '../resilience/circuit-breaker'
import type { BreakerStateName } from '../metrics/health'
import { ProxyError } from '../server/errors'
import { createTransport, keepAliveOption, type TransportSettings } from './transport'
import { WarmConnections } from './pool'
import { secondsText, type AttemptResult } from './attempt'

/** One upstream endpoint: where chat completions go and which headers every call carries. */
export interface UpstreamEndpoint {
  /** The configured base URL, used in logs and health. */
  readonly baseUrl: string
  /** The chat completions URL for a given upstream model. */
  chatUrl(upstreamModel: string): string
  /** Auth and provider headers sent with every call. */
  readonly headers: Record<string, string>
}

/** CIRCUIT_BREAKER_*, HTTP_READ_TIMEOUT / HTTP_ADAPTIVE_TIMEOUT and the transport settings. */
export interface EndpointSettings extends TransportSettings {
  CIRCUIT_BREAKER_FAILURE_THRESHOLD: number
  CIRCUIT_BREAKER_RECOVERY_TIMEOUT: number
  CIRCUIT_BREAKER_HALF_OPEN_REQUESTS: number
  HTTP_READ_TIMEOUT: number | undefined
  MAX_STREAM_SECONDS: number
  HTTP_ADAPTIVE_TIMEOUT: boolean
}

/**
 * A circuit breaker whose state lives outside this process (Redis), shared by every replica. While it is not
 * available, or when a call to it fails, the endpoint's own breaker decides.
 */
export interface SharedBreaker {
  readonly available: boolean
  /** The state as last seen; undefined before any answer. */
  snapshot(): BreakerSnapshot | undefined
  /** Reads the state (OPEN becomes HALF_OPEN when due); undefined when the store failed. */
  peek(): Promise<BreakerSnapshot | undefined>
  /** As CircuitBreaker.allow; undefined when the store failed. */
  allow(): Promise<BreakerDecision | undefined>
  /** The verdicts; false when the store failed. */
  onSuccess(): Promise<boolean>
  onFailure(): Promise<boolean>
  release(): Promise<boolean>
}

/** An endpoint with its live state. */
export interface LiveEndpoint extends UpstreamEndpoint {
  readonly session: Bun.FetchSession
  readonly proxy: string | undefined
  readonly breaker: CircuitBreaker
  /** The breaker shared with other replicas (REDIS_URL), when configured. */
  shared?: SharedBreaker
  readonly firstByte: AdaptiveTimeout
  /** Connections this endpoint's answers left idle in the keep-alive pool (see WarmConnections). */
  readonly warm: WarmConnections
  /** HTTP_READ_TIMEOUT in ms: the first-byte timeout, and the ceiling of a learned one. */
  readonly readTimeoutMs: number
  /** Requests that got a 2xx from it, and attempts that failed. */
  successes: number
  failures: number
  lastError?: string
}

/** One endpoint as GET /v1/health shows it. */
export interface EndpointHealth {
  url: string
  breaker: BreakerState
  consecutive_failures: number
  /** Milliseconds until an open breaker lets trial requests through (0 unless OPEN). */
  retry_after_ms: number
  successes: number
  failures: number
  /** Connections its answers left idle in the keep-alive pool within the last WARM_WINDOW_MS (reused without a connect phase). */
  idle_connections: number
  last_error?: string
  proxy?: string
  /** The first-byte timeout per prompt size class, as learned (HTTP_ADAPTIVE_TIMEOUT) and capped by HTTP_READ_TIMEOUT. */
  first_byte_timeouts: Array<{ below_tokens: number | null; samples: number; p95_ms: number | null; timeout_ms: number }>
}

/** The first-byte timeout for a prompt of `inputTokens` at this endpoint, with the setting that decides it. */
export function firstByteTimeout(ep: LiveEndpoint, inputTokens: number): { ms: number; source: string } {
  const learned = ep.firstByte.timeoutFor(inputTokens)
  return learned < ep.readTimeoutMs
    ? { ms: learned, source: 'HTTP_ADAPTIVE_TIMEOUT, learned from recent first-byte times' }
    : { ms: ep.readTimeoutMs, source: 'HTTP_READ_TIMEOUT' }
}

/**
 * How long an idle keep-alive connection is counted on to be still open: well inside the 5 s keep-alive timeout
 * common to uvicorn (vLLM), llama.cpp's server and Node, and never longer than POOL_KEEPALIVE_EXPIRY.
 */
export const WARM_WINDOW_MS = 2_000

/** Builds the live endpoints; `onTransition` hears every breaker change (logs and metrics). */
export function createEndpoints(
  endpoints: readonly UpstreamEndpoint[],
  s: EndpointSettings,
  ca: string[] | undefined,
  onTransition: (endpoint: LiveEndpoint, t: BreakerTransition) => void,
  now: () => number = () => performance.now(),
): LiveEndpoint[] {
  return endpoints.map((ep) => {
    const { session, proxy } = createTransport(ep.baseUrl, s, ca)
    const breaker = new CircuitBreaker({
      failureThreshold: s.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
      recoveryTimeoutMs: s.CIRCUIT_BREAKER_RECOVERY_TIMEOUT * 1000,
      halfOpenRequests: s.CIRCUIT_BREAKER_HALF_OPEN_REQUESTS,
      now,
    })
    const readTimeoutMs = (s.HTTP_READ_TIMEOUT ?? s.MAX_STREAM_SECONDS) * 1000
    const firstByte = new AdaptiveTimeout({ enabled: s.HTTP_ADAPTIVE_TIMEOUT, baseTimeoutMs: readTimeoutMs })
    const keepAlive = keepAliveOption(s)
    const warm = keepAlive ? new WarmConnections(keepAlive.maxIdleSockets, Math.min(WARM_WINDOW_MS, keepAlive.idleTimeout * 1000), now) : new WarmConnections(0, 0, now)
    const live: LiveEndpoint = { baseUrl: ep.baseUrl, headers: ep.headers, chatUrl: ep.chatUrl, session, proxy, breaker, firstByte, warm, readTimeoutMs, successes: 0, failures: 0 }
    breaker.onTransition((t) => onTransition(live, t))
    return live
  })
}

/** The health view of every endpoint, in the configured order. */
export function endpointsHealth(endpoints: readonly LiveEndpoint[]): EndpointHealth[] {
  return endpoints.map((ep) => {
    const b = breakerView(ep)
    return {
      url: ep.baseUrl,
      breaker: b.state,
      consecutive_failures: b.consecutiveFailures,
      retry_after_ms: Math.ceil(b.retryAfterMs),
      successes: ep.successes,
      failures: ep.failures,
      idle_connections: ep.warm.count,
      ...(ep.lastError ? { last_error: ep.lastError } : {}),
      ...(ep.proxy ? { proxy: redactUserinfo(ep.proxy) } : {}),
      first_byte_timeouts: ep.firstByte.snapshot().map((c) => ({
        below_tokens: c.belowTokens,
        samples: c.samples,
        p95_ms: c.p95Ms === null ? null : Math.round(c.p95Ms),
        timeout_ms: Math.round(Math.min(c.timeoutMs, ep.readTimeoutMs)),
      })),
    }
  })
}

/** The breaker gauge for all endpoints: open when every one is open, half_open when any is not closed. */
export function overallBreakerState(endpoints: readonly LiveEndpoint[]): BreakerStateName {
  const states = endpoints.map((e) => (e.shared?.available ? e.shared.snapshot()?.state : undefined) ?? e.breaker.state)
  if (states.every((s) => s === 'OPEN')) return 'open'
  if (states.some((s) => s !== 'CLOSED')) return 'half_open'
  return 'closed'
}

/** Counts a failed attempt against its endpoint's breaker (5xx, timeouts, connection errors; never a 4xx). */
export function recordVerdict(ep: LiveEndpoint, r: Exclude<AttemptResult, { kind: 'response' | 'client_gone' }>): void {
  const outcome: AttemptOutcome = r.kind === 'status' ? { status: r.status } : { kind: r.kind }
  if (isBreakerFailure(outcome)) {
    ep.failures++
    ep.breaker.onFailure()
  } else {
    ep.breaker.onSuccess()
  }
}

/** The first endpoint from `cursor` on whose breaker lets a request through (a trial when half-open), or the shortest wait. */
export function pickEndpoint(endpoints: readonly LiveEndpoint[], cursor: number): { ok: true; ep: LiveEndpoint; index: number; shared?: boolean } | { ok: false; retryAfterMs: number } {
  let retryAfterMs = Number.POSITIVE_INFINITY
  for (let i = 0; i < endpoints.length; i++) {
    const index = (cursor + i) % endpoints.length
    const ep = endpoints[index]
    const d = ep.breaker.allow()
    if (d.ok) return { ok: true, ep, index }
    retryAfterMs = Math.min(retryAfterMs, d.retryAfterMs)
  }
  return { ok: false, retryAfterMs }
}

/** The breaker in force for an endpoint: the shared one as last seen while it is available, else its own. */
export function breakerView(ep: LiveEndpoint): BreakerSnapshot {
  return (ep.shared?.available ? ep.shared.snapshot() : undefined) ?? ep.breaker.snapshot()
}

/** pickEndpoint through the shared breakers; `shared` says which breaker let the request through. */
export async function pickEndpointShared(endpoints: readonly LiveEndpoint[], cursor: number): Promise<{ ok: true; ep: LiveEndpoint; index: number; shared: boolean } | { ok: false; retryAfterMs: number }> {
  let retryAfterMs = Number.POSITIVE_INFINITY
  for (let i = 0; i < endpoints.length; i++) {
    const index = (cursor + i) % endpoints.length
    const ep = endpoints[index]
    const viaShared = ep.shared?.available ? await ep.shared.allow() : undefined
    const d = viaShared ?? ep.breaker.allow()
    if (d.ok) return { ok: true, ep, index, shared: viaShared !== undefined }
    retryAfterMs = Math.min(retryAfterMs, d.retryAfterMs)
  }
  return { ok: false, retryAfterMs }
}

/** allOpenError reading the shared breakers (one call each, concurrently). */
export async function allOpenErrorShared(endpoints: readonly LiveEndpoint[]): Promise<ProxyError | undefined> {
  const views = await Promise.all(endpoints.map(async (ep) => (ep.shared?.available ? await ep.shared.peek() : undefined) ?? ep.breaker.snapshot()))
  if (!views.every((v) => v.state === 'OPEN')) return undefined
  return openError(endpoints, Math.min(...views.map((v) => v.retryAfterMs)))
}

/** A verdict for a request the shared breaker let through (the endpoint's own breaker hears it when that fails). */
export async function settleShared(ep: LiveEndpoint, verdict: 'success' | 'failure' | 'release'): Promise<void> {
  const shared = ep.shared
  const done = shared === undefined ? false : verdict === 'success' ? await shared.onSuccess() : verdict === 'failure' ? await shared.onFailure() : await shared.release()
  if (done) return
  if (verdict === 'success') ep.breaker.onSuccess()
  else if (verdict === 'failure') ep.breaker.onFailure()
  else ep.breaker.release()
}

/** recordVerdict for a request the shared breaker let through. */
export async function recordVerdictShared(ep: LiveEndpoint, r: Exclude<AttemptResult, { kind: 'response' | 'client_gone' }>): Promise<void> {
  const outcome: AttemptOutcome = r.kind === 'status' ? { status: r.status } : { kind: r.kind }
  if (!isBreakerFailure(outcome)) return settleShared(ep, 'success')
  ep.failures++
  return settleShared(ep, 'failure')
}

/** The 529 overloaded_error of a request refused by open breakers, with retry-after = the time left. */
export function openError(endpoints: readonly LiveEndpoint[], retryAfterMs: number): ProxyError {
  const ms = Math.max(0, Math.ceil(retryAfterMs))
  const which = endpoints.length === 1 ? `The upstream at ${endpoints[0].baseUrl} is` : 'Every upstream endpoint is'
  return new ProxyError('overloaded_error', `${which} failing (circuit breaker open); ccproxy sends it nothing for ${secondsText(ms)}.`, {
    status: 529,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(ms) },
  })
}

/** The fail-fast error when every endpoint's breaker is open (no permit is taken, no upstream call made); else undefined. */
export function allOpenError(endpoints: readonly LiveEndpoint[]): ProxyError | undefined {
  if (!endpoints.every((ep) => ep.breaker.state === 'OPEN')) return undefined
  return openError(endpoints, Math.min(...endpoints.map((ep) => ep.breaker.snapshot().retryAfterMs)))
}

function redactUserinfo(url: string): string {
  try {
    const u = new URL(url)
    if (u.username || u.password) {
      u.username = '***'
      u.password = ''
    }
    return u.toString().replace(/\/$/, '')
  } catch {
    return 'configured'
  }
}
