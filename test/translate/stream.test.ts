import { describe, expect, test } from 'bun:test'
import { decodeProviderState } from '../../src/translate/provider-state'
import { createStreamTranslator } from '../../src/translate/stream'
import type { AnthropicStreamEvent, OpenAIChatChunk } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'
import { OPTS, chunk, types } from './run-sse'

/** Pushes chunks into a fresh translator and ends it. */
function run(chunks: object[], { sawDone = true, opts = {} }: { sawDone?: boolean; opts?: object } = {}) {
  const t = createStreamTranslator({ ...OPTS, ...opts })
  const events: AnthropicStreamEvent[] = []
  for (const c of chunks) events.push(...t.push(c as OpenAIChatChunk))
  events.push(...t.end(sawDone))
  return { events, t }
}
const tc = (index: number | undefined, id?: string, name?: string, args?: unknown) => ({
  ...(index === undefined ? {} : { index }),
  ...(id === undefined ? {} : { id }),
  function: { ...(name === undefined ? {} : { name }), ...(args === undefined ? {} : { arguments: args }) },
})
const calls = (...list: object[]) => chunk({ tool_calls: list })
const toolInputs = (events: AnthropicStreamEvent[]) =>
  assertAnthropicGrammar(events).content.map((b) => (b.type === 'tool_use' ? [b.id, b.name, b.input] : b.type))

