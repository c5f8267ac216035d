/**
 * Property tests: generated and damaged upstream streams through the SSE decoder and the stream translator, and
 * generated and damaged non-streaming bodies through openAIToAnthropic. Nothing but a ProxyError may escape, and
 * every translated stream is one the strictest Anthropic client accepts, or a single error before anything started.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { SSEDecoder, type SSEMessage } from '../../src/sse/decoder'
import { encodeEvents } from '../../src/sse/encoder'
import { ProxyError } from '../../src/server/errors'
import { openAIToAnthropic } from '../../src/translate/response'
import { createStreamTranslator, type StreamTranslator } from '../../src/translate/stream'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../../src/translate/types'
import { pathTooDeep } from '../../src/translate/validate'
import { assertAnthropicGrammar } from '../support/grammar'
import { mutate, mutation } from './arbitraries'
import { chatResponse, damage, damaged, frameEvents, framing, reads, streamScript } from './stream-arbitraries'

/** Runs per stream property; FUZZ_RUNS raises it for a longer local hunt (seeds stay fixed). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_000)
const RESPONSE_RUNS = Math.ceil(RUNS / 5)
const OPTS = { model: 'claude-sonnet-4-5', messageId: 'msg_fuzz0001', inputTokens: 42 }
const ERROR_TYPES = new Set(['invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error'])
const STOP_REASONS = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'])
const encoder = new TextEncoder()
/**
 * Chunks whose JSON is damaged before framing: fields deleted, types swapped, values (or the whole chunk) replaced,
 * nesting and strings up to 300 (pretty-printed multi-line framing of deeper values grows quadratically).
 */
const chunkMutation = mutation.map((m) => ({ ...m, size: Math.min(m.size, 300) }))
const chunkDamage = fc.array(fc.tuple(fc.nat(), fc.array(chunkMutation, { minLength: 1, maxLength: 3 })), { maxLength: 3 })

function decode(pieces: Uint8Array[]): { messages: SSEMessage[]; replaced: number } {
  const decoder = new SSEDecoder()
  const messages: SSEMessage[] = []
  for (const p of pieces) messages.push(...decoder.push(p))
  messages.push(...decoder.end())
  return { messages, replaced: decoder.replacedBytes }
}

/** Feeds decoded messages to a translator the way the relay does: `[DONE]` ends, bad JSON is skipped, a failure stops. */
function translate(messages: SSEMessage[]): { events: AnthropicStreamEvent[]; translator: StreamTranslator } {
  const translator = createStreamTranslator(OPTS)
  const events: AnthropicStreamEvent[] = []
  let sawDone = false
  for (const m of messages) {
    if (m.data === '[DONE]') {
      sawDone = true
      break
    }
    let chunk: unknown
    try {
      chunk = JSON.parse(m.data)
    } catch {
      continue
    }
    events.push(...translator.push(chunk as never))
    if (translator.failed) break
  }
  if (!translator.failed) events.push(...translator.end(sawDone))
  return { events, translator }
}

/** The events with every input_json_delta emptied: for streams whose tool arguments were damaged upstream. */
const withoutToolJson = (events: AnthropicStreamEvent[]): AnthropicStreamEvent[] =>
  events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? { ...e, delta: { ...e.delta, partial_json: '' } } : e))

/**
 * The stream contract: a grammatical Anthropic stream, or (nothing started) exactly one error event. Tool arguments
 * must join to a JSON object only when `strictTools` and the stream succeeded; damaged upstream arguments pass
 * through as they came, and a failed stream's message is discarded by every client anyway.
 */
function checkStream(events: AnthropicStreamEvent[], translator: StreamTranslator, strictTools: boolean, sizes: readonly number[]): void {
  expect(events.length).toBeGreaterThan(0)
  for (const e of events) expect(e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? e.delta.partial_json !== '' : true).toBe(true)
  const last = events[events.length - 1]
  if (!translator.started) {
    expect(events).toHaveLength(1)
    if (last.type !== 'error') throw new Error(`a stream that never started must be one error event, got ${last.type}`)
    expect(ERROR_TYPES.has(last.error.type) && typeof last.error.message === 'string' && last.error.message !== '').toBe(true)
  } else {
    assertAnthropicGrammar(strictTools && last.type !== 'error' ? events : withoutToolJson(events))
    expect(translator.stopReason === null).toBe(last.type === 'error')
  }
  expect(Number.isInteger(translator.usage.output_tokens)).toBe(true)
  // Every event survives the proxy's own SSE encoding and a decoder reading it in odd pieces.
  const wire = encoder.encode(encodeEvents(events))
  const back = decode(reads(wire, sizes)).messages
  expect(back.map((m) => [m.event, m.data])).toEqual(events.map((e) => [e.type, JSON.stringify(e)]))
}

