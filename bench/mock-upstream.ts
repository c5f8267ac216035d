/**
 * A fast fake OpenAI-compatible upstream for the load bench, run as its own process: `bun bench/mock-upstream.ts`.
 * POST …/chat/completions answers at once with a canned completion, or, when the body asks for `"stream":true`,
 * a MOCK_CHUNKS-long SSE stream (default 200; SHORT_STREAM_CHUNKS when the body contains SHORT_STREAM_MARKER) with
 * no delays. GET /last-request (?stream=1) returns the last non-streaming (streaming) request body received, byte
 * for byte; any other GET answers ok. Listens on 127.0.0.1 and port MOCK_PORT (default 0, a free one) and prints one JSON line `{"port":N}` on stdout. With MOCK_TLS_CERT and
 * MOCK_TLS_KEY (PEM files) it also serves the same answers over TLS with HTTP/2 and HTTP/1.1 (ALPN) on a second
 * free port, announced first as `{"tlsPort":M}`.
 */
import { openAICompletionJson, openAIStreamEvents, SHORT_STREAM_CHUNKS, SHORT_STREAM_MARKER } from './openai-data.ts'

const encoder = new TextEncoder()
const events = openAIStreamEvents(Number(process.env.MOCK_CHUNKS ?? 200)).map((e) => encoder.encode(e))
const shortEvents = openAIStreamEvents(SHORT_STREAM_CHUNKS).map((e) => encoder.encode(e))
const completion = encoder.encode(openAICompletionJson())
const JSON_HEADERS = { 'content-type': 'application/json' }
let lastJson = ''
let lastStream = ''
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

/**
 * The streamed answer: one event per write. Between events the stream yields to the event loop once
 * (setImmediate, no timer delay) so each chunk leaves as its own write, as a real upstream's would.
 */
function streamAnswer(events: Uint8Array[]): Response {
  let i = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve))
      if (i < events.length) controller.enqueue(events[i++])
      if (i >= events.length) controller.close()
    },
  })
  return new Response(body, { headers: SSE_HEADERS })
}

/** Answers one request (both listeners share it). */
async function answer(req: Request): Promise<Response> {
  const url = new URL(req.url)
  if (req.method === 'GET' && url.pathname === '/last-request') return new Response(url.searchParams.has('stream') ? lastStream : lastJson, { headers: JSON_HEADERS })
  if (req.method === 'GET') return new Response('{"status":"ok"}', { headers: JSON_HEADERS })
  if (!url.pathname.endsWith('/chat/completions')) return new Response('{"error":{"message":"not found"}}', { status: 404, headers: JSON_HEADERS })
  const text = await req.text()
  if (text.includes('"stream":true')) {
    lastStream = text
    return streamAnswer(text.includes(SHORT_STREAM_MARKER) ? shortEvents : events)
  }
  lastJson = text
  return new Response(completion, { headers: JSON_HEADERS })
}

const { MOCK_TLS_CERT: certFile, MOCK_TLS_KEY: keyFile } = process.env
const tlsServer = certFile && keyFile
  ? Bun.serve({ hostname: '127.0.0.1', port: 0, idleTimeout: 120, http2: true, tls: { cert: Bun.file(certFile), key: Bun.file(keyFile) }, fetch: answer })
  : undefined
if (tlsServer) console.log(JSON.stringify({ tlsPort: tlsServer.port }))
const server = Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.MOCK_PORT ?? 0), idleTimeout: 120, fetch: answer })

console.log(JSON.stringify({ port: server.port }))
process.on('SIGTERM', () => {
  server.stop(true)
  tlsServer?.stop(true)
  process.exit(0)
})