describe('message_start', () => {
  test('comes first, once, echoing the client model, the message id and the input estimate', () => {
    const t = createStreamTranslator(OPTS)
    expect(t.push(chunk({ role: 'assistant', content: '' }))).toEqual([])
    expect(t.started).toBe(false)
    const first = t.push(chunk({ content: 'hi' }))
    expect(first[0]).toEqual({
      type: 'message_start',
      message: { id: 'msg_test0001', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 42, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
    })
    expect(t.push(chunk({ content: '!' })).map((e) => e.type)).toEqual(['content_block_delta'])
  })

  test('start() commits early and is never repeated', () => {
    const t = createStreamTranslator(OPTS)
    const ev = t.start()
    expect(ev.type).toBe('message_start')
    expect(t.started).toBe(true)
    const rest = [...t.push(chunk({ content: 'x' }, 'stop')), ...t.end(true)]
    expect(assertAnthropicGrammar([ev, ...rest]).content).toEqual([{ type: 'text', text: 'x' }])
  })
})

describe('blocks', () => {
  test('thinking, text and tool_use close in turn with contiguous indexes', () => {
    const { events } = run([
      chunk({ reasoning_content: 'plan' }),
      chunk({ content: 'Doing it.' }),
      calls(tc(0, 'call_1', 'run', '{"x":1}')),
      chunk({ content: 'Then this.' }),
      chunk({}, 'tool_calls'),
    ])
    expect(types(events).filter((t) => !t.startsWith('content_block_delta'))).toEqual([
      'message_start',
      'content_block_start:0', 'content_block_stop:0',
      'content_block_start:1', 'content_block_stop:1',
      'content_block_start:2', 'content_block_stop:2',
      'content_block_start:3', 'content_block_stop:3',
      'message_delta', 'message_stop',
    ])
    expect(toolInputs(events)).toEqual(['thinking', 'text', ['call_1', 'run', { x: 1 }], 'text'])
  })

  test('empty and null content never open a block; a choice without delta is tolerated', () => {
    const { events } = run([chunk({ content: '' }), chunk({ content: null }), chunk(undefined), { choices: [] }, chunk({ content: 'a' }, 'stop')])
    expect(assertAnthropicGrammar(events).content).toEqual([{ type: 'text', text: 'a' }])
  })

  test('an OpenAI refusal string is shown as text', () => {
    const { events } = run([chunk({ content: null, refusal: "I can't help with that." }), chunk({}, 'stop')])
    expect(assertAnthropicGrammar(events).content).toEqual([{ type: 'text', text: "I can't help with that." }])
  })

  test('an empty reasoning_details array does not hide the reasoning string', () => {
    const { events } = run([chunk({ reasoning: 'hmm', reasoning_details: [] }), chunk({}, 'stop')])
    expect(assertAnthropicGrammar(events).content).toEqual([{ type: 'thinking', thinking: 'hmm', signature: '' }])
  })

  test('a summary reasoning_details item is thinking text and is kept in the signature state', () => {
    const item = { type: 'reasoning.summary', summary: 'Sum', format: 'openai-responses-v1', index: 0 }
    const { events } = run([chunk({ reasoning: 'Sum', reasoning_details: [item] }), chunk({ reasoning_details: [{ ...item, summary: 'mary' }] }), chunk({ content: 'ok' }, 'stop')])
    const [thinking] = assertAnthropicGrammar(events).content
    expect(thinking.type === 'thinking' && [thinking.thinking, decodeProviderState(thinking.signature)]).toEqual(['Summary', { reasoning_details: [{ ...item, summary: 'Summary' }] }])
  })
})

describe('tool calls', () => {
  test('interleaved argument fragments of parallel calls are held, never interleaved, and complete', () => {
    const { events } = run([
      calls(tc(0, 'call_a', 'first', '{"n":')),
      calls(tc(1, 'call_b', 'second', '{"m":')),
      calls(tc(0, undefined, undefined, '1}')),
      calls(tc(1, undefined, undefined, '2}')),
      calls(tc(2, 'call_c', 'third', '{}')),
      chunk({}, 'tool_calls'),
    ])
    expect(toolInputs(events)).toEqual([['call_a', 'first', { n: 1 }], ['call_b', 'second', { m: 2 }], ['call_c', 'third', {}]])
  })

  test('the first call keeps streaming live while later calls are held', () => {
    const t = createStreamTranslator(OPTS)
    t.push(calls(tc(0, 'call_a', 'first', '{"n":')))
    expect(t.push(calls(tc(1, 'call_b', 'second', '{"m":')))).toEqual([])
    expect(t.push(calls(tc(0, undefined, undefined, '1}')))).toEqual([{ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '1}' } }])
  })

  test('held calls are released, in order, before text that follows them', () => {
    const { events } = run([calls(tc(0, 'a', 'f', '{"x"')), calls(tc(1, 'b', 'g', '{"y":2}')), calls(tc(0, undefined, undefined, ':1}')), chunk({ content: 'done' }), chunk({}, 'stop')])
    expect(toolInputs(events)).toEqual([['a', 'f', { x: 1 }], ['b', 'g', { y: 2 }], 'text'])
  })

  test('a call that starts after the open call holds complete JSON streams live', () => {
    const t = createStreamTranslator(OPTS)
    t.push(calls(tc(0, 'a', 'f', '{"x":1}')))
    const ev = t.push(calls(tc(1, 'b', 'g', '{"y"')))
    expect(types(ev)).toEqual(['content_block_stop:0', 'content_block_start:1', 'content_block_delta:1'])
  })

  test('an index re-used with a different id starts a new call (gateways that give every call index 0)', () => {
    const { events } = run([calls(tc(0, 'c1', 'city', '{"city":"北京"}')), calls(tc(0, 'c2', 'city', '{"city":"上海"}')), chunk({}, 'tool_calls')])
    expect(toolInputs(events)).toEqual([['c1', 'city', { city: '北京' }], ['c2', 'city', { city: '上海' }]])
  })

  test('index-less calls: a new id is a new call, the same id continues it', () => {
    const { events } = run([calls(tc(undefined, 'g1', 'a', '{"p":')), calls(tc(undefined, 'g1', undefined, '1}')), calls(tc(undefined, 'g2', 'b', '{}')), chunk({}, 'stop')])
    expect(toolInputs(events)).toEqual([['g1', 'a', { p: 1 }], ['g2', 'b', {}]])
  })

  test('missing ids get deterministic toolu_ ids derived from the message id', () => {
    const chunks = [chunk({ tool_calls: [tc(undefined, undefined, 'a', { q: 1 }), tc(undefined, undefined, 'b', { r: [2] })] }, 'tool_calls')]
    const one = toolInputs(run(chunks).events)
    expect(one).toEqual([[expect.stringMatching(/^toolu_[0-9a-z]{24}$/), 'a', { q: 1 }], [expect.stringMatching(/^toolu_[0-9a-z]{24}$/), 'b', { r: [2] }]])
    expect((one[0] as string[])[0]).not.toBe((one[1] as string[])[0])
    expect(toolInputs(run(chunks).events)).toEqual(one)
    expect((toolInputs(run(chunks, { opts: { messageId: 'msg_other' } }).events)[0] as string[])[0]).not.toBe((one[0] as string[])[0])
  })

  test('arguments given as an object become one JSON delta', () => {
    const { events } = run([calls(tc(0, 'o1', 'f', { path: 'a b', n: 2 })), chunk({}, 'tool_calls')])
    expect(events.filter((e) => e.type === 'content_block_delta').map((e) => (e as { delta: object }).delta)).toEqual([{ type: 'input_json_delta', partial_json: '{"path":"a b","n":2}' }])
  })

  test('name:"" on continuations never overwrites the name; a late fragment for a finished call is dropped', () => {
    const { events } = run([calls(tc(0, 'x', 'edit', '{"a":1}')), calls(tc(0, '', '', '')), calls(tc(1, 'y', 'view', '{}')), calls(tc(0, undefined, undefined, ' ')), chunk({}, 'tool_calls')])
    expect(toolInputs(events)).toEqual([['x', 'edit', { a: 1 }], ['y', 'view', {}]])
  })

  test('a call without a name is held until its name arrives', () => {
    const { events } = run([calls(tc(0, 'n1', undefined, '{"k":')), calls(tc(0, undefined, 'late_name', '"v"}')), chunk({}, 'tool_calls')])
    expect(toolInputs(events)).toEqual([['n1', 'late_name', { k: 'v' }]])
  })

  test('a tool call whose name never arrives is left out, not sent as a tool_use without a name', () => {
    const { events, t } = run([chunk({ content: 'Let me look.' }), calls(tc(0, 'n1', undefined, '{"k":1}')), chunk({}, 'tool_calls')])
    expect(toolInputs(events)).toEqual(['text'])
    expect(t.stopReason).toBe('end_turn')
  })

  test('a held call without an id takes the upstream id when it arrives before the call is emitted', () => {
    const { events } = run([calls(tc(0, undefined, undefined, '{}')), calls(tc(0, 'late_id', 'f')), chunk({}, 'tool_calls')])
    expect(toolInputs(events)).toEqual([['late_id', 'f', {}]])
  })

  test('tool names renamed for the upstream are mapped back', () => {
    const { events } = run([calls(tc(0, 'm1', 'mcp__srv__do_x', '{}')), chunk({}, 'tool_calls')], { opts: { toolNameMap: new Map([['mcp__srv__do_x', 'mcp__srv__do.x']]) } })
    expect(toolInputs(events)).toEqual([['m1', 'mcp__srv__do.x', {}]])
  })

  test('a thought signature that arrives after its call started is sent after the content', () => {
    const { events } = run([
      calls(tc(undefined, 'gs1', 'read', '{"p":1}')),
      chunk({ tool_calls: [{ id: 'gs1', extra_content: { google: { thought_signature: 'SIG1' } } }] }),
      chunk({}, 'stop'),
    ])
    const msg = assertAnthropicGrammar(events)
    expect(msg.content.map((b) => b.type)).toEqual(['tool_use', 'redacted_thinking'])
    expect(msg.content[1].type === 'redacted_thinking' && decodeProviderState(msg.content[1].data)).toEqual({ thought_signatures: { gs1: 'SIG1' } })
  })
})

