/**
 * Canned OpenAI chat completion answers for the benchmarks: a streamed assistant turn of exactly `chunks` data
 * chunks (role, text deltas, one tool call with fragmented arguments, finish, usage) and the same answer as one
 * non-streaming JSON body. Shaped like OpenAI's real streams (fixtures U01/U03).
 */
import type { OpenAIChatChunk } from '../src/translate/types.ts'

/** Text that, anywhere in a request body, makes the mock upstream stream SHORT_STREAM_CHUNKS chunks instead. */
export const SHORT_STREAM_MARKER = 'bench-short-stream'
/** Length of the short stream, used to separate per-request from per-chunk streaming cost. */
export const SHORT_STREAM_CHUNKS = 20

const BASE = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_782_321_890, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_bench' }
const TEXT_WORDS = 'I will read the file first and then update the function so the tests pass again without changing its contract '.split(' ')

/** The chunk objects of a `chunks`-long stream (at least 8): ~75% text deltas, then one tool call. */
export function openAIStreamChunks(chunks = 200): OpenAIChatChunk[] {
  const total = Math.max(8, chunks)
  const toolFragments = Math.max(2, Math.floor(total / 4))
  const textDeltas = total - toolFragments - 4
  const chunk = (delta: object, finish: string | null = null) => ({ ...BASE, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null })
  const out: object[] = [chunk({ role: 'assistant', content: '', refusal: null })]
  for (let i = 0; i < textDeltas; i++) out.push(chunk({ content: `${TEXT_WORDS[i % TEXT_WORDS.length]} ` }))
  out.push(chunk({ tool_calls: [{ index: 0, id: 'call_bench0001', type: 'function', function: { name: 'Read', arguments: '' } }] }))
  const args = JSON.stringify({ file_path: '/home/user/project/src/module_1.ts', offset: 0, limit: 200, note: 'x'.repeat(toolFragments * 3) })
  const size = Math.ceil(args.length / toolFragments)
  for (let i = 0; i < toolFragments; i++) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(i * size, (i + 1) * size) } }] }))
  out.push(chunk({}, 'tool_calls'))
  out.push({ ...BASE, choices: [], usage: { prompt_tokens: 15_000, completion_tokens: 180, total_tokens: 15_180, prompt_tokens_details: { cached_tokens: 12_000 } } })
  return out as OpenAIChatChunk[]
}

/** The SSE wire text of openAIStreamChunks(chunks), one string per event, ending with `data: [DONE]`. */
export function openAIStreamEvents(chunks = 200): string[] {
  return [...openAIStreamChunks(chunks).map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n']
}

/** A non-streaming chat completion: a short text and one tool call, with usage. */
export function openAICompletionJson(): string {
  return JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_782_321_890,
    model: 'gpt-4o-2024-08-06',
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: 'I will read the file first and then update the function so the tests pass again.',
        tool_calls: [{ id: 'call_bench0001', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/home/user/project/src/module_1.ts","limit":200}' } }],
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    }],
    usage: { prompt_tokens: 15_000, completion_tokens: 48, total_tokens: 15_048, prompt_tokens_details: { cached_tokens: 12_000 } },
  })
}

/**
 * A large SSE body (about `bytes` long) of stream events, for decoder throughput, and the count of data
 * messages in it.
 */
export function largeSSEBody(bytes: number): { body: Uint8Array; messages: number } {
  const events = openAIStreamEvents(200).slice(0, -1)
  const parts: string[] = []
  let size = 0
  let messages = 0
  for (let i = 0; i < 1_000_000 && size < bytes; i++) {
    const e = events[i % events.length]
    parts.push(e)
    size += e.length
    messages++
  }
  return { body: new TextEncoder().encode(parts.join('')), messages }
}
