import { describe, expect, test } from 'bun:test'
import { get_encoding } from 'tiktoken'
import {
  IMAGE_TOKENS, REPLY_PRIMING_TOKENS, TOKENS_PER_MESSAGE, TOKENS_PER_TOOL, TOKENS_PER_TOOL_CALL, TOOLS_PREAMBLE_TOKENS,
  DOCUMENT_BYTES_PER_IMAGE, MAX_RUN, TokenCounter, encodingForModel,
} from '../../src/tokens/count.ts'
import type { AnthropicMessage, AnthropicTool } from '../../src/translate/types.ts'

const o200k = get_encoding('o200k_base')
const cl100k = get_encoding('cl100k_base')
const direct = (text: string) => o200k.encode_ordinary(text).length

const SAMPLES = [
  'hello world',
  'Hello, world! How are you today?',
  'function add(a: number, b: number): number {\n  return a + b\n}\n',
  'Ünïcödé — 日本語のテキスト 🚀 emoji',
  '<|endoftext|> special markers are plain text here <|im_start|>',
  'x'.repeat(5000),
]

function conversation(turns: number, wordsPerTurn: number): AnthropicMessage[] {
  const messages: AnthropicMessage[] = []
  for (let i = 0; i < turns; i++) {
    const text = Array.from({ length: wordsPerTurn }, (_, w) => `word${(i * 31 + w) % 997}`).join(' ')
    if (i % 2 === 0) messages.push({ role: 'user', content: [{ type: 'text', text: `turn ${i}: ${text}` }] })
    else messages.push({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: `thinking about turn ${i}`, signature: 'sig' },
        { type: 'text', text: `answer ${i}: ${text}` },
        { type: 'tool_use', id: `toolu_${i}`, name: 'Read', input: { file_path: `/src/file${i}.ts`, limit: i } },
      ],
    })
  }
  return messages
}

describe('TokenCounter.countText', () => {
  test('matches tiktoken o200k_base exactly for known strings', () => {
    const counter = new TokenCounter()
    for (const text of SAMPLES) expect(counter.countText(text)).toBe(direct(text))
    expect(counter.countText('hello world')).toBe(2)
    expect(counter.countText('')).toBe(0)
    expect(counter.fallback).toBe(false)
  })

  test('matches tiktoken cl100k_base when constructed with it', () => {
    const counter = new TokenCounter('cl100k_base')
    for (const text of SAMPLES) expect(counter.countText(text)).toBe(cl100k.encode_ordinary(text).length)
  })

  test('a repeated text is a memo hit', () => {
    const counter = new TokenCounter()
    counter.countText('some text to remember')
    counter.countText('some text to remember')
    expect(counter.stats).toEqual({ hits: 1, misses: 1, entries: 1 })
  })

  test('the memo is bounded and evicts the least recently used text', () => {
    const counter = new TokenCounter('o200k_base', { maxEntries: 2 })
    counter.countText('first text')
    counter.countText('second text')
    counter.countText('first text')
    counter.countText('third text')
    expect(counter.stats.entries).toBe(2)
    const before = counter.stats
    counter.countText('first text')
    counter.countText('second text')
    expect(counter.stats.hits - before.hits).toBe(1)
    expect(counter.stats.misses - before.misses).toBe(1)
  })
})

describe('long runs without a break', () => {
  // tiktoken's merge is quadratic in a pre-token's length: whole, these took 15 s (200,000 × "a") to minutes.
  test('a 1 MB run of one letter is counted in slices without stalling, and exactly', () => {
    expect(new TokenCounter().countText('a'.repeat(1_000_000))).toBe(125_000)
  })

  test('runs of spaces and of emoji are sliced too, never inside a surrogate pair', () => {
    const counter = new TokenCounter()
    expect(counter.countText(' '.repeat(MAX_RUN * 1600))).toBe(1600 * direct(' '.repeat(MAX_RUN)))
    // The leading "x" puts every slice boundary between the halves of an emoji unless the cut moves back one.
    expect(counter.countText('x' + '😀'.repeat(200_000))).toBe(200_001)
  })

  test('text whose runs are all shorter than MAX_RUN is tokenized whole, exactly as tiktoken does', () => {
    const text = `${'word '.repeat(2000)}${'x'.repeat(MAX_RUN - 1)} tail`
    expect(new TokenCounter().countText(text)).toBe(direct(text))
  })
})

