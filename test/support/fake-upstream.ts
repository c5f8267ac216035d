import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'

/** What the fake upstream does for one request. */
export interface UpstreamScript {
  status?: number
  headers?: Record<string, string>
  /** A JSON body (sets content-type application/json). */
  json?: unknown
  /** SSE events: objects are sent as `data: <json>\n\n`, strings are written raw. `[DONE]` is not added. */
  sse?: Array<string | object>
  /** Raw body pieces, written one by one. */
  chunks?: Array<string | Uint8Array>
  /** Milliseconds before the status line is sent. */
  delayMs?: number
  /** Milliseconds between body pieces. */
  chunkDelayMs?: number
  /** Destroy the socket after this many body pieces (abrupt close, no proper end). */
  closeAfter?: number
  /** Accept the request and never answer. */
  hang?: boolean
  /** Stop writing after this many pieces but keep the connection open (a stall). */
  stallAfter?: number
  /** Compress the whole body with this encoding and send it as one piece, with content-encoding set. */
  encoding?: 'gzip' | 'deflate' | 'br' | 'zstd'
}

/** One request the fake upstream received. */
export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string>
  raw: string
  /** The JSON body, or undefined when it was not JSON. */
  body: any
  receivedAt: number
  /** True when the client went away before the response ended; abortedAt says when. */
  aborted: boolean
  abortedAt?: number
}

export type ScriptSource = UpstreamScript | ((req: RecordedRequest, n: number) => UpstreamScript)

/** Builds an SSE body from chunk objects, ending with `data: [DONE]`. */
export function sseBody(chunks: object[], opts: { done?: boolean; eol?: string } = {}): string {
  const eol = opts.eol ?? '\n'
  const parts = chunks.map((c) => `data: ${JSON.stringify(c)}${eol}${eol}`)
  if (opts.done !== false) parts.push(`data: [DONE]${eol}${eol}`)
  return parts.join('')
}

/** A minimal OpenAI text stream: role chunk, the given text deltas, a finish and a usage chunk. */
export function textStream(texts: string[], usage = { prompt_tokens: 10, completion_tokens: texts.length }): object[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'fake-model' }
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ...texts.map((t) => ({ ...base, choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } },
  ]
}

/** A non-streaming OpenAI chat completion with the given text. */
export function textCompletion(text: string, usage = { prompt_tokens: 10, completion_tokens: 3 }): object {
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model: 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function compress(encoding: NonNullable<UpstreamScript['encoding']>, buffer: Buffer): Uint8Array {
  const data = new Uint8Array(buffer)
  if (encoding === 'gzip') return Bun.gzipSync(data)
  if (encoding === 'deflate') return zlib.deflateSync(data)
  if (encoding === 'br') return zlib.brotliCompressSync(data)
  return Bun.zstdCompressSync(data)
}

/**
 * An OpenAI-compatible server on 127.0.0.1, port 0, that tests script per request and that records every
 * request it receives. Scripts queued with `enqueue` are used in order; the fallback answers everything else.
 */
export class FakeUpstream {
  readonly requests: RecordedRequest[] = []
  private readonly queue: ScriptSource[] = []
  private fallback: ScriptSource = (req) => (req.body?.stream ? { sse: [sseBody(textStream(['Hello', ' world']))] } : { json: textCompletion('Hello world') })
  private server!: Server
  private readonly sockets = new Set<import('node:net').Socket>()
  port = 0
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections = 0

  /** Starts a fake upstream and resolves once it listens. */
  static async start(): Promise<FakeUpstream> {
    const f = new FakeUpstream()
    await f.listen()
    return f
  }

  /** Base URL to use as OPENAI_BASE_URL (`http://127.0.0.1:<port>/v1`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`
  }

  /** Scripts for the next requests, in order. */
  enqueue(...scripts: ScriptSource[]): this {
    this.queue.push(...scripts)
    return this
  }

  /** The answer for every request once the queue is empty. */
  setFallback(script: ScriptSource): this {
    this.fallback = script
    return this
  }

  /** Requests to the chat completions endpoint only. */
  get chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes('/chat/completions'))
  }

  /** Resolves when `n` requests have been received, or rejects after `timeoutMs`. */
  async waitForRequests(n: number, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (this.requests.length < n) {
      if (Date.now() > until) throw new Error(`fake upstream saw ${this.requests.length} requests, wanted ${n}`)
      await sleep(5)
    }
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.server.on('connection', (s) => {
      this.connections++
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port
        resolve()
      })
    })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pieces: Buffer[] = []
    for await (const p of req) pieces.push(p as Buffer)
    const raw = Buffer.concat(pieces).toString('utf8')
    let body: any
    try { body = raw ? JSON.parse(raw) : undefined } catch { body = undefined }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '')
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, raw, body, receivedAt: Date.now(), aborted: false }
    this.requests.push(rec)
    res.on('close', () => {
      if (!res.writableFinished) {
        rec.aborted = true
        rec.abortedAt = Date.now()
      }
    })
    const source = this.queue.length > 0 ? this.queue.shift()! : this.fallback
    const script = typeof source === 'function' ? source(rec, this.requests.length) : source
    await this.answer(script, res)
  }

  private async answer(script: UpstreamScript, res: ServerResponse): Promise<void> {
    if (script.hang) return
    if (script.delayMs) await sleep(script.delayMs)
    if (res.destroyed) return
    const headers: Record<string, string> = { ...script.headers }
    let pieces: Array<string | Uint8Array>
    if (script.json !== undefined) {
      headers['content-type'] ??= 'application/json'
      pieces = [JSON.stringify(script.json)]
    } else if (script.sse) {
      headers['content-type'] ??= 'text/event-stream'
      pieces = script.sse.map((e) => (typeof e === 'string' ? e : `data: ${JSON.stringify(e)}\n\n`))
    } else {
      pieces = script.chunks ?? []
    }
    if (script.encoding) {
      headers['content-encoding'] = script.encoding
      pieces = [compress(script.encoding, Buffer.concat(pieces.map((p) => Buffer.from(p))))]
    }
    res.writeHead(script.status ?? 200, headers)
    res.flushHeaders()
    for (let i = 0; i < pieces.length; i++) {
      if (script.closeAfter !== undefined && i >= script.closeAfter) {
        res.socket?.destroy()
        return
      }
      if (script.stallAfter !== undefined && i >= script.stallAfter) return
      if (res.destroyed) return
      res.write(pieces[i])
      if (script.chunkDelayMs) await sleep(script.chunkDelayMs)
    }
    if (script.closeAfter !== undefined && script.closeAfter >= pieces.length) {
      res.socket?.destroy()
      return
    }
    if (script.stallAfter !== undefined) return
    res.end()
  }
}
