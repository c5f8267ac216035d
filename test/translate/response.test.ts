import { describe, expect, test } from 'bun:test'
import { ProxyError } from '../../src/server/errors'
import { MessageAssembler } from '../../src/translate/assemble'
import { decodeProviderState } from '../../src/translate/provider-state'
import { openAIToAnthropic } from '../../src/translate/response'
import type { OpenAIChatResponse } from '../../src/translate/types'
import { OPTS, chunk, sse, translateSSE } from './run-sse'

const completion = (message: object, finish: string | null = 'stop', usage: object | null = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }): OpenAIChatResponse =>
  ({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'up', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish, logprobs: null }], usage }) as unknown as OpenAIChatResponse

function thrown(fn: () => unknown): ProxyError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ProxyError) return e
    throw e
  }
  throw new Error('expected a ProxyError')
}

describe('openAIToAnthropic', () => {
  test('a text completion becomes a Message with the client model, the message id and mapped usage', () => {
    expect(openAIToAnthropic(completion({ content: 'Hello.', refusal: null }), OPTS)).toEqual({
      id: 'msg_test0001',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hello.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    })
  })

  test('reasoning, text and tool calls give the same Message as the equivalent stream', () => {
    const toolCalls = [
      { id: 'call_1', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
      { id: 'call_2', type: 'function', function: { name: 'ls', arguments: '' } },
    ]
    const usage = { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340, prompt_tokens_details: { cached_tokens: 256 } }
    const fromJson = openAIToAnthropic(completion({ content: 'Looking.', reasoning_content: 'I should read a.', tool_calls: toolCalls }, 'tool_calls', usage), OPTS)
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: null, reasoning_content: 'I should' }),
      chunk({ reasoning_content: ' read a.' }),
      chunk({ content: 'Looking.' }),
      chunk({ tool_calls: [{ index: 0, ...toolCalls[0], function: { name: 'read', arguments: '{"path":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a"}' } }] }),
      chunk({ tool_calls: [{ index: 1, ...toolCalls[1] }] }),
      chunk({}, 'tool_calls', { usage }),
    ]))
    const a = new MessageAssembler()
    for (const ev of events) a.push(ev)
    expect(fromJson).toEqual(a.message())
    expect(fromJson.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'tool_use'])
    expect(fromJson.content[3]).toEqual({ type: 'tool_use', id: 'call_2', name: 'ls', input: {} })
    expect([fromJson.stop_reason, fromJson.usage.cache_read_input_tokens, fromJson.usage.input_tokens]).toEqual(['tool_use', 256, 44])
  })

  test('OpenRouter reasoning_details with the signature in the same item are kept in the thinking signature', () => {
    const item = { type: 'reasoning.text', text: 'Think.', signature: 'EqS1g==', format: 'anthropic-claude-v1', index: 0 }
    const msg = openAIToAnthropic(completion({ content: 'Done.', reasoning: 'Think.', reasoning_details: [item] }), OPTS)
    const [thinking] = msg.content
    expect(thinking.type === 'thinking' && [thinking.thinking, decodeProviderState(thinking.signature)]).toEqual(['Think.', { reasoning_details: [item] }])
  })

  test('index-less, id-less tool calls stay separate calls; Gemini thought signatures are kept; stop becomes tool_use', () => {
    const msg = openAIToAnthropic(completion({
      content: null,
      tool_calls: [
        { type: 'function', function: { name: 'a', arguments: '{"x":1}' }, extra_content: { google: { thought_signature: 'gsig' } } },
        { type: 'function', function: { name: 'b', arguments: '{"y":2}' } },
      ],
    }), OPTS)
    expect(msg.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type))).toEqual(['redacted_thinking', ['a', { x: 1 }], ['b', { y: 2 }]])
    const id = msg.content[1].type === 'tool_use' ? msg.content[1].id : ''
    expect(id).toMatch(/^toolu_/)
    expect(msg.content[0].type === 'redacted_thinking' && decodeProviderState(msg.content[0].data)).toEqual({ thought_signatures: { [id]: 'gsig' } })
    expect(msg.stop_reason).toBe('tool_use')
  })

  test('Mistral content arrays and finish length', () => {
    const msg = openAIToAnthropic(completion({ content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] }, { type: 'text', text: 'ok' }] }, 'length'), OPTS)
    expect([msg.content, msg.stop_reason]).toEqual([[{ type: 'thinking', thinking: 'hmm', signature: '' }, { type: 'text', text: 'ok' }], 'max_tokens'])
  })

  test('xAI usage: output is total minus prompt', () => {
    const msg = openAIToAnthropic(completion({ content: 'x' }, 'stop', { prompt_tokens: 12, completion_tokens: 1, total_tokens: 303 }), OPTS)
    expect(msg.usage.output_tokens).toBe(291)
  })

  test('an empty message with a finish_reason is an empty success; without one it is an error', () => {
    expect(openAIToAnthropic(completion({ content: '' }), OPTS).content).toEqual([])
    expect(thrown(() => openAIToAnthropic(completion({ content: null }, null), OPTS)).type).toBe('api_error')
  })
})

describe('openAIToAnthropic errors', () => {
  test('U05 an HTTP 400 context_length_exceeded body throws invalid_request_error', () => {
    const body = { error: { message: 'Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in 300123 tokens.', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }
    const e = thrown(() => openAIToAnthropic(body as OpenAIChatResponse, OPTS))
    expect([e.type, e.status, e.message]).toEqual(['invalid_request_error', 400, body.error.message])
  })

  test('U06 an unsupported_parameter body for max_tokens throws invalid_request_error', () => {
    const body = { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' } }
    expect(thrown(() => openAIToAnthropic(body as OpenAIChatResponse, OPTS)).type).toBe('invalid_request_error')
  })

  test('vLLM object:"error", OpenRouter numeric codes and empty choices throw api_error', () => {
    expect(thrown(() => openAIToAnthropic({ object: 'error', message: 'boom', type: 'InternalServerError', code: 500 } as OpenAIChatResponse, OPTS)).message).toBe('boom')
    expect(thrown(() => openAIToAnthropic({ error: { code: 502, message: 'Provider returned error' } } as OpenAIChatResponse, OPTS)).type).toBe('api_error')
    const empty = thrown(() => openAIToAnthropic({ id: 'x', choices: [] }, OPTS))
    expect([empty.type, empty.status]).toEqual(['api_error', 500])
  })

  test('a body that is not a JSON object throws api_error', () => {
    for (const body of [null, 'Bad Gateway', [1], 3]) expect(thrown(() => openAIToAnthropic(body, OPTS)).type).toBe('api_error')
  })

  test('OpenRouter finish_reason "error" throws', () => {
    expect(thrown(() => openAIToAnthropic(completion({ content: 'partial' }, 'error'), OPTS)).type).toBe('api_error')
  })

  test('an error body whose type and message are deeply nested arrays throws a ProxyError, not a RangeError', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000))
    const e = thrown(() => openAIToAnthropic({ error: { type: deep, message: deep } } as never, OPTS))
    expect([e.type, e.message]).toEqual(['api_error', 'upstream error'])
  })

  test('a tool call whose arguments object is nested 200,000 deep throws a ProxyError, not a RangeError', () => {
    const args = JSON.parse('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000))
    const e = thrown(() => openAIToAnthropic(completion({ content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }] }, 'tool_calls'), OPTS))
    expect([e.type, e.message]).toEqual(['api_error', 'upstream chunk could not be translated: Maximum call stack size exceeded.'])
  })
})
