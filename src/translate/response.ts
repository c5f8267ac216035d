import { ProxyError } from '../server/errors'
import { MessageAssembler } from './assemble'
import { upstreamErrorType } from './errors'
import { createStreamTranslator, type StreamTranslatorOptions } from './stream'
import type { AnthropicMessageResponse, OpenAIChatResponse, OpenAIDelta } from './types'

/**
 * Translates a non-streaming OpenAI chat completion (the parsed upstream body, an OpenAIChatResponse) into an
 * Anthropic Message. `choices[0].message` is replayed through the stream translator as one chunk, so both paths
 * give the same blocks, order, stop_reason and usage. A body that is not an object, an error body, an empty
 * `choices`, or a message with neither content nor finish_reason throws a ProxyError.
 */
export function openAIToAnthropic(body: unknown, opts: StreamTranslatorOptions): AnthropicMessageResponse {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ProxyError('api_error', 'upstream response is not a JSON object')
  const resp = body as OpenAIChatResponse
  const err = resp.error
  if (err !== undefined && err !== null && typeof err === 'object') {
    throw new ProxyError(upstreamErrorType(err.type ?? err.code), typeof err.message === 'string' && err.message ? err.message : 'upstream error')
  }
  if (resp.object === 'error') {
    throw new ProxyError(upstreamErrorType(resp.type ?? resp.code), typeof resp.message === 'string' && resp.message ? resp.message : 'upstream error')
  }
  const choice = Array.isArray(resp.choices) ? resp.choices[0] : undefined
  if (choice === undefined || choice === null) throw new ProxyError('api_error', 'upstream response has no choices')
  const message = choice.message ?? {}
  const delta: OpenAIDelta = { ...message }
  if (Array.isArray(message.tool_calls)) {
    // Whole calls carry no index; position keys them so two id-less calls stay two calls.
    delta.tool_calls = message.tool_calls.map((tc, i) => (tc && typeof tc === 'object' && tc.index === undefined ? { ...tc, index: i } : tc))
  }
  const translator = createStreamTranslator(opts)
  const assembler = new MessageAssembler()
  for (const ev of translator.push({ choices: [{ index: 0, delta, finish_reason: choice.finish_reason ?? null }], usage: resp.usage ?? null })) assembler.push(ev)
  for (const ev of translator.end(true)) assembler.push(ev)
  const failed = translator.failed
  if (failed !== undefined) throw new ProxyError(failed.type, failed.message)
  return assembler.message()
}
