import { ProxyError } from '../server/errors'
import type { AnthropicErrorType } from './types'

/**
 * Maps an upstream error `type` or `code` string found inside a stream or error body to Anthropic's error type
 * (server_error → api_error, and so on). Unknown kinds become api_error.
 */
export function upstreamErrorType(kind: unknown): AnthropicErrorType {
  // Only strings name a kind; String() of an arbitrary upstream value could be slow or throw (a very deep array).
  switch (typeof kind === 'string' ? kind.toLowerCase() : '') {
    case 'invalid_request_error':
    case 'invalid_request':
    case 'bad_request':
    case 'context_length_exceeded':
      return 'invalid_request_error'
    case 'authentication_error':
    case 'invalid_api_key':
    case 'unauthorized':
      return 'authentication_error'
    case 'permission_error':
    case 'permission_denied':
    case 'forbidden':
      return 'permission_error'
    case 'not_found_error':
    case 'not_found':
    case 'model_not_found':
      return 'not_found_error'
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
    case 'tokens':
    case 'requests':
      return 'rate_limit_error'
    case 'timeout':
    case 'timeout_error':
      return 'timeout_error'
    case 'overloaded_error':
    case 'overloaded':
    case 'service_unavailable':
      return 'overloaded_error'
    default:
      return 'api_error'
  }
}

/** Extra knowledge the caller may have when an upstream refuses a request. */
export interface UpstreamErrorHints {
  /** ccproxy's own estimate of the prompt's tokens, used when the upstream gives no count. */
  readonly inputTokens?: number
  /** The upstream key, removed from any message that echoes it. */
  readonly apiKey?: string
}

interface ParsedUpstreamError {
  message: string
  /** Message plus any nested provider text (OpenRouter `metadata.raw`), for recognising context overflow. */
  searchText: string
  kind?: string
  /** llama.cpp's exceed_context_size_error fields. */
  nPrompt?: number
  nCtx?: number
}

type Loose = Record<string, any>

function parseUpstreamError(bodyText: string): ParsedUpstreamError {
  const text = bodyText.trim()
  let json: unknown
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      json = JSON.parse(text)
    } catch {}
  }
  if (json === undefined) {
    const message = text.startsWith('<') ? 'the upstream answered with an HTML error page' : text.slice(0, 1000)
    return { message, searchText: message }
  }
  let root = (Array.isArray(json) ? json[0] : json) as Loose | undefined
  if (!root || typeof root !== 'object') return { message: text.slice(0, 1000), searchText: text }
  const err = root.error
  if (typeof err === 'string') return { message: err, searchText: err }
  if (err && typeof err === 'object') root = err as Loose
  const message = String(root.message ?? root.detail ?? root.msg ?? text.slice(0, 1000))
  const raw = root.metadata?.raw
  const kind = [root.code, root.type, root.status].find((k) => typeof k === 'string' && k) as string | undefined
  return {
    message,
    searchText: typeof raw === 'string' ? `${message} ${raw}` : message,
    kind,
    nPrompt: typeof root.n_prompt_tokens === 'number' ? root.n_prompt_tokens : undefined,
    nCtx: typeof root.n_ctx === 'number' ? root.n_ctx : undefined,
  }
}

/** Phrasings of "the prompt does not fit the context window" across providers (see errors.test.ts for each). */
const OVERFLOW = new RegExp(
  [
    'maximum context length', 'context[_ ]length[_ ]exceeded', 'exceeds? the (?:available )?context', 'context window',
    'input token count', 'maximum number of tokens allowed', 'maximum prompt length', 'prompt is too long',
    'input tokens exceed', 'reduce the length of the (?:messages|input|prompt)', 'maximum model length',
    'input length exceeds', 'too large for model with', 'exceed_context_size',
  ].join('|'),
  'i',
)
const LIMIT_PATTERNS = [
  /maximum context length is ([\d,]+)/i, /configured limit of ([\d,]+)/i, /maximum number of tokens allowed \(([\d,]+)\)/i,
  /maximum prompt length is ([\d,]+)/i, /maximum model length of ([\d,]+)/i, /([\d,]+) maximum/i, /limit is ([\d,]+)/i,
  /context (?:length|window|size) (?:of|is) ([\d,]+)/i,
]
const COUNT_PATTERNS = [
  /resulted in ([\d,]+)/i, /requested (?:about )?([\d,]+)/i, /input token count \(([\d,]+)\)/i, /request contains ([\d,]+)/i,
  /prompt is too long:? ([\d,]+)/i, /current length is ([\d,]+)/i, /prompt contains ([\d,]+)/i, /\(length ([\d,]+)\)/i,
]

