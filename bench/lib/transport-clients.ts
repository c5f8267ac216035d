/**
 * The upstream clients the transport benchmark compares: Bun fetch over HTTP/1.1 with and without keep-alive,
 * string vs encoded vs streamed (default stream of pieces, or a direct stream of the string) request bodies, fetch over TLS with HTTP/1.1 or HTTP/2 (`protocol`, experimental in
 * Bun 1.4), a node:http2 session, and a concurrency cap (semaphore) in front of fetch. Each returns a call usable with runCalls.
 */
import http2 from 'node:http2'

/** One request: resolves to undefined on success or an error text. */
export type Call = (i: number) => Promise<string | undefined>

const JSON_HEADERS = { 'content-type': 'application/json' }

/** fetch POST with the given extra init; the body is read whole. */
export function fetchCall(url: string, body: string, init: Record<string, unknown> = {}, headers: Record<string, string> = {}, doFetch: typeof fetch = fetch): Call {
  return async () => {
    const res = await doFetch(url, { method: 'POST', body, headers: { ...JSON_HEADERS, ...headers }, signal: AbortSignal.timeout(30_000), ...init } as RequestInit)
    await res.arrayBuffer()
    return res.ok ? undefined : `HTTP ${res.status}`
  }
}

const encoder = new TextEncoder()

/**
 * fetch POST whose body is encoded per call and handed to Bun as a ReadableStream of 64 KB pieces with a
 * Content-Length (the shape a proxy uses to time connect and write phases apart); `asBytes` sends the encoded
 * Uint8Array instead, isolating the stream's cost from the encoding's.
 */
export function encodedBodyCall(url: string, body: string, asBytes: boolean, doFetch: typeof fetch = fetch): Call {
  return async () => {
    const bytes = encoder.encode(body)
    let offset = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const end = Math.min(bytes.length, offset + 64 * 1024)
        controller.enqueue(bytes.subarray(offset, end))
        offset = end
        if (offset >= bytes.length) controller.close()
      },
    }, { highWaterMark: 0 })
    const headers = { ...JSON_HEADERS, 'content-length': String(bytes.length) }
    const res = await doFetch(url, { method: 'POST', body: asBytes ? bytes : stream, headers, keepalive: true, signal: AbortSignal.timeout(30_000) })
    await res.arrayBuffer()
    return res.ok ? undefined : `HTTP ${res.status}`
  }
}

/**
 * fetch POST whose body is a Bun direct stream writing the JSON string in one call, with a Content-Length: the
 * shape ccproxy's upstream requests use (the pull marks "connected"; nothing is encoded in JavaScript; over 64 KB
 * the write's drain promise is awaited, as ccproxy does to time the write phase).
 */
export function directBodyCall(url: string, body: string, doFetch: typeof fetch = fetch): Call {
  const length = String(Buffer.byteLength(body, 'utf8'))
  return async () => {
    const stream = new ReadableStream<Uint8Array>({
      type: 'direct',
      async pull(controller) {
        const wrote = controller.write(body)
        if (typeof wrote !== 'number' && body.length > 64 * 1024) await wrote
        controller.end()
      },
    })
    const headers = { ...JSON_HEADERS, 'content-length': length }
    const res = await doFetch(url, { method: 'POST', body: stream, headers, keepalive: true, signal: AbortSignal.timeout(30_000) })
    await res.arrayBuffer()
    return res.ok ? undefined : `HTTP ${res.status}`
  }
}

/** A counting semaphore: at most `limit` holders at once, the rest wait in FIFO order. */
export class Semaphore {
  private active = 0
  private readonly waiting: (() => void)[] = []
  constructor(private readonly limit: number) {}

  /** Resolves once a slot is held. */
  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  /** Gives a slot back (to the next waiter, if any). */
  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }
}

/** `call` behind a semaphore of `limit` slots (the time spent waiting counts in the latency). */
export function cappedCall(call: Call, limit: number): Call {
  const sem = new Semaphore(limit)
  return async (i) => {
    await sem.acquire()
    try {
      return await call(i)
    } finally {
      sem.release()
    }
  }
}

/** One multiplexed node:http2 session to `origin`; `call` posts `body` to `path`. Close it when done. */
export function nodeHttp2Client(origin: string, path: string, body: string, ca: string): { call: Call; close(): void } {
  const session = http2.connect(origin, { ca })
  session.on('error', () => {})
  const payload = Buffer.from(body)
  const call: Call = (_i) =>
    new Promise((resolve) => {
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', 'content-length': String(payload.length) })
      let status = 0
      const timer = setTimeout(() => {
        req.close()
        resolve('timeout')
      }, 30_000)
      req.on('response', (h) => (status = Number(h[':status'])))
      req.on('data', () => {})
      req.on('end', () => {
        clearTimeout(timer)
        resolve(status >= 200 && status < 300 ? undefined : `HTTP ${status}`)
      })
      req.on('error', (e) => {
        clearTimeout(timer)
        resolve(e.message)
      })
      req.end(payload)
    })
  return { call, close: () => session.close() }
}
