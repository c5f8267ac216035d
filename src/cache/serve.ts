import { errorEvent, errorResponse, toProxyError } from '../server/errors'
import { encodeEvent, PING_EVENT } from '../sse/encoder'
import type { AnthropicMessageResponse, AnthropicStreamEvent, AnthropicUsage } from '../translate/types'
import type { Subscription } from './inflight'
import type { EventBatch } from './layer'
import { messageToEvents, messageToSSE, restampMessage } from './replay'

/** Who the answer is for: this request's ids and requested model, and how it wants the answer. */
export interface ServeOptions {
  readonly stream: boolean
  readonly requestId: string
  /** This request's message id (`msg_…`); shared answers are restamped with it. */
  readonly messageId: string
  /** The model name this client asked for. */
  readonly model: string
  /** Extra response headers. */
  readonly headers?: Record<string, string>
}

/** What a joiner additionally needs. */
export interface JoinOptions extends ServeOptions {
  /** This request's locally counted prompt tokens, for a message_start sent before the leader has one. */
  readonly inputTokens: number
  /** Milliseconds of silence before an `event: ping` (and before committing to a 200 stream). */
  readonly pingIntervalMs: number
  /** The client request's signal: when it aborts, the joiner leaves the flight. */
  readonly signal?: AbortSignal
  /** Called once when the answer was fully written, failed, or the client left. */
  readonly onDone?: (outcome: 'complete' | 'error' | 'client_gone', message?: AnthropicMessageResponse) => void
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
const utf8 = new TextEncoder()
const encode = (ev: AnthropicStreamEvent): string => encodeEvent(ev)

/** A stored answer as this request's response: JSON, or a well-formed SSE stream; `x-ccproxy-cache: hit`. */
export function cachedResponse(message: AnthropicMessageResponse, opts: ServeOptions): Response {
  return messageResponse(restampMessage(message, opts.messageId, opts.model), opts, 'hit')
}

/**
 * The response of a request that joined a running identical call (`x-ccproxy-cache: joined`). Non-streaming: the
 * leader's final message, or its error with a real status. Streaming: waits up to pingIntervalMs for the first
 * batch; an error before anything was sent keeps its HTTP status. Then every batch from the first (message_start
 * restamped), live, with pings during silence; a leader that does not stream gets its message replayed as a
 * stream at the end; an answer that stopped short ends in `event: error`. The client leaving leaves the flight.
 */
export async function joinedResponse(sub: Subscription<EventBatch>, opts: JoinOptions): Promise<Response> {
  const onAbort = () => sub.leave()
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  if (!opts.stream) {
    try {
      const message = await sub.result
      opts.onDone?.('complete', message)
      return messageResponse(restampMessage(message, opts.messageId, opts.model), opts, 'joined')
    } catch (err) {
      opts.onDone?.(opts.signal?.aborted ? 'client_gone' : 'error')
      return errorResponse(toProxyError(err), opts.requestId)
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }
  const commitAt = performance.now() + opts.pingIntervalMs
  while (sub.chunks.length === 0 && !sub.settled && !sub.left) {
    const left = commitAt - performance.now()
    if (left <= 0 || !(await changedWithin(sub, left))) break
  }
  if (sub.chunks.length === 0 && sub.settled) {
    opts.signal?.removeEventListener('abort', onAbort)
    try {
      const message = await sub.result
      opts.onDone?.('complete', message)
      return messageResponse(restampMessage(message, opts.messageId, opts.model), opts, 'joined')
    } catch (err) {
      opts.onDone?.('error')
      return errorResponse(toProxyError(err), opts.requestId)
    }
  }
  let cancelled = false
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const w = new JoinWriter(opts)
      const write = (s: string) => {
        if (s !== '' && !cancelled) controller.enqueue(utf8.encode(s))
      }
      if (sub.chunks.length === 0) write(w.syntheticStart() + PING_EVENT)
      const gone = () => cancelled || sub.left
      let i = 0
      for (;;) {
        while (i < sub.chunks.length && !gone()) write(w.batch(sub.chunks[i++]))
        if (gone() || w.ended || (sub.settled && i >= sub.chunks.length)) break
        if (!(await changedWithin(sub, opts.pingIntervalMs)) && !gone() && !w.ended) write(PING_EVENT)
      }
      let outcome: 'complete' | 'error' | 'client_gone' = gone() ? 'client_gone' : 'complete'
      let message: AnthropicMessageResponse | undefined
      if (!gone()) {
        try {
          message = await sub.result
          if (!w.ended) write(w.rest(message))
        } catch (err) {
          if (!w.ended) write(w.abandon() + errorEvent(toProxyError(err)))
        }
        if (w.failed || message === undefined) outcome = 'error'
      }
      opts.signal?.removeEventListener('abort', onAbort)
      sub.leave()
      try {
        controller.close()
      } catch {}
      opts.onDone?.(outcome, message)
    },
    cancel() {
      cancelled = true
      sub.leave()
    },
  })
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, 'request-id': opts.requestId, 'x-ccproxy-cache': 'joined', ...opts.headers } })
}