describe('TokenCounter.countRequest', () => {
  test('counts system, text, thinking, tool_use, tool_result and tools with the documented overheads', () => {
    const counter = new TokenCounter()
    const input = { command: 'ls -la', description: 'List files' }
    const schema = { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] }
    const tools: AnthropicTool[] = [{ name: 'Bash', description: 'Run a shell command.', input_schema: schema }]
    const tokens = counter.countRequest({
      system: [{ type: 'text', text: 'You are helpful.' }, { type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: 'List my files' },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'I should run ls.', signature: 'abc' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'a.txt\nb.txt' }] },
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'plain result' },
        ] },
      ],
      tools,
      tool_choice: { type: 'tool', name: 'Bash' },
    })
    const expected = REPLY_PRIMING_TOKENS
      + TOKENS_PER_MESSAGE + direct('You are helpful.') + direct('Be brief.')
      + TOKENS_PER_MESSAGE + direct('List my files')
      + TOKENS_PER_MESSAGE + direct('I should run ls.') + TOKENS_PER_TOOL_CALL + direct('Bash') + direct(JSON.stringify(input))
      + TOKENS_PER_MESSAGE + 2 * TOKENS_PER_MESSAGE + direct('a.txt\nb.txt') + direct('plain result')
      + TOOLS_PREAMBLE_TOKENS + TOKENS_PER_TOOL + direct('Bash') + direct('Run a shell command.') + direct(JSON.stringify(schema))
      + TOKENS_PER_TOOL_CALL + direct('Bash')
    expect(tokens).toBe(expected)
  })

  test('a conversation that grew by one message only tokenizes the new message', () => {
    const counter = new TokenCounter()
    const base = conversation(400, 120)
    const cold = counter.countRequest({ system: 'You are a coding agent.', messages: base })
    const afterCold = counter.stats
    expect(afterCold.misses).toBeGreaterThan(0)

    const grown = structuredClone(base)
    grown.push({ role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_399', content: 'brand new tool output' },
      { type: 'text', text: 'and a brand new question' },
    ] })
    const warm = counter.countRequest({ system: 'You are a coding agent.', messages: grown })
    const hits = counter.stats.hits - afterCold.hits
    const misses = counter.stats.misses - afterCold.misses
    expect(misses).toBe(2)
    expect(hits).toBe(afterCold.hits + afterCold.misses)
    expect(warm).toBe(cold + TOKENS_PER_MESSAGE + TOKENS_PER_MESSAGE + direct('brand new tool output') + direct('and a brand new question'))
    expect(warm).toBe(new TokenCounter().countRequest({ system: 'You are a coding agent.', messages: grown }))
  })

  test('images are estimated at a fixed IMAGE_TOKENS and their base64 is never tokenized', () => {
    const counter = new TokenCounter()
    const image = (data: string) => ({ role: 'user' as const, content: [{ type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png', data } }] })
    const small = counter.countRequest({ messages: [image('iVBORw0KGgo=')] })
    const huge = counter.countRequest({ messages: [image('A'.repeat(2_000_000))] })
    expect(small).toBe(REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE + IMAGE_TOKENS)
    expect(huge).toBe(small)
    expect(counter.stats.misses).toBe(0)
    const inResult = counter.countRequest({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    ] }] }] })
    expect(inResult).toBe(REPLY_PRIMING_TOKENS + 2 * TOKENS_PER_MESSAGE + IMAGE_TOKENS)
  })

  test('documents: text sources are tokenized, base64 PDFs estimated by size', () => {
    const counter = new TokenCounter()
    const text = counter.countRequest({ messages: [{ role: 'user', content: [
      { type: 'document', title: 'Notes', source: { type: 'text', media_type: 'text/plain', data: 'The document body.' } },
    ] }] })
    expect(text).toBe(REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE + direct('Notes') + direct('The document body.'))
    const pdfBase64 = 'A'.repeat(Math.ceil((DOCUMENT_BYTES_PER_IMAGE * 2.5 * 4) / 3))
    const pdf = counter.countRequest({ messages: [{ role: 'user', content: [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdfBase64 } },
    ] }] })
    expect(pdf).toBe(REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE + 3 * IMAGE_TOKENS)
  })

  test('redacted thinking and signatures are not counted', () => {
    const counter = new TokenCounter()
    const tokens = counter.countRequest({ messages: [{ role: 'assistant', content: [
      { type: 'redacted_thinking', data: 'E'.repeat(10_000) },
      { type: 'thinking', thinking: '', signature: 'S'.repeat(10_000) },
    ] }] })
    expect(tokens).toBe(REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE)
  })

  test('a changed tool schema is recounted, an unchanged tool set is all hits', () => {
    const counter = new TokenCounter()
    const tool = (enumValues: string[]): AnthropicTool => ({
      name: 'Pick', description: 'Pick one option.',
      input_schema: { type: 'object', properties: { option: { type: 'string', enum: enumValues } } },
    })
    const first = counter.countRequest({ messages: [], tools: [tool(['a', 'b'])] })
    const before = counter.stats
    expect(counter.countRequest({ messages: [], tools: [tool(['a', 'b'])] })).toBe(first)
    expect(counter.stats.misses).toBe(before.misses)
    const changed = counter.countRequest({ messages: [], tools: [tool(['a', 'b', 'a much longer option'])] })
    expect(counter.stats.misses).toBe(before.misses + 1)
    expect(changed).toBeGreaterThan(first)
  })
})

describe('tool_choice', () => {
  test('a tool_choice whose name is not a string counts no name, not NaN or a TypeError', () => {
    const counter = new TokenCounter()
    for (const name of [5, null, { a: 1 }]) {
      expect(counter.countRequest({ messages: [], tool_choice: { type: 'tool', name } as never })).toBe(REPLY_PRIMING_TOKENS)
    }
  })
})

describe('fallback', () => {
  test('an unknown encoding falls back to ceil(chars / 4)', () => {
    const counter = new TokenCounter('no_such_encoding')
    expect(counter.fallback).toBe(true)
    expect(counter.countText('hello world')).toBe(3)
    expect(counter.countText('abcd')).toBe(1)
    expect(counter.countText('x'.repeat(4001))).toBe(1001)
    expect(counter.countRequest({ messages: [{ role: 'user', content: 'abcdefgh' }] }))
      .toBe(REPLY_PRIMING_TOKENS + TOKENS_PER_MESSAGE + 2)
  })
})

describe('encodingForModel', () => {
  test.each([
    ['gpt-4o', 'o200k_base'], ['gpt-4o-mini', 'o200k_base'], ['gpt-4.1', 'o200k_base'], ['gpt-5-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'], ['openai/gpt-4o', 'o200k_base'], ['gpt-oss-120b', 'o200k_base'],
    ['gpt-4', 'cl100k_base'], ['gpt-4-turbo', 'cl100k_base'], ['gpt-3.5-turbo', 'cl100k_base'], ['openai/gpt-4-0613', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'], ['deepseek-chat', 'o200k_base'], ['llama-3.3-70b', 'o200k_base'],
  ])('%s → %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding as ReturnType<typeof encodingForModel>)
  })
})
