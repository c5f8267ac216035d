/**
 * fast-check generators for Anthropic Messages requests in the shapes Claude Code sends (valid-ish: every field
 * has a plausible type, the combinations are random), and a structural JSON mutator that breaks them.
 */
import fc from 'fast-check'
import { encodeProviderState } from '../../src/translate/provider-state'

type Json = unknown
type Obj = Record<string, Json>

const BILLING = 'x-anthropic-billing-header: cc_version=2.1.332.abc; cc_entrypoint=sdk-cli;'
const EMOJI = ['😀', '🚀', '👩‍💻', '🇯🇵', 'é', '日本語', '\u200d', '\ufeff', '\u2028']

/** Short strings of every kind: ASCII, full Unicode, emoji, Claude Code markers. */
export const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom(...EMOJI), { maxLength: 6 }).map((a) => a.join('')), weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', BILLING, '<system-reminder>\nctx\n</system-reminder>', '# Environment\n - cwd: /tmp'), weight: 1 },
)

/** Any JSON value, small. */
export const json = fc.jsonValue({ maxDepth: 2, depthSize: 'xsmall' })
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4, noNullPrototype: true })
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 })
const cacheControl = opt(fc.constantFrom({ type: 'ephemeral' }, { type: 'ephemeral', ttl: '1h' }, { type: 'ephemeral', scope: 'global' }))

/** Tool ids from a small pool, so tool_results often answer an earlier tool_use and sometimes do not. */
export const toolId = fc.constantFrom('toolu_01A', 'toolu_01B', 'call_abc', 'functions.Read:0', 'toolu_01C', '', 'x y')
/** Tool names: Claude Code's, MCP names that need renaming, empty, too long. */
export const toolName = fc.oneof(
  fc.constantFrom('Read', 'Bash', 'Edit', 'TodoWrite', 'mcp__srv__do.x', 'mcp__srv__do_x', 'a b', 'x'.repeat(70), 'web_search', '名前'),
  fc.string({ minLength: 1, maxLength: 12 }),
)

