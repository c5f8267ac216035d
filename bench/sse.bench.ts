/**
 * SSE decoder throughput (MB/s) on a ~4 MB body of OpenAI stream events split into reads of 1 KB, 4 KB, 16 KB
 * and deterministic random sizes between 1 and 16 KB. Run: bun bench/sse.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { createRng } from './bodies.ts'
import { largeSSEBody } from './openai-data.ts'
import { meanNs } from './lib/mitata-stats.ts'
import { SSEDecoder } from '../src/sse/decoder.ts'

const { body, messages } = largeSSEBody(4 * 1024 * 1024)

/** Views of `body` of the given sizes, in order, covering it whole. */
function split(size: () => number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < body.length && out.length < 1_000_000; ) {
    const n = Math.max(1, size())
    out.push(body.subarray(at, at + n))
    at += n
  }
  return out
}

const rng = createRng(16)
const splits: Record<string, Uint8Array[]> = {
  '1 KB reads': split(() => 1024),
  '4 KB reads': split(() => 4096),
  '16 KB reads': split(() => 16_384),
  '1–16 KB random reads': split(() => 1024 + Math.floor(rng() * 15 * 1024)),
}

/** Decodes the whole body from `reads`; returns the messages seen (checked once below). */
function decode(reads: Uint8Array[]): number {
  const d = new SSEDecoder()
  let n = 0
  for (const r of reads) n += d.push(r).length
  return n + d.end().length
}

for (const [name, reads] of Object.entries(splits)) {
  const n = decode(reads)
  if (n !== messages) throw new Error(`${name}: decoded ${n} messages, expected ${messages}`)
}
console.log(`body: ${(body.length / 1024 / 1024).toFixed(2)} MB, ${messages.toLocaleString('en')} messages`)

summary(() => {
  for (const [name, reads] of Object.entries(splits)) bench(name, () => do_not_optimize(decode(reads)))
})

const means = meanNs(await run({ colors: Boolean(process.stdout.isTTY) }))
console.log('\nthroughput')
for (const [name, ns] of means) console.log(`  ${name.padEnd(22)} ${((body.length / ns) * 1e3).toFixed(0)} MB/s  ${((messages / ns) * 1e3).toFixed(2)} M messages/s`)
