/**
 * Builders for OpenAI chat completion streams that carry tool calls, shaped the way OpenAI streams them:
 * a role chunk, then per call one chunk with id/type/name and empty arguments followed by argument
 * fragments (index only), then `finish_reason: "tool_calls"`, a usage chunk with empty choices and `[DONE]`.
 */

export interface ToolCallSpec {
  id: string
  name: string
  /** The arguments object; it is serialised and split into fragments. */
  args: Record<string, unknown>
}

export interface StreamOpts {
  model?: string
  /** Characters per argument fragment (default 7, so every call spans several chunks). */
  fragment?: number
  /** Text streamed before the tool calls. */
  text?: string
  usage?: { prompt_tokens: number; completion_tokens: number }
}

/** Splits a string into pieces of at most `size` characters (at least one piece, possibly empty). */
export function fragments(s: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size))
  return out.length ? out : ['']
}

function base(model: string) {
  return { id: 'chatcmpl-tools', object: 'chat.completion.chunk', created: 1, model }
}

/** The chunk objects of a streamed assistant turn that makes the given tool calls (in order). */
export function toolCallChunks(calls: ToolCallSpec[], opts: StreamOpts = {}): object[] {
  const b = base(opts.model ?? 'fake-model')
  const size = Math.max(1, opts.fragment ?? 7)
  const chunk = (delta: object, finish: string | null = null) => ({ ...b, choices: [{ index: 0, delta, finish_reason: finish }] })
  const out: object[] = [chunk({ role: 'assistant', content: opts.text ? '' : null })]
  if (opts.text) for (const t of fragments(opts.text, size)) out.push(chunk({ content: t }))
  calls.forEach((call, index) => {
    out.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }))
    for (const piece of fragments(JSON.stringify(call.args), size)) {
      out.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }))
    }
  })
  out.push(chunk({}, 'tool_calls'))
  const usage = opts.usage ?? { prompt_tokens: 100, completion_tokens: 20 }
  out.push({ ...b, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })
  return out
}

/** SSE wire text for chunk objects: one `data:` event per chunk, then `data: [DONE]`. */
export function sseEvents(chunks: object[]): string[] {
  return [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n']
}

/** A non-streaming chat completion with the same tool calls (for `stream: false` retries). */
export function toolCallCompletion(calls: ToolCallSpec[], opts: StreamOpts = {}): object {
  const usage = opts.usage ?? { prompt_tokens: 100, completion_tokens: 20 }
  return {
    id: 'chatcmpl-tools', object: 'chat.completion', created: 1, model: opts.model ?? 'fake-model',
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: opts.text ?? null,
        tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })),
      },
      finish_reason: 'tool_calls',
    }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  }
}
