import { describe, expect, test } from 'bun:test'
import { getProfile, type ProviderName } from '../../src/translate/providers'
import { anthropicToOpenAI, clientToolName, hashUserId } from '../../src/translate/request'
import type { AnthropicMessagesRequest, OpenAIAssistantMessage, OpenAIChatMessage } from '../../src/translate/types'
import { BILLING_TEXT, CC_USER_ID, ENV_TEXT, IDENTITY_TEXT, MAIN_PROMPT, r01, r02, r04, r05, r06, RED_PNG } from './cc-shapes'

const translate = (req: AnthropicMessagesRequest, provider: ProviderName = 'openai', model = 'gpt-4o', stream = true) =>
  anthropicToOpenAI(req, { upstreamModel: model, profile: getProfile(provider), stream })

const roles = (messages: OpenAIChatMessage[]) => messages.map((m) => m.role)

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

describe('system prompt', () => {
  test('R01 billing header block is dropped from the system prompt', () => {
    const { body } = translate(r01())
    expect(JSON.stringify(body)).not.toContain('x-anthropic-billing-header')
    expect(body.messages[0].content).not.toContain(BILLING_TEXT)
  })

  test('R01 system blocks and the mid-conversation role:system message become one leading system message', () => {
    const { body } = translate(r01())
    expect(body.messages[0]).toEqual({ role: 'system', content: [IDENTITY_TEXT, MAIN_PROMPT, ENV_TEXT].join('\n\n') })
    expect(roles(body.messages).filter((r) => r === 'system' || r === 'developer')).toHaveLength(1)
    expect(roles(body.messages)).toEqual(['system', 'user'])
  })

  test('R02 a mid-conversation system message with string content joins the leading system message', () => {
    const { body } = translate(r02())
    expect(body.messages[0].content).toEndWith(`\n\n${ENV_TEXT}`)
    expect(roles(body.messages)).toEqual(['system', 'user', 'assistant', 'tool'])
  })

  test('R01 o-series and gpt-5 upstreams get the instructions as role developer', () => {
    expect(translate(r01(), 'openai', 'gpt-5').body.messages[0].role).toBe('developer')
    expect(translate(r01(), 'azure', 'o3').body.messages[0].role).toBe('developer')
    expect(translate(r01(), 'openai', 'gpt-4o').body.messages[0].role).toBe('system')
    expect(translate(r01(), 'openrouter', 'openai/gpt-5').body.messages[0].role).toBe('system')
  })

  test('R01 cache_control is dropped everywhere (system, messages, tool results)', () => {
    for (const req of [r01(), r02(), r04(), r05(), r06()]) expect(JSON.stringify(translate(req).body)).not.toContain('cache_control')
  })

  test('a request without any system text has no system message', () => {
    const { body } = translate({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
    expect(body.messages).toEqual([{ role: 'user', content: 'hi' }])
  })
})

describe('messages and content', () => {
  test('R04 a user turn of text blocks becomes one string, blocks joined by blank lines', () => {
    const { body } = translate(r04())
    const user = body.messages[1]
    expect(typeof user.content).toBe('string')
    expect(user.content).toStartWith('<system-reminder>\nContext part 0.')
    expect(user.content).toEndWith('\n\nRead notes.txt')
  })

  test('R02 assistant text and tool_use become one assistant message with tool_calls (arguments = JSON.stringify(input))', () => {
    const { body } = translate(r02())
    expect(body.messages[2]).toEqual({
      role: 'assistant',
      content: "I'll read the file.",
      tool_calls: [{ id: 'toolu_r02_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/tmp/work/notes.txt"}' } }],
    })
    expect(body.messages[3]).toEqual({ role: 'tool', tool_call_id: 'toolu_r02_1', content: '1\tnotes here\n' })
  })

  test('R05 tool results reordered by Claude Code are sent in tool_use order', () => {
    const { body } = translate(r05())
    const tools = body.messages.filter((m) => m.role === 'tool')
    expect(tools.map((m) => (m as { tool_call_id: string }).tool_call_id)).toEqual(['toolu_r05_a', 'toolu_r05_b'])
  })

  test('R05 is_error tool results are marked in the text', () => {
    const { body } = translate(r05())
    const b = body.messages.find((m) => m.role === 'tool' && m.tool_call_id === 'toolu_r05_b')
    expect(b?.content).toBe('Error: File does not exist.')
    const a = body.messages.find((m) => m.role === 'tool' && m.tool_call_id === 'toolu_r05_a')
    expect(a?.content).toBe('1\tcontents of a')
  })

  test('R05 tool messages come before the rest of the same user turn', () => {
    const { body } = translate(r05())
    expect(roles(body.messages)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'user'])
    expect(body.messages[5]).toEqual({ role: 'user', content: 'Also, summarise them.' })
  })

  test('R05 thinking blocks are dropped for upstreams without replay', () => {
    const { body } = translate(r05(), 'openai', 'gpt-5')
    const assistant = body.messages[2] as OpenAIAssistantMessage
    expect(Object.keys(assistant).sort()).toEqual(['content', 'role', 'tool_calls'])
    expect(JSON.stringify(body)).not.toContain('Two files; read both at once.')
  })

  test('R06 an image inside a tool result goes to a user message right after the tool messages', () => {
    const { body } = translate(r06())
    expect(roles(body.messages)).toEqual(['system', 'user', 'assistant', 'tool', 'user'])
    const tool = body.messages[3] as { content: string }
    expect(tool.content).toBe('Read image (8x8)\n[an image follows in the next message]')
    expect(tool.content).not.toContain('"type"')
    const user = body.messages[4]
    expect(user.content).toEqual([
      { type: 'text', text: 'Image output of tool call toolu_r06_1:' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${RED_PNG}` } },
    ])
  })

  test('an empty assistant turn (only thinking) produces no assistant message', () => {
    const req: AnthropicMessagesRequest = {
      model: 'x',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: '' }] },
        { role: 'user', content: 'two' },
      ],
    }
    expect(roles(translate(req, 'openai').body.messages)).toEqual(['user', 'user'])
    expect(translate(req, 'ollama', 'llama3.1').body.messages).toEqual([{ role: 'user', content: 'one\n\ntwo' }])
    expect(roles(translate(req, 'deepseek', 'deepseek-chat').body.messages)).toEqual(['user', 'user'])
  })

  test('consecutive same-role messages are merged only where the upstream requires alternation', () => {
    const req: AnthropicMessagesRequest = {
      model: 'x',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'a' },
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'b' }, { type: 'image', source: { type: 'url', url: 'https://x/i.png' } }] },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: [{ type: 'text', text: 'd' }] },
      ],
    }
    expect(roles(translate(req, 'openai').body.messages)).toEqual(['system', 'user', 'user', 'assistant', 'assistant'])
    for (const provider of ['ollama', 'generic'] as const) {
      const { body } = translate(req, provider, 'qwen2.5-coder')
      expect(body.messages).toEqual([
        { role: 'system', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }, { type: 'image_url', image_url: { url: 'https://x/i.png' } }] },
        { role: 'assistant', content: 'c\n\nd' },
      ])
    }
  })

  test('a tool_use left without a result gets an error tool message so every tool call is answered', () => {
    const req: AnthropicMessagesRequest = {
      model: 'x',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }, { type: 'tool_use', id: 't2', name: 'Bash', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't2', content: 'ok' }] },
      ],
    }
    const { body } = translate(req)
    expect(body.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 't1', content: 'Error: no result was provided for this tool call.' },
      { role: 'tool', tool_call_id: 't2', content: 'ok' },
    ])
  })

  test('a tool_result that answers no preceding tool_use becomes user text, never an orphan tool message', () => {
    const req: AnthropicMessagesRequest = {
      model: 'x',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'gone', content: 'late', is_error: true }, { type: 'text', text: 'next' }] }],
    }
    expect(translate(req).body.messages).toEqual([{ role: 'user', content: 'Result of tool call gone:\nError: late\n\nnext' }])
  })

  test('the input request is never mutated', () => {
    const req = deepFreeze(r05())
    const before = JSON.stringify(req)
    for (const p of ['openai', 'deepseek', 'openrouter', 'gemini', 'ollama'] as const) translate(req, p, 'gemini-2.5-pro')
    expect(JSON.stringify(req)).toBe(before)
  })
})

describe('tools', () => {
  test('R01 twelve tools become functions; defer_loading and other unknown fields are dropped', () => {
    const { body } = translate(r01())
    expect(body.tools).toHaveLength(12)
    for (const tool of body.tools!) {
      expect(tool.type).toBe('function')
      expect(Object.keys(tool.function).sort()).toEqual(['description', 'name', 'parameters'])
    }
    expect(JSON.stringify(body.tools)).not.toContain('defer_loading')
    expect(body.tools!.find((t) => t.function.name === 'DeferredToolPlaceholder')!.function.parameters).toEqual({ type: 'object', properties: {} })
  })

  test('tool schemas are passed by reference to upstreams that take JSON schema as is', () => {
    const req = r01()
    const { body } = translate(req)
    expect(body.tools![0].function.parameters).toBe(req.tools![0].input_schema!)
  })

  test('server and versioned tools are dropped', () => {
    const req = r01()
    req.tools!.push({ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }, { type: 'bash_20250124', name: 'bash' })
    const { body } = translate(req)
    expect(body.tools!.map((t) => t.function.name)).not.toContain('web_search')
    expect(body.tools).toHaveLength(12)
  })

  test('tool_choice auto, any, tool and none map to auto, required, a function and none', () => {
    const withChoice = (tool_choice: AnthropicMessagesRequest['tool_choice']) => translate({ ...r01(), tool_choice }).body.tool_choice
    expect(withChoice({ type: 'auto' })).toBe('auto')
    expect(withChoice({ type: 'any' })).toBe('required')
    expect(withChoice({ type: 'none' })).toBe('none')
    expect(withChoice({ type: 'tool', name: 'Read' })).toEqual({ type: 'function', function: { name: 'Read' } })
  })

  test('disable_parallel_tool_use sends parallel_tool_calls:false only where the profile accepts the field', () => {
    const req = { ...r01(), tool_choice: { type: 'auto' as const, disable_parallel_tool_use: true } }
    expect(translate(req, 'openai').body.parallel_tool_calls).toBe(false)
    expect(translate(req, 'openrouter').body.parallel_tool_calls).toBe(false)
    expect('parallel_tool_calls' in translate(req, 'deepseek', 'deepseek-chat').body).toBe(false)
    expect('parallel_tool_calls' in translate(req, 'gemini', 'gemini-2.5-pro').body).toBe(false)
    expect('parallel_tool_calls' in translate({ ...r01(), tool_choice: { type: 'auto' } }, 'openai').body).toBe(false)
  })

  test('Claude Code tool names pass unchanged and need no name map', () => {
    expect(translate(r05()).toolNameMap).toBeUndefined()
  })

  test('invalid tool names are normalised consistently and the map reverses them', () => {
    const long = `mcp__${'very_long_server_name_'.repeat(4)}__do.thing`
    const req: AnthropicMessagesRequest = {
      model: 'x',
      max_tokens: 100,
      tools: [{ name: 'my.tool', input_schema: { type: 'object' } }, { name: 'my_tool', input_schema: { type: 'object' } }, { name: long, input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'my.tool' },
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'my.tool', input: {} }, { type: 'tool_use', id: 't2', name: long, input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a' }, { type: 'tool_result', tool_use_id: 't2', content: 'b' }] },
      ],
    }
    const { body, toolNameMap } = translate(req)
    const names = body.tools!.map((t) => t.function.name)
    for (const n of names) expect(n).toMatch(/^[a-zA-Z0-9_-]{1,64}$/)
    expect(new Set(names).size).toBe(3)
    expect(names[1]).toBe('my_tool')
    expect(names.map((n) => clientToolName(toolNameMap, n))).toEqual(['my.tool', 'my_tool', long])
    const calls = (body.messages[1] as OpenAIAssistantMessage).tool_calls!
    expect(calls.map((c) => c.function.name)).toEqual([names[0], names[2]])
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: names[0] } })
    expect(clientToolName(undefined, 'Read')).toBe('Read')
  })
})

describe('parameters', () => {
  test('max_tokens is clamped to the model cap, never raised, in the field the model wants', () => {
    expect(translate(r01(), 'openai', 'gpt-4o').body.max_tokens).toBe(16384)
    expect(translate(r01(), 'openai', 'gpt-5').body.max_completion_tokens).toBe(128000)
    expect('max_tokens' in translate(r01(), 'openai', 'gpt-5').body).toBe(false)
    expect(translate(r01(), 'azure', 'o3').body.max_completion_tokens).toBe(100000)
    expect(translate({ ...r01(), max_tokens: 500 }, 'openai', 'gpt-5').body.max_completion_tokens).toBe(500)
    expect(translate(r01(), 'generic', 'some-local-model').body.max_tokens).toBe(128000)
    expect(translate(r01(), 'xai', 'grok-code-fast-1').body.max_tokens).toBe(10000)
  })

  test('max_tokens 0 (cache pre-warm) is sent as 1, the smallest value upstreams accept', () => {
    expect(translate({ ...r01(), max_tokens: 0 }).body.max_tokens).toBe(1)
  })

  test('reasoning models lose temperature, top_p and stop; others keep them', () => {
    const req = { ...r01(), temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ['a', 'b', 'c', 'd', 'e'] }
    const gpt5 = translate(req, 'openai', 'gpt-5').body
    expect([gpt5.temperature, gpt5.top_p, gpt5.stop, gpt5.top_k]).toEqual([undefined, undefined, undefined, undefined])
    const gpt4o = translate(req, 'openai', 'gpt-4o').body
    expect([gpt4o.temperature, gpt4o.top_p, gpt4o.stop, gpt4o.top_k]).toEqual([0.2, 0.9, ['a', 'b', 'c', 'd'], undefined])
  })

  test('top_k is sent only where the upstream accepts it', () => {
    const req = { ...r01(), top_k: 40 }
    expect(translate(req, 'openrouter', 'anthropic/claude-sonnet-4.5').body.top_k).toBe(40)
    expect(translate(req, 'generic', 'qwen2.5-coder').body.top_k).toBe(40)
    for (const p of ['openai', 'deepseek', 'groq', 'gemini', 'xai'] as const) expect(translate(req, p, 'llama-3.3-70b').body.top_k).toBeUndefined()
  })

  test('R01 metadata.user_id (a JSON string) becomes a short stable user hash', () => {
    const user = translate(r01()).body.user!
    expect(user).toBe(hashUserId(CC_USER_ID))
    expect(user.length).toBeLessThanOrEqual(64)
    expect(user).not.toContain('device_id')
    expect(translate(r01()).body.user).toBe(user)
    expect(hashUserId(`${CC_USER_ID} `)).not.toBe(user)
    expect(translate(r01(), 'gemini', 'gemini-2.5-pro').body.user).toBeUndefined()
  })

  test('stream:true asks for usage in the stream; non-streaming requests carry no stream fields', () => {
    const streamed = translate(r01(), 'openai', 'gpt-4o', true).body
    expect([streamed.stream, streamed.stream_options]).toEqual([true, { include_usage: true }])
    const plain = translate(r01(), 'openai', 'gpt-4o', false).body
    expect('stream' in plain || 'stream_options' in plain).toBe(false)
  })

  test('output_config.format json_schema becomes response_format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false }
    const req = { ...r01(), output_config: { format: { type: 'json_schema' as const, schema } } }
    expect(translate(req).body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'response', schema } })
    const gemini = translate(req, 'gemini', 'gemini-2.5-flash').body.response_format as { json_schema: { schema: object } }
    expect(gemini.json_schema.schema).toEqual({ type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] })
  })

  test('unknown top-level fields (context_management, diagnostics, speed) never reach the upstream', () => {
    const body = translate({ ...r01(), diagnostics: { x: 1 }, speed: 'fast', container: 'c' }).body
    for (const key of ['context_management', 'diagnostics', 'speed', 'container', 'metadata', 'thinking', 'output_config', 'system']) expect(key in body).toBe(false)
  })
})
