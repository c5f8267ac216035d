import { SSEDecoder } from '../sse/decoder'
import { encodeEvent, PING_EVENT } from '../sse/encoder'
import { ProxyError, errorEvent, errorResponse } from '../server/errors'
import type { AnthropicStreamEvent, OpenAIChatChunk } from '../translate/types'
import type { createStreamTranslator } from '../translate/stream'
import type { LeaderTap } from '../cache/layer'

type Translator = ReturnType<typeof createStreamTranslator>

/** How a relayed stream ended, for logs and metrics. */
export interface StreamSummary {
  outcome: 'complete' | 'error' | 'client_gone'
  error?: { type: string; message: string }
  /** Milliseconds from relay start to the first content event sent to the client. */
  firstContentMs?: number
  chunks: number
  replacedBytes: number
  /** Set when the answer was an HTTP error sent before the stream was committed. */
  preCommitStatus?: number
}

export interface RelayOptions {
  upstream: Response
  translator: Translator
  requestId: string
  /** Aborts the upstream request. */
  abortUpstream: (reason?: unknown) => void
  /** Sees every batch sent (and, after this client left, what would have been sent) for joiners and the cache. */
  tap?: LeaderTap
  pingIntervalMs: number
  idleTimeoutMs: number
  /** Milliseconds left of MAX_STREAM_SECONDS for the whole answer. */
  totalTimeoutMs: number
  headers: Record<string, string>
  /** Called when STREAM_IDLE_TIMEOUT (`idle`) or MAX_STREAM_SECONDS (`total`) ends the stream. */
  onTimeout?: (kind: 'idle' | 'total', timeoutMs: number) => void
  onDone: (summary: StreamSummary) => void
}

const TIMEOUT = Symbol('timeout')

/**
 * Reads the upstream SSE body, translates it chunk by chunk and returns the Anthropic SSE Response.
 * Until the first translated event exists nothing is committed, so an upstream error that arrives first still
 * becomes a real HTTP status. After that, errors become `event: error`; upstream silence gets `event: ping`
 * every pingIntervalMs and fails after idleTimeoutMs; a client that leaves aborts the upstream at once.
 */
