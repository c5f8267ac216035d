import { describe, expect, test } from 'bun:test'
import { cacheKey, serializeForUpstream } from '../../src/cache/key'
import { getProfile } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import type { AnthropicMessagesRequest, OpenAIChatRequest } from '../../src/translate/types'
import { BILLING_TEXT, r01, r02 } from '../translate/cc-shapes'

const BASE = 'https://api.openai.com/v1'

/** The request path's key: translate, serialise once, hash. */
function keyOf(req: AnthropicMessagesRequest, opts: { model?: string; base?: string; stream?: boolean } = {}): string {
  const upstreamModel = opts.model ?? 'gpt-5'
  const t = anthropicToOpenAI(req, { upstreamModel, profile: getProfile('openai'), stream: opts.stream ?? req.stream === true })
  return cacheKey(serializeForUpstream(t.body).keyMaterial, opts.base ?? BASE, upstreamModel, t.toolNameMap)
}

const edit = (f: (r: AnthropicMessagesRequest) => void): AnthropicMessagesRequest => {
  const r = r01()
  f(r)
  return r
}

describe('serializeForUpstream', () => {
  test('the wire string is valid JSON equal to the full body, per-request fields last', () => {
    const { body } = anthropicToOpenAI({ ...r01(), metadata: { user_id: 'u-1' } }, { upstreamModel: 'gpt-5', profile: getProfile('openai'), stream: true })
    expect(body.stream).toBe(true)
    expect(body.user).toBeString()
    const { wire, keyMaterial } = serializeForUpstream(body)
    expect(JSON.parse(wire)).toEqual(JSON.parse(JSON.stringify(body)))
    expect(Object.keys(JSON.parse(wire)).slice(-3).sort()).toEqual(['stream', 'stream_options', 'user'])
    expect(wire.startsWith(keyMaterial)).toBe(true)
    const material = JSON.parse(keyMaterial + '}')
    expect(material.stream).toBeUndefined()
    expect(material.stream_options).toBeUndefined()
    expect(material.user).toBeUndefined()
    expect(material.messages).toEqual(JSON.parse(JSON.stringify(body.messages)))
  })

  test('a body without per-request fields: the wire is JSON.stringify of it, the key material the same without its last brace', () => {
    const body: OpenAIChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
    const s = serializeForUpstream(body)
    expect(s.wire).toBe(JSON.stringify(body))
    expect(s.keyMaterial).toBe(s.wire.slice(0, -1))
  })

  test('the key material of a body is the same with or without per-request fields', () => {
    const plain: OpenAIChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }
    const streamed: OpenAIChatRequest = { stream: true, model: 'm', stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }], user: 'u', max_tokens: 5 }
    expect(serializeForUpstream(streamed).keyMaterial).toBe(serializeForUpstream(plain).keyMaterial)
    expect(serializeForUpstream(streamed).wire).not.toBe(serializeForUpstream(plain).wire)
  })

  test('only per-request fields: the wire is still correct JSON (empty rest object)', () => {
    const body = { stream: true, user: 'x' } as unknown as OpenAIChatRequest
    const s = serializeForUpstream(body)
    expect(s.keyMaterial).toBe('{')
    expect(serializeForUpstream({} as OpenAIChatRequest).keyMaterial).toBe('{')
    expect(JSON.parse(s.wire)).toEqual({ stream: true, user: 'x' })
  })

  test('undefined fields are left out, as JSON.stringify does', () => {
    const body: OpenAIChatRequest = { model: 'm', messages: [], user: undefined, stream: true, temperature: undefined }
    const s = serializeForUpstream(body)
    expect(JSON.parse(s.wire)).toEqual({ stream: true, model: 'm', messages: [] })
    expect(s.wire).not.toContain('user')
    expect(s.keyMaterial).toBe('{"model":"m","messages":[]')
  })

  test('does not modify the body', () => {
    const body: OpenAIChatRequest = { model: 'm', messages: [], stream: true, stream_options: { include_usage: true }, user: 'u' }
    const copy = structuredClone(body)
    serializeForUpstream(body)
    expect(body).toEqual(copy)
    expect(Object.keys(body)).toEqual(Object.keys(copy))
  })
})

describe('cacheKey', () => {
  test('is a sha256 hex digest and deterministic', () => {
    const k = keyOf(r01())
    expect(k).toMatch(/^[0-9a-f]{64}$/)
    expect(keyOf(r01())).toBe(k)
  })

  test('ignores metadata.user_id (the user field) and its absence', () => {
    const k = keyOf(r01())
    expect(keyOf(edit((r) => (r.metadata = { user_id: 'someone else' })))).toBe(k)
    expect(keyOf(edit((r) => delete r.metadata))).toBe(k)
  })

  test('ignores the stream flag: a streamed and a non-streamed request share the key', () => {
    expect(keyOf(r01(), { stream: false })).toBe(keyOf(r01(), { stream: true }))
  })

  test("ignores Claude Code's billing header system block, which changes every request", () => {
    const other = edit((r) => ((r.system as { text: string }[])[0].text = BILLING_TEXT.replace('abc', 'def')))
    expect(keyOf(other)).toBe(keyOf(r01()))
  })

  test('changes with any message, tool, parameter, model or upstream', () => {
    const k = keyOf(r01())
    const variants: [string, string][] = [
      ['last message text', keyOf(edit((r) => r.messages.push({ role: 'user', content: 'one more thing' })))],
      ['a message edited', keyOf(edit((r) => (r.messages[0] = { role: 'user', content: 'different' })))],
      ['a tool removed', keyOf(edit((r) => r.tools!.pop()))],
      ['a tool description', keyOf(edit((r) => (r.tools![0].description = 'changed')))],
      ['max_tokens', keyOf(edit((r) => (r.max_tokens = 1000)))],
      ['system prompt', keyOf(edit((r) => ((r.system as { text: string }[])[1].text += '!')))],
      ['upstream model', keyOf(r01(), { model: 'gpt-5-mini' })],
      ['upstream base URL', keyOf(r01(), { base: 'https://openrouter.ai/api/v1' })],
      ['another request', keyOf(r02())],
    ]
    for (const [what, key] of variants) expect({ what, same: key === k }).toEqual({ what, same: false })
    expect(new Set(variants.map((v) => v[1])).size).toBe(variants.length)
  })

  test('changes with sampling parameters', () => {
    const body = (extra: Partial<OpenAIChatRequest>): string => cacheKey(serializeForUpstream({ model: 'm', messages: [{ role: 'user', content: 'q' }], ...extra }).keyMaterial, BASE, 'm')
    const keys = [body({}), body({ temperature: 0.5 }), body({ temperature: 0.7 }), body({ top_p: 0.9 }), body({ stop: ['x'] }), body({ tool_choice: 'required' })]
    expect(new Set(keys).size).toBe(keys.length)
  })

  test('two client tool names renamed to the same upstream name do not share a key', () => {
    const withTool = (name: string) => edit((r) => (r.tools = [{ name, input_schema: { type: 'object', properties: {} } }]))
    expect(keyOf(withTool('a.b'))).not.toBe(keyOf(withTool('a:b')))
  })

  test('parts are length-prefixed: moving characters between base URL and model changes the key', () => {
    expect(cacheKey('{}', 'http://h/v1', 'ab')).not.toBe(cacheKey('{}', 'http://h/v1a', 'b'))
  })
})