const base64 = fc.base64String({ maxLength: 24 })
/** Provider state as the proxy wraps it, real or forged: what thinking signatures and redacted data carry. */
const providerState = fc.oneof(
  base64,
  fc.constant(''),
  fc.record({ reasoning_details: fc.array(fc.record({ type: fc.constantFrom('reasoning.text', 'reasoning.encrypted'), text: opt(text), data: opt(base64) }), { maxLength: 2 }) }).map(encodeProviderState),
  fc.dictionary(toolId, base64, { maxKeys: 2, noNullPrototype: true }).map((s) => encodeProviderState({ thought_signatures: s })),
  json.map((j) => 'ccp1.' + Buffer.from(JSON.stringify(j) ?? '', 'utf8').toString('base64url')),
  fc.string({ maxLength: 12 }).map((s) => 'ccp1.' + s),
  fc.record({ reasoning_details: json, thought_signatures: json }, { requiredKeys: [] }).map((s) => encodeProviderState(s as never)),
  fc.constant(encodeProviderState({ reasoning_details: [JSON.parse('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000))] })),
)

const imageSource = fc.oneof(
  fc.record({ type: fc.constant('base64'), media_type: fc.constantFrom('image/png', 'image/jpeg', 'image/webp'), data: base64 }),
  fc.record({ type: fc.constant('url'), url: fc.webUrl() }),
  fc.record({ type: fc.constant('file'), file_id: fc.string({ maxLength: 8 }) }),
)
const image = fc.record({ type: fc.constant('image'), source: imageSource, cache_control: cacheControl }, { requiredKeys: ['type', 'source'] })
const textBlock = fc.record({ type: fc.constant('text'), text, cache_control: cacheControl, citations: opt(fc.constant(null)) }, { requiredKeys: ['type', 'text'] })

const documentSource = fc.oneof(
  fc.record({ type: fc.constant('base64'), media_type: fc.constantFrom('application/pdf', 'text/plain', 'text/csv', 'image/png'), data: base64 }),
  fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: text }),
  fc.record({ type: fc.constant('content'), content: fc.oneof(text, fc.array(fc.oneof(textBlock, image), { maxLength: 2 })) }),
  fc.record({ type: fc.constantFrom('url', 'file'), url: fc.webUrl(), file_id: fc.string({ maxLength: 4 }) }),
)
const document = fc.record(
  { type: fc.constant('document'), source: documentSource, title: opt(text), context: opt(text), citations: opt(fc.constant({ enabled: true })), cache_control: cacheControl },
  { requiredKeys: ['type', 'source'] },
)
const searchResult = fc.record({ type: fc.constant('search_result'), source: fc.webUrl(), title: text, content: fc.array(textBlock, { maxLength: 2 }) })
const toolUse = fc.record(
  { type: fc.constant('tool_use'), id: toolId, name: toolName, input: fc.oneof(jsonObject, json), cache_control: cacheControl },
  { requiredKeys: ['type', 'id', 'name', 'input'] },
)
const toolResult = fc.record(
  {
    type: fc.constant('tool_result'),
    tool_use_id: toolId,
    content: fc.oneof(text, fc.array(fc.oneof(textBlock, image, document, searchResult, fc.record({ type: fc.constant('tool_reference'), tool_name: toolName })), { maxLength: 3 })),
    is_error: opt(fc.boolean()),
    cache_control: cacheControl,
  },
  { requiredKeys: ['type', 'tool_use_id'] },
)
const thinking = fc.record({ type: fc.constant('thinking'), thinking: text, signature: providerState }, { requiredKeys: ['type', 'thinking'] })
const redacted = fc.record({ type: fc.constant('redacted_thinking'), data: providerState })
const serverBlocks = fc.oneof(
  fc.record({ type: fc.constant('server_tool_use'), id: fc.constant('srvtoolu_1'), name: fc.constantFrom('web_search', 'web_fetch'), input: jsonObject }),
  fc.record({
    type: fc.constant('web_search_tool_result'),
    tool_use_id: fc.constant('srvtoolu_1'),
    content: fc.oneof(fc.array(fc.record({ type: fc.constant('web_search_result'), url: fc.webUrl(), title: opt(text), encrypted_content: base64 }), { maxLength: 3 }), fc.record({ type: fc.constant('web_search_tool_result_error'), error_code: fc.constant('unavailable') })),
  }),
  fc.record({ type: fc.constantFrom('container_upload', 'future_block', 'mcp_tool_use'), file_id: opt(fc.string()), text: opt(text), name: opt(toolName), input: opt(json), content: opt(json) }),
)

/** Blocks a user turn carries. */
export const userBlock = fc.oneof({ arbitrary: textBlock, weight: 4 }, image, document, { arbitrary: toolResult, weight: 3 }, searchResult, serverBlocks)
/** Blocks an assistant turn carries. */
export const assistantBlock = fc.oneof({ arbitrary: textBlock, weight: 3 }, { arbitrary: toolUse, weight: 3 }, thinking, redacted, serverBlocks)

const content = (block: fc.Arbitrary<Obj>) => fc.oneof({ arbitrary: text, weight: 1 }, { arbitrary: fc.array(block, { maxLength: 4 }), weight: 4 })
/** One message; roles mostly alternate because the caller builds user/assistant pairs. */
const turn = fc.oneof(
  { arbitrary: fc.record({ role: fc.constant('user'), content: content(userBlock) }), weight: 5 },
  { arbitrary: fc.record({ role: fc.constant('assistant'), content: content(assistantBlock) }), weight: 5 },
  { arbitrary: fc.record({ role: fc.constant('system'), content: fc.oneof(text, fc.array(textBlock, { maxLength: 2 })) }), weight: 1 },
)

const schemaLeaf = fc.record(
  {
    type: fc.oneof(fc.constantFrom('object', 'string', 'number', 'integer', 'boolean', 'array', 'null'), fc.constant(['string', 'null'])),
    description: fc.string({ maxLength: 12 }),
    required: fc.array(fc.oneof(toolName, fc.constant(7)), { maxLength: 3 }),
    const: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null)),
    enum: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.constant(null)), { maxLength: 3 }),
    format: fc.constantFrom('uri', 'date-time', 'float', 'int64', 'email'),
    $schema: fc.constant('https://json-schema.org/draft/2020-12/schema'),
    default: fc.constantFrom(null, 0, '', false, [], {}),
  },
  { requiredKeys: [], noNullPrototype: true },
)

