/**
 * fast-check generators for OpenAI-compatible chat completion streams: chunk sequences in the shapes real upstreams
 * send (fixtures U01–U25), their SSE framing, and byte-level damage (cuts, flipped bytes, reordered events).
 */
import fc from 'fast-check'
import { text } from './arbitraries'

type Obj = Record<string, unknown>

/** A generated upstream stream: the chunks in order and whether `[DONE]` ends it. */
export interface StreamScript {
  chunks: Obj[]
  done: boolean
}

const pieces = fc.array(text, { minLength: 1, maxLength: 4 })
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 })
const b64 = fc.base64String({ minLength: 4, maxLength: 24 })
const count = fc.oneof(fc.nat(5000), fc.constant(0))

const reasoning = fc.record({ form: fc.constantFrom('reasoning_content', 'reasoning', 'both', 'details', 'summary', 'encrypted', 'mistral'), pieces, signature: opt(b64) })
const textSegment = fc.record({ form: fc.constantFrom('string', 'parts', 'refusal'), pieces })
/** One tool call of a stream or a response: arguments as an object, cut into fragments when streamed. */
export const call = fc.record({
  id: opt(fc.constantFrom('call_1', 'call_2', 'functions.Read:0', 'toolu_x', 'call_3')),
  name: fc.constantFrom('Read', 'Bash', 'Edit', 'mcp__srv__do_x', 'get_weather'),
  args: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3, noNullPrototype: true }),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  objectArgs: fc.boolean(),
  signature: opt(b64),
  lateSignature: fc.boolean(),
})
const tools = fc.record({
  calls: fc.uniqueArray(call, { minLength: 1, maxLength: 3, selector: (c) => c.id ?? Symbol() }),
  style: fc.constantFrom('indexed', 'indexed', 'index-from-1', 'all-index-0', 'indexless'),
  interleave: fc.boolean(),
})
/** OpenAI usage objects in every provider's variant (cached tokens, cache writes, DeepSeek hits, reasoning). */
export const usage = fc.record(
  {
    prompt_tokens: count,
    completion_tokens: count,
    total_tokens: count,
    prompt_tokens_details: fc.oneof(fc.constant(null), fc.record({ cached_tokens: count, cache_write_tokens: opt(count) }, { requiredKeys: [] })),
    completion_tokens_details: fc.record({ reasoning_tokens: count }),
    prompt_cache_hit_tokens: count,
  },
  { requiredKeys: [] },
)
const noise = fc.constantFrom<Obj>(
  { choices: [] },
  { choices: [{ index: 0, finish_reason: null }] },
  { choices: [{ index: 0, delta: {} }] },
  { choices: [{ index: 0, delta: null }] },
  { choices: [{ index: 0, delta: { content: '' } }] },
  { choices: [{ index: 0, delta: { content: null, role: 'assistant' } }] },
  { id: 'chatcmpl-fz', p: 'padding' },
  { choices: [], usage: null },
)
const failure = fc.constantFrom<Obj>(
  { error: { message: 'Overloaded', type: 'overloaded_error' } },
  { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } },
  { error: { message: '' } },
  { object: 'error', message: 'max context exceeded', type: 'BadRequestError', code: 400 },
  { choices: [{ index: 0, delta: {}, finish_reason: 'error' }] },
)

const plan = fc.record({
  role: fc.constantFrom('none', 'first', 'every'),
  content: fc.array(fc.oneof(reasoning, textSegment), { maxLength: 4 }),
  tools: opt(tools),
  finish: opt(fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'eos', '')),
  finishAlone: fc.boolean(),
  secondFinish: opt(fc.record({ reason: fc.constantFrom('stop', 'length'), content: opt(text) })),
  usage: fc.constantFrom('none', 'none', 'empty-choices', 'on-finish', 'x_groq', 'null'),
  usageValue: usage,
  noise: fc.array(fc.tuple(fc.nat(), noise), { maxLength: 3 }),
  failure: fc.option(fc.tuple(fc.nat(), failure), { nil: undefined, freq: 6 }),
  done: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
})

type Plan = typeof plan extends fc.Arbitrary<infer P> ? P : never
type Call = Plan['tools'] extends infer T ? (T extends { calls: (infer C)[] } ? C : never) : never

/** Splits a string at the given cut points (taken modulo its length). */
function cut(s: string, cuts: readonly number[]): string[] {
  if (s.length < 2) return [s]
  const at = [...new Set(cuts.map((c) => 1 + (c % (s.length - 1))))].sort((a, b) => a - b)
  const out: string[] = []
  let from = 0
  for (const i of at) (out.push(s.slice(from, i)), (from = i))
  out.push(s.slice(from))
  return out
}

