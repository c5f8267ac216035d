/**
 * The successful side of a send: the upstream response handed to the caller, with what it must do when the
 * answer is over (free the connection slot, settle the rate-limit permit) and a bounded read for JSON answers.
 */
import { ProxyError } from '../server/errors'
import { PhaseTimeout, clientGone, describeFetchError, secondsText, type AttemptResult } from './attempt'
import type { GatePermit } from './limiter-gate'

/** Tokens the upstream reported for a finished answer. */
export interface UpstreamUsage {
  inputTokens: number
  outputTokens: number
}

/** A successful (2xx) upstream answer whose headers have arrived; the body is still unread. */
export interface SendResult {
  response: Response
  attempts: number
  endpoint: string
  /** Milliseconds from the start of the successful attempt to its response headers. */
  firstByteMs: number
  /** Aborts the upstream request and frees its connection slot (client gone, stream timeout). */
  abort(reason?: unknown): void
  /** Reads a non-streaming JSON body within `timeoutMs` (what is left of MAX_STREAM_SECONDS); frees the slot. */
  readJson(timeoutMs: number): Promise<unknown>
  /**
   * The answer is over: frees its connection slot and corrects the rate-limit window with the real usage.
   * `complete`: the body was read to its end, so its connection can serve the next request (default true).
   */
  settle(usage?: UpstreamUsage, complete?: boolean): void
}

/** What the result needs besides the response. */
export interface SendResultContext {
  endpoint: string
  attempts: number
  /** Frees the connection slot. */
  release: () => void
  /** The answer ended normally and its connection went back to the keep-alive pool. */
  reused?: () => void
  permit: GatePermit | undefined
  /** The client's signal. */
  signal: AbortSignal
  /** MAX_STREAM_SECONDS in ms, for the message of a total timeout. */
  maxStreamMs: number
  /** Counts and logs a total timeout. */
  onTotalTimeout: (timeoutMs: number) => void
}

/** Wraps a successful attempt into the SendResult the caller reads. */
export function createSendResult(r: Extract<AttemptResult, { kind: 'response' }>, ctx: SendResultContext): SendResult {
  let done = false
  const free = (reusable: boolean) => {
    if (done) return
    done = true
    ctx.release()
    r.detach()
    if (reusable && !r.ctrl.signal.aborted && r.response.headers.get('connection')?.toLowerCase() !== 'close') ctx.reused?.()
  }
  return {
    response: r.response,
    attempts: ctx.attempts,
    endpoint: ctx.endpoint,
    firstByteMs: r.firstByteMs,
    abort: (reason) => {
      r.ctrl.abort(reason)
      free(false)
    },
    readJson: async (timeoutMs) => {
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        r.ctrl.abort(new PhaseTimeout('total'))
      }, Math.max(0, timeoutMs))
      let text: string
      let read = false
      try {
        text = await r.response.text()
        read = true
      } catch (e) {
        if (timedOut) {
          ctx.onTotalTimeout(ctx.maxStreamMs)
          throw new ProxyError('timeout_error', `The answer took longer than ${secondsText(ctx.maxStreamMs)} (MAX_STREAM_SECONDS).`)
        }
        if (ctx.signal.aborted) throw clientGone()
        throw new ProxyError('api_error', `The upstream answer broke off: ${describeFetchError(e)}`, { status: 502 })
      } finally {
        clearTimeout(timer)
        free(read)
      }
      try {
        return JSON.parse(text)
      } catch (e) {
        throw new ProxyError('api_error', `The upstream answered with a body that is not JSON: ${(e as Error).message}`, { status: 502 })
      }
    },
    settle: (usage, complete = true) => {
      free(complete)
      ctx.permit?.settle(usage ? usage.inputTokens + usage.outputTokens : undefined)
    },
  }
}