function schemaOf(depth: number): fc.Arbitrary<Obj> {
  if (depth === 0) return schemaLeaf
  const child = schemaOf(depth - 1)
  const nested = fc.record(
    {
      properties: fc.dictionary(fc.oneof(toolName, fc.constant('__proto__')), child, { maxKeys: 3, noNullPrototype: true }),
      items: fc.oneof(child, fc.array(child, { maxLength: 2 })),
      anyOf: fc.array(child, { maxLength: 2 }),
      oneOf: fc.array(fc.oneof(child, fc.constantFrom(null, 1, 'x')), { maxLength: 2 }),
      additionalProperties: fc.oneof(fc.boolean(), child),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  return fc.oneof(schemaLeaf, fc.tuple(schemaLeaf, nested).map(([a, b]) => ({ ...a, ...b })))
}

/** JSON schemas like tools carry: nested properties, arrays, anyOf/oneOf, const, formats, $schema, nullable unions. */
export const schema: fc.Arbitrary<Obj> = schemaOf(2)

const tool = fc.record(
  {
    name: toolName,
    description: opt(text),
    input_schema: schema,
    type: opt(fc.constantFrom('custom', 'web_search_20250305', 'bash_20250124', 'text_editor_20250728')),
    cache_control: cacheControl,
    defer_loading: opt(fc.boolean()),
    strict: opt(fc.boolean()),
  },
  { requiredKeys: ['name'] },
)
const toolChoice = fc.oneof(
  fc.record({ type: fc.constantFrom('auto', 'any'), disable_parallel_tool_use: opt(fc.boolean()) }),
  fc.record({ type: fc.constant('tool'), name: toolName, disable_parallel_tool_use: opt(fc.boolean()) }),
  fc.record({ type: fc.constantFrom('none', 'future') }),
)
const thinkingConfig = fc.oneof(
  fc.record({ type: fc.constant('enabled'), budget_tokens: fc.integer({ min: 0, max: 200_000 }), display: opt(fc.constant('omitted')) }),
  fc.record({ type: fc.constant('adaptive'), display: opt(fc.constantFrom('omitted', 'summarized')) }),
  fc.record({ type: fc.constantFrom('disabled', 'future') }),
)
const effort = fc.constantFrom('minimal', 'low', 'medium', 'high', 'xhigh', 'max', 'turbo')
const outputConfig = fc.record({ effort, format: fc.record({ type: fc.constant('json_schema'), schema }) }, { requiredKeys: [] })

/** Client model names: Claude's (mapped to BIG/SMALL upstream) and custom ones passed through. */
export const clientModel = fc.constantFrom('claude-opus-4-5', 'claude-sonnet-4-5-20250929', 'claude-haiku-4-5', 'deepseek-chat', 'gpt-5', 'x')
/** Upstream models covering every rules-table family. */
export const upstreamModel = fc.constantFrom('gpt-5', 'gpt-5-chat-latest', 'gpt-4o', 'o3', 'o1-mini', 'deepseek-reasoner', 'deepseek-chat', 'gemini-2.5-pro', 'gemini-1.5-flash', 'grok-4', 'grok-3-mini', 'qwen3-coder', 'llama3.1', 'openai/gpt-5', 'gpt-oss:20b', 'mystery-model')

/** A Claude Code-like Messages request: system string or blocks (billing header included), turns, tools, knobs, unknown fields. */
export const anthropicRequest: fc.Arbitrary<Obj> = fc
  .record(
    {
      model: clientModel,
      max_tokens: fc.oneof(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom(0, 1, 32000, 128000)),
      messages: fc.array(turn, { maxLength: 6 }),
      system: fc.oneof(text, fc.array(textBlock, { maxLength: 3 }).map((b) => [{ type: 'text', text: BILLING }, ...b])),
      tools: fc.array(tool, { maxLength: 3 }),
      tool_choice: toolChoice,
      thinking: thinkingConfig,
      output_config: fc.oneof(outputConfig, fc.constant(null)),
      metadata: fc.oneof(fc.record({ user_id: fc.oneof(text, fc.constant(null)) }, { requiredKeys: [] }), fc.constant(null)),
      stop_sequences: fc.array(text, { maxLength: 6 }),
      stream: fc.boolean(),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      top_p: fc.double({ min: 0, max: 1, noNaN: true }),
      top_k: fc.nat(500),
      context_management: fc.constant({ edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] }),
      future_field: json,
    },
    { requiredKeys: ['model', 'max_tokens', 'messages'] },
  )
  // Bodies arrive through JSON.parse: plain objects, no undefined, no -0.
  .map((r) => JSON.parse(JSON.stringify(r)) as Obj)

/** One structural mutation: what to do, where (an index into the body's nodes), and the material. */
export interface Mutation {
  op: 'delete' | 'replace' | 'anything' | 'null' | 'array' | 'object' | 'swap' | 'fraction' | 'deepen' | 'huge' | 'add'
  at: number
  value: unknown
  size: number
}

/** Mutations: deletions, random JSON, type swaps, fractions, arrays where objects go, deep nesting, huge strings, new keys. */
export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('delete', 'delete', 'replace', 'replace', 'anything', 'null', 'array', 'object', 'swap', 'swap', 'fraction', 'deepen', 'huge', 'add'),
  at: fc.nat(),
  value: fc.oneof(json, fc.anything({ maxDepth: 2 })),
  size: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(300, 5_000, 150_000)),
})

