/**
 * Stream translation throughput: a 200-chunk OpenAI stream (text deltas and one tool call with fragmented
 * arguments) through createStreamTranslator, alone and with the relay's per-chunk work around it (JSON.parse of
 * each data line, SSE encoding of each event). Reports events and chunks per second. Run: bun bench/stream.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { openAIStreamChunks, openAIStreamEvents } from './openai-data.ts'
import { meanNs } from './lib/mitata-stats.ts'
import { createStreamTranslator } from '../src/translate/stream.ts'
import { encodeEvent } from '../src/sse/encoder.ts'

const CHUNKS = 200
const chunks = openAIStreamChunks(CHUNKS)
const dataLines = openAIStreamEvents(CHUNKS).map((e) => e.slice('data: '.length, -2))
const options = { model: 'claude-sonnet-4-5-20250929', messageId: 'msg_bench', inputTokens: 15_000 }

/** Translates the whole stream from parsed chunks; returns the number of Anthropic events. */
function translateParsed(): number {
  const t = createStreamTranslator(options)
  let events = 0
  for (const c of chunks) events += t.push(c).length
  return events + t.end(true).length
}

/** What the relay does per chunk, minus I/O: parse, translate, encode. Returns the bytes produced. */
function relayWork(): number {
  const t = createStreamTranslator(options)
  let bytes = 0
  for (const line of dataLines) {
    const evs = line === '[DONE]' ? t.end(true) : t.push(JSON.parse(line))
    for (const ev of evs) bytes += encodeEvent(ev).length
  }
  return bytes
}

const events = translateParsed()
console.log(`${CHUNKS} upstream chunks → ${events} Anthropic events`)

summary(() => {
  bench('translate 200 parsed chunks', () => do_not_optimize(translateParsed()))
  bench('parse + translate + encode 200 chunks', () => do_not_optimize(relayWork()))
})

const means = meanNs(await run({ colors: Boolean(process.stdout.isTTY) }))
console.log('\nthroughput')
for (const [name, ns] of means) {
  console.log(`  ${name.padEnd(40)} ${(ns / 1e3).toFixed(1)} µs/stream  ${((ns / CHUNKS) / 1e3).toFixed(3)} µs/chunk  ${((events / ns) * 1e9 / 1e6).toFixed(2)} M events/s  ${((CHUNKS / ns) * 1e9 / 1e6).toFixed(2)} M chunks/s`)
}
