/**
 * Child process of bench/sse-response.bench.ts: relays the mock upstream's SSE stream to its client in one
 * response style (STYLE), re-framing each upstream read as a string the way the stream relay does. Prints
 * `{"port":N}` when listening.
 *   queue        a default ReadableStream: TextEncoder + controller.enqueue per upstream read
 *   direct-flush a Bun direct stream: controller.write(string) + flush() per upstream read
 *   direct       a Bun direct stream: controller.write(string) per upstream read, flushed by Bun
 */
const STYLE = process.env.STYLE ?? 'queue'
const UPSTREAM = process.env.UPSTREAM_URL ?? ''
const encoder = new TextEncoder()
const SSE = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** Stand-in for translation: the upstream bytes as text, re-framed as one Anthropic-style event. */
function reframe(decoder: TextDecoder, bytes: Uint8Array): string {
  return 'event: content_block_delta\ndata: ' + decoder.decode(bytes, { stream: true }).replaceAll('\n\n', ' ') + '\n\n'
}

async function relay(body: string): Promise<Response> {
  const up = await fetch(`${UPSTREAM}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  const reader = up.body!.getReader()
  const decoder = new TextDecoder()
  if (STYLE === 'queue') {
    return new Response(new ReadableStream<Uint8Array>({
      async start(controller) {
        for (;;) {
          const r = await reader.read()
          if (r.done) break
          controller.enqueue(encoder.encode(reframe(decoder, r.value)))
        }
        controller.close()
      },
    }), { headers: SSE })
  }
  const flush = STYLE === 'direct-flush'
  return new Response(new ReadableStream<Uint8Array>({
    type: 'direct',
    async pull(controller) {
      for (;;) {
        const r = await reader.read()
        if (r.done) break
        controller.write(reframe(decoder, r.value))
        if (flush) controller.flush()
      }
      controller.close()
    },
  }), { headers: SSE })
}

const listener = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: async (req) => relay(await req.text()) })
console.log(JSON.stringify({ port: listener.port }))
