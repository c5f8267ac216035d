import { ProxyError } from '../server/errors'
import { upstreamErrorToProxyError } from '../translate/errors'
import { isRetryableStatus, retryDelayMs } from '../resilience/backoff'

/** One upstream endpoint: where chat completions go and which headers every call carries. */
export interface UpstreamEndpoint {
  /** The configured base URL, used in logs and health. */
  readonly baseUrl: string
  /** The chat completions URL for a given upstream model. */
  chatUrl(upstreamModel: string): string
  /** Auth and provider headers sent with every call. */
  readonly headers: Record<string, string>
}

/** Settings the client reads (seconds, as configured). */
export interface UpstreamClientSettings {
  HTTP_READ_TIMEOUT: number | undefined
  MAX_STREAM_SECONDS: number
  PROVIDER_MAX_RETRIES: number
  PROVIDER_RETRY_BASE_DELAY: number
  PROVIDER_RETRY_JITTER: number
}

/** What one call needs. */
export interface SendOptions {
  body: string
  upstreamModel: string
  /** Aborted when the client goes away: stops retries and the upstream request at once. */
  signal: AbortSignal
  requestId: string
  /** Extra per-request headers (traceparent, …). */
  headers?: Record<string, string>
}

/** A successful (2xx) upstream answer whose headers have arrived; the body is still unread. */
export interface SendResult {
  response: Response
  /** Aborts the upstream request (used when the client leaves mid-stream or a stream times out). */
  abort: (reason?: unknown) => void
  attempts: number
  endpoint: string
  /** Milliseconds from the start of the successful attempt to its response headers. */
  firstByteMs: number
}

/** Events the client reports (metrics and logs hang off these). */
export interface UpstreamClientHooks {
  onRetry?: (info: { attempt: number; delayMs: number; reason: string; requestId: string }) => void
  onTimeout?: (info: { kind: 'first_byte'; requestId: string; timeoutMs: number }) => void
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })

class FirstByteTimeout extends Error {}

/**
 * The only place that calls fetch. One call = up to 1 + PROVIDER_MAX_RETRIES attempts, each bounded by the
 * first-byte timeout; retries only before anything reached the client (the caller reads the body afterwards).
 */
export class UpstreamClient {
  constructor(
    private readonly endpoint: UpstreamEndpoint,
    private readonly settings: UpstreamClientSettings,
    private readonly hooks: UpstreamClientHooks = {},
    private readonly random: () => number = Math.random,
  ) {}

  /** Sends one chat completion request; resolves with a 2xx response or throws a ProxyError. */
  async send(opts: SendOptions): Promise<SendResult> {
    const maxAttempts = 1 + this.settings.PROVIDER_MAX_RETRIES
    const url = this.endpoint.chatUrl(opts.upstreamModel)
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...this.endpoint.headers, ...opts.headers }
    let lastError: ProxyError | undefined
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (opts.signal.aborted) throw clientGone()
      const ctrl = new AbortController()
      const onClientAbort = () => ctrl.abort(opts.signal.reason)
      opts.signal.addEventListener('abort', onClientAbort, { once: true })
      const timeoutMs = (this.settings.HTTP_READ_TIMEOUT ?? this.settings.MAX_STREAM_SECONDS) * 1000
      const timer = setTimeout(() => ctrl.abort(new FirstByteTimeout()), timeoutMs)
      const started = performance.now()
      let retryHeaders: Headers | undefined
      try {
        const response = await fetch(url, { method: 'POST', body: opts.body, headers, signal: ctrl.signal })
        clearTimeout(timer)
        if (response.ok) {
          return {
            response,
            abort: (reason) => ctrl.abort(reason),
            attempts: attempt + 1,
            endpoint: this.endpoint.baseUrl,
            firstByteMs: performance.now() - started,
          }
        }
        opts.signal.removeEventListener('abort', onClientAbort)
        const text = await response.text().catch(() => '')
        lastError = upstreamErrorToProxyError(response.status, text, response.headers)
        if (!isRetryableStatus(response.status)) throw lastError
        retryHeaders = response.headers
      } catch (err) {
        clearTimeout(timer)
        opts.signal.removeEventListener('abort', onClientAbort)
        if (err === lastError) throw err
        if (opts.signal.aborted) throw clientGone()
        if (ctrl.signal.reason instanceof FirstByteTimeout) {
          this.hooks.onTimeout?.({ kind: 'first_byte', requestId: opts.requestId, timeoutMs })
          lastError = new ProxyError('timeout_error', `The upstream sent no response within ${fmtSeconds(timeoutMs)} (HTTP_READ_TIMEOUT).`)
        } else {
          lastError = new ProxyError('api_error', `Could not reach the upstream at ${this.endpoint.baseUrl}: ${describeFetchError(err)}`, { status: 502 })
        }
      }
      if (attempt + 1 >= maxAttempts) break
      const delayMs = retryDelayMs(attempt, { baseDelayS: this.settings.PROVIDER_RETRY_BASE_DELAY, jitterS: this.settings.PROVIDER_RETRY_JITTER, random: this.random }, retryHeaders)
      this.hooks.onRetry?.({ attempt: attempt + 1, delayMs, reason: lastError.message, requestId: opts.requestId })
      try {
        await sleep(delayMs, opts.signal)
      } catch {
        throw clientGone()
      }
    }
    throw lastError ?? new ProxyError('api_error', 'The upstream request failed.')
  }
}

/** The error used when the client went away (never sent: there is nobody to send it to). */
export const clientGone = () => new ProxyError('api_error', 'The client closed the connection.', { status: 499 })

function fmtSeconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`
}

/** A short human description of a fetch failure (connection refused, DNS, TLS, reset). */
export function describeFetchError(err: unknown): string {
  const e = err as { code?: string; message?: string }
  if (e?.code === 'ConnectionRefused' || e?.code === 'ECONNREFUSED') return 'connection refused'
  if (e?.code === 'ECONNRESET' || e?.code === 'ConnectionClosed') return 'connection reset'
  return e?.message ? `${e.code ? `${e.code}: ` : ''}${e.message}` : String(err)
}
