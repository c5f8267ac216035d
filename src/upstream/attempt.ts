/**
 * One upstream attempt: a fetch through the endpoint's session, with one timer per phase. The phases are told
 * apart by the request body (see phasedBody): connecting until Bun pulls the body (HTTP_CONNECT_TIMEOUT),
 * writing until the socket took it (HTTP_WRITE_TIMEOUT), then waiting for the response headers (the first-byte
 * timeout). Bun's own socket idle timer is switched off so it can never cut a phase shorter than configured.
 * On a connection known to be idle in the keep-alive pool (`warm`) there is no connect phase: the body is a plain
 * string, which saves a round trip through the JavaScript thread, and only the first-byte timer runs.
 */
import { ProxyError } from '../server/errors'
import { upstreamErrorToProxyError, type UpstreamErrorHints } from '../translate/errors'
import type { LiveEndpoint } from './endpoints'
import { ACCEPT_ENCODING, phasedBody, type UpstreamBody } from './transport'

/** The phases before the first byte, each with its own timeout. */
export type AttemptPhase = 'connect' | 'write' | 'first_byte'

/** Milliseconds each phase may take; `firstByteSource` names the setting behind the first-byte limit. */
export interface PhaseLimits {
  connectMs: number
  writeMs: number
  firstByteMs: number
  firstByteSource: string
}

/** What one attempt came to. */
export type AttemptResult =
  | {
      kind: 'response'
      response: Response
      /** Aborts this attempt's request (body included). */
      ctrl: AbortController
      /** From the attempt's start to the response headers. */
      firstByteMs: number
      /** From the last body byte taken to the response headers (what the first-byte timeout bounds); 0 if unknown. */
      waitMs: number
      /** Stops following the client's signal (call when the answer is over). */
      detach: () => void
    }
  | { kind: 'status'; status: number; error: ProxyError; headers: Headers }
  | { kind: 'timeout'; phase: AttemptPhase; timeoutMs: number; error: ProxyError }
  | { kind: 'connection'; error: ProxyError }
  | { kind: 'client_gone' }

/** The abort reason of a phase timer. */
export class PhaseTimeout extends Error {
  constructor(readonly phase: AttemptPhase | 'total') {
    super(`${phase} timeout`)
  }
}

/** What one attempt sends. */
export interface AttemptRequest {
  url: string
  headers: Record<string, string>
  body: UpstreamBody
  /** The client's signal: aborting it aborts the attempt at once. */
  signal: AbortSignal
  hints?: UpstreamErrorHints
  /** Called (once, synchronously) when Bun has taken the whole body: the request is on its way. */
  onWritten?: () => void
  /**
   * The endpoint has an idle keep-alive connection for this request (WarmConnections) and the body is at most
   * SMALL_BODY_BYTES (whose write phase ends as soon as Bun takes it): there is no connect phase to time, so the
   * body is sent as a plain string and the first-byte timeout runs from the start.
   */
  warm?: boolean
}

