import { ProxyError } from '../server/errors'

/**
 * Reads a request body as text, refusing more than `maxBytes` without reading it whole: a declared
 * content-length over the limit is refused at once, a body that grows past it is cut off while it streams.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  if (!request.body) return ''
  if (declared >= 0 && Number.isFinite(declared)) {
    const text = await request.text()
    return text
  }
  const reader = request.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      reader.cancel().catch(() => {})
      throw tooLarge(maxBytes)
    }
    parts.push(value)
  }
  return Buffer.concat(parts).toString('utf8')
}

const tooLarge = (max: number) => new ProxyError('request_too_large', `The request body is larger than ${max} bytes (MAX_REQUEST_BYTES).`)
