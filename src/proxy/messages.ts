import { errorResponse, invalidRequest, toProxyError } from '../server/errors'
import { validateMessagesRequest } from '../translate/validate'
import { anthropicToOpenAI } from '../translate/request'
import { createStreamTranslator } from '../translate/stream'
import { openAIToAnthropic } from '../translate/response'
import { relayStream, type StreamSummary } from './stream-relay'
import type { ProxyDeps } from './deps'
import type { AnthropicUsage } from '../translate/types'
import { readBodyText } from './body'
import type { SendResult, UpstreamUsage } from '../upstream/client'

/** What the upstream billed for an answer: every prompt token (cached or not) and the output. */
const billedUsage = (u: AnthropicUsage): UpstreamUsage => ({
  inputTokens: u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0),
  outputTokens: u.output_tokens,
})

/** A request id in Anthropic's style: `req_` + 24 base62 characters. */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18))
  return 'req_' + Buffer.from(bytes).toString('base64url').replace(/[-_]/g, 'x')
}

/** What one request did, for the access log and metrics. */
export interface RequestRecord {
  requestId: string
  model?: string
  upstreamModel?: string
  stream?: boolean
  status: number
  attempts?: number
  firstByteMs?: number
  usage?: AnthropicUsage
  error?: string
  outcome?: StreamSummary['outcome']
  /** Response cache result (hit, miss, joined). */
  cache?: string
  /** Bodies, only when LOG_BODIES is on. */
  requestBody?: unknown
  responseBody?: unknown
}

/**
 * POST /v1/messages: parse once, validate, translate, call the upstream, translate back. Streaming answers are
 * relayed chunk by chunk; errors before the first byte get Anthropic's JSON envelope and a real status.
 */
export async function handleMessages(deps: ProxyDeps, request: Request, requestId = newRequestId()): Promise<Response> {
  const startedAt = performance.now()
  deps.metrics.requestStarted()
  const rec: RequestRecord = { requestId, status: 200 }
  let result: SendResult | undefined
  const finish = (status: number, extra: Partial<RequestRecord> = {}) => {
    Object.assign(rec, extra, { status })
    deps.onRequestDone(rec, performance.now() - startedAt)
  }
  try {
    const text = await readBodyText(request, deps.config.MAX_REQUEST_BYTES)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw invalidRequest(`The request body is not valid JSON: ${(e as Error).message}`)
    }
    const req = validateMessagesRequest(json)
    const stream = req.stream === true
    const upstreamModel = deps.mapModel(req.model)
    Object.assign(rec, { model: req.model, upstreamModel, stream })
    const translated = anthropicToOpenAI(req, { upstreamModel, profile: deps.profile, stream })
    const inputTokens = deps.countTokens(req)
    const body = JSON.stringify(translated.body)
    result = await deps.upstream.send({ body, upstreamModel, signal: request.signal, requestId, inputTokens, headers: deps.forwardHeaders?.(request) })
    const upstream = result
    rec.attempts = result.attempts
    rec.firstByteMs = result.firstByteMs
    const translatorOptions = { model: req.model, messageId: `msg_${requestId.slice(4)}`, inputTokens, toolNameMap: translated.toolNameMap }
    if (!stream) {
      const upstreamJson = await upstream.readJson(deps.config.MAX_STREAM_SECONDS * 1000 - (performance.now() - startedAt))
      const message = openAIToAnthropic(upstreamJson, translatorOptions)
      upstream.settle(billedUsage(message.usage))
      finish(200, { usage: message.usage })
      return new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json', 'request-id': requestId } })
    }
    const translator = createStreamTranslator(translatorOptions)
    const cfg = deps.config
    return await relayStream({
      upstream: upstream.response,
      translator,
      requestId,
      abortUpstream: upstream.abort,
      pingIntervalMs: deps.pingIntervalMs ?? 10_000,
      idleTimeoutMs: cfg.STREAM_IDLE_TIMEOUT * 1000,
      totalTimeoutMs: cfg.MAX_STREAM_SECONDS * 1000 - (performance.now() - startedAt),
      headers: {},
      onTimeout: (kind, ms) => deps.upstream.recordTimeout(kind, requestId, ms, kind === 'idle' ? 'STREAM_IDLE_TIMEOUT' : 'MAX_STREAM_SECONDS'),
      onDone: (s) => {
        if (s.replacedBytes > 0) deps.logger.warn({ request_id: requestId, replaced_bytes: s.replacedBytes }, 'the upstream sent malformed UTF-8; replaced with U+FFFD')
        upstream.settle(billedUsage(translator.usage))
        finish(s.outcome === 'complete' ? 200 : s.outcome === 'client_gone' ? 499 : 200, { usage: translator.usage, outcome: s.outcome, error: s.error?.message })
      },
    })
  } catch (err) {
    result?.abort()
    const e = toProxyError(err)
    finish(e.status, { error: e.message })
    return errorResponse(e, requestId)
  }
}
