import { describe, expect, test } from 'bun:test'
import { ProxyError } from '../../src/server/errors'
import { MAX_DEPTH, MAX_MESSAGES, validateCountTokensRequest, validateMessagesRequest } from '../../src/translate/validate'
import { r01, r05, r06 } from './cc-shapes'

const ok = () => ({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] }) as Record<string, any>

function rejection(body: unknown, validate: (b: unknown) => unknown = validateMessagesRequest): string {
  try {
    validate(body)
  } catch (e) {
    expect(e).toBeInstanceOf(ProxyError)
    expect((e as ProxyError).status).toBe(400)
    expect((e as ProxyError).type).toBe('invalid_request_error')
    return (e as ProxyError).message
  }
  throw new Error('expected a rejection')
}

describe('validateMessagesRequest accepts', () => {
  test('R01-R06 shaped Claude Code bodies, returned as the same object', () => {
    for (const body of [r01(), r05(), r06()]) expect(validateMessagesRequest(body)).toBe(body)
  })

  test('unknown top-level fields (context_management, diagnostics, speed, container, output_config) are ignored', () => {
    const body = { ...ok(), context_management: { edits: [] }, diagnostics: {}, speed: 'fast', container: 'c', output_config: { effort: 'max' }, future_field: [1] }
    expect(validateMessagesRequest(body)).toBe(body as never)
  })

  test('unknown block types (server tools, newer kinds) are not rejected', () => {
    const body = ok()
    body.messages = [
      { role: 'user', content: [{ type: 'future_block' }, { type: 'container_upload', file_id: 'f' }] },
      { role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }, { type: 'web_search_tool_result', tool_use_id: 's', content: [] }] },
      { role: 'system', content: 'mid-conversation system' },
    ]
    expect(() => validateMessagesRequest(body)).not.toThrow()
  })

  test('max_tokens 0 (cache pre-warm) is valid', () => {
    expect(() => validateMessagesRequest({ ...ok(), max_tokens: 0 })).not.toThrow()
  })
})