/** Every [container, key] pair of a JSON tree down to depth 40, the root's own slot first. */
function slots(root: Obj): Array<[Obj | Json[], string | number]> {
  const out: Array<[Obj | Json[], string | number]> = []
  const stack: Array<[Json, number]> = [[root, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (depth > 40 || v === null || typeof v !== 'object') continue
    const keys: Array<string | number> = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v)
    for (const k of keys) {
      out.push([v as Obj, k])
      stack.push([(v as Obj)[k as string], depth + 1])
    }
  }
  return out
}

function deepen(v: Json, levels: number, arrays: boolean): Json {
  let out = v
  for (let i = 0; i < levels; i++) out = arrays ? [out] : { type: 'text', content: out }
  return out
}

function swapped(v: Json): Json {
  if (typeof v === 'string') return v.length
  if (typeof v === 'number') return String(v)
  if (typeof v === 'boolean') return v ? 1 : 'false'
  if (Array.isArray(v)) return v[0] ?? {}
  if (v && typeof v === 'object') return Object.values(v)
  return v === null ? false : null
}

/** Applies mutations to a copy of a body (the body itself may be replaced). */
export function mutate(body: Obj, mutations: readonly Mutation[]): unknown {
  const box: Obj = { body: structuredClone(body) }
  for (const m of mutations) {
    const all = slots(box)
    if (all.length === 0) break
    const [parent, key] = all[m.at % all.length]
    const current = (parent as Obj)[key as string]
    let next: Json
    switch (m.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1)
        else delete parent[key as string]
        continue
      case 'replace': next = JSON.parse(JSON.stringify(m.value ?? null)); break
      case 'anything': next = m.value; break
      case 'null': next = null; break
      case 'array': next = [current]; break
      case 'object': next = { value: current, type: typeof current === 'string' ? current : 'text' }; break
      case 'swap': next = swapped(current); break
      case 'fraction': next = typeof current === 'number' ? current + 0.5 : -m.size - 0.25; break
      case 'deepen': next = deepen(current, m.size, m.size % 2 === 0); break
      case 'huge': next = (typeof current === 'string' && current ? current : 'a').repeat(Math.ceil(Math.min(m.size, 150_000) / Math.max(1, typeof current === 'string' ? current.length : 1))); break
      case 'add':
        if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
          ;(current as Obj)[`k${m.size}`] = m.value
          continue
        }
        next = m.value
        break
    }
    ;(parent as Obj)[key as string] = next
  }
  return box.body
}
