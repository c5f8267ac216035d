import { describe, expect, test } from 'bun:test'
import { encodeProviderState } from '../../src/translate/provider-state'
import { getProfile, type ProviderName } from '../../src/translate/providers'
import { anthropicToOpenAI, GEMINI_SIGNATURE_FALLBACK } from '../../src/translate/request'
import type { AnthropicMessagesRequest, OpenAIAssistantMessage } from '../../src/translate/types'
import { deepseekFollowUp, r05, r06, U09_DETAILS, U10_DETAILS, u09FollowUp, u10FollowUp } from './cc-shapes'

const assistants = (req: AnthropicMessagesRequest, provider: ProviderName, model: string) =>
  anthropicToOpenAI(req, { upstreamModel: model, profile: getProfile(provider), stream: true }).body.messages.filter(
    (m): m is OpenAIAssistantMessage => m.role === 'assistant',
  )

describe('DeepSeek reasoning_content', () => {
  test('R05 an assistant turn with tool calls carries its echoed thinking as reasoning_content', () => {
    const [a] = assistants(r05(), 'deepseek', 'deepseek-reasoner')
    expect(a.reasoning_content).toBe('Two files; read both at once.')
  })

  test('U11 every assistant message with tool_calls gets reasoning_content, "" when it had no thinking', () => {
    const [paris, rome, final] = assistants(deepseekFollowUp(), 'deepseek', 'deepseek-reasoner')
    expect(paris.reasoning_content).toBe('I need the weather for Paris.')
    expect(rome.reasoning_content).toBe('')
    expect('reasoning_content' in final).toBe(false)
    expect(final.content).toBe('Paris 21 C, Rome 25 C.')
  })

  test('R06 a tool-call turn with no thinking at all still sends reasoning_content ""', () => {
    expect(assistants(r06(), 'deepseek', 'deepseek-chat')[0].reasoning_content).toBe('')
  })

  test('other profiles never send reasoning_content', () => {
    for (const p of ['openai', 'openrouter', 'gemini', 'generic'] as const) {
      for (const a of assistants(deepseekFollowUp(), p, 'deepseek-reasoner')) expect('reasoning_content' in a).toBe(false)
    }
  })
})