function messageResponse(message: AnthropicMessageResponse, opts: ServeOptions, status: 'hit' | 'joined'): Response {
  const headers = { 'request-id': opts.requestId, 'x-ccproxy-cache': status, ...opts.headers }
  if (!opts.stream) return new Response(JSON.stringify(message), { status: 200, headers: { 'content-type': 'application/json', ...headers } })
  return new Response(messageToSSE(message), { status: 200, headers: { ...SSE_HEADERS, ...headers } })
}

/** Resolves true when the flight changed within `ms`, false when the time ran out first. */
async function changedWithin(sub: Subscription<EventBatch>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))))
  const changed = await Promise.race([sub.changed().then(() => true as const), timeout])
  clearTimeout(timer)
  return changed
}

/** Encodes a joiner's stream: restamps message_start, tracks the open block and whether the stream has ended. */
class JoinWriter {
  private started = false
  private openIndex = -1
  private sentBlocks = false
  /** message_stop or an error was written. */
  ended = false
  /** The stream ended in (or was cut by) an error. */
  failed = false

  constructor(private readonly opts: JoinOptions) {}

  /** A message_start of our own, before the leader has sent one. */
  syntheticStart(): string {
    this.started = true
    const usage: AnthropicUsage = { input_tokens: this.opts.inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
    const message: AnthropicMessageResponse = { id: this.opts.messageId, type: 'message', role: 'assistant', model: this.opts.model, content: [], stop_reason: null, stop_sequence: null, usage }
    return encode({ type: 'message_start', message })
  }

  /** One published batch, as SSE text. */
  batch(events: EventBatch): string {
    let s = ''
    for (let i = 0; i < events.length && !this.ended; i++) s += this.event(events[i])
    return s
  }

  /** What is still missing after the flight completed with `message` (all of it, when the leader did not stream). */
  rest(message: AnthropicMessageResponse): string {
    if (this.openIndex !== -1 || this.sentBlocks) {
      const s = this.abandon() + errorEvent({ type: 'api_error', message: 'The shared answer ended early.' })
      this.ended = this.failed = true
      return s
    }
    return this.batch(messageToEvents(restampMessage(message, this.opts.messageId, this.opts.model)))
  }

  /** Closes an open block so an error event may follow. */
  abandon(): string {
    this.failed = true
    if (this.openIndex === -1) return ''
    const s = encode({ type: 'content_block_stop', index: this.openIndex })
    this.openIndex = -1
    return s
  }

  private event(ev: AnthropicStreamEvent): string {
    switch (ev.type) {
      case 'message_start':
        if (this.started) return ''
        this.started = true
        return encode({ type: 'message_start', message: restampMessage(ev.message, this.opts.messageId, this.opts.model) })
      case 'content_block_start':
        this.openIndex = ev.index
        this.sentBlocks = true
        break
      case 'content_block_stop':
        this.openIndex = -1
        break
      case 'message_stop':
        this.ended = true
        break
      case 'error':
        this.ended = true
        this.failed = true
        break
    }
    return encodeEvent(ev)
  }
}