/** A duration for messages: `300 ms`, `1.5 s`. */
export const secondsText = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`)

/** The error used when the client went away (never sent: there is nobody to send it to). */
export const clientGone = () => new ProxyError('api_error', 'The client closed the connection.', { status: 499 })

function timeoutError(ep: LiveEndpoint, phase: AttemptPhase, ms: number, limits: PhaseLimits): ProxyError {
  const via = ep.proxy ? ' through the proxy' : ''
  if (phase === 'connect') return new ProxyError('timeout_error', `Could not connect to the upstream at ${ep.baseUrl}${via} within ${secondsText(ms)} (HTTP_CONNECT_TIMEOUT).`)
  if (phase === 'write') return new ProxyError('timeout_error', `The upstream at ${ep.baseUrl} did not take the request body within ${secondsText(ms)} (HTTP_WRITE_TIMEOUT).`)
  return new ProxyError('timeout_error', `The upstream at ${ep.baseUrl} sent no response within ${secondsText(ms)} (${limits.firstByteSource}).`)
}

/** Runs one attempt; never throws. */
export async function runAttempt(ep: LiveEndpoint, req: AttemptRequest, limits: PhaseLimits): Promise<AttemptResult> {
  const ctrl = new AbortController()
  const onClientAbort = () => ctrl.abort(req.signal.reason)
  const detach = () => req.signal.removeEventListener('abort', onClientAbort)
  req.signal.addEventListener('abort', onClientAbort, { once: true })
  const started = performance.now()
  let phase = 'connect' as AttemptPhase
  let phaseStarted = started
  let fired: { phase: AttemptPhase; ms: number } | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = (p: AttemptPhase, ms: number) => {
    clearTimeout(timer)
    phase = p
    phaseStarted = performance.now()
    timer = setTimeout(() => {
      fired = { phase: p, ms }
      ctrl.abort(new PhaseTimeout(p))
    }, ms)
  }
  arm(req.warm ? 'first_byte' : 'connect', req.warm ? limits.firstByteMs : limits.connectMs)
  // Once fetch has settled, a late signal from the body (a server that answered before it read everything, or an
  // abort that released a pending write) must not start another phase timer.
  let settled = false
  const dispatched = () => {
    try {
      req.onWritten?.()
    } catch {} // its own caller sees the failure when it uses the result
  }
  const body = req.warm ? req.body.text : phasedBody(req.body, {
    connected: () => {
      if (!settled) arm('write', limits.writeMs)
    },
    written: () => {
      if (settled) return
      arm('first_byte', limits.firstByteMs)
      dispatched()
    },
  })
  try {
    const pending = ep.session.fetch(req.url, {
      method: 'POST',
      body,
      headers: { ...req.headers, 'accept-encoding': ACCEPT_ENCODING, 'content-length': String(req.body.byteLength) },
      signal: ctrl.signal,
      timeout: false,
      decompress: true,
    })
    if (req.warm) dispatched()
    const response = await pending
    settled = true
    clearTimeout(timer)
    const now = performance.now()
    const waitMs = phase === 'first_byte' ? now - phaseStarted : 0
    if (response.ok) return { kind: 'response', response, ctrl, firstByteMs: now - started, waitMs, detach }
    arm('first_byte', limits.firstByteMs)
    const text = await response.text().catch(() => '')
    clearTimeout(timer)
    detach()
    if (req.signal.aborted) return { kind: 'client_gone' }
    return { kind: 'status', status: response.status, error: upstreamErrorToProxyError(response.status, text, response.headers, req.hints), headers: response.headers }
  } catch (err) {
    settled = true
    clearTimeout(timer)
    detach()
    if (req.signal.aborted) return { kind: 'client_gone' }
    if (fired) return { kind: 'timeout', phase: fired.phase, timeoutMs: fired.ms, error: timeoutError(ep, fired.phase, fired.ms, limits) }
    const via = ep.proxy ? ' (through the proxy)' : ''
    return { kind: 'connection', error: new ProxyError('api_error', `Could not reach the upstream at ${ep.baseUrl}${via}: ${describeFetchError(err)}`, { status: 502 }) }
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|HOSTNAME|ALTNAME/i

/** A short human description of a fetch failure (connection refused, DNS, TLS, reset, proxy). */
export function describeFetchError(err: unknown): string {
  const e = err as { code?: string; message?: string }
  const code = e?.code ?? ''
  if (code === 'ConnectionRefused' || code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ECONNRESET' || code === 'ConnectionClosed') return 'connection reset'
  if (code === 'ENOTFOUND') return `host not found (${e.message ?? code})`
  if (code === 'ERR_PROXY_TUNNEL') return `the proxy refused the tunnel (${e.message ?? code})`
  if (TLS_CODES.test(code)) return `TLS certificate not accepted (${code}); SSL_CERT_FILE can add the CA that signs it`
  return e?.message ? `${code && !e.message.startsWith(code) ? `${code}: ` : ''}${e.message}` : String(err)
}
