import { ProxyError, invalidRequest } from '../server/errors'
import type { Config } from '../config/schema'

const TIMED_OUT = Symbol('timed out')

/**
 * Reads a request body as text, refusing more than `maxBytes` without reading it whole (a declared content-length
 * over the limit is refused at once, a body that grows past it is cut off while it streams) and giving up on a
 * client that takes longer than `timeoutMs` to send it (408).
 */
export async function readBodyText(request: Request, maxBytes: number, timeoutMs: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  if (!request.body) return ''
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs)))
  try {
    if (declared >= 0 && Number.isFinite(declared)) {
      const text = await Promise.race([request.text(), deadline])
      if (text === TIMED_OUT) throw tooSlow(timeoutMs)
      return text
    }
    const reader = request.body.getReader()
    const parts: Uint8Array[] = []
    let size = 0
    for (;;) {
      const r = await Promise.race([reader.read(), deadline])
      if (r === TIMED_OUT) {
        reader.cancel().catch(() => {})
        throw tooSlow(timeoutMs)
      }
      if (r.done) break
      size += r.value.byteLength
      if (size > maxBytes) {
        reader.cancel().catch(() => {})
        throw tooLarge(maxBytes)
      }
      parts.push(r.value)
    }
    return Buffer.concat(parts).toString('utf8')
  } finally {
    clearTimeout(timer)
  }
}

const tooLarge = (max: number) => new ProxyError('request_too_large', `The request body is larger than ${max} bytes (MAX_REQUEST_BYTES).`)
const tooSlow = (ms: number) => new ProxyError('invalid_request_error', `The request body did not arrive within ${ms / 1000} s (CLIENT_BODY_TIMEOUT).`, { status: 408 })

/** What parses a request body's text: JSON itself, or the routes' BodyMemo. */
export interface BodyParser {
  parse(text: string): unknown
}

/**
 * Reads a JSON request body within MAX_REQUEST_BYTES and CLIENT_BODY_TIMEOUT and parses it with `parser`; bad JSON
 * is a 400. The text comes back too, for the BodyMemo to learn from once the body is validated.
 */
export async function readJsonBody(
  request: Request,
  config: Pick<Config, 'MAX_REQUEST_BYTES' | 'CLIENT_BODY_TIMEOUT'>,
  parser: BodyParser = JSON,
): Promise<{ json: unknown; text: string }> {
  const text = await readBodyText(request, config.MAX_REQUEST_BYTES, config.CLIENT_BODY_TIMEOUT * 1000)
  try {
    return { json: parser.parse(text), text }
  } catch (e) {
    throw invalidRequest(`The request body is not valid JSON: ${(e as Error).message}`)
  }
}