function reasoningDeltas(seg: Plan['content'][number] & { form: string }): Obj[] {
  const ps = (seg as { pieces: string[] }).pieces
  const sig = (seg as { signature?: string }).signature
  return ps.map((p, i) => {
    const last = i === ps.length - 1
    switch (seg.form) {
      case 'reasoning_content': return { reasoning_content: p }
      case 'reasoning': return { reasoning: p }
      case 'both': return { reasoning_content: p, reasoning: p }
      case 'details': return { reasoning: p, reasoning_details: [{ type: 'reasoning.text', text: p, index: 0, format: 'anthropic-claude-v1', ...(last && sig ? { signature: sig } : {}) }] }
      case 'summary': return { reasoning_details: [{ type: 'reasoning.summary', summary: p, index: 0, format: 'openai-responses-v1' }] }
      case 'encrypted': return { reasoning_details: [{ type: 'reasoning.encrypted', data: sig ?? 'ZW5j', id: `rs_${i}`, format: 'openai-responses-v1', index: i }] }
      case 'mistral': return { content: [{ type: 'thinking', thinking: [{ type: 'text', text: p }] }] }
      case 'parts': return { content: [{ type: 'text', text: p }] }
      case 'refusal': return { refusal: p }
      default: return { content: p }
    }
  })
}

/** The tool-call deltas of a plan, in emission order; index-less calls are never interleaved (nothing could key them). */
function toolDeltas(t: NonNullable<Plan['tools']>): Obj[][] {
  const perCall = t.calls.map((c: Call, n: number) => {
    // Calls sharing index 0 are told apart by their ids alone (fixtures rule 5), so that style always has them.
    const index = t.style === 'indexed' ? n : t.style === 'index-from-1' ? n + 1 : t.style === 'all-index-0' && c.id !== undefined ? 0 : undefined
    const json = JSON.stringify(c.args)
    const frags: unknown[] = c.objectArgs ? [c.args] : cut(json, c.cuts)
    const sig = c.signature && !c.lateSignature ? { extra_content: { google: { thought_signature: c.signature } } } : {}
    const out = frags.map((args, i) => {
      const d: Obj = i === 0 ? { id: c.id ?? '', type: 'function', function: { name: c.name, arguments: args }, ...sig } : { function: { arguments: args } }
      if (index !== undefined) d.index = index
      if (i === 0 && c.id === undefined) delete d.id
      if (i > 0 && t.style === 'all-index-0' && c.id !== undefined) d.id = ''
      return [d]
    })
    if (c.signature && c.lateSignature && c.id !== undefined) out.push([{ id: c.id, extra_content: { google: { thought_signature: c.signature } } }])
    return out
  })
  if (!t.interleave || t.style === 'indexless' || t.style === 'all-index-0') return perCall.flat()
  const out: Obj[][] = []
  for (let i = 0; perCall.some((p) => i < p.length); i++) for (const p of perCall) if (i < p.length) out.push(p[i])
  return out
}

const CHUNK = { id: 'chatcmpl-fz', object: 'chat.completion.chunk', created: 1, model: 'up-model' }
const chunkOf = (delta: Obj | undefined, finish: string | null = null): Obj => ({ ...CHUNK, choices: [{ index: 0, ...(delta ? { delta } : {}), finish_reason: finish }] })

/** Builds the chunk list a plan describes. */
function build(p: Plan): StreamScript {
  const deltas: Obj[] = []
  for (const seg of p.content) deltas.push(...reasoningDeltas(seg as never))
  if (p.tools) for (const calls of toolDeltas(p.tools)) deltas.push({ tool_calls: calls })
  if (p.role === 'first') deltas.unshift({ role: 'assistant', content: '' })
  if (p.role === 'every') for (const d of deltas) d.role = 'assistant'
  const chunks = deltas.map((d) => chunkOf(d))
  const u = p.usageValue
  if (p.finish !== undefined) {
    if (p.finishAlone || chunks.length === 0) chunks.push(chunkOf({}, p.finish))
    else (chunks[chunks.length - 1].choices as Obj[])[0].finish_reason = p.finish
    if (p.usage === 'on-finish') chunks[chunks.length - 1].usage = u
    if (p.usage === 'x_groq') chunks[chunks.length - 1].x_groq = { id: 'req_1', usage: u }
  }
  if (p.secondFinish) chunks.push(chunkOf(p.secondFinish.content === undefined ? {} : { content: p.secondFinish.content }, p.secondFinish.reason))
  if (p.usage === 'empty-choices') chunks.push({ ...CHUNK, choices: [], usage: u })
  if (p.usage === 'null') chunks.push({ ...CHUNK, choices: [], usage: null })
  for (const [at, n] of p.noise) chunks.splice(at % (chunks.length + 1), 0, { ...n })
  if (p.failure) chunks.splice(p.failure[0] % (chunks.length + 1), 0, { ...p.failure[1] })
  return { chunks: JSON.parse(JSON.stringify(chunks)), done: p.done }
}

/** Upstream streams as chunk lists. */
export const streamScript: fc.Arbitrary<StreamScript> = plan.map(build)

/** How a script is put on the wire: line endings, comments, multi-line data, extra fields, read sizes. */
export interface Framing {
  eol: readonly string[]
  comments: boolean
  multiline: boolean
  eventLines: boolean
  trailingBlank: boolean
  reads: readonly number[]
}

