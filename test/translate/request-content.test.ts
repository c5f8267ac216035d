import { describe, expect, test } from 'bun:test'
import { ProxyError } from '../../src/server/errors'
import { getProfile, type ProviderName } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import type { AnthropicMessage, OpenAIChatMessage } from '../../src/translate/types'

const PDF = Buffer.from('%PDF-1.4 fake').toString('base64')

const convert = (messages: AnthropicMessage[], provider: ProviderName = 'openai'): OpenAIChatMessage[] =>
  anthropicToOpenAI({ model: 'm', max_tokens: 100, messages }, { upstreamModel: 'gpt-4o', profile: getProfile(provider), stream: false }).body.messages

const userParts = (blocks: unknown[], provider: ProviderName = 'openai') => convert([{ role: 'user', content: blocks as never }], provider)[0].content

function thrown(fn: () => unknown): ProxyError {
  try {
    fn()
  } catch (e) {
    return e as ProxyError
  }
  throw new Error('expected a throw')
}

describe('user content', () => {
  test('base64 images become data URLs and url images stay URLs', () => {
    expect(
      userParts([
        { type: 'text', text: 'look' },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
      ]),
    ).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ])
  })

  test('an image from the Files API is a clear 400 naming the block', () => {
    const e = thrown(() => userParts([{ type: 'image', source: { type: 'file', file_id: 'file_1' } }]))
    expect(e).toBeInstanceOf(ProxyError)
    expect(e.status).toBe(400)
    expect(e.message).toStartWith('messages.0.content.0.source:')
  })

  test('text documents become text parts (with the title), content documents give their text', () => {
    expect(
      userParts([
        { type: 'document', title: 'README', source: { type: 'text', media_type: 'text/plain', data: 'hello' } },
        { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'part one' }, { type: 'text', text: 'part two' }] } },
        { type: 'document', source: { type: 'content', content: 'plain' } },
      ]),
    ).toBe('README\n\nhello\n\npart one\n\npart two\n\nplain')
  })

  test('base64 PDFs become OpenAI file parts where the profile supports PDF', () => {
    const block = { type: 'document', title: 'spec.pdf', source: { type: 'base64', media_type: 'application/pdf', data: PDF } }
    for (const p of ['openai', 'openrouter'] as const) {
      expect(userParts([block], p)).toEqual([{ type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}`, filename: 'spec.pdf' } }])
    }
  })

  test('base64 PDFs are a clear 400 on upstreams that do not accept PDF documents', () => {
    const block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } }
    for (const p of ['deepseek', 'groq', 'gemini', 'ollama', 'generic', 'azure', 'xai'] as const) {
      const e = thrown(() => userParts([block], p))
      expect(e).toBeInstanceOf(ProxyError)
      expect([e.status, e.type]).toEqual([400, 'invalid_request_error'])
      expect(e.message).toContain(`the upstream (${p}) does not accept PDF documents`)
    }
  })

  test('search_result blocks are flattened to text', () => {
    expect(userParts([{ type: 'search_result', title: 'Docs', source: 'https://d.example', content: [{ type: 'text', text: 'Result body' }] }])).toBe(
      'Docs\nSource: https://d.example\nResult body',
    )
  })

  test('unknown user blocks with text pass as text; others are dropped', () => {
    expect(userParts([{ type: 'future_block', text: 'kept' }, { type: 'container_upload', file_id: 'f' }, { type: 'text', text: 'end' }])).toBe('kept\n\nend')
  })
})

describe('tool results', () => {
  const turn = (content: unknown, extra: Record<string, unknown> = {}): AnthropicMessage[] => [
    { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content, ...extra }] as never },
  ]

  test('text block arrays are joined by newlines', () => {
    expect(convert(turn([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }]))[1]).toEqual({ role: 'tool', tool_call_id: 't1', content: 'a\nb' })
  })

  test('an empty error result still says it failed', () => {
    expect(convert(turn(undefined, { is_error: true }))[1]).toEqual({ role: 'tool', tool_call_id: 't1', content: 'Error' })
  })

  test('several images are announced in the tool message and sent as image parts after it', () => {
    const img = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'QQ==' } }
    const out = convert(turn([img, img]))
    expect(out[1]).toEqual({ role: 'tool', tool_call_id: 't1', content: '[2 images follow in the next message]' })
    expect((out[2].content as unknown[]).filter((p) => (p as { type: string }).type === 'image_url')).toHaveLength(2)
  })

  test('documents and search results inside a tool result become text', () => {
    const out = convert(turn([{ type: 'search_result', title: 'T', source: 's', content: [{ type: 'text', text: 'x' }] }, { type: 'document', source: { type: 'text', data: 'doc' } }]))
    expect(out[1].content).toBe('T\nSource: s\nx\ndoc')
  })
})

describe('assistant content', () => {
  test('server tool blocks become short text or are dropped', () => {
    const out = convert([
      { role: 'user', content: 'search' },
      {
        role: 'assistant',
        content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'bun' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', title: 'Bun', url: 'https://bun.sh', encrypted_content: 'x' }] },
          { type: 'text', text: 'Bun is a runtime.' },
        ] as never,
      },
    ])
    expect(out[1]).toEqual({ role: 'assistant', content: 'Web search results:\n- Bun (https://bun.sh)\n\nBun is a runtime.' })
  })

  test('a tool_use input that is already a string is sent as the arguments string', () => {
    const out = convert([{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'x', input: '{"a":1}' }] }])
    expect((out[0] as { tool_calls: { function: { arguments: string } }[] }).tool_calls[0].function.arguments).toBe('{"a":1}')
  })

  test('a string assistant message stays a string; an empty one is dropped', () => {
    expect(convert([{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }, { role: 'assistant', content: '' }])).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ])
  })
})
