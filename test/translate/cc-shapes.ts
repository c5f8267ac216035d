/**
 * Hand-written request bodies in the shapes Claude Code 2.1.332 sends (R01–R06) and follow-up turns in the shapes
 * of the OpenRouter and DeepSeek recordings (U09, U10, U11). The texts are invented; the structure is what matters.
 */
import { encodeProviderState } from '../../src/translate/provider-state'
import type { AnthropicMessagesRequest, AnthropicTool } from '../../src/translate/types'

const EPHEMERAL = { type: 'ephemeral' as const }

export const BILLING_TEXT = 'x-anthropic-billing-header: cc_version=9.9.999.abc; cc_entrypoint=sdk-cli;'
export const IDENTITY_TEXT = 'You are a coding agent running in a terminal.'
export const MAIN_PROMPT = '\nYou help the user with software tasks.\n\nBe concise.'
export const ENV_TEXT = '# Environment\n - Primary working directory: /tmp/work\n - Platform: linux'

/** System blocks as Claude Code sends them: billing header (no cache_control), identity, main prompt. */
export function ccSystem() {
  return [
    { type: 'text' as const, text: BILLING_TEXT },
    { type: 'text' as const, text: IDENTITY_TEXT, cache_control: EPHEMERAL },
    { type: 'text' as const, text: MAIN_PROMPT, cache_control: EPHEMERAL },
  ]
}

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema'

/** Twelve tools like Claude Code's, one with defer_loading. */
export function ccTools(): AnthropicTool[] {
  const tool = (name: string, properties: Record<string, unknown>, required: string[]): AnthropicTool => ({
    name,
    description: `The ${name} tool.`,
    input_schema: { $schema: SCHEMA, type: 'object', properties, required, additionalProperties: false },
  })
  const str = (description: string) => ({ type: 'string', description })
  return [
    tool('Agent', { description: str('task'), prompt: str('what to do'), model: { type: 'string', enum: ['sonnet', 'opus'] } }, ['description', 'prompt']),
    tool('Bash', { command: str('command'), timeout: { type: 'number', exclusiveMinimum: 0, maximum: 600000 } }, ['command']),
    tool('Edit', { file_path: str('path'), old_string: str('old'), new_string: str('new'), replace_all: { type: 'boolean', default: false } }, ['file_path', 'old_string', 'new_string']),
    tool('Glob', { pattern: str('glob'), path: str('dir') }, ['pattern']),
    tool('Grep', { pattern: { type: 'string', maxLength: 1000 }, glob: str('filter'), head_limit: { type: 'integer', minimum: 0 } }, ['pattern']),
    tool('Read', { file_path: str('absolute path'), offset: { type: 'integer', minimum: 0 }, limit: { type: 'integer', exclusiveMinimum: 0 } }, ['file_path']),
    tool('Skill', { skill: str('name'), args: { description: 'anything' } }, ['skill']),
    tool('TodoWrite', { todos: { type: 'array', maxItems: 50, items: { type: 'object', properties: { content: str('todo'), status: { type: 'string', enum: ['pending', 'done'] } }, required: ['content'], additionalProperties: false } } }, ['todos']),
    tool('ToolSearch', { query: str('query'), max_results: { type: 'number', default: 5 } }, ['query']),
    tool('WebFetch', { url: { type: 'string', format: 'uri' }, prompt: str('prompt') }, ['url', 'prompt']),
    { name: 'DeferredToolPlaceholder', description: 'Placeholder.', input_schema: { type: 'object', properties: {} }, defer_loading: true },
    tool('Write', { file_path: str('path'), content: str('content') }, ['file_path', 'content']),
  ]
}

export const CC_USER_ID = JSON.stringify({ device_id: 'ab'.repeat(32), account_uuid: '', session_id: '0f3c2a9e-1111-4222-8333-944455556666' })

function firstUserTurn(prompt: string, blocks = 2) {
  const content: { type: 'text'; text: string; cache_control?: typeof EPHEMERAL }[] = []
  for (let i = 0; i < blocks; i++) content.push({ type: 'text', text: `<system-reminder>\nContext part ${i}.\n</system-reminder>` })
  content.push({ type: 'text', text: prompt })
  return { role: 'user' as const, content }
}

function base(model: string, extra: Partial<AnthropicMessagesRequest>): AnthropicMessagesRequest {
  return {
    model,
    max_tokens: 32000,
    messages: [],
    system: ccSystem(),
    tools: ccTools(),
    metadata: { user_id: CC_USER_ID },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    stream: true,
    ...extra,
  }
}

/** R01: opus, adaptive thinking with effort, a role:system message after the first user turn. */
export function r01(): AnthropicMessagesRequest {
  return base('claude-opus-5-5', {
    max_tokens: 128000,
    thinking: { type: 'adaptive', display: 'omitted' },
    output_config: { effort: 'medium' },
    messages: [
      firstUserTurn('Read notes.txt and tell me what it says'),
      { role: 'system', content: [{ type: 'text', text: ENV_TEXT, cache_control: EPHEMERAL }] as never },
    ],
  })
}