function firstNumber(text: string, patterns: RegExp[]): number | undefined {
  for (const p of patterns) {
    const m = p.exec(text)
    if (m) return Number(m[1].replace(/,/g, ''))
  }
  return undefined
}

/**
 * Claude Code's own wording for an oversized prompt, which it parses (protocol.md A10, probe s17). Missing numbers:
 * no count → our estimate when it exceeds the limit, else limit + 1; no limit → count − 1 (the tightest limit the
 * refusal implies); neither → the estimate (or 1) over estimate − 1.
 */
export function promptTooLongMessage(tokens: number | undefined, limit: number | undefined, estimate?: number): string {
  let n = tokens
  let m = limit
  if (n === undefined) n = m !== undefined ? Math.max(estimate ?? 0, m + 1) : Math.max(estimate ?? 1, 1)
  if (m === undefined) m = n - 1
  return `prompt is too long: ${n} tokens > ${m} maximum`
}

/** The context-overflow numbers of an upstream error, or undefined when it is some other error. */
function contextOverflow(e: ParsedUpstreamError): { tokens?: number; limit?: number } | undefined {
  const isOverflow = e.kind === 'context_length_exceeded' || e.kind === 'exceed_context_size_error' || OVERFLOW.test(e.searchText)
  if (!isOverflow) return undefined
  const text = e.searchText
  let tokens = firstNumber(text, COUNT_PATTERNS) ?? e.nPrompt
  // vLLM: "'max_tokens' … is too large: 2000. … your request has 2104 input tokens" — both must fit.
  const input = /has ([\d,]+) input tokens/i.exec(text)
  if (tokens === undefined && input) {
    const completion = /too large: ([\d,]+)/i.exec(text)
    tokens = Number(input[1].replace(/,/g, '')) + (completion ? Number(completion[1].replace(/,/g, '')) : 0)
  }
  return { tokens, limit: firstNumber(text, LIMIT_PATTERNS) ?? e.nCtx }
}

const STATUS_MAP: Record<number, [AnthropicErrorType, number]> = {
  400: ['invalid_request_error', 400],
  401: ['authentication_error', 401],
  402: ['billing_error', 402],
  403: ['permission_error', 403],
  404: ['not_found_error', 404],
  408: ['timeout_error', 504],
  413: ['request_too_large', 413],
  422: ['invalid_request_error', 400],
  429: ['rate_limit_error', 429],
  500: ['api_error', 500],
  502: ['overloaded_error', 529],
  503: ['overloaded_error', 529],
  504: ['timeout_error', 504],
}

const KEY_LIKE = /\b(?:sk-[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9]{16,}|xai-[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{30,})/g

function redact(text: string, apiKey: string | undefined): string {
  const out = apiKey && apiKey.length >= 8 ? text.split(apiKey).join('[redacted]') : text
  return out.replace(KEY_LIKE, '[redacted]')
}

/**
 * A non-2xx upstream answer as a ProxyError (protocol.md C3): the status mapped to Anthropic's error type, the
 * upstream's own message prefixed with where it came from, `retry-after` / `retry-after-ms` passed on, and a
 * context overflow from any provider rewritten as Claude Code's `prompt is too long: N tokens > M maximum`.
 */
export function upstreamErrorToProxyError(status: number, bodyText: string, headers: Headers, hints: UpstreamErrorHints = {}): ProxyError {
  const parsed = parseUpstreamError(bodyText)
  const overflow = status !== 429 && status !== 401 && status !== 403 ? contextOverflow(parsed) : undefined
  if (overflow) return new ProxyError('invalid_request_error', promptTooLongMessage(overflow.tokens, overflow.limit, hints.inputTokens))

  let [type, httpStatus] = STATUS_MAP[status] ?? (status >= 400 && status < 500 ? ['invalid_request_error', 400] : ['api_error', 500])
  if (parsed.kind === 'insufficient_quota') [type, httpStatus] = ['billing_error', 402]
  const extra: Record<string, string> = {}
  const retryAfter = headers.get('retry-after')
  const retryAfterMs = headers.get('retry-after-ms')
  if (retryAfter) extra['retry-after'] = retryAfter
  if (retryAfterMs) extra['retry-after-ms'] = retryAfterMs
  const detail = redact(parsed.message || `HTTP ${status}`, hints.apiKey)
  return new ProxyError(type, `Upstream provider error (HTTP ${status}): ${detail}`, { status: httpStatus, headers: extra })
}
