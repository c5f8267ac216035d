/**
 * Token counting of a ~200k-token Claude Code style conversation that grew by one message:
 * cold (empty memo, everything tokenized) against memoised (only the new message tokenized); and the per-request
 * estimate of a warm ~60 KB Claude Code request (what the limiter and message_start pay on every request).
 * Run: bun bench/tokens.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { TokenCounter, type CountableRequest } from '../src/tokens/count.ts'
import type { AnthropicMessage, AnthropicTool } from '../src/translate/types.ts'
import { claudeCodeBodyText } from './bodies.ts'

const WORDS = (
  'const let function return import export class interface type await async if else for while of in new this ' +
  'the request response stream token model upstream proxy error retry timeout message content block tool result ' +
  'user assistant system cache limit window bucket permit state open closed half value count index length map set'
).split(' ')

let seed = 42
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}

function prose(words: number): string {
  const out: string[] = []
  for (let i = 0; i < words; i++) {
    out.push(WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.08 ? `_${Math.floor(random() * 1000)}` : ''))
    if (random() < 0.07) out.push(random() < 0.5 ? '{\n  ' : ');\n')
  }
  return out.join(' ')
}

function buildRequest(): CountableRequest {
  const tools: AnthropicTool[] = Array.from({ length: 12 }, (_, i) => ({
    name: `Tool${i}`,
    description: prose(600),
    input_schema: { type: 'object', properties: { path: { type: 'string', description: prose(20) }, limit: { type: 'number' } }, required: ['path'] },
  }))
  const messages: AnthropicMessage[] = []
  for (let turn = 0; turn < 168; turn++) {
    messages.push({ role: 'user', content: turn === 0 ? prose(300) : [
      { type: 'tool_result', tool_use_id: `toolu_${turn - 1}`, content: prose(650) },
    ] })
    messages.push({ role: 'assistant', content: [
      { type: 'thinking', thinking: prose(60), signature: 'sig' },
      { type: 'text', text: prose(80) },
      { type: 'tool_use', id: `toolu_${turn}`, name: `Tool${turn % 12}`, input: { path: `/src/module_${turn}.ts`, limit: 200, note: prose(40) } },
    ] })
  }
  return { system: [{ type: 'text', text: prose(4000) }], messages, tools }
}

const base = buildRequest()
const parsedBase = JSON.parse(JSON.stringify(base)) as CountableRequest
let grownBy = 0
function grown(): CountableRequest {
  grownBy++
  const next: AnthropicMessage = { role: 'user', content: [
    { type: 'tool_result', tool_use_id: 'toolu_167', content: `new output ${grownBy}: ${prose(120)}` },
  ] }
  return { ...parsedBase, messages: [...parsedBase.messages, next] }
}

const warm = new TokenCounter()
const total = warm.countRequest(base)
const before = warm.stats
const sample = grown()
const t0 = performance.now()
warm.countRequest(sample)
const oneShot = performance.now() - t0
console.log(`conversation: ${total.toLocaleString('en')} tokens, ${JSON.stringify(base).length.toLocaleString('en')} JSON chars`)
console.log(`one memoised recount: ${oneShot.toFixed(2)} ms, ${warm.stats.hits - before.hits} hits, ${warm.stats.misses - before.misses} misses`)

// The limiter's per-request estimate on a warm conversation: a ~60 KB Claude Code request (12 tools with schemas,
// a long system prompt, tool turns) counted again after a first request memoised its blocks. Goal: ≤ 0.1 ms.
const claudeCode = JSON.parse(claudeCodeBodyText('60k')) as CountableRequest
warm.countRequest(claudeCode)

summary(() => {
  bench('memoised: 60 KB Claude Code request, warm (limiter estimate)', () => {
    do_not_optimize(warm.countRequest(claudeCode))
  })
  bench('cold: empty memo, whole conversation + 1 message', () => {
    do_not_optimize(new TokenCounter().countRequest(grown()))
  })
  bench('memoised: conversation + 1 new message', () => {
    do_not_optimize(warm.countRequest(grown()))
  })
  bench('memoised: unchanged conversation (all hits)', () => {
    do_not_optimize(warm.countRequest(parsedBase))
  })
})

await run()