describe('validateMessagesRequest rejects, naming the field', () => {
  test('a body that is not an object', () => {
    expect(rejection(null)).toBe('body: must be a JSON object, got null')
    expect(rejection([1])).toBe('body: must be a JSON object, got [1]')
    expect(rejection('x')).toBe('body: must be a JSON object, got "x"')
  })

  test('a missing or mistyped model', () => {
    const { model, ...rest } = ok()
    expect(rejection(rest)).toBe('model: field required')
    expect(rejection({ ...ok(), model: 7 })).toBe('model: must be a non-empty string, got 7')
    expect(rejection({ ...ok(), model: '' })).toBe('model: must be a non-empty string, got ""')
  })

  test('max_tokens missing or not a non-negative integer', () => {
    const { max_tokens, ...rest } = ok()
    expect(rejection(rest)).toBe('max_tokens: field required')
    expect(rejection({ ...ok(), max_tokens: 'abc' })).toBe('max_tokens: must be an integer ≥ 0, got "abc"')
    expect(rejection({ ...ok(), max_tokens: -1 })).toBe('max_tokens: must be an integer ≥ 0, got -1')
    expect(rejection({ ...ok(), max_tokens: 1.5 })).toBe('max_tokens: must be an integer ≥ 0, got 1.5')
  })

  test('messages missing, not an array, or over 100,000 entries', () => {
    const { messages, ...rest } = ok()
    expect(rejection(rest)).toBe('messages: field required')
    expect(rejection({ ...ok(), messages: {} })).toBe('messages: must be an array, got {}')
    const many = new Array(MAX_MESSAGES + 1).fill({ role: 'user', content: 'x' })
    expect(rejection({ ...ok(), messages: many })).toBe(`messages: at most 100000 messages are allowed, got ${MAX_MESSAGES + 1}`)
  })

  test('a message role other than user, assistant or system', () => {
    expect(rejection({ ...ok(), messages: [{ role: 'tool', content: 'x' }] })).toBe('messages.0.role: must be "user", "assistant" or "system", got "tool"')
    expect(rejection({ ...ok(), messages: ['hi'] })).toBe('messages.0: must be a message object, got "hi"')
  })

  test('content that is neither a string nor an array', () => {
    expect(rejection({ ...ok(), messages: [{ role: 'user', content: 5 }] })).toBe('messages.0.content: must be a string or an array of content blocks, got 5')
    expect(rejection({ ...ok(), messages: [{ role: 'user' }] })).toBe('messages.0.content: must be a string or an array of content blocks, got nothing')
  })

  test('a block without a string type', () => {
    const body = ok()
    body.messages = [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'text', text: 'b' }, { text: 'c' }] }]
    expect(rejection(body)).toBe('messages.1.content.1.type: field required')
    body.messages[1].content[1] = { type: 3 }
    expect(rejection(body)).toBe('messages.1.content.1.type: must be a string, got 3')
  })

  test('known blocks missing what translation needs', () => {
    const msg = (block: unknown) => ({ ...ok(), messages: [{ role: 'user', content: [block] }] })
    expect(rejection(msg({ type: 'text' }))).toBe('messages.0.content.0.text: must be a string, got nothing')
    expect(rejection(msg({ type: 'tool_result', content: 'x' }))).toBe('messages.0.content.0.tool_use_id: must be a string, got nothing')
    expect(rejection(msg({ type: 'tool_use', id: 't', input: {} }))).toBe('messages.0.content.0.name: must be a string, got nothing')
    expect(rejection(msg({ type: 'image' }))).toBe('messages.0.content.0.source: must be an object, got nothing')
    expect(rejection(msg({ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text' }] }))).toBe('messages.0.content.0.content.0.text: must be a string, got nothing')
  })

  test('tools not an array, or a tool without a name', () => {
    expect(rejection({ ...ok(), tools: {} })).toBe('tools: must be an array, got {}')
    expect(rejection({ ...ok(), tools: [{ name: 'a' }, { description: 'x' }] })).toBe('tools.1.name: field required')
    expect(rejection({ ...ok(), tools: [{ name: 'a', input_schema: 'x' }] })).toBe('tools.0.input_schema: must be an object, got "x"')
  })

  test('mistyped optional fields', () => {
    expect(rejection({ ...ok(), system: 5 })).toBe('system: must be a string or an array of text blocks, got 5')
    expect(rejection({ ...ok(), stream: 'yes' })).toBe('stream: must be a boolean, got "yes"')
    expect(rejection({ ...ok(), stop_sequences: 'END' })).toBe('stop_sequences: must be an array of strings, got "END"')
    expect(rejection({ ...ok(), temperature: '1' })).toBe('temperature: must be a number, got "1"')
    expect(rejection({ ...ok(), thinking: { budget_tokens: 5 } })).toBe('thinking: must be an object with a string type, got {"budget_tokens":5}')
    expect(rejection({ ...ok(), tool_choice: 'auto' })).toBe('tool_choice: must be an object with a string type, got "auto"')
  })

  test('long bad values are shortened in the message', () => {
    expect(rejection({ ...ok(), max_tokens: 'x'.repeat(500) })).toBe(`max_tokens: must be an integer ≥ 0, got "${'x'.repeat(56)}...`)
  })

  test('a tool_use input nested 200,000 deep is a 400, not a stack overflow when the upstream body is serialised', () => {
    const input = JSON.parse('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000))
    const body = { ...ok(), messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input }] }] }
    expect(rejection(body)).toStartWith('messages.0.content.0.input.a.a.a')
    expect(rejection(body)).toEndWith(`: nested deeper than ${MAX_DEPTH} levels`)
  })

  test('tool_results nested in tool_results 100,000 deep are a 400, not a stack overflow in the block checks', () => {
    let content: unknown = 'x'
    for (let i = 0; i < 100_000; i++) content = [{ type: 'tool_result', tool_use_id: 't', content }]
    expect(rejection({ ...ok(), messages: [{ role: 'user', content }] })).toEndWith(`nested deeper than ${MAX_DEPTH} levels`)
  })

  test('a deeply nested array where a message belongs is described briefly, not stringified into a stack overflow', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000))
    expect(rejection(deep)).toBe('body: must be a JSON object, got a deeply nested array')
  })

  test('nesting up to the limit is accepted', () => {
    let input: unknown = 1
    for (let i = 0; i < MAX_DEPTH - 8; i++) input = { a: input }
    expect(() => validateMessagesRequest({ ...ok(), messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input }] }] })).not.toThrow()
  })
})

describe('validateCountTokensRequest', () => {
  test('does not require max_tokens', () => {
    const { max_tokens, ...rest } = ok()
    expect(validateCountTokensRequest(rest)).toBe(rest as never)
  })

  test('applies the same structural checks', () => {
    expect(rejection({ model: 'm', messages: 'x' }, validateCountTokensRequest)).toBe('messages: must be an array, got "x"')
  })
})