describe('OpenRouter reasoning_details', () => {
  test('U09 reasoning_details decoded from the thinking signature go back verbatim on that assistant message', () => {
    const [a] = assistants(u09FollowUp(), 'openrouter', 'anthropic/claude-haiku-4.5')
    expect(a.reasoning_details).toEqual(U09_DETAILS)
    expect(a.content).toBeNull()
    expect(a.tool_calls![0].id).toBe('toolu_or_01')
  })

  test('U10 encrypted Gemini reasoning from redacted_thinking goes back with its format, id and index', () => {
    const [a] = assistants(u10FollowUp(), 'openrouter', 'google/gemini-3.1-flash-lite-preview')
    expect(a.reasoning_details).toEqual(U10_DETAILS)
    expect(a.tool_calls![0].id).toBe(U10_DETAILS[0].id)
  })

  test('items from several blocks of one turn are concatenated in block order', () => {
    const req = u09FollowUp()
    const content = req.messages[1].content as unknown[]
    content.splice(1, 0, { type: 'redacted_thinking', data: encodeProviderState({ reasoning_details: U10_DETAILS }) })
    expect(assistants(req, 'openrouter', 'x/y')[0].reasoning_details).toEqual([...U09_DETAILS, ...U10_DETAILS])
  })

  test('real Anthropic signatures and empty signatures carry no state and add nothing', () => {
    const [a] = assistants(r05(), 'openrouter', 'anthropic/claude-sonnet-4.5')
    expect('reasoning_details' in a).toBe(false)
    const req = r05('')
    expect('reasoning_details' in assistants(req, 'openrouter', 'x/y')[0]).toBe(false)
  })

  test('forged state whose reasoning_details is not an array does not throw and adds nothing', () => {
    const req = u09FollowUp()
    const content = req.messages[1].content as unknown[]
    content.splice(1, 0, { type: 'redacted_thinking', data: encodeProviderState({ reasoning_details: 5 as never }) })
    content.splice(1, 0, { type: 'redacted_thinking', data: encodeProviderState({ reasoning_details: 'abc' as never }) })
    expect(assistants(req, 'openrouter', 'x/y')[0].reasoning_details).toEqual(U09_DETAILS)
  })

  test('forged state nested 20,000 deep is ignored, so the upstream body still serialises', () => {
    const req = u09FollowUp()
    const deep = JSON.parse('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000))
    ;(req.messages[1].content as unknown[]).splice(1, 0, { type: 'redacted_thinking', data: encodeProviderState({ reasoning_details: [deep] }) })
    const [a] = assistants(req, 'openrouter', 'x/y')
    expect(a.reasoning_details).toEqual(U09_DETAILS)
  })

  test('other profiles drop the OpenRouter state', () => {
    for (const p of ['openai', 'deepseek', 'gemini'] as const) expect('reasoning_details' in assistants(u09FollowUp(), p, 'gpt-4o')[0]).toBe(false)
  })
})

describe('Gemini thought signatures', () => {
  const geminiTurn = (): AnthropicMessagesRequest => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 1000,
    messages: [
      { role: 'user', content: 'Read two files' },
      {
        role: 'assistant',
        content: [
          { type: 'redacted_thinking', data: encodeProviderState({ thought_signatures: { call_297140: 'SIG_FOR_FIRST' } }) },
          { type: 'tool_use', id: 'call_297140', name: 'read', input: { path: '/a' } },
          { type: 'tool_use', id: 'toolu_synth_2', name: 'read', input: { path: '/b' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_297140', content: 'a' }, { type: 'tool_result', tool_use_id: 'toolu_synth_2', content: 'b' }] },
    ],
  })

  test('U24 a thought signature from redacted_thinking goes back on the matching tool call', () => {
    const [a] = assistants(geminiTurn(), 'gemini', 'gemini-2.5-flash')
    expect(a.tool_calls![0].extra_content).toEqual({ google: { thought_signature: 'SIG_FOR_FIRST' } })
  })

  test('a Gemini tool call with no known signature gets the documented skip_thought_signature_validator', () => {
    const [a] = assistants(geminiTurn(), 'gemini', 'gemini-2.5-flash')
    expect(GEMINI_SIGNATURE_FALLBACK).toBe('skip_thought_signature_validator')
    expect(a.tool_calls![1].extra_content).toEqual({ google: { thought_signature: GEMINI_SIGNATURE_FALLBACK } })
    const [r05Call] = assistants(r05(), 'gemini', 'gemini-2.5-pro')
    for (const call of r05Call.tool_calls!) expect(call.extra_content?.google?.thought_signature).toBe(GEMINI_SIGNATURE_FALLBACK)
  })

  test('signatures carried in a thinking block signature are read too', () => {
    const req = geminiTurn()
    ;(req.messages[1].content as unknown[])[0] = { type: 'thinking', thinking: 't', signature: encodeProviderState({ thought_signatures: { toolu_synth_2: 'SIG2' } }) }
    const [a] = assistants(req, 'gemini', 'gemini-2.5-flash')
    expect(a.tool_calls!.map((c) => c.extra_content?.google?.thought_signature)).toEqual([GEMINI_SIGNATURE_FALLBACK, 'SIG2'])
  })

  test('a forged signature that is not a string is dropped for the fallback', () => {
    const req = geminiTurn()
    ;(req.messages[1].content as unknown[])[0] = { type: 'redacted_thinking', data: encodeProviderState({ thought_signatures: { call_297140: { a: 1 } as never } }) }
    expect(assistants(req, 'gemini', 'gemini-2.5-flash')[0].tool_calls![0].extra_content).toEqual({ google: { thought_signature: GEMINI_SIGNATURE_FALLBACK } })
  })

  test('other profiles send no extra_content', () => {
    expect(JSON.stringify(assistants(geminiTurn(), 'openai', 'gpt-4o'))).not.toContain('extra_content')
    expect(JSON.stringify(assistants(geminiTurn(), 'openrouter', 'google/gemini-2.5-flash'))).not.toContain('extra_content')
  })
})