export async function relayStream(opts: RelayOptions): Promise<Response> {
  const { translator, requestId } = opts
  const reader = opts.upstream.body!.getReader()
  const decoder = new SSEDecoder()
  const startedAt = performance.now()
  const deadline = startedAt + opts.totalTimeoutMs
  const summary: StreamSummary = { outcome: 'complete', chunks: 0, replacedBytes: 0 }
  let finished = false
  let clientGone = false
  const tap = opts.tap
  let pending: ReturnType<typeof reader.read> | undefined

  // Decoded SSE messages not yet translated, and whether a content delta has been translated yet.
  let backlog: { data: string }[] = []
  let backlogAt = 0
  let contentSeen = false

  /**
   * Translates queued SSE messages into `out`. Until the answer's first content delta it stops right after the
   * chunk that made one, so that delta goes out before the rest of a burst is translated (a fast upstream often
   * delivers the whole answer in one read). `all` drains everything (the upstream has ended).
   */
  const translate = (out: AnthropicStreamEvent[], all = false) => {
    while (backlogAt < backlog.length && !finished) {
      const data = backlog[backlogAt++].data
      if (data === '[DONE]') {
        out.push(...translator.end(true))
        finished = true
        break
      }
      if (data === '') continue
      let chunk: OpenAIChatChunk
      try {
        chunk = JSON.parse(data)
      } catch {
        continue
      }
      summary.chunks++
      const events = translator.push(chunk)
      out.push(...events)
      if (translator.failed) finished = true
      if (!contentSeen && events.some((e) => e.type === 'content_block_delta')) {
        contentSeen = true
        if (!all) break
      }
    }
    if (backlogAt >= backlog.length) {
      backlog = []
      backlogAt = 0
    }
  }
  const enqueue = (msgs: { data: string }[]) => {
    if (msgs.length === 0) return
    if (backlogAt === backlog.length) {
      backlog = msgs
      backlogAt = 0
    } else backlog.push(...msgs)
  }

  /** One read from upstream, raced against a timer; returns TIMEOUT when the timer fires first. */
  const readOnce = async (waitMs: number) => {
    pending ??= reader.read()
    let timer: ReturnType<typeof setTimeout> | undefined
    const r = await Promise.race([pending, new Promise<typeof TIMEOUT>((res) => (timer = setTimeout(() => res(TIMEOUT), Math.max(0, waitMs))))])
    clearTimeout(timer)
    if (r !== TIMEOUT) pending = undefined
    return r
  }

  /** Translates what is queued, else reads until events exist, the stream ends, or `waitMs` passes. */
  const readEvents = async (waitMs: number): Promise<AnthropicStreamEvent[] | typeof TIMEOUT> => {
    const out: AnthropicStreamEvent[] = []
    translate(out)
    const until = performance.now() + waitMs
    while (out.length === 0 && !finished) {
      const r = await readOnce(until - performance.now())
      if (r === TIMEOUT) return TIMEOUT
      if (r.done) {
        enqueue(decoder.end())
        translate(out, true)
        if (!finished) out.push(...translator.end(false))
        finished = true
        break
      }
      enqueue(decoder.push(r.value))
      translate(out)
    }
    return out
  }

  const fail = (err: ProxyError): AnthropicStreamEvent => ({ type: 'error', error: { type: err.type, message: err.message } })

  // Pre-commit phase: wait (bounded by the ping interval) for the first events.
  let first: AnthropicStreamEvent[] | typeof TIMEOUT
  try {
    first = await readEvents(Math.min(opts.pingIntervalMs, opts.totalTimeoutMs))
  } catch (err) {
    first = [fail(new ProxyError('api_error', `The upstream stream broke: ${(err as Error)?.message ?? err}`))]
    finished = true
  }
  if (first !== TIMEOUT && !translator.started) {
    const errEv = first.find((e) => e.type === 'error') as Extract<AnthropicStreamEvent, { type: 'error' }> | undefined
    if (errEv) {
      opts.abortUpstream()
      summary.outcome = 'error'
      summary.error = errEv.error
      const status = errEv.error.type === 'invalid_request_error' ? 400 : errEv.error.type === 'overloaded_error' ? 529 : errEv.error.type === 'rate_limit_error' ? 429 : 502
      summary.preCommitStatus = status
      const err = new ProxyError(errEv.error.type, errEv.error.message, { status })
      tap?.end(err)
      opts.onDone(summary)
      const res = errorResponse(err, requestId)
      for (const [k, v] of Object.entries(opts.headers)) res.headers.set(k, v)
      return res
    }
  }

  // A Bun direct stream: events are written as strings straight into the response (no TextEncoder, no queue of
  // chunks) and flushed once per upstream read, so each batch reaches the client at once.
  const stream = new ReadableStream<Uint8Array>({
    type: 'direct',
    async pull(controller) {
      /** Writes a batch; true when it carried the answer's first content delta. */
      const send = (events: AnthropicStreamEvent[]): boolean => {
        if (events.length === 0) return false
        tap?.send(events)
        if (clientGone) return false
        let s = ''
        let firstContent = false
        for (const ev of events) {
          if (summary.firstContentMs === undefined && ev.type === 'content_block_delta') {
            summary.firstContentMs = performance.now() - startedAt
            firstContent = true
          }
          if (ev.type === 'error') {
            summary.outcome = 'error'
            summary.error = ev.error
          }
          s += encodeEvent(ev)
        }
        controller.write(s)
        controller.flush()
        return firstContent
      }
      // Bun corks the response's writes and sends them only when the event loop next polls. Reading on at once
      // would translate every upstream chunk already queued first (with a fast upstream, often the whole rest of
      // the answer), so the head and the first content would wait for all of it. One turn of the loop (a zero
      // timer; setImmediate and microtasks run before the poll) puts them on the socket now. This is done after the
      // first write and after the one carrying the first content delta: twice per answer at most.
      const releaseCorked = () => Bun.sleep(0)
      try {
        if (first === TIMEOUT) {
          const start = translator.start()
          tap?.send([start])
          controller.write(encodeEvent(start) + PING_EVENT)
          controller.flush()
        } else send(first)
        await releaseCorked()
        let silentSince = performance.now()
        while (!finished) {
          // What a burst left queued after the first content delta is already here: it goes out before any timeout
          // check, so an answer in hand is never replaced by a timeout error.
          if (backlogAt < backlog.length) {
            const queued: AnthropicStreamEvent[] = []
            translate(queued)
            if (send(queued)) await releaseCorked()
            silentSince = performance.now()
            continue
          }
          const now = performance.now()
          const left = deadline - now
          if (left <= 0) {
            send([fail(new ProxyError('timeout_error', `The answer took longer than MAX_STREAM_SECONDS (${Math.round(opts.totalTimeoutMs / 1000)} s).`))])
            opts.onTimeout?.('total', opts.totalTimeoutMs)
            opts.abortUpstream()
            break
          }
          const idleLeft = silentSince + opts.idleTimeoutMs - now
          if (idleLeft <= 0) {
            send([fail(new ProxyError('timeout_error', `The upstream sent nothing for ${+(opts.idleTimeoutMs / 1000).toFixed(3)} s (STREAM_IDLE_TIMEOUT).`))])
            opts.onTimeout?.('idle', opts.idleTimeoutMs)
            opts.abortUpstream()
            break
          }
          const events = await readEvents(Math.min(opts.pingIntervalMs, idleLeft, left))
          if (events === TIMEOUT) {
            if (!clientGone && performance.now() - silentSince >= opts.pingIntervalMs - 1) {
              controller.write(PING_EVENT)
              controller.flush()
            }
            continue
          }
          silentSince = performance.now()
          if (send(events)) await releaseCorked()
        }
      } catch (err) {
        const broke = new ProxyError('api_error', `The upstream stream broke: ${(err as Error)?.message ?? err}`)
        tap?.end(broke)
        if (!clientGone) {
          try {
            controller.write(errorEvent(broke))
          } catch {}
          summary.outcome = 'error'
        }
      }
      tap?.end()
      const published = tap?.published()
      if (published) await published
      summary.replacedBytes = decoder.replacedBytes
      try {
        controller.close()
      } catch {}
      reader.releaseLock?.()
      opts.onDone(summary)
    },
    cancel(reason) {
      summary.outcome = 'client_gone'
      clientGone = true
      // With joiners still reading, keep relaying to them; otherwise stop the upstream at once.
      if (tap?.leave() ?? true) {
        finished = true
        opts.abortUpstream(reason)
        reader.cancel().catch(() => {})
      }
    },
  })
  return new Response(stream, {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId, ...opts.headers },
  })
}
