import type { AnthropicErrorType } from '../translate/types'

const STATUS_BY_TYPE: Record<AnthropicErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
}

/** The one error type of ccproxy: an HTTP status plus Anthropic's error type and message. */
export class ProxyError extends Error {
  readonly status: number
  readonly type: AnthropicErrorType
  /** Extra response headers (retry-after, x-should-retry). */
  readonly headers: Record<string, string>

  constructor(type: AnthropicErrorType, message: string, opts: { status?: number; headers?: Record<string, string> } = {}) {
    super(message)
    this.name = 'ProxyError'
    this.type = type
    this.status = opts.status ?? STATUS_BY_TYPE[type]
    this.headers = opts.headers ?? {}
  }
}

/** Shorthand for a 400 invalid_request_error. */
export const invalidRequest = (message: string) => new ProxyError('invalid_request_error', message)

/** Anthropic's error body: `{type:"error", error:{type, message}, request_id}`. */
export function errorBody(err: ProxyError, requestId: string): string {
  return JSON.stringify({ type: 'error', error: { type: err.type, message: err.message }, request_id: requestId })
}

/** A JSON error Response with the right status and headers (before the first byte). */
export function errorResponse(err: ProxyError, requestId: string): Response {
  return new Response(errorBody(err, requestId), {
    status: err.status,
    headers: { 'content-type': 'application/json', 'request-id': requestId, ...err.headers },
  })
}

/** The SSE bytes of an `event: error` (after the first byte has been sent). */
export function errorEvent(err: Pick<ProxyError, 'type' | 'message'>): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: err.type, message: err.message } })}\n\n`
}

/** Wraps anything thrown into a ProxyError (unknown errors become 500 api_error). */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err
  // Absurdly deep JSON exhausts the stack somewhere in translation: the request's fault, not ours.
  if (err instanceof RangeError && /call stack/i.test(err.message)) return new ProxyError('invalid_request_error', 'The request is nested too deeply to process.')
  const message = err instanceof Error ? err.message : String(err)
  return new ProxyError('api_error', `Internal error: ${message}`)
}