function checkMessage(msg: AnthropicMessageResponse): void {
  expect([msg.type, msg.role]).toEqual(['message', 'assistant'])
  expect(STOP_REASONS.has(msg.stop_reason as string)).toBe(true)
  for (const k of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    expect(Number.isInteger(msg.usage[k]) && msg.usage[k] >= 0).toBe(true)
  }
  for (const b of msg.content) {
    if (b.type === 'text') expect(typeof b.text === 'string' && b.text !== '').toBe(true)
    else if (b.type === 'thinking') expect(typeof b.thinking === 'string' && typeof b.signature === 'string').toBe(true)
    else if (b.type === 'redacted_thinking') expect(typeof b.data === 'string' && b.data !== '').toBe(true)
    else if (b.type === 'tool_use') {
      expect(typeof b.id === 'string' && b.id !== '' && typeof b.name === 'string' && b.name !== '').toBe(true)
      expect(b.input !== null && typeof b.input === 'object' && !Array.isArray(b.input)).toBe(true)
    } else throw new Error(`unexpected block ${JSON.stringify(b)}`)
  }
  if (msg.stop_reason === 'tool_use') expect(msg.content.some((b) => b.type === 'tool_use')).toBe(true)
  expect(() => JSON.stringify(msg)).not.toThrow()
}

/** openAIToAnthropic returns a well-formed Message or throws a ProxyError. */
function checkResponse(body: unknown): void {
  let msg: AnthropicMessageResponse
  try {
    msg = openAIToAnthropic(body, OPTS)
  } catch (e) {
    if (e instanceof ProxyError) return
    throw e
  }
  checkMessage(msg)
}

describe('stream fuzzing', () => {
  test(`${RUNS} generated upstream streams in any framing decode exactly and translate to grammatical streams`, () => {
    fc.assert(
      fc.property(streamScript, framing, (script, f) => {
        const bytes = encoder.encode(frameEvents(script, f).join(''))
        const { messages, replaced } = decode(reads(bytes, f.reads))
        expect(replaced).toBe(0)
        const expected: unknown[] = [...script.chunks, ...(script.done ? ['[DONE]'] : [])]
        expect(messages.map((m) => (m.data === '[DONE]' ? m.data : JSON.parse(m.data)))).toEqual(expected)
        const { events, translator } = translate(messages)
        checkStream(events, translator, true, f.reads)
      }),
      { numRuns: RUNS, seed: 0x5eed_0101, includeErrorInReport: true },
    )
  }, 60_000)

  test(`${RUNS} damaged upstream streams (cut, flipped, reordered, duplicated) never throw and stay grammatical`, () => {
    fc.assert(
      fc.property(streamScript, framing, damage, chunkDamage, (script, f, d, broken) => {
        const chunks = [...script.chunks]
        for (const [at, mutations] of broken) if (chunks.length) chunks[at % chunks.length] = (mutate(chunks[at % chunks.length], mutations) ?? null) as never
        const bytes = damaged(frameEvents({ ...script, chunks }, f), d)
        const whole = decode([bytes])
        const pieces = decode(reads(bytes, f.reads))
        // The decoder's answer never depends on how the bytes were split into reads.
        expect(pieces).toEqual(whole)
        expect(whole.replaced).toBeGreaterThanOrEqual(0)
        const { events, translator } = translate(pieces.messages)
        checkStream(events, translator, false, f.reads)
      }),
      { numRuns: RUNS, seed: 0x5eed_0102, includeErrorInReport: true },
    )
  }, 60_000)

  test(`${RESPONSE_RUNS * 2} generated and damaged non-streaming bodies give a Message or a ProxyError`, () => {
    fc.assert(fc.property(chatResponse, (body) => checkResponse(body)), { numRuns: RESPONSE_RUNS, seed: 0x5eed_0103, includeErrorInReport: true })
    fc.assert(
      fc.property(chatResponse, fc.array(mutation, { maxLength: 3 }), damage, (body, mutations, d) => {
        const mutated = mutate(body, mutations)
        checkResponse(mutated)
        if (pathTooDeep(mutated, 1000) !== undefined) return
        let reparsed: unknown
        try {
          reparsed = JSON.parse(new TextDecoder().decode(damaged([JSON.stringify(mutated) ?? 'null'], d)))
        } catch {
          return
        }
        checkResponse(reparsed)
      }),
      { numRuns: RESPONSE_RUNS, seed: 0x5eed_0104, includeErrorInReport: true },
    )
  }, 60_000)
})
