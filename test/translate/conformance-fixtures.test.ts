import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeProviderState } from '../../src/translate/provider-state'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'
import { translateSSE } from './run-sse'

// Recorded upstream streams live beside the repository (../shared/fixtures/upstream from its root) and are not
// shipped with it; these tests run wherever that folder exists.
const dir = join(import.meta.dir, '..', '..', '..', 'shared', 'fixtures', 'upstream')
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sse')).sort() : []

interface Run {
  msg: AnthropicMessageResponse
  events: AnthropicStreamEvent[]
  usageReported: boolean
}

const blockTypes = (r: Run) => r.msg.content.map((b) => b.type)
const toolUses = (r: Run) => r.msg.content.flatMap((b) => (b.type === 'tool_use' ? [b] : []))
const count = (r: Run, deltaType: string) => r.events.filter((e) => e.type === 'content_block_delta' && e.delta.type === deltaType).length
const textOf = (r: Run, type: 'text' | 'thinking') => r.msg.content.map((b) => (b.type === 'text' && type === 'text' ? b.text : b.type === 'thinking' && type === 'thinking' ? b.thinking : '')).join('')

/** Known facts per recording, keyed by file-name prefix. */
const FACTS: Record<string, (r: Run) => void> = {
  'U01_': (r) => {
    expect(r.msg.content).toEqual([{ type: 'text', text: 'Olá!' }])
    expect(r.msg.usage).toEqual({ input_tokens: 20, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  },
  'U02_': (r) => {
    expect(toolUses(r).map((t) => [t.name, t.input])).toEqual([['add', { a: 2, b: 3 }], ['multiply', { a: 2, b: 3 }]])
    expect(r.msg.stop_reason).toBe('tool_use')
  },
  'U03_': (r) => {
    expect(toolUses(r).map((t) => t.input)).toEqual([{ location: 'Florence, Italy' }])
    expect(count(r, 'input_json_delta')).toBe(8)
  },
  'U07_': (r) => {
    expect(toolUses(r).map((t) => [t.id, t.input])).toEqual([['call_tWA8BJziGlCyhQEXhEHn6eXK', { location: 'Florence, Italy' }]])
    expect(r.msg.usage).toMatchObject({ input_tokens: 145, output_tokens: 154 })
  },
  'U08_': (r) => {
    expect(toolUses(r)).toHaveLength(2)
    expect(r.events.filter((e) => e.type === 'message_delta')).toHaveLength(1)
    expect(r.msg.usage).toMatchObject({ input_tokens: 109, output_tokens: 54 })
  },
  'U09_openrouter_claude-haiku-4.5_reasoning-details-signature_tool.sse': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'tool_use'])
    expect(count(r, 'signature_delta')).toBe(1)
    const thinking = r.msg.content[0]
    const state = decodeProviderState(thinking.type === 'thinking' ? thinking.signature : '')
    expect(state?.reasoning_details).toHaveLength(1)
    const detail = state!.reasoning_details![0]
    expect([detail.type, detail.format, detail.index, detail.text]).toEqual(['reasoning.text', 'anthropic-claude-v1', 0, textOf(r, 'thinking')])
    expect(detail.signature).toStartWith('Eq0ECkgIDRAB')
    expect(textOf(r, 'thinking')).toStartWith('The user is asking for weather information in Florence, Italy. I have access')
    expect(toolUses(r)[0].input).toEqual({ location: 'Florence, Italy' })
  },
  'U09_openrouter_claude-haiku-4.5_reasoning-details-signature_tool.followup.sse': (r) => {
    expect(blockTypes(r)).toEqual(['text'])
    expect(r.msg.stop_reason).toBe('end_turn')
    expect(r.msg.usage.output_tokens).toBe(82)
  },
  'U10_openrouter_gemini-3.1_encrypted-reasoning_tool.sse': (r) => {
    expect(blockTypes(r)).toEqual(['redacted_thinking', 'tool_use'])
    const redacted = r.msg.content[0]
    const item = decodeProviderState(redacted.type === 'redacted_thinking' ? redacted.data : '')?.reasoning_details?.[0]
    expect(item).toMatchObject({ type: 'reasoning.encrypted', format: 'google-gemini-v1', id: 'tool_weather_nNBvDVuJXrZZDwEjuOoj', index: 0 })
    expect(toolUses(r)[0].id).toBe('tool_weather_nNBvDVuJXrZZDwEjuOoj')
  },
  'U10_openrouter_gemini-3.1_encrypted-reasoning_tool.followup.sse': (r) => {
    expect(blockTypes(r)).toEqual(['text', 'redacted_thinking'])
    expect(r.msg.stop_reason).toBe('end_turn')
  },
  'U11_': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'tool_use'])
    expect(count(r, 'signature_delta')).toBe(0)
    expect(toolUses(r)[0].id).toStartWith('call_00_')
    expect(r.msg.usage).toEqual({ input_tokens: 19, output_tokens: 83, cache_creation_input_tokens: 0, cache_read_input_tokens: 320 })
  },
  'U12_': (r) => {
    expect(r.msg.stop_reason).toBe('max_tokens')
    expect(r.msg.usage.output_tokens).toBe(400)
    expect(textOf(r, 'text')).toStartWith('## **H')
  },
  'U13_': (r) => {
    expect(toolUses(r).map((t) => [t.id, t.input])).toEqual([['tk85n1k4m', {}]])
    expect(r.msg.usage).toMatchObject({ input_tokens: 210, output_tokens: 15 })
  },
  'U14_': (r) => {
    expect(toolUses(r).map((t) => t.id)).toEqual(['functions.add:0', 'functions.multiply:1'])
    expect(blockTypes(r)[0]).toBe('text')
    expect(r.msg.usage.output_tokens).toBe(58)
  },
  'U15_': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'text'])
    expect(textOf(r, 'thinking')).toStartWith('Okay, let me try to figure out how many times the letter')
    expect(r.msg.usage.output_tokens).toBe(1107)
  },
  'U16_': (r) => {
    expect(r.msg.usage).toEqual({ input_tokens: 1, output_tokens: 513 - 291, cache_creation_input_tokens: 0, cache_read_input_tokens: 290 })
    expect(toolUses(r)[0].input).toEqual({ location: 'San Francisco' })
  },
  'U17_': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'tool_use'])
    expect(toolUses(r)[0].id).toMatch(/^[A-Za-z0-9]{32}$/)
    expect(r.msg.usage).toMatchObject({ input_tokens: 139, output_tokens: 41 })
  },
  'U18_': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'text', 'tool_use'])
    expect(textOf(r, 'text')).toStartWith("I'll get the current weather information for Florence,")
    expect(r.msg.usage).toEqual({ input_tokens: 1, output_tokens: 93, cache_creation_input_tokens: 0, cache_read_input_tokens: 172 })
  },
  'U19_': (r) => {
    expect(toolUses(r).map((t) => [t.id, t.input])).toEqual([['call_eee11723464a4b9eb8cee71d', { location: 'San Francisco' }]])
  },
  'U20_': (r) => {
    expect(blockTypes(r)).toEqual(['thinking', 'text'])
    expect(textOf(r, 'text')).toContain('391')
    expect(r.msg.usage.output_tokens).toBe(139)
  },
  'U21_': (r) => {
    expect(r.msg.content).toEqual([{ type: 'text', text: 'Reading it.' }, { type: 'tool_use', id: 'toolu_sanitized', name: 'read_file', input: { path: 'a.txt' } }])
    expect(r.usageReported).toBe(false)
  },
  'U23_': (r) => {
    expect(toolUses(r).map((t) => [t.id, t.name, t.input])).toEqual([['call_ejieksiz', 'function_1', { a: 10, b: 11 }]])
  },
  'U24_': (r) => {
    expect(blockTypes(r)).toEqual(['redacted_thinking', 'tool_use'])
    const redacted = r.msg.content[0]
    expect(decodeProviderState(redacted.type === 'redacted_thinking' ? redacted.data : '')).toEqual({ thought_signatures: { call_297140: 'ELIDED_IN_SOURCE' } })
    expect(r.msg.stop_reason).toBe('tool_use')
  },
  'U25_': (r) => {
    expect(r.msg.content).toEqual([{ type: 'text', text: 'Olá!' }])
    expect(r.msg.usage.output_tokens).toBe(2)
  },
}

describe.if(existsSync(dir))('recorded upstream fixtures', () => {
  test('every recording has known facts checked below', () => {
    expect(files.length).toBeGreaterThanOrEqual(22)
    for (const f of files) expect(Object.keys(FACTS).some((k) => f.startsWith(k) || f === k)).toBe(true)
  })

  for (const file of files) {
    test(`${file} translates to a valid Anthropic stream with the recorded content`, () => {
      const { events, translator } = translateSSE(readFileSync(join(dir, file)))
      const msg = assertAnthropicGrammar(events)
      expect(translator.failed).toBeUndefined()
      for (const [key, check] of Object.entries(FACTS)) if (file === key || (key.endsWith('_') && file.startsWith(key))) check({ msg, events, usageReported: translator.usageReported })
    })
  }

  test('U25 (CRLF) gives exactly the events of U01 (LF)', () => {
    const read = (prefix: string) => readFileSync(join(dir, files.find((f) => f.startsWith(prefix))!))
    expect(translateSSE(read('U25_')).events).toEqual(translateSSE(read('U01_')).events)
  })
})
