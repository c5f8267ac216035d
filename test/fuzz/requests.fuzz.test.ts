/**
 * Property tests: random and mutated Anthropic requests through validation, translation for every provider
 * profile, and token counting. Nothing but a ProxyError may escape, and what comes out is a sane upstream body.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { ProxyError } from '../../src/server/errors'
import { TokenCounter } from '../../src/tokens/count'
import { getProfile, PROVIDER_NAMES } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import type { AnthropicMessagesRequest, OpenAIChatMessage, OpenAIChatRequest } from '../../src/translate/types'
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/translate/validate'
import { anthropicRequest, mutate, mutation, upstreamModel } from './arbitraries'

/** Runs per property; FUZZ_RUNS raises them for a longer local hunt (seeds stay fixed). */
const VALID_RUNS = Number(process.env.FUZZ_RUNS ?? 5_000)
const MUTATED_RUNS = Number(process.env.FUZZ_RUNS ?? 5_000)
const UPSTREAM_NAME = /^[a-zA-Z0-9_-]{1,64}$/
const BILLING_PREFIX = 'x-anthropic-billing-header:'
const counter = new TokenCounter('o200k_base', { maxEntries: 20_000 })

/** Runs `fn`; a ProxyError is an accepted answer (undefined), anything else thrown fails the property. */
function orProxyError<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (e) {
    if (e instanceof ProxyError) {
      expect(e.status).toBeGreaterThanOrEqual(400)
      expect(typeof e.message).toBe('string')
      return undefined
    }
    throw e
  }
}

/** Whether the request carries any system text the upstream should see. */
function hasSystemText(req: AnthropicMessagesRequest): boolean {
  const texts = (c: unknown): string[] =>
    typeof c === 'string' ? [c] : Array.isArray(c) ? c.map((b) => (b as { text?: unknown })?.text).filter((t): t is string => typeof t === 'string') : []
  const all = [...texts(req.system), ...req.messages.filter((m) => m.role === 'system').flatMap((m) => texts(m.content))]
  return all.some((t) => t !== '' && !t.startsWith(BILLING_PREFIX))
}

/** The upstream body's invariants: serialisable, the right model, one leading system message, tool messages answer calls. */
function checkBody(body: OpenAIChatRequest, req: AnthropicMessagesRequest, model: string, stream: boolean): void {
  expect(() => JSON.stringify(body)).not.toThrow()
  expect(Array.isArray(body.messages)).toBe(true)
  expect(body.model).toBe(model)
  const cap = body.max_tokens ?? body.max_completion_tokens
  expect(Number.isInteger(cap) && (cap as number) >= 1).toBe(true)
  if (stream) expect(body.stream).toBe(true)
  const messages: OpenAIChatMessage[] = body.messages
  const system = messages.findIndex((m) => m.role === 'system' || m.role === 'developer')
  expect(system).toBe(hasSystemText(req) ? 0 : -1)
  if (system === 0) expect(messages.slice(1).some((m) => m.role === 'system' || m.role === 'developer')).toBe(false)
  const calls = new Set<string>()
  for (const m of messages) {
    if (m.role === 'assistant') {
      for (const c of m.tool_calls ?? []) {
        expect(c.function.name).toMatch(UPSTREAM_NAME)
        expect(typeof c.function.arguments).toBe('string')
        calls.add(c.id)
      }
    } else if (m.role === 'tool') {
      if (!calls.has(m.tool_call_id)) throw new Error(`tool message for ${JSON.stringify(m.tool_call_id)} answers no earlier tool_call`)
      expect(typeof m.content).toBe('string')
    }
  }
  for (const t of body.tools ?? []) expect(t.function.name).toMatch(UPSTREAM_NAME)
}

function checkCount(req: { messages: unknown[] }): void {
  const n = counter.countRequest(req as AnthropicMessagesRequest)
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`countRequest gave ${n}`)
}

/** The whole request pipeline for one body: validate, translate for every profile, count. */
function runPipeline(body: unknown, model: string, stream: boolean): void {
  const req = orProxyError(() => validateMessagesRequest(body))
  if (req !== undefined) {
    for (const name of PROVIDER_NAMES) {
      const out = orProxyError(() => anthropicToOpenAI(req, { upstreamModel: model, profile: getProfile(name), stream }))
      if (out !== undefined) checkBody(out.body, req, model, stream)
    }
    checkCount(req)
  }
  const countable = orProxyError(() => validateCountTokensRequest(body))
  if (countable !== undefined) checkCount(countable)
}

describe('request fuzzing', () => {
  test(`${VALID_RUNS} valid-ish Claude Code requests validate, translate for every provider and count`, () => {
    let accepted = 0
    fc.assert(
      fc.property(anthropicRequest, upstreamModel, fc.boolean(), (body, model, stream) => {
        runPipeline(body, model, stream)
        if (orProxyError(() => validateMessagesRequest(body))) accepted++
      }),
      { numRuns: VALID_RUNS, seed: 0x5eed_0001, includeErrorInReport: true },
    )
    // The generator is meant to produce mostly acceptable bodies; a drop here means it drifted.
    expect(accepted).toBeGreaterThan(VALID_RUNS * 0.9)
  }, 60_000)

  test(`${MUTATED_RUNS} mutated requests are rejected with a ProxyError or translated sanely`, () => {
    fc.assert(
      fc.property(anthropicRequest, fc.array(mutation, { minLength: 1, maxLength: 4 }), upstreamModel, (body, mutations, model) => {
        runPipeline(mutate(body, mutations), model, true)
      }),
      { numRuns: MUTATED_RUNS, seed: 0x5eed_0002, includeErrorInReport: true },
    )
  }, 60_000)
})
