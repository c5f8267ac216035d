/**
 * The response-cache key on a ~60 KB Claude Code style upstream body: the hash alone (SHA-256 against the other
 * candidates), and serializeForUpstream (one stringify giving key material and wire body) against the plain
 * JSON.stringify the request path needs anyway.
 * Run: bun bench/cache-key.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { cacheKey, serializeForUpstream } from '../src/cache/key.ts'
import type { OpenAIChatRequest } from '../src/translate/types.ts'

const WORDS = 'const let function return import export class the request response stream token model upstream proxy error retry'.split(' ')
let seed = 7
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
const prose = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')

/** A body of about `bytes` JSON bytes: system prompt, tools, alternating turns with tool calls. */
function body(bytes: number): OpenAIChatRequest {
  const b: OpenAIChatRequest = {
    model: 'gpt-5',
    messages: [{ role: 'system', content: prose(800) }],
    max_completion_tokens: 32000,
    tools: Array.from({ length: 12 }, (_, i) => ({ type: 'function' as const, function: { name: `tool_${i}`, description: prose(40), parameters: { type: 'object', properties: { path: { type: 'string' } } } } })),
    user: 'ccp-1234abcd',
    stream: true,
    stream_options: { include_usage: true },
  }
  for (let i = 0; JSON.stringify(b).length < bytes; i++) {
    b.messages.push({ role: 'user', content: prose(60) })
    b.messages.push({ role: 'assistant', content: prose(30), tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'tool_1', arguments: JSON.stringify({ path: `src/f${i}.ts` }) } }] })
    b.messages.push({ role: 'tool', tool_call_id: `call_${i}`, content: prose(80) })
  }
  return b
}

const B = body(60_000)
const { keyMaterial } = serializeForUpstream(B)
console.log(`body: ${JSON.stringify(B).length} bytes`)

const hashWith = (alg: Bun.SupportedCryptoAlgorithms) => () => {
  const h = new Bun.CryptoHasher(alg)
  h.update(keyMaterial)
  return h.digest('hex')
}

summary(() => {
  bench('cacheKey (sha256)', () => do_not_optimize(cacheKey(keyMaterial, 'https://api.openai.com/v1', 'gpt-5')))
  bench('sha1', () => do_not_optimize(hashWith('sha1')()))
  bench('blake2b256', () => do_not_optimize(hashWith('blake2b256')()))
  bench('md5', () => do_not_optimize(hashWith('md5')()))
  bench('Bun.hash (wyhash, not collision resistant)', () => do_not_optimize(Bun.hash(keyMaterial)))
})

summary(() => {
  bench('JSON.stringify(body) (the request path today)', () => do_not_optimize(JSON.stringify(B)))
  bench('serializeForUpstream(body)', () => do_not_optimize(serializeForUpstream(B)))
  bench('serializeForUpstream + cacheKey', () => {
    const s = serializeForUpstream(B)
    do_not_optimize(cacheKey(s.keyMaterial, 'https://api.openai.com/v1', 'gpt-5'))
    do_not_optimize(s.wire)
  })
})

await run()
