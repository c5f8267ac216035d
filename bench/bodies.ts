/**
 * Deterministic Claude-Code-shaped Anthropic request bodies for the benchmarks: a system array (billing header,
 * identity line, long prompt), about a dozen tools with JSON schemas, and a growing conversation of user text,
 * assistant text + tool_use and user tool_result turns. The same seed always yields the same bytes.
 */
import type { AnthropicMessage, AnthropicMessagesRequest, AnthropicTool } from '../src/translate/types.ts'

/** The sizes the benchmarks use: ~1 KB, ~20 KB, ~60 KB and ~200 KB of JSON. */
export type BodySize = 'small' | '20k' | '60k' | '200k'

/** Target JSON length in bytes of each size. */
export const BODY_BYTES: Readonly<Record<BodySize, number>> = { small: 1_000, '20k': 20_000, '60k': 60_000, '200k': 200_000 }

const WORDS = (
  'the a to of and in is for that with on file this you it be as are use when not or tool user can if by from ' +
  'command read write edit path should only run test build error function return const let import export class ' +
  'interface type await async string number boolean object array value request response stream token model ' +
  'proxy upstream retry timeout message content block result system cache limit state index length output input'
).split(' ')

/** A seeded pseudo-random source (mulberry32): deterministic across runs and platforms. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Prose with some code-like punctuation, roughly `words` words long. */
export function prose(rng: () => number, words: number): string {
  const out: string[] = []
  for (let i = 0; i < words; i++) {
    const w = WORDS[Math.floor(rng() * WORDS.length)]
    out.push(rng() < 0.06 ? `\`${w}_${Math.floor(rng() * 100)}\`` : w)
    if (rng() < 0.05) out.push(rng() < 0.5 ? '.\n' : ',')
  }
  return out.join(' ')
}

const TOOL_NAMES = ['Agent', 'Bash', 'Edit', 'Glob', 'Grep', 'Read', 'Write', 'WebFetch', 'TodoWrite', 'Skill', 'ToolSearch', 'NotebookEdit']

/** Twelve tools shaped like Claude Code's: a long description and a draft 2020-12 object schema each. */
export function claudeCodeTools(rng: () => number, descriptionWords: number): AnthropicTool[] {
  return TOOL_NAMES.map((name, i) => ({
    name,
    description: prose(rng, descriptionWords),
    input_schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        file_path: { description: prose(rng, 8), type: 'string' },
        offset: { description: prose(rng, 12), type: 'integer', minimum: 0, maximum: 9_007_199_254_740_991 },
        limit: { description: prose(rng, 10), type: 'integer', exclusiveMinimum: 0, maximum: 9_007_199_254_740_991 },
        ...(i % 3 === 0 ? { mode: { type: 'string', enum: ['fast', 'full', 'dry_run'], description: prose(rng, 6) } } : {}),
        ...(i % 4 === 1 ? { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, done: { type: 'boolean' } }, required: ['id'] } } } : {}),
      },
      required: ['file_path'],
      additionalProperties: false,
    },
  }))
}

/** Claude Code's system array: the billing header block, the identity line and the long prompt (cached). */
export function claudeCodeSystem(rng: () => number, promptWords: number): AnthropicMessagesRequest['system'] {
  return [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.500; cc_entrypoint=sdk-cli;' },
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
    { type: 'text', text: `\nYou are working with the user toward their goals.\n\n# Harness\n${prose(rng, promptWords)}`, cache_control: { type: 'ephemeral' } },
  ]
}

function firstUserMessage(rng: () => number, askWords: number): AnthropicMessage {
  return {
    role: 'user',
    content: [
      { type: 'text', text: `<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# gitStatus\n${prose(rng, 40)}\n</system-reminder>` },
      { type: 'text', text: `<system-reminder>\nToday's date is 2026-11-30.\n</system-reminder>` },
      { type: 'text', text: prose(rng, askWords) },
    ],
  }
}

/** One assistant turn (text + tool_use) and the user's tool_result answer to it. */
export function toolTurn(rng: () => number, n: number, resultWords: number): [AnthropicMessage, AnthropicMessage] {
  const id = `toolu_bench_${String(n).padStart(4, '0')}`
  const name = TOOL_NAMES[n % TOOL_NAMES.length]
  return [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: prose(rng, 25) },
        { type: 'tool_use', id, name, input: { file_path: `/home/user/project/src/module_${n}.ts`, offset: n * 10, limit: 200 } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: prose(rng, resultWords) }] },
  ]
}