describe('finish_reason and stop_reason', () => {
  const stopFor = (finish: string, withTool = false) =>
    assertAnthropicGrammar(run([withTool ? calls(tc(0, 't', 'f', '{}')) : chunk({ content: 'x' }), chunk({}, finish)]).events).stop_reason

  test('maps stop, length, tool_calls, function_call and content_filter', () => {
    expect(stopFor('stop')).toBe('end_turn')
    expect(stopFor('length')).toBe('max_tokens')
    expect(stopFor('tool_calls', true)).toBe('tool_use')
    expect(stopFor('function_call', true)).toBe('tool_use')
    expect(stopFor('content_filter')).toBe('refusal')
  })

  test('stop with a tool_use block becomes tool_use; tool_calls with no tool block becomes end_turn', () => {
    expect(stopFor('stop', true)).toBe('tool_use')
    expect(stopFor('tool_calls')).toBe('end_turn')
    expect(stopFor('length', true)).toBe('max_tokens')
  })

  test('only the first finish_reason counts and deltas after it are ignored', () => {
    const { events } = run([chunk({ content: 'a' }, 'length'), chunk({ content: 'b' }, 'stop')])
    const msg = assertAnthropicGrammar(events)
    expect([msg.stop_reason, msg.content]).toEqual(['max_tokens', [{ type: 'text', text: 'a' }]])
  })

  test('message_delta waits for end() so a later usage chunk is folded in', () => {
    const t = createStreamTranslator(OPTS)
    t.push(chunk({ content: 'a' }))
    expect(t.push(chunk({}, 'stop')).map((e) => e.type)).toEqual(['content_block_stop'])
    expect(t.push({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } })).toEqual([])
    expect(t.end(true)).toEqual([
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 9, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
      { type: 'message_stop' },
    ])
    expect([t.stopReason, t.usage.output_tokens]).toEqual(['end_turn', 2])
  })

  test('a finish with no content is an empty success', () => {
    const msg = assertAnthropicGrammar(run([chunk({ role: 'assistant', content: '' }, 'stop')]).events)
    expect([msg.content, msg.stop_reason]).toEqual([[], 'end_turn'])
  })
})

