import { SSEDecoder } from '../../src/sse/decoder'
import type { AnthropicStreamEvent } from '../../src/translate/types'

/**
 * Reads a whole Anthropic SSE response into events, checking that every event has an `event:` line equal to
 * its JSON `type` (what Claude Code and the SDKs require). Bounded: gives up after `maxReads` reads.
 */
export async function readAnthropicEvents(res: Response, maxReads = 100_000): Promise<{ events: AnthropicStreamEvent[]; raw: string }> {
  const reader = res.body!.getReader()
  const decoder = new SSEDecoder()
  const events: AnthropicStreamEvent[] = []
  let raw = ''
  const text = new TextDecoder()
  const take = (msgs: { event?: string; data: string }[]) => {
    for (const m of msgs) {
      const ev = JSON.parse(m.data) as AnthropicStreamEvent
      if (m.event !== ev.type) throw new Error(`event line "${m.event}" does not match type "${ev.type}"`)
      events.push(ev)
    }
  }
  for (let i = 0; i < maxReads; i++) {
    const { done, value } = await reader.read()
    if (done) break
    raw += text.decode(value, { stream: true })
    take(decoder.push(value))
  }
  take(decoder.end())
  return { events, raw }
}

/** Events without pings. */
export const withoutPings = (events: AnthropicStreamEvent[]) => events.filter((e) => e.type !== 'ping')
