/**
 * A fast fake OpenAI-compatible upstream for the load bench, run as its own process: `bun bench/mock-upstream.ts`.
 * POST …/chat/completions answers at once with a canned completion, or, when the body asks for `"stream":true`,
 * a MOCK_CHUNKS-long SSE stream (default 200) with no delays. GET /last-request (?stream=1) returns the last
 * non-streaming (streaming) request body received, byte for byte; any other GET answers ok. Listens on 127.0.0.1 and
 * port MOCK_PORT (default 0, a free one) and prints one JSON line `{"port":N}` on stdout.
 */
import { openAICompletionJson, openAIStreamEvents } from './openai-data.ts'

const encoder = new TextEncoder()
const events = openAIStreamEvents(Number(process.env.MOCK_CHUNKS ?? 200)).map((e) => encoder.encode(e))
const completion = encoder.encode(openAICompletionJson())
const JSON_HEADERS = { 'content-type': 'application/json' }
let lastJson = ''
let lastStream = ''
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }

/** The streamed answer: one enqueue per event, so each chunk is its own write when the socket allows. */
function streamAnswer(): Response {
  let i = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < events.length) controller.enqueue(events[i++])
      if (i >= events.length) controller.close()
    },
  })
  return new Response(body, { headers: SSE_HEADERS })
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.MOCK_PORT ?? 0),
  idleTimeout: 120,
  async fetch(req) {
    const url = new URL(req.url)
    if (req.method === 'GET' && url.pathname === '/last-request') return new Response(url.searchParams.has('stream') ? lastStream : lastJson, { headers: JSON_HEADERS })
    if (req.method === 'GET') return new Response('{"status":"ok"}', { headers: JSON_HEADERS })
    if (!url.pathname.endsWith('/chat/completions')) return new Response('{"error":{"message":"not found"}}', { status: 404, headers: JSON_HEADERS })
    const text = await req.text()
    if (text.includes('"stream":true')) {
      lastStream = text
      return streamAnswer()
    }
    lastJson = text
    return new Response(completion, { headers: JSON_HEADERS })
  },
})

console.log(JSON.stringify({ port: server.port }))
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
