/**
 * Request translation on Claude-Code-shaped bodies of ~20, ~60 and ~200 KB: validateMessagesRequest +
 * anthropicToOpenAI + JSON.stringify of the upstream body, from a parsed body and (the whole request path's
 * CPU) from the JSON text, and validation alone (its depth check walks every object of the body). Run: bun bench/translate.bench.ts
 */
import { bench, do_not_optimize, group, run } from 'mitata'
import { claudeCodeBodyText, type BodySize } from './bodies.ts'
import { meanNs } from './lib/mitata-stats.ts'
import { anthropicToOpenAI } from '../src/translate/request.ts'
import { validateMessagesRequest } from '../src/translate/validate.ts'
import { getProfile } from '../src/translate/providers/index.ts'

const SIZES: BodySize[] = ['20k', '60k', '200k']
const ctx = { upstreamModel: 'gpt-4o', profile: getProfile('generic'), stream: true }

/** The translation step the proxy runs per request, on an already parsed body. */
function translate(parsed: unknown): string {
  const req = validateMessagesRequest(parsed)
  return JSON.stringify(anthropicToOpenAI(req, ctx).body)
}

const texts = new Map(SIZES.map((s) => [s, claudeCodeBodyText(s, { stream: true })]))
for (const [size, text] of texts) {
  const parsed = JSON.parse(text)
  const out = translate(parsed)
  if (JSON.stringify(parsed) !== text) throw new Error(`translation changed its input (${size})`)
  console.log(`${size}: Anthropic body ${text.length.toLocaleString('en')} B → upstream body ${out.length.toLocaleString('en')} B`)
}

for (const [size, text] of texts) {
  const parsed = JSON.parse(text)
  group(`${size} body`, () => {
    bench(`${size} validate only (structure and depth)`, () => do_not_optimize(validateMessagesRequest(parsed)))
    bench(`${size} validate + translate + stringify`, () => do_not_optimize(translate(parsed)))
    bench(`${size} parse + validate + translate + stringify`, () => do_not_optimize(translate(JSON.parse(text))))
    bench(`${size} parse + stringify only (floor)`, () => do_not_optimize(JSON.stringify(JSON.parse(text))))
  })
}

const means = meanNs(await run({ colors: Boolean(process.stdout.isTTY) }))
console.log('\nthroughput (Anthropic body bytes per second)')
for (const [size, text] of texts) {
  for (const name of [`${size} validate only (structure and depth)`, `${size} validate + translate + stringify`, `${size} parse + validate + translate + stringify`]) {
    const ns = means.get(name)
    if (ns) console.log(`  ${name.padEnd(48)} ${(ns / 1e6).toFixed(3)} ms   ${((text.length / ns) * 1e3).toFixed(0)} MB/s`)
  }
}