/** Framings: LF, CRLF, CR or a mix; `:` comments; pretty-printed JSON over several data lines; random reads. */
export const framing: fc.Arbitrary<Framing> = fc.record({
  eol: fc.oneof(fc.constantFrom(['\n'], ['\r\n'], ['\r']), fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 1, maxLength: 4 })),
  comments: fc.boolean(),
  multiline: fc.boolean(),
  eventLines: fc.boolean(),
  trailingBlank: fc.boolean(),
  reads: fc.oneof(fc.constant([]), fc.constant([1]), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 })),
})

/** The SSE events (each with its terminating blank line) of a script. */
export function frameEvents(s: StreamScript, f: Framing): string[] {
  let n = 0
  let prev = ''
  // A CR directly followed by an LF would read as one CRLF line break, so a CR is never followed by LF or CRLF.
  const eol = () => (prev = prev === '\r' ? '\r' : f.eol[n++ % f.eol.length])
  const events = s.chunks.map((c, i) => {
    let ev = ''
    if (f.comments && i % 3 === 0) ev += `: keep-alive${eol()}`
    if (f.eventLines) ev += `event: message${eol()}id: ${i}${eol()}`
    const lines = f.multiline && i % 2 === 1 ? JSON.stringify(c, null, 1).split('\n') : [JSON.stringify(c)]
    for (const line of lines) ev += `data: ${line}${eol()}`
    return ev + eol()
  })
  if (s.done) events.push(`data: [DONE]${eol()}${f.trailingBlank ? eol() : ''}`)
  return events
}

/** Cuts bytes into reads of the given sizes (cycled); none means one read. */
export function reads(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length === 0) return [bytes]
  const out: Uint8Array[] = []
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length]
    out.push(bytes.subarray(i, i + n))
    i += n
  }
  return out
}

/** Damage done to a framed stream: events dropped, duplicated or swapped, then bytes flipped, inserted, cut. */
export interface Damage {
  events: Array<{ op: 'drop' | 'dup' | 'swap'; a: number; b: number }>
  bytes: Array<{ op: 'flip' | 'insert' | 'delete'; at: number; value: number }>
  cutAt: number | undefined
}

/** Random damage; each kind may be empty, so some damaged streams are still intact. */
export const damage: fc.Arbitrary<Damage> = fc.record({
  events: fc.array(fc.record({ op: fc.constantFrom('drop', 'dup', 'swap'), a: fc.nat(), b: fc.nat() }), { maxLength: 3 }),
  bytes: fc.array(fc.record({ op: fc.constantFrom('flip', 'flip', 'insert', 'delete'), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }), { maxLength: 4 }),
  cutAt: opt(fc.nat()),
})

/** Applies damage to framed events and returns the bytes. */
export function damaged(events: readonly string[], d: Damage): Uint8Array {
  const evs = [...events]
  for (const e of d.events) {
    if (evs.length === 0) break
    const a = e.a % evs.length
    const b = e.b % evs.length
    if (e.op === 'drop') evs.splice(a, 1)
    else if (e.op === 'dup') evs.splice(b, 0, evs[a])
    else [evs[a], evs[b]] = [evs[b], evs[a]]
  }
  let bytes = Array.from(new TextEncoder().encode(evs.join('')))
  for (const b of d.bytes) {
    if (bytes.length === 0) break
    const at = b.at % bytes.length
    if (b.op === 'flip') bytes[at] ^= b.value
    else if (b.op === 'insert') bytes.splice(at, 0, b.value)
    else bytes.splice(at, 1 + (b.value % 8))
  }
  if (d.cutAt !== undefined) bytes = bytes.slice(0, d.cutAt % (bytes.length + 1))
  return Uint8Array.from(bytes)
}

/** Non-streaming chat completion bodies: text or null, reasoning in each form, whole tool calls, any finish, usage. */
export const chatResponse: fc.Arbitrary<Obj> = fc
  .record({
    content: fc.oneof(text, fc.constant(null)),
    reasoning: opt(fc.tuple(fc.constantFrom('reasoning_content', 'reasoning', 'reasoning_details'), text)),
    calls: fc.array(call, { maxLength: 3 }),
    refusal: opt(text),
    finish: fc.option(fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', 'error'), { nil: null }),
    usage: opt(usage),
  })
  .map((r) => {
    const message: Obj = { role: 'assistant', content: r.content }
    if (r.reasoning) message[r.reasoning[0]] = r.reasoning[0] === 'reasoning_details' ? [{ type: 'reasoning.text', text: r.reasoning[1], index: 0 }] : r.reasoning[1]
    if (r.refusal !== undefined) message.refusal = r.refusal
    if (r.calls.length) {
      message.tool_calls = r.calls.map((c) => ({
        ...(c.id ? { id: c.id } : {}),
        type: 'function',
        function: { name: c.name, arguments: c.objectArgs ? c.args : JSON.stringify(c.args) },
        ...(c.signature ? { extra_content: { google: { thought_signature: c.signature } } } : {}),
      }))
    }
    const body: Obj = { id: 'chatcmpl-fz', object: 'chat.completion', model: 'up-model', choices: [{ index: 0, message, finish_reason: r.finish }] }
    if (r.usage) body.usage = r.usage
    return JSON.parse(JSON.stringify(body)) as Obj
  })
