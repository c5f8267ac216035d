import { describe, expect, test } from 'bun:test'
import { decodeProviderState } from '../../src/translate/provider-state'
import { assertAnthropicGrammar } from '../support/grammar'
import { chunk, deltas, messageDelta, sse, tool, translateSSE, types, usageChunk } from './run-sse'

// One test per recorded upstream quirk (fixtures README U13–U25); the data is written here, in the quirk's shape.

describe('recorded upstream quirks', () => {
  test('U13 Groq whole tool call in one delta with index after function, usage only in x_groq', () => {
    const text = 'data: {"id":"chatcmpl-g","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01","seed":6895}}\n\n' +
      'data: {"id":"chatcmpl-g","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"id":"k3x9p2m7q","type":"function","function":{"name":"list_files","arguments":"{}"},"index":0}]},"logprobs":null,"finish_reason":null}]}\n\n' +
      'data: {"id":"chatcmpl-g","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"x_groq":{"id":"req_01","usage":{"queue_time":0.04,"prompt_tokens":210,"prompt_time":0.01,"completion_tokens":15,"completion_time":0.04,"total_tokens":225}}}\n\n' +
      'data: [DONE]\n\n'
    const { events } = translateSSE(text)
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'input_json_delta')).toEqual([{ type: 'input_json_delta', partial_json: '{}' }])
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'k3x9p2m7q', name: 'list_files', input: {} }])
    expect(msg.usage).toEqual({ input_tokens: 210, output_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('U14 Kimi ids like functions.add:0 pass through; usage repeated on the finish chunk and a choices:[] chunk is sent once', () => {
    const usage = { queue_time: 0.2, prompt_tokens: 201, completion_tokens: 58, total_tokens: 259 }
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: '' }, null, { x_groq: { id: 'req_k', seed: 1 } }),
      ...["I'll", ' do both.'].map((t) => chunk({ content: t })),
      chunk({ tool_calls: [{ id: 'functions.add:0', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' }, index: 0 }] }),
      chunk({ tool_calls: [{ id: 'functions.multiply:1', type: 'function', function: { name: 'multiply', arguments: '{"a":2,"b":3}' }, index: 1 }] }),
      chunk({}, 'tool_calls', { x_groq: { id: 'req_k', usage }, usage }),
      usageChunk(usage),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(messageDelta(events)).toHaveLength(1)
    expect(msg.content.map((b) => (b.type === 'tool_use' ? b.id : b.type))).toEqual(['text', 'functions.add:0', 'functions.multiply:1'])
    expect(msg.usage).toEqual({ input_tokens: 201, output_tokens: 58, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('U15 reasoning in delta.reasoning (not reasoning_content) becomes a thinking block without signature', () => {
    const thoughts = Array.from({ length: 200 }, (_, i) => ` t${i}`)
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: '' }, null, { x_groq: { id: 'req_q', seed: 8 } }),
      ...thoughts.map((t) => chunk({ reasoning: t })),
      chunk({ content: 'There are three.' }),
      chunk({}, 'stop', { x_groq: { id: 'req_q', usage: { prompt_tokens: 17, completion_tokens: 1107, total_tokens: 1124, completion_tokens_details: { reasoning_tokens: 963 } } } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'thinking', thinking: thoughts.join(''), signature: '' }, { type: 'text', text: 'There are three.' }])
    expect(deltas(events, 'signature_delta')).toHaveLength(0)
    expect(msg.usage.output_tokens).toBe(1107)
  })

  test('U16 xAI completion_tokens leaves reasoning out, so output is total minus prompt', () => {
    const bare = (delta: object, finish?: string) => ({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, ...(finish ? { finish_reason: finish } : {}) }] })
    const { events } = translateSSE(sse([
      bare({ reasoning_content: 'First', role: 'assistant' }),
      bare({ reasoning_content: ', the user' }),
      bare({ tool_calls: [{ id: 'call_55117', function: { name: 'weather', arguments: '{"location":"San Francisco"}' }, index: 0, type: 'function' }] }),
      bare({}, 'tool_calls'),
      usageChunk({ prompt_tokens: 300, completion_tokens: 20, total_tokens: 520, prompt_tokens_details: { text_tokens: 300, cached_tokens: 256 }, completion_tokens_details: { reasoning_tokens: 200 }, num_sources_used: 0 }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.usage).toEqual({ input_tokens: 44, output_tokens: 220, cache_creation_input_tokens: 0, cache_read_input_tokens: 256 })
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'tool_use'])
  })

  test('U17 llama.cpp: 32-char tool id without call_, first fragment already carries arguments, usage with timings', () => {
    const id = 'Xy7QmR2kLp9WvB4nT6cZ1aHs8dF3gJ0e'
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: null }),
      ...['User wants', ' a file.'].map((r) => chunk({ reasoning_content: r })),
      chunk({ tool_calls: [{ type: 'function', function: { name: 'read', arguments: '{"' }, id, index: 0 }] }),
      chunk({ tool_calls: [{ function: { arguments: 'path":"a.md"}' }, index: 0 }] }),
      chunk({}, 'tool_calls'),
      usageChunk({ completion_tokens: 41, prompt_tokens: 139, total_tokens: 180 }, { timings: { cache_n: 138, prompt_n: 1, predicted_n: 41 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'input_json_delta')[0].partial_json).toBe('{"')
    expect(msg.content[1]).toEqual({ type: 'tool_use', id, name: 'read', input: { path: 'a.md' } })
    expect(msg.usage).toMatchObject({ input_tokens: 139, output_tokens: 41 })
  })

  test('U18 Z.ai: role repeated in every delta, usage on the finish chunk and no choices:[] chunk', () => {
    const { events } = translateSSE(sse([
      ...['The', ' user', ' asks.'].map((r) => chunk({ role: 'assistant', reasoning_content: r })),
      chunk({ role: 'assistant', tool_calls: [{ id: 'call_3532c8', index: 0, type: 'function', function: { name: 'weather', arguments: '{"location":"Florence,Italy"}' } }] }),
      chunk({ role: 'assistant', content: '' }, 'tool_calls', { usage: { prompt_tokens: 173, completion_tokens: 93, total_tokens: 266, prompt_tokens_details: { cached_tokens: 172 }, completion_tokens_details: { reasoning_tokens: 65 } } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'The user asks.', signature: '' },
      { type: 'tool_use', id: 'call_3532c8', name: 'weather', input: { location: 'Florence,Italy' } },
    ])
    expect(msg.usage).toEqual({ input_tokens: 1, output_tokens: 93, cache_creation_input_tokens: 0, cache_read_input_tokens: 172 })
  })

  test('U19 continuation fragments with id:"" and a trailing empty-arguments fragment without finish_reason', () => {
    const { events } = translateSSE(sse([
      { choices: [{ delta: { content: null, tool_calls: [{ index: 0, id: 'call_eee1', type: 'function', function: { name: 'weather', arguments: '' } }], role: 'assistant' }, finish_reason: null, index: 0 }], usage: null },
      { choices: [{ delta: { content: null, tool_calls: [{ index: 0, id: '', type: 'function', function: { arguments: '{"location": "San Francisco' } }] }, finish_reason: null, index: 0 }], usage: null },
      { choices: [{ delta: { content: null, tool_calls: [{ index: 0, id: '', type: 'function', function: { arguments: '"}' } }] }, finish_reason: null, index: 0 }], usage: null },
      { choices: [{ delta: { tool_calls: [{ function: { arguments: '' }, index: 0, id: '', type: 'function' }] }, index: 0 }], usage: null },
      { choices: [{ finish_reason: 'tool_calls', delta: {}, index: 0 }], usage: null },
      usageChunk({ prompt_tokens: 295, completion_tokens: 22, total_tokens: 317, prompt_tokens_details: { cached_tokens: 0 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'call_eee1', name: 'weather', input: { location: 'San Francisco' } }])
    expect(deltas(events, 'input_json_delta')).toHaveLength(2)
  })

  test('U20 Mistral content arrays with thinking parts and p padding', () => {
    const think = (text: string, closed = true) => ({ type: 'thinking', thinking: [{ type: 'text', text }], ...(closed ? { closed: true } : {}) })
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: '' }, null, { p: 'abcdefghijklmnopqrstu' }),
      chunk({ content: [think('Okay, 17')] }, null, { p: 'abcdefghijklmnopqrstuvwxyz0123' }),
      chunk({ content: [think(' times 23', false)] }, null, { p: 'abcd' }),
      chunk({ content: [think(' is 391.'), { type: 'text', text: '3' }] }, null, { p: 'ab' }),
      chunk({ content: '91' }, 'stop', { usage: { prompt_tokens: 28, total_tokens: 167, completion_tokens: 139 }, p: 'abcdefg' }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'thinking', thinking: 'Okay, 17 times 23 is 391.', signature: '' }, { type: 'text', text: '391' }])
    expect(msg.stop_reason).toBe('end_turn')
    expect(msg.usage.output_tokens).toBe(139)
  })

  test('U21 tool index starting at 1 maps to Anthropic index 0; no usage; no blank line after [DONE]', () => {
    const text = sse([
      chunk({ role: 'assistant' }),
      chunk({ tool_calls: [tool(1, 'toolu_01Abc', 'read_file', '')] }),
      chunk({ tool_calls: [tool(1, undefined, undefined, '')] }),
      chunk({ tool_calls: [tool(1, undefined, undefined, '{"pa')] }),
      chunk({ tool_calls: [tool(1, undefined, undefined, 'th": "a.txt"}')] }),
      chunk({}, 'tool_calls'),
    ], { done: false }) + 'data: [DONE]\n'
    const { events, translator, sawDone } = translateSSE(text)
    const msg = assertAnthropicGrammar(events)
    expect(sawDone).toBe(true)
    expect(types(events)[1]).toBe('content_block_start:0')
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'toolu_01Abc', name: 'read_file', input: { path: 'a.txt' } }])
    expect(translator.usageReported).toBe(false)
    // No usage from upstream: the prompt estimate stays; output is estimated from the 17 argument characters.
    expect(msg.usage).toEqual({ input_tokens: 42, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('U22 no object field, role in every delta, tool index 1 with no arguments key: input stays {}', () => {
    const c = (delta: object, finish: string | null = null, extra: object = {}) => ({ id: 'msg_x', created: 1, model: 'claude-haiku', choices: [{ index: 0, delta: { role: 'assistant', ...delta }, finish_reason: finish }], ...extra })
    const { events } = translateSSE(sse([
      c({ content: 'Checking.' }),
      c({ tool_calls: [{ index: 1, id: 'toolu_noargs', type: 'function', function: { name: 'list_tasks' } }] }),
      c({}, 'tool_calls', { usage: { prompt_tokens: 80, completion_tokens: 12, total_tokens: 92 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'input_json_delta')).toHaveLength(0)
    expect(msg.content).toEqual([{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_noargs', name: 'list_tasks', input: {} }])
    expect(msg.usage.output_tokens).toBe(12)
  })

  test('U23 Ollama: whole tool call and finish_reason in one chunk, no index', () => {
    const { events } = translateSSE(sse([
      { id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'llama3.1', system_fingerprint: 'fp_ollama', choices: [{ index: 0, delta: { role: 'assistant', content: '', tool_calls: [{ id: 'call_k2j4h6g8', type: 'function', function: { name: 'function_1', arguments: '{"a":10,"b":11}' } }] }, finish_reason: 'tool_calls' }] },
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'call_k2j4h6g8', name: 'function_1', input: { a: 10, b: 11 } }])
    expect(msg.stop_reason).toBe('tool_use')
  })

  test('U24 Gemini: index-less tool call with a thought_signature and finish_reason stop', () => {
    const { events } = translateSSE(sse([
      { choices: [{ delta: { role: 'assistant', tool_calls: [{ extra_content: { google: { thought_signature: 'CiQBsig/+==' } }, function: { arguments: '{"offset":1,"path":"/app/SKILL.md"}', name: 'read' }, id: 'call_297140', type: 'function' }] }, index: 0 }] },
      { choices: [{ delta: {}, finish_reason: 'stop', index: 0 }] },
    ]))
    const msg = assertAnthropicGrammar(events)
    const [redacted, toolUse] = msg.content
    expect(redacted.type === 'redacted_thinking' && decodeProviderState(redacted.data)).toEqual({ thought_signatures: { call_297140: 'CiQBsig/+==' } })
    expect(toolUse).toEqual({ type: 'tool_use', id: 'call_297140', name: 'read', input: { offset: 1, path: '/app/SKILL.md' } })
    expect(msg.stop_reason).toBe('tool_use')
  })

  test('U25 CRLF framing gives exactly the events of LF framing', () => {
    const chunks = [
      chunk({ role: 'assistant', content: '', refusal: null }, null, { usage: null }),
      chunk({ content: 'Olá,\r\nmundo' }, null, { usage: null }),
      chunk({}, 'stop', { usage: null }),
      usageChunk({ prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 }),
    ]
    const lf = translateSSE(sse(chunks)).events
    const crlf = translateSSE(sse(chunks, { eol: '\r\n' })).events
    expect(crlf).toEqual(lf)
    const msg = assertAnthropicGrammar(crlf)
    expect(msg.content).toEqual([{ type: 'text', text: 'Olá,\r\nmundo' }])
    expect(msg.usage.output_tokens).toBe(4)
  })
})
