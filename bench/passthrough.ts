/**
 * The ideal pass-through proxy the load bench compares against, run as its own process: `bun bench/passthrough.ts`.
 * Reads each request's bytes, forwards them with fetch (keep-alive) to UPSTREAM_URL + the same path, and streams
 * the upstream's body back untouched. Listens on 127.0.0.1, port PASSTHROUGH_PORT (default 0), and prints one JSON
 * line `{"port":N}` on stdout.
 */
const upstream = (process.env.UPSTREAM_URL ?? '').replace(/\/$/, '')
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(upstream)) {
  console.error('passthrough: UPSTREAM_URL must be http://127.0.0.1:<port>')
  process.exit(2)
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PASSTHROUGH_PORT ?? 0),
  idleTimeout: 120,
  async fetch(req) {
    const url = new URL(req.url)
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer()
    const res = await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      body,
      headers: { 'content-type': req.headers.get('content-type') ?? 'application/json', authorization: 'Bearer sk-bench' },
    })
    return new Response(res.body, { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/octet-stream' } })
  },
})

console.log(JSON.stringify({ port: server.port }))
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