function envelope(model: string, stream: boolean): { model: string; max_tokens: number; metadata: { user_id: string }; stream: boolean } {
  return {
    model,
    max_tokens: 32_000,
    metadata: { user_id: '{"device_id":"0f3c5e7a9b1d2f4e6a8c0e2f4a6c8e0a2c4e6a8c0e2f4a6c8e0a2c4e6a8c0e2f","account_uuid":"","session_id":"8a4b2c6d-1e3f-4a5b-9c7d-0e1f2a3b4c5d"}' },
    stream,
  }
}

/**
 * A Claude Code request of about `size` (JSON bytes). The small one is a tool-less one-liner (a title or quota
 * call); the others carry the full system array, twelve tools and as many tool turns as fit the size.
 */
export function claudeCodeBody(size: BodySize, opts: { stream?: boolean; seed?: number } = {}): AnthropicMessagesRequest {
  const rng = createRng(opts.seed ?? BODY_BYTES[size])
  const stream = opts.stream ?? false
  if (size === 'small') {
    return {
      ...envelope('claude-haiku-4-5', stream),
      max_tokens: 512,
      system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.500; cc_entrypoint=sdk-cli;' }, { type: 'text', text: prose(rng, 60) }],
      messages: [{ role: 'user', content: prose(rng, 40) }],
    }
  }
  const target = BODY_BYTES[size]
  const messages = [firstUserMessage(rng, 20)]
  const { model, max_tokens, metadata } = envelope('claude-sonnet-4-5-20250929', stream)
  // Claude Code's field order, and its proportions: a session's system array is about 7.4 KB and its tools about
  // 32 KB (2.1.332); smaller bodies scale both down.
  const body: AnthropicMessagesRequest = {
    model,
    messages,
    system: claudeCodeSystem(rng, Math.round(Math.min(SYSTEM_BYTES, target * 0.12) / WORD_BYTES)),
    tools: claudeCodeTools(rng, Math.max(10, Math.round(Math.min(TOOLS_BYTES, target * 0.53) / TOOL_NAMES.length / WORD_BYTES - SCHEMA_WORDS))),
    metadata,
    max_tokens,
    thinking: { type: 'enabled', budget_tokens: 4096 },
    stream,
  }
  const resultWords = Math.max(40, Math.round(target / 200))
  let bytes = JSON.stringify(body).length
  for (let n = 0; n < 10_000 && bytes < target; n++) {
    const turn = toolTurn(rng, n, resultWords)
    messages.push(...turn)
    bytes += JSON.stringify(turn).length + 1
  }
  return body
}

/** Claude Code's system array and tool list as JSON (2.1.332), the average JSON bytes of a prose word, and a tool schema's size in words. */
const SYSTEM_BYTES = 7_400
const TOOLS_BYTES = 32_000
const WORD_BYTES = 6.4
const SCHEMA_WORDS = 95

/** The JSON text of claudeCodeBody(size, opts). */
export function claudeCodeBodyText(size: BodySize, opts: { stream?: boolean; seed?: number } = {}): string {
  return JSON.stringify(claudeCodeBody(size, opts))
}

/**
 * A long Claude Code conversation of about `targetTokens` tokens (default 200k), estimated as JSON chars / 4.8
 * (measured for this prose with o200k_base):
 * the long system prompt, twelve tools and many tool turns. It ends with an assistant tool_use, ready to grow.
 */
export function longConversation(targetTokens = 200_000, seed = 200): AnthropicMessagesRequest {
  const rng = createRng(seed)
  const body: AnthropicMessagesRequest = {
    ...envelope('claude-sonnet-4-5-20250929', true),
    system: claudeCodeSystem(rng, 3_000),
    tools: claudeCodeTools(rng, 500),
    messages: [firstUserMessage(rng, 60)],
  }
  const targetChars = targetTokens * 4.8
  let chars = JSON.stringify(body).length
  let n = 0
  for (; n < 20_000 && chars < targetChars; n++) {
    const turn = toolTurn(rng, n, 500)
    body.messages.push(...turn)
    chars += JSON.stringify(turn).length + 1
  }
  const [assistant] = toolTurn(rng, n, 0)
  body.messages.push(assistant)
  return body
}

/**
 * The conversation after one more exchange: a new tool_result answering its last tool_use. `step` makes each
 * variant's new text different, so a per-block memo sees exactly one new block.
 */
export function grownByOne(base: AnthropicMessagesRequest, step: number): AnthropicMessagesRequest {
  const last = base.messages[base.messages.length - 1]
  const use = Array.isArray(last.content) ? last.content.find((b) => b.type === 'tool_use') : undefined
  const id = (use as { id?: string } | undefined)?.id ?? 'toolu_bench_last'
  const rng = createRng(10_000 + step)
  const next: AnthropicMessage = { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: `step ${step}: ${prose(rng, 150)}` }] }
  return { ...base, messages: [...base.messages, next] }
}
