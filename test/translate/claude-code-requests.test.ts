import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { mapModel } from '../../src/translate/models'
import { getProfile, type ProviderName } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import type { OpenAIAssistantMessage, OpenAIChatMessage } from '../../src/translate/types'
import { validateMessagesRequest } from '../../src/translate/validate'

/** Real requests recorded from Claude Code, present only where the shared fixtures are checked out beside the repo. */
const dir = resolve(import.meta.dir, '../../../shared/fixtures/claude-code-requests')

const TARGETS: [ProviderName, string, string][] = [
  ['openai', 'gpt-5', 'gpt-5-mini'],
  ['openai', 'gpt-4o', 'gpt-4o-mini'],
  ['azure', 'o4-mini', 'gpt-5-mini'],
  ['deepseek', 'deepseek-chat', 'deepseek-chat'],
  ['openrouter', 'anthropic/claude-sonnet-4.5', 'anthropic/claude-haiku-4.5'],
  ['gemini', 'gemini-2.5-pro', 'gemini-2.5-flash'],
  ['ollama', 'qwen3-coder:30b', 'qwen3-coder:30b'],
  ['generic', 'gpt-oss-120b', 'gpt-oss-20b'],
]

/** Every tool message answers a tool_call of the assistant message before the run of tool messages it is in. */
function checkToolPairing(messages: OpenAIChatMessage[]): void {
  let open: Set<string> | undefined
  for (const m of messages) {
    if (m.role === 'assistant') {
      if (open) expect(open.size).toBe(0)
      open = new Set((m as OpenAIAssistantMessage).tool_calls?.map((c) => c.id) ?? [])
    } else if (m.role === 'tool') {
      expect(open?.has(m.tool_call_id)).toBe(true)
      open!.delete(m.tool_call_id)
    } else if (open?.size) {
      throw new Error(`a ${m.role} message arrived while tool calls ${[...open].join(', ')} were unanswered`)
    }
  }
}

describe.if(existsSync(dir))('recorded Claude Code requests', () => {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []

  test('the fixture folder holds requests', () => {
    expect(files.length).toBeGreaterThan(0)
  })

  for (const file of files) {
    for (const [provider, big, small] of TARGETS) {
      test(`${file.split('_')[0]} translates for ${provider} ${big} with every invariant`, () => {
        const recorded = JSON.parse(readFileSync(join(dir, file), 'utf8'))
        const req = validateMessagesRequest(recorded.body)
        const upstreamModel = mapModel(req.model, { BIG_MODEL_NAME: big, SMALL_MODEL_NAME: small, MODEL_MAP: [] })
        const { body, toolNameMap } = anthropicToOpenAI(req, { upstreamModel, profile: getProfile(provider), stream: req.stream === true })

        const text = JSON.stringify(body)
        expect(JSON.parse(text)).toEqual(body)
        expect(text).not.toContain('cache_control')
        expect(text).not.toContain('x-anthropic-billing-header')
        expect(text).not.toContain('defer_loading')
        expect(toolNameMap).toBeUndefined()

        const [first, ...rest] = body.messages
        expect(['system', 'developer']).toContain(first.role)
        for (const m of rest) expect(['system', 'developer']).not.toContain(m.role)
        for (const m of body.messages) if (m.role === 'user') expect(m.content.length).toBeGreaterThan(0)
        for (const m of body.messages) if (m.role === 'assistant') expect(m.content !== null || !!m.tool_calls?.length).toBe(true)
        checkToolPairing(body.messages)

        expect(body.model).toBe(upstreamModel)
        expect(body.tools!.length).toBe(req.tools!.length)
        const max = body.max_tokens ?? body.max_completion_tokens
        expect(max).toBeGreaterThan(0)
        expect(max).toBeLessThanOrEqual(req.max_tokens)
        if (req.stream) expect(body.stream_options).toEqual({ include_usage: true })
        if (provider === 'deepseek') {
          for (const m of body.messages) if (m.role === 'assistant' && m.tool_calls) expect(typeof m.reasoning_content).toBe('string')
        }
        if (provider === 'gemini') expect(text).not.toContain('"$schema"')
      })
    }
  }
})