describe('usage', () => {
  test('the last usage wins; input never goes negative', () => {
    const { events } = run([chunk({ content: 'a' }, 'stop', { usage: { prompt_tokens: 1, completion_tokens: 1 } }), { choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 9 } } }])
    expect(assertAnthropicGrammar(events).usage).toEqual({ input_tokens: 0, output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 9 })
  })

  test('DeepSeek prompt_cache_hit_tokens count as cache reads when details are absent', () => {
    const { events } = run([chunk({ content: 'a' }, 'stop', { usage: { prompt_tokens: 100, completion_tokens: 3, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 } })])
    expect(assertAnthropicGrammar(events).usage).toMatchObject({ input_tokens: 36, cache_read_input_tokens: 64 })
  })
})

describe('errors and endings', () => {
  const errorOnly = (events: AnthropicStreamEvent[]) => events.length === 1 && events[0].type === 'error' ? events[0].error : events

  test('vLLM object:"error" chunks fail the stream', () => {
    const { events, t } = run([{ object: 'error', message: 'max context exceeded', type: 'BadRequestError', code: 400 }])
    expect(errorOnly(events)).toEqual({ type: 'api_error', message: 'max context exceeded' })
    expect(t.started).toBe(false)
  })

  test('OpenRouter finish_reason "error" after content closes the block, then errors', () => {
    const { events, t } = run([chunk({ reasoning_details: [{ type: 'reasoning.text', text: 'x', index: 0 }] }), chunk({}, 'error')])
    assertAnthropicGrammar(events)
    expect(types(events).slice(-3)).toEqual(['content_block_delta:0', 'content_block_stop:0', 'error'])
    expect([t.started, t.failed?.type, t.stopReason]).toEqual([true, 'api_error', null])
  })

  test('EOF after content but without a finish_reason is an error', () => {
    const { events } = run([chunk({ content: 'cut' })], { sawDone: false })
    assertAnthropicGrammar(events)
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'api_error', message: 'upstream stream ended before a finish_reason' } })
  })

  test('[DONE] after content but without a finish_reason ends normally', () => {
    const msg = assertAnthropicGrammar(run([chunk({ content: 'ok' })], { sawDone: true }).events)
    expect(msg.stop_reason).toBe('end_turn')
  })

  test('[DONE] with held tool calls and no finish_reason still emits them', () => {
    const { events } = run([calls(tc(0, 'a', 'f', '{"x"')), calls(tc(1, 'b', 'g', '{}')), calls(tc(0, undefined, undefined, ':0}'))])
    expect(toolInputs(events)).toEqual([['a', 'f', { x: 0 }], ['b', 'g', {}]])
  })

  test('a chunk whose data parsed to null, a number or a string is skipped, not a TypeError', () => {
    const { events } = run([null, 3, 'x', chunk({ content: 'ok' }, 'stop')] as object[])
    expect(assertAnthropicGrammar(events).content).toEqual([{ type: 'text', text: 'ok' }])
  })

  test('tool arguments or reasoning_details nested 200,000 deep fail the stream with an error event instead of throwing', () => {
    const deep = JSON.parse('{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000))
    for (const delta of [{ tool_calls: [tc(0, 'c1', 'f', deep)] }, { reasoning_details: [{ type: 'reasoning.text', text: 'hm', index: 0, deep }] }]) {
      const { events, t } = run([chunk({ content: 'a' }), chunk(delta), chunk({}, 'stop')])
      assertAnthropicGrammar(events)
      expect([events.at(-1)?.type, t.failed?.type]).toEqual(['error', 'api_error'])
    }
  })

  test('a stream with nothing in it is an error, not an empty success, with or without [DONE]', () => {
    for (const sawDone of [true, false]) {
      const { events, t } = run([chunk({ role: 'assistant', content: '' }), { choices: [], usage: { prompt_tokens: 3 } }], { sawDone })
      expect(errorOnly(events)).toEqual({ type: 'api_error', message: 'upstream stream ended without any content' })
      expect([t.started, t.contentEmitted]).toEqual([false, false])
    }
  })
})