/** R02: the second turn: assistant [text, tool_use], then a string tool_result with cache_control. */
export function r02(): AnthropicMessagesRequest {
  const req = r01()
  req.messages[1] = { role: 'system', content: ENV_TEXT }
  req.messages.push(
    { role: 'assistant', content: [{ type: 'text', text: "I'll read the file." }, { type: 'tool_use', id: 'toolu_r02_1', name: 'Read', input: { file_path: '/tmp/work/notes.txt' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_r02_1', content: '1\tnotes here\n', cache_control: EPHEMERAL }] },
  )
  return req
}

/** R03: `--model deepseek-chat`, adaptive thinking, effort high. */
export function r03(): AnthropicMessagesRequest {
  return { ...r01(), model: 'deepseek-chat', max_tokens: 32000, output_config: { effort: 'high' } }
}

/** R04: haiku with thinking.enabled budget 31999 and ten user text blocks, the last with cache_control. */
export function r04(): AnthropicMessagesRequest {
  const turn = firstUserTurn('Read notes.txt', 9)
  turn.content[turn.content.length - 1].cache_control = EPHEMERAL
  return base('claude-haiku-4-5-20251001', { thinking: { type: 'enabled', budget_tokens: 31999, display: 'omitted' }, messages: [turn] })
}

/** R05: assistant echoes [thinking, text, tool_use, tool_use]; results come back reversed, one is_error. */
export function r05(signature = 'U2lnbmF0dXJlRnJvbUFudGhyb3BpYw=='): AnthropicMessagesRequest {
  return base('claude-sonnet-4-5-20250929', {
    thinking: { type: 'enabled', budget_tokens: 4096, display: 'omitted' },
    messages: [
      firstUserTurn('Read a.txt and b.txt'),
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Two files; read both at once.', signature },
          { type: 'text', text: 'Reading both files.' },
          { type: 'tool_use', id: 'toolu_r05_a', name: 'Read', input: { file_path: '/tmp/work/a.txt' } },
          { type: 'tool_use', id: 'toolu_r05_b', name: 'Read', input: { file_path: '/tmp/work/b.txt' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_r05_b', content: 'File does not exist.', is_error: true },
          { type: 'tool_result', tool_use_id: 'toolu_r05_a', content: [{ type: 'text', text: '1\tcontents of a' }], cache_control: EPHEMERAL },
          { type: 'text', text: 'Also, summarise them.' },
        ],
      },
    ],
  })
}

export const RED_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC'

/** R06: a tool_result whose content is [image(base64 png), text]. */
export function r06(): AnthropicMessagesRequest {
  return base('claude-sonnet-4-5-20250929', {
    thinking: { type: 'enabled', budget_tokens: 31999, display: 'omitted' },
    messages: [
      firstUserTurn('Look at red.png'),
      { role: 'assistant', content: [{ type: 'text', text: "I'll read the file." }, { type: 'tool_use', id: 'toolu_r06_1', name: 'Read', input: { file_path: '/tmp/work/red.png' } }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_r06_1',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: RED_PNG } }, { type: 'text', text: 'Read image (8x8)' }],
            cache_control: EPHEMERAL,
          },
        ],
      },
    ],
  })
}

/** U09-style OpenRouter items: Claude reasoning text plus its signature, as the stream side wraps them. */
export const U09_DETAILS = [{ type: 'reasoning.text', text: 'Call the weather tool for Florence.', signature: 'EqQBCkYIBxgCKkBsig==', format: 'anthropic-claude-v1', index: 0 }]

/** U09 follow-up shape: thinking(+ccp1 signature), tool_use, then the tool_result. */
export function u09FollowUp(): AnthropicMessagesRequest {
  return {
    model: 'claude-haiku-4-5',
    max_tokens: 4000,
    thinking: { type: 'adaptive' },
    output_config: { effort: 'medium' },
    tools: [{ name: 'weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }],
    messages: [
      { role: 'user', content: "What's the weather in Florence, Italy?" },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: U09_DETAILS[0].text, signature: encodeProviderState({ reasoning_details: U09_DETAILS }) },
          { type: 'tool_use', id: 'toolu_or_01', name: 'weather', input: { location: 'Florence, Italy' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_or_01', content: '40 C' }] },
    ],
  }
}

/** U10-style encrypted Gemini reasoning through OpenRouter, keyed by the tool call id. */
export const U10_DETAILS = [{ type: 'reasoning.encrypted', data: 'EjQKMgEMOdbHexample+sig==', format: 'google-gemini-v1', id: 'tool_weather_abc123', index: 0 }]

/** U10 follow-up shape: redacted_thinking(ccp1) then tool_use with the same id. */
export function u10FollowUp(): AnthropicMessagesRequest {
  const req = u09FollowUp()
  req.messages[1] = {
    role: 'assistant',
    content: [
      { type: 'redacted_thinking', data: encodeProviderState({ reasoning_details: U10_DETAILS }) },
      { type: 'tool_use', id: 'tool_weather_abc123', name: 'weather', input: { location: 'Florence, Italy' } },
    ],
  }
  req.messages[2] = { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tool_weather_abc123', content: '40 C' }] }
  return req
}

/** DeepSeek (U11 shape) follow-up: two tool-call turns, one with thinking and one without, then a plain turn. */
export function deepseekFollowUp(): AnthropicMessagesRequest {
  return {
    model: 'deepseek-reasoner',
    max_tokens: 32000,
    thinking: { type: 'adaptive' },
    output_config: { effort: 'medium' },
    tools: [{ name: 'weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I need the weather for Paris.', signature: '' },
          { type: 'tool_use', id: 'call_00_paris', name: 'weather', input: { location: 'Paris' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_00_paris', content: '21 C' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_00_rome', name: 'weather', input: { location: 'Rome' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_00_rome', content: '25 C' }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'Both known now.', signature: '' }, { type: 'text', text: 'Paris 21 C, Rome 25 C.' }] },
      { role: 'user', content: 'Thanks!' },
    ],
  }
}
