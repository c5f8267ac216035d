import { expect } from 'bun:test'
import { SSEDecoder, type SSEMessage } from '../../src/sse/decoder'
import { createStreamTranslator, type StreamTranslator, type StreamTranslatorOptions } from '../../src/translate/stream'
import type { AnthropicStreamEvent, OpenAIChatChunk } from '../../src/translate/types'

/** A small seeded PRNG (mulberry32), so "random" splits are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Cuts bytes into pieces: 'whole', 'bytes' (one byte each) or a seed for random piece sizes of 1–17 bytes. */
export function split(bytes: Uint8Array, how: 'whole' | 'bytes' | number): Uint8Array[] {
  if (how === 'whole') return [bytes]
  if (how === 'bytes') return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
  const rand = seeded(how)
  const out: Uint8Array[] = []
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(rand() * 17)
    out.push(bytes.subarray(i, i + n))
    i += n
  }
  return out
}

/** Decodes SSE bytes delivered as `pieces` into messages (end() included). */
export function decodePieces(pieces: Uint8Array[]): { messages: SSEMessage[]; decoder: SSEDecoder } {
  const decoder = new SSEDecoder()
  const messages: SSEMessage[] = []
  for (const p of pieces) messages.push(...decoder.push(p))
  messages.push(...decoder.end())
  return { messages, decoder }
}

export const OPTS: StreamTranslatorOptions = { model: 'claude-sonnet-4-5', messageId: 'msg_test0001', inputTokens: 42 }

/** Runs decoded SSE messages through a fresh translator the way the relay does: `[DONE]` ends it, EOF otherwise. */
export function translateMessages(messages: SSEMessage[], opts: Partial<StreamTranslatorOptions> = {}): { events: AnthropicStreamEvent[]; translator: StreamTranslator; sawDone: boolean } {
  const translator = createStreamTranslator({ ...OPTS, ...opts })
  const events: AnthropicStreamEvent[] = []
  let sawDone = false
  for (const m of messages) {
    if (m.data === '[DONE]') {
      sawDone = true
      break
    }
    events.push(...translator.push(JSON.parse(m.data)))
  }
  events.push(...translator.end(sawDone))
  return { events, translator, sawDone }
}

const SPLITS: Array<'whole' | 'bytes' | number> = ['whole', 'bytes', 1, 7, 42, 1234, 99991]

/**
 * Feeds SSE text through SSEDecoder in awkward splits (whole, one byte at a time, five seeded random cuts) and then
 * the translator; asserts every split gives exactly the same events, and returns them with the last translator.
 */
export function translateSSE(text: string | Uint8Array, opts: Partial<StreamTranslatorOptions> = {}) {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text
  let first: ReturnType<typeof translateMessages> | undefined
  for (const how of SPLITS) {
    const { messages, decoder } = decodePieces(split(bytes, how))
    expect(decoder.replacedBytes).toBe(0)
    const run = translateMessages(messages, opts)
    if (first === undefined) first = run
    else expect(run.events).toEqual(first.events)
  }
  return first!
}

/** Frames chunk objects as an upstream SSE body: `data: <json>` + blank line each, then `data: [DONE]` unless done is false. */
export function sse(chunks: object[], { done = true, eol = '\n' }: { done?: boolean; eol?: string } = {}): string {
  let s = ''
  for (const c of chunks) s += `data: ${JSON.stringify(c)}${eol}${eol}`
  return done ? s + `data: [DONE]${eol}${eol}` : s
}

/** One chat.completion.chunk with a single choice. */
export function chunk(delta: object | undefined, finish: string | null = null, extra: object = {}): OpenAIChatChunk {
  const choice: Record<string, unknown> = { index: 0, finish_reason: finish }
  if (delta !== undefined) choice.delta = delta
  return { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'up-model', choices: [choice], ...extra } as OpenAIChatChunk
}

/** The event types, for readable order assertions. */
export const types = (events: AnthropicStreamEvent[]) => events.map((e) => (e.type.startsWith('content_block') ? `${e.type}:${(e as { index: number }).index}` : e.type))

/** The payloads of every content_block_delta of one delta type. */
export const deltas = (events: AnthropicStreamEvent[], type: string) =>
  events.filter((e) => e.type === 'content_block_delta' && e.delta.type === type).map((e) => (e as { delta: Record<string, string> }).delta)
/** The message_delta events. */
export const messageDelta = (events: AnthropicStreamEvent[]) => events.filter((e) => e.type === 'message_delta')
/** One tool-call delta: id and name only when given, like continuation fragments. */
export const tool = (index: number, id: string | undefined, name: string | undefined, args?: unknown) => {
  const fn: Record<string, unknown> = {}
  if (name !== undefined) fn.name = name
  if (args !== undefined) fn.arguments = args
  return { index, ...(id === undefined ? {} : { id, type: 'function' }), function: fn }
}
/** A `choices: []` chunk carrying only usage. */
export const usageChunk = (usage: object, extra: object = {}) => ({ id: 'chatcmpl-x', object: 'chat.completion.chunk', choices: [], usage, ...extra })
