import type { AnthropicErrorType, AnthropicMessageResponse, AnthropicResponseBlock, AnthropicStreamEvent } from './types'

type Block = AnthropicResponseBlock & { [key: string]: unknown }

/**
 * Builds the final Message from Anthropic stream events: text and thinking deltas concatenated, the signature_delta
 * taken, and each tool_use block's input_json_delta pieces parsed at its content_block_stop (invalid or non-object
 * JSON leaves `input` as `{}`). Pings and unknown events are ignored.
 */
export class MessageAssembler {
  private msg: AnthropicMessageResponse | null = null
  private json: string[] = []
  private _error: { type: AnthropicErrorType; message: string } | undefined = undefined
  private _complete = false

  /** Whether message_stop was seen. */
  get complete(): boolean {
    return this._complete
  }

  /** The error event's payload, when the stream ended in one. */
  get error(): { type: AnthropicErrorType; message: string } | undefined {
    return this._error
  }

  /** Applies one event. */
  push(ev: AnthropicStreamEvent): void {
    switch (ev.type) {
      case 'message_start':
        this.msg = { ...ev.message, content: [], usage: { ...ev.message.usage } }
        this.json = []
        return
      case 'content_block_start': {
        const b = ev.content_block as Block
        let block: Block
        if (b.type === 'text') block = { type: 'text', text: typeof b.text === 'string' ? b.text : '' }
        else if (b.type === 'thinking') block = { type: 'thinking', thinking: str(b.thinking), signature: str(b.signature) }
        else if (b.type === 'tool_use') {
          block = { type: 'tool_use', id: b.id, name: b.name, input: {} }
          this.json[ev.index] = ''
        } else block = { ...b }
        this.content()[ev.index] = block
        return
      }
      case 'content_block_delta': {
        const block = this.content()[ev.index] as Block | undefined
        if (block === undefined) return
        const d = ev.delta
        if (d.type === 'text_delta' && block.type === 'text') block.text += str(d.text)
        else if (d.type === 'thinking_delta' && block.type === 'thinking') block.thinking += str(d.thinking)
        else if (d.type === 'signature_delta' && block.type === 'thinking') block.signature = str(d.signature)
        else if (d.type === 'input_json_delta' && block.type === 'tool_use') this.json[ev.index] += str(d.partial_json)
        return
      }
      case 'content_block_stop': {
        const block = this.content()[ev.index]
        if (block?.type === 'tool_use') block.input = parseInput(this.json[ev.index] ?? '')
        return
      }
      case 'message_delta': {
        const msg = this.required()
        msg.stop_reason = ev.delta.stop_reason
        msg.stop_sequence = ev.delta.stop_sequence ?? null
        const u = ev.usage as unknown as Record<string, unknown> | undefined
        if (u) {
          const target = msg.usage as unknown as Record<string, unknown>
          for (const key in u) if (typeof u[key] === 'number') target[key] = u[key]
        }
        return
      }
      case 'message_stop':
        this._complete = true
        return
      case 'error':
        this._error = { type: ev.error.type, message: ev.error.message }
        return
    }
  }

  /** The message built so far (the final one once message_stop was pushed). Throws before any message_start. */
  message(): AnthropicMessageResponse {
    return this.required()
  }

  private content(): AnthropicResponseBlock[] {
    return this.required().content
  }

  private required(): AnthropicMessageResponse {
    if (this.msg === null) throw new Error('no message_start event was seen')
    return this.msg
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

function parseInput(json: string): unknown {
  if (json === '') return {}
  try {
    const value = JSON.parse(json)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}
  } catch {
    return {}
  }
}
