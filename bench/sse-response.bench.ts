/**
 * How the stream relay should hand SSE text to Bun's server: a default ReadableStream fed with TextEncoder +
 * enqueue (the old relay), or a Bun direct stream written with strings, with or without a flush per upstream
 * read. Each style runs in its own process (bench/lib/sse-style-server.ts) relaying the mock upstream's
 * 200-chunk stream (one chunk per write, as a real upstream sends them); rounds alternate the styles. Prints the
 * median time to the first relayed chunk, the median total, and the relay process's CPU per stream and per chunk.
 * Run: bun bench/sse-response.bench.ts [--quick]
 */
import { median, timeStream, type Target } from './lib/loadgen.ts'
import { cleanupAll, clockTicks, cpuTicks, spawnPortPrinter, stopChild } from './lib/procs.ts'

const quick = Bun.argv.includes('--quick')
const CHUNKS = 200
const ROUNDS = quick ? 1 : 6
const PER_ROUND = quick ? 10 : 80
const STYLES = ['queue', 'direct-flush', 'direct'] as const

async function main(): Promise<void> {
  const mock = await spawnPortPrinter('bench/mock-upstream.ts', { MOCK_CHUNKS: String(CHUNKS) })
  const servers = await Promise.all(STYLES.map((style) => spawnPortPrinter('bench/lib/sse-style-server.ts', { STYLE: style, UPSTREAM_URL: mock.url })))
  const body = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const targets: Target[] = servers.map((s, i) => ({ name: STYLES[i], url: s.url, headers: { 'content-type': 'application/json' }, bodies: [body] }))
  const first: number[][] = STYLES.map(() => [])
  const total: number[][] = STYLES.map(() => [])
  const ticks = STYLES.map(() => 0)
  const clk = clockTicks()
  for (const t of targets) for (let i = 0; i < 20; i++) await timeStream(t, 'content_block_delta')
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < STYLES.length; k++) {
      const i = (k + r) % STYLES.length
      const before = cpuTicks(servers[i].proc.pid)
      for (let n = 0; n < PER_ROUND; n++) {
        const t = await timeStream(targets[i], 'content_block_delta')
        first[i].push(t.firstMs)
        total[i].push(t.totalMs)
      }
      ticks[i] += cpuTicks(servers[i].proc.pid) - before
    }
  }
  console.log(`${CHUNKS}-chunk streams, concurrency 1, ${ROUNDS * PER_ROUND} per style`)
  console.log('style'.padEnd(14) + 'first ms'.padStart(10) + 'total ms'.padStart(10) + 'CPU ms/stream'.padStart(15) + 'CPU µs/chunk'.padStart(14))
  STYLES.forEach((s, i) => {
    const cpuMs = ((ticks[i] / clk) * 1000) / (ROUNDS * PER_ROUND)
    console.log(s.padEnd(14) + median(first[i]).toFixed(3).padStart(10) + median(total[i]).toFixed(3).padStart(10) + cpuMs.toFixed(3).padStart(15) + ((cpuMs * 1000) / CHUNKS).toFixed(2).padStart(14))
  })
  await Promise.all([...servers.map((s) => stopChild(s.proc)), stopChild(mock.proc)])
}

try {
  await main()
} finally {
  cleanupAll()
}
