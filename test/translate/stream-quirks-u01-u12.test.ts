import { describe, expect, test } from 'bun:test'
import { decodeProviderState } from '../../src/translate/provider-state'
import { assertAnthropicGrammar } from '../support/grammar'
import { chunk, deltas, messageDelta, sse, tool, translateSSE, types, usageChunk } from './run-sse'

// One test per recorded upstream quirk (fixtures README U01–U12); the data is written here, in the quirk's shape.

const U01_CHUNKS = [
  chunk({ role: 'assistant', content: '', refusal: null }, null, { usage: null, obfuscation: 'Zq81' }),
  chunk({ content: 'Bom' }, null, { usage: null, obfuscation: 'kk' }),
  chunk({ content: ' dia!' }, null, { usage: null, obfuscation: 'p0Xr' }),
  chunk({}, 'stop', { usage: null, obfuscation: '' }),
  usageChunk({ prompt_tokens: 31, completion_tokens: 3, total_tokens: 34, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 } }, { obfuscation: '' }),
]

describe('recorded upstream quirks', () => {
  test('U01 text with refusal:null, obfuscation and a usage-only final chunk', () => {
    const { events } = translateSSE(sse(U01_CHUNKS))
    const msg = assertAnthropicGrammar(events)
    expect(types(events)).toEqual(['message_start', 'content_block_start:0', 'content_block_delta:0', 'content_block_delta:0', 'content_block_stop:0', 'message_delta', 'message_stop'])
    expect(msg.content).toEqual([{ type: 'text', text: 'Bom dia!' }])
    expect(msg.stop_reason).toBe('end_turn')
    expect(msg.usage).toEqual({ input_tokens: 31, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('U02 parallel tool calls with indexes 0 and 1 become two tool_use blocks', () => {
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: null }, null, { usage: null }),
      chunk({ tool_calls: [tool(0, 'call_Aa1', 'get_weather', '')] }),
      chunk({ tool_calls: [tool(0, undefined, undefined, '{"city"')] }),
      chunk({ tool_calls: [tool(0, undefined, undefined, ': "Oslo"')] }),
      chunk({ tool_calls: [tool(0, undefined, undefined, '}')] }),
      chunk({ tool_calls: [tool(1, 'call_Bb2', 'get_time', '')] }),
      chunk({ tool_calls: [tool(1, undefined, undefined, '{"tz":')] }),
      chunk({ tool_calls: [tool(1, undefined, undefined, '"CET"}')] }),
      chunk({}, 'tool_calls'),
      usageChunk({ prompt_tokens: 90, completion_tokens: 40, total_tokens: 130 }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([
      { type: 'tool_use', id: 'call_Aa1', name: 'get_weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_Bb2', name: 'get_time', input: { tz: 'CET' } },
    ])
    expect(deltas(events, 'input_json_delta').map((d) => d.partial_json)).toEqual(['{"city"', ': "Oslo"', '}', '{"tz":', '"CET"}'])
    expect(msg.stop_reason).toBe('tool_use')
    expect(msg.usage.output_tokens).toBe(40)
  })

  test('U03 one tool call whose arguments come in many fragments after an empty first one', () => {
    const pieces = ['{"', 'path', '":"', '/tmp/', 'a b', '.txt', '"}']
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: null, refusal: null, tool_calls: [tool(0, 'call_q', 'read_file', '')] }),
      ...pieces.map((p) => chunk({ tool_calls: [tool(0, undefined, undefined, p)] })),
      chunk({}, 'tool_calls'),
      usageChunk({ prompt_tokens: 61, completion_tokens: 16, total_tokens: 77 }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'input_json_delta').map((d) => d.partial_json)).toEqual(pieces)
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'call_q', name: 'read_file', input: { path: '/tmp/a b.txt' } }])
  })

  test('U04 a mid-stream error object with no [DONE] ends in an error event and nothing after it', () => {
    const text = sse([chunk({ role: 'assistant', content: 'Partial ans' })], { done: false }) +
      'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n'
    const { events, translator } = translateSSE(text)
    const msg = assertAnthropicGrammar(events)
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'api_error', message: 'The server had an error while processing your request. Sorry about that!' } })
    expect(messageDelta(events)).toHaveLength(0)
    expect(msg.content).toEqual([{ type: 'text', text: 'Partial ans' }])
    expect(translator.started).toBe(true)
    expect(translator.failed?.type).toBe('api_error')
    expect(translator.push(chunk({ content: 'more' }))).toEqual([])
    expect(translator.end(true)).toEqual([])
  })

  test('U04 an error object before any content yields only the error, with started false', () => {
    const { events, translator } = translateSSE('data: {"error":{"message":"Rate limit reached","type":"rate_limit_exceeded"}}\n\n')
    expect(events).toEqual([{ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached' } }])
    expect(translator.started).toBe(false)
  })

  test('U07 Azure prompt-filter first chunk with choices:[] and empty id/model, content_filter_results, latency_checkpoint', () => {
    const filter = { hate: { filtered: false, severity: 'safe' }, jailbreak: { detected: false, filtered: false } }
    const { events } = translateSSE(sse([
      { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: filter }] },
      { choices: [{ content_filter_results: {}, delta: { content: null, refusal: null, role: 'assistant', tool_calls: [{ function: { arguments: '', name: 'lookup' }, id: 'call_Az', index: 0, type: 'function' }] }, finish_reason: null, index: 0, logprobs: null }], id: 'chatcmpl-az', model: 'gpt-5-mini', object: 'chat.completion.chunk', usage: null },
      { choices: [{ content_filter_results: {}, delta: { tool_calls: [{ function: { arguments: '{"q":"Flor' }, index: 0 }] }, finish_reason: null, index: 0 }], usage: null },
      { choices: [{ content_filter_results: {}, delta: { tool_calls: [{ function: { arguments: 'ence"}' }, index: 0 }] }, finish_reason: null, index: 0 }], usage: null },
      { choices: [{ content_filter_results: {}, delta: {}, finish_reason: 'tool_calls', index: 0 }], usage: null },
      { choices: [], latency_checkpoint: { engine_ttft_ms: 40 }, usage: { completion_tokens: 90, completion_tokens_details: { reasoning_tokens: 64 }, prompt_tokens: 120, prompt_tokens_details: { cached_tokens: 0 }, total_tokens: 210 } },
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'tool_use', id: 'call_Az', name: 'lookup', input: { q: 'Florence' } }])
    expect(msg.usage).toEqual({ input_tokens: 120, output_tokens: 90, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 })
  })

  test('U08 OpenRouter comments, parallel tools and finish_reason sent twice count once', () => {
    const c = (o: object) => `data: ${JSON.stringify(o)}\n\n`
    const finishChunk = (usage?: object) => ({ ...chunk({ content: '', role: 'assistant' }, 'tool_calls', { provider: 'OpenAI' }), ...(usage ? { usage } : {}) })
    const text = ': OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\n' +
      c(chunk({ content: null, role: 'assistant', tool_calls: [tool(0, 'call_or1', 'add', '')] })) +
      c(chunk({ content: null, role: 'assistant', tool_calls: [tool(0, undefined, undefined, '')] })) +
      ': OPENROUTER PROCESSING\n\n' +
      c(chunk({ content: null, role: 'assistant', tool_calls: [tool(0, undefined, undefined, '{"a":2,"b":3}')] })) +
      c(chunk({ content: null, role: 'assistant', tool_calls: [tool(1, 'call_or2', 'multiply', '')] })) +
      c(chunk({ content: null, role: 'assistant', tool_calls: [tool(1, undefined, undefined, '{"a":4,"b":5}')] })) +
      c(finishChunk()) +
      c(finishChunk({ prompt_tokens: 109, completion_tokens: 54, total_tokens: 163, cost: 0.0000893, is_byok: false, prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 9 } })) +
      'data: [DONE]\n\n'
    const { events } = translateSSE(text)
    const msg = assertAnthropicGrammar(events)
    expect(messageDelta(events)).toHaveLength(1)
    expect(msg.content.map((b) => b.type === 'tool_use' && [b.name, b.input])).toEqual([['add', { a: 2, b: 3 }], ['multiply', { a: 4, b: 5 }]])
    expect(msg.stop_reason).toBe('tool_use')
    expect(msg.usage).toEqual({ input_tokens: 40, output_tokens: 54, cache_creation_input_tokens: 9, cache_read_input_tokens: 60 })
  })

  test('U09 reasoning and reasoning_details carry the same text once; the later signature lands in one signature_delta', () => {
    const pieces = ['The user wants', ' the weather', ' in Florence.']
    const detail = (o: object) => ({ type: 'reasoning.text', ...o, format: 'anthropic-claude-v1', index: 0 })
    const { events } = translateSSE(sse([
      ...pieces.map((p) => chunk({ content: '', role: 'assistant', reasoning: p, reasoning_details: [detail({ text: p })] })),
      chunk({ content: '', role: 'assistant', reasoning_details: [detail({ signature: 'EqSIGNATURE+/==' })] }),
      chunk({ content: null, role: 'assistant', tool_calls: [tool(0, 'toolu_bdrk_01X', 'weather', '')] }),
      chunk({ content: null, role: 'assistant', tool_calls: [tool(0, undefined, undefined, '{"location": "Florence"}')] }),
      chunk({ content: '', role: 'assistant', reasoning: null }, 'tool_calls'),
      chunk({ content: '', role: 'assistant' }, 'tool_calls', { usage: { prompt_tokens: 607, completion_tokens: 143, total_tokens: 750, completion_tokens_details: { reasoning_tokens: 99 } } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'signature_delta')).toHaveLength(1)
    const [thinking, toolUse] = msg.content
    expect(thinking.type === 'thinking' && thinking.thinking).toBe(pieces.join(''))
    const state = decodeProviderState(thinking.type === 'thinking' ? thinking.signature : '')
    expect(state).toEqual({ reasoning_details: [{ type: 'reasoning.text', text: pieces.join(''), format: 'anthropic-claude-v1', index: 0, signature: 'EqSIGNATURE+/==' }] })
    expect(toolUse).toEqual({ type: 'tool_use', id: 'toolu_bdrk_01X', name: 'weather', input: { location: 'Florence' } })
    expect(msg.usage.output_tokens).toBe(143)
  })

  test('U10 reasoning.encrypted becomes a redacted_thinking block that keeps the whole item', () => {
    const item = { type: 'reasoning.encrypted', data: 'EjQKMgEMOdbH+fake+data==', format: 'google-gemini-v1', id: 'tool_weather_abc', index: 0 }
    const { events } = translateSSE(': OPENROUTER PROCESSING\n\n' + sse([
      chunk({ content: '', role: 'assistant', reasoning: null, reasoning_details: [item] }),
      chunk({ content: null, role: 'assistant', tool_calls: [tool(0, 'tool_weather_abc', 'weather', '')] }),
      chunk({ content: null, role: 'assistant', tool_calls: [tool(0, undefined, undefined, '{"location":"Florence, Italy"}')] }),
      chunk({ content: '', role: 'assistant', reasoning: null }, 'tool_calls'),
      chunk({ content: '', role: 'assistant' }, 'tool_calls', { usage: { prompt_tokens: 65, completion_tokens: 16, total_tokens: 81 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(types(events).slice(1, 3)).toEqual(['content_block_start:0', 'content_block_stop:0'])
    const [redacted, toolUse] = msg.content
    expect(redacted.type).toBe('redacted_thinking')
    expect(decodeProviderState(redacted.type === 'redacted_thinking' ? redacted.data : '')).toEqual({ reasoning_details: [item] })
    expect(toolUse).toMatchObject({ type: 'tool_use', id: 'tool_weather_abc', input: { location: 'Florence, Italy' } })
  })

  test('U10 follow-up: encrypted reasoning after the text becomes a redacted_thinking block after it', () => {
    const item = { type: 'reasoning.encrypted', data: 'EjQKMgEMfollowup==', format: 'google-gemini-v1', index: 0 }
    const { events } = translateSSE(sse([
      chunk({ content: 'It is 40°C', role: 'assistant' }),
      chunk({ content: ' in Florence.', role: 'assistant' }),
      chunk({ content: '', role: 'assistant', reasoning: null, reasoning_details: [item] }),
      chunk({ content: '', role: 'assistant' }, 'stop'),
      chunk({ content: '', role: 'assistant' }, 'stop', { usage: { prompt_tokens: 111, completion_tokens: 15, total_tokens: 126 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content.map((b) => b.type)).toEqual(['text', 'redacted_thinking'])
    expect(msg.content[0]).toEqual({ type: 'text', text: 'It is 40°C in Florence.' })
    expect(msg.stop_reason).toBe('end_turn')
  })

  test('U11 DeepSeek reasoning_content, call_00_ tool id, usage:null chunks and cache-hit usage on the finish chunk', () => {
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: null, reasoning_content: '' }, null, { usage: null }),
      ...['The user', ' asks for', ' weather.'].map((r) => chunk({ content: null, reasoning_content: r }, null, { usage: null })),
      chunk({ tool_calls: [tool(0, 'call_00_kQ3', 'weather', '')] }, null, { usage: null }),
      ...['{', '"location"', ': ', '"San Francisco"', '}'].map((a) => chunk({ tool_calls: [tool(0, undefined, undefined, a)] }, null, { usage: null })),
      chunk({ content: '', reasoning_content: null }, 'tool_calls', {
        usage: { prompt_tokens: 500, completion_tokens: 60, total_tokens: 560, prompt_tokens_details: { cached_tokens: 448 }, completion_tokens_details: { reasoning_tokens: 30 }, prompt_cache_hit_tokens: 448, prompt_cache_miss_tokens: 52 },
      }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(deltas(events, 'signature_delta')).toHaveLength(0)
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'The user asks for weather.', signature: '' },
      { type: 'tool_use', id: 'call_00_kQ3', name: 'weather', input: { location: 'San Francisco' } },
    ])
    expect(msg.usage).toEqual({ input_tokens: 52, output_tokens: 60, cache_creation_input_tokens: 0, cache_read_input_tokens: 448 })
  })

  test('U12 hundreds of text deltas and finish_reason length map to max_tokens', () => {
    const words = Array.from({ length: 300 }, (_, i) => ` w${i}`)
    const { events } = translateSSE(sse([
      chunk({ role: 'assistant', content: '' }, null, { usage: null }),
      ...words.map((w) => chunk({ content: w }, null, { usage: null })),
      chunk({ content: '' }, 'length', { usage: { prompt_tokens: 13, completion_tokens: 300, total_tokens: 313, prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 13 } }),
    ]))
    const msg = assertAnthropicGrammar(events)
    expect(msg.content).toEqual([{ type: 'text', text: words.join('') }])
    expect(msg.stop_reason).toBe('max_tokens')
    expect(msg.usage.output_tokens).toBe(300)
  })
})
