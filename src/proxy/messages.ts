import { errorResponse, toProxyError } from '../server/errors'
import { validateMessagesRequest } from '../translate/validate'
import { anthropicToOpenAI } from '../translate/request'
import { createStreamTranslator } from '../translate/stream'
import { openAIToAnthropic } from '../translate/response'
import { relayStream, type StreamSummary } from './stream-relay'
import type { ProxyDeps } from './deps'
import type { AnthropicUsage } from '../translate/types'
import { readJsonBody } from './body'
import type { SendResult, UpstreamUsage } from '../upstream/client'
import { cacheKey, serializeForUpstream } from '../cache/key'
import { parseCacheControl } from '../cache/cache-control'
import { LeaderTap, type CacheStatus } from '../cache/layer'
import { cachedResponse, joinedResponse } from '../cache/serve'

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
  cache?: CacheStatus
  /** Bodies, only when LOG_BODIES is on. */
  requestBody?: unknown
  responseBody?: unknown
}

/**
 * POST /v1/messages: parse once, validate, translate, then answer from the response cache, by joining an identical
 * call in flight, or by calling the upstream. Streaming answers are relayed chunk by chunk; errors before the first
 * byte get Anthropic's JSON envelope and a real status.
 */
export async function handleMessages(deps: ProxyDeps, request: Request, requestId = newRequestId()): Promise<Response> {
  const startedAt = performance.now()
  deps.metrics.requestStarted()
  const span = deps.tracer.startRequestSpan(request.headers.get('traceparent'), request.headers.get('tracestate'), { 'ccproxy.request_id': requestId })
  const rec: RequestRecord = { requestId, status: 200 }
  const logBodies = deps.config.LOG_BODIES
  let result: SendResult | undefined
  const finish = (status: number, extra: Partial<RequestRecord> = {}) => {
    Object.assign(rec, extra, { status })
    deps.onRequestDone(rec, performance.now() - startedAt)
    span.end({ 'http.response.status_code': status, 'gen_ai.request.model': rec.model, 'gen_ai.response.model': rec.upstreamModel, 'gen_ai.usage.input_tokens': rec.usage?.input_tokens, 'gen_ai.usage.output_tokens': rec.usage?.output_tokens, 'ccproxy.stream': rec.stream, 'ccproxy.attempts': rec.attempts, 'ccproxy.cache': rec.cache, 'ccproxy.outcome': rec.outcome }, status >= 500 ? rec.error : undefined)
  }
  let flightFail: ((e: unknown) => void) | undefined
  try {
    const { json, text } = await readJsonBody(request, deps.config, deps.bodies)
    if (logBodies) rec.requestBody = json
    const req = validateMessagesRequest(json)
    deps.bodies.learn(text, req)
    const stream = req.stream === true
    const upstreamModel = deps.mapModel(req.model)
    Object.assign(rec, { model: req.model, upstreamModel, stream })
    const translated = anthropicToOpenAI(req, { upstreamModel, profile: deps.profile, stream })
    // Counted only when something needs the number: the limiter's permit, a stream's message_start (counted while
    // the upstream thinks), a joined call's replay, or a "prompt is too long" error. A plain answer carries the
    // upstream's own usage.
    let counted: number | undefined
    const inputTokens = () => (counted ??= deps.countTokens(req))
    const { keyMaterial, wire } = serializeForUpstream(translated.body)
    const messageId = `msg_${requestId.slice(4)}`
    const serve = { stream, requestId, messageId, model: req.model }

    // The upstream call is aborted by its own controller: with joiners it outlives the leader's client.
    const upstreamAbort = new AbortController()
    const directives = parseCacheControl(request.headers.get('cache-control'))
    const key = deps.cache.enabled ? cacheKey(keyMaterial, deps.cacheUpstream, upstreamModel, translated.toolNameMap) : ''
    const abortCall = (reason?: unknown) => {
      upstreamAbort.abort(reason)
      result?.abort(reason)
    }
    const decision = deps.cache.shared ? await deps.cache.beginShared(key, directives, abortCall) : deps.cache.begin(key, directives, abortCall)
    rec.cache = decision.status
    if (decision.status === 'hit') {
      finish(200, { usage: decision.message.usage, responseBody: logBodies ? decision.message : undefined })
      return cachedResponse(decision.message, serve)
    }
    if (decision.status === 'joined') {
      return await joinedResponse(decision.subscription, {
        ...serve,
        inputTokens: inputTokens(),
        pingIntervalMs: deps.pingIntervalMs ?? 10_000,
        signal: request.signal,
        onDone: (outcome, message) => finish(outcome === 'client_gone' ? 499 : outcome === 'error' ? 502 : 200, { usage: message?.usage, outcome, responseBody: logBodies ? message : undefined }),
      })
    }
    const flight = decision.flight
    flightFail = (e) => deps.cache.fail(flight, e)
    const onClientGone = () => (flight ? flight.leave() : upstreamAbort.abort(request.signal.reason))
    if (request.signal.aborted) onClientGone()
    else request.signal.addEventListener('abort', onClientGone, { once: true })

    result = await deps.upstream.send({ body: wire, upstreamModel, signal: upstreamAbort.signal, requestId, inputTokens, whileWaiting: stream ? inputTokens : undefined, trace: span })
    const upstream = result
    rec.attempts = result.attempts
    rec.firstByteMs = result.firstByteMs
    const translatorOptions = { model: req.model, messageId, inputTokens: stream ? inputTokens() : undefined, toolNameMap: translated.toolNameMap }
    if (!stream) {
      const upstreamJson = await upstream.readJson(deps.config.MAX_STREAM_SECONDS * 1000 - (performance.now() - startedAt))
      // The local count stands in only for an upstream that reported no usage.
      const reported = (upstreamJson as { usage?: unknown } | null)?.usage
      const message = openAIToAnthropic(upstreamJson, reported ? translatorOptions : { ...translatorOptions, inputTokens: inputTokens() })
      upstream.settle(billedUsage(message.usage))
      const body = JSON.stringify(message)
      deps.cache.complete(flight, message, { noStore: directives.noStore, size: body.length })
      const published = deps.cache.published(flight)
      if (published) await published
      finish(200, { usage: message.usage, responseBody: logBodies ? message : undefined })
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json', 'request-id': requestId, 'x-ccproxy-cache': 'miss' } })
    }
    const translator = createStreamTranslator(translatorOptions)
    const tap = new LeaderTap(deps.cache, flight, directives.noStore, logBodies)
    const cfg = deps.config
    return await relayStream({
      upstream: upstream.response,
      translator,
      requestId,
      tap,
      abortUpstream: upstream.abort,
      pingIntervalMs: deps.pingIntervalMs ?? 10_000,
      idleTimeoutMs: cfg.STREAM_IDLE_TIMEOUT * 1000,
      totalTimeoutMs: cfg.MAX_STREAM_SECONDS * 1000 - (performance.now() - startedAt),
      headers: { 'x-ccproxy-cache': 'miss' },
      onTimeout: (kind, ms) => deps.upstream.recordTimeout(kind, requestId, ms, kind === 'idle' ? 'STREAM_IDLE_TIMEOUT' : 'MAX_STREAM_SECONDS'),
      onDone: (s) => {
        request.signal.removeEventListener('abort', onClientGone)
        if (s.replacedBytes > 0) deps.logger.warn({ request_id: requestId, replaced_bytes: s.replacedBytes }, 'the upstream sent malformed UTF-8; replaced with U+FFFD')
        upstream.settle(billedUsage(translator.usage), s.outcome === 'complete')
        const status = s.outcome === 'client_gone' ? 499 : s.preCommitStatus ?? 200
        finish(status, { usage: translator.usage, outcome: s.outcome, error: s.error?.message, responseBody: logBodies ? tap.message() : undefined })
      },
    })
  } catch (err) {
    result?.abort()
    const e = toProxyError(err)
    flightFail?.(e)
    finish(e.status, { error: e.message })
    const res = errorResponse(e, requestId)
    res.headers.set('x-ccproxy-cache', rec.cache ?? 'miss')
    return res
  }
}
