import { describe, expect, test } from 'bun:test'
import { parseCacheControl } from '../../src/cache/cache-control'
import type { Subscription } from '../../src/cache/inflight'
import { CacheLayer, LeaderTap, type EventBatch } from '../../src/cache/layer'
import { messageToEvents } from '../../src/cache/replay'
import { cachedResponse, joinedResponse, type JoinOptions } from '../../src/cache/serve'
import { ProxyError } from '../../src/server/errors'
import { SSEDecoder } from '../../src/sse/decoder'
import type { AnthropicMessageResponse, AnthropicStreamEvent } from '../../src/translate/types'
import { assertAnthropicGrammar } from '../support/grammar'

const ANSWER: AnthropicMessageResponse = {
  id: 'msg_leader',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-5',
  content: [
    { type: 'text', text: 'Looking.' },
    { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/x' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 40, output_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 30 },
}
const BATCHES: EventBatch[] = messageToEvents(ANSWER).map((e) => [e])
const PLAIN = parseCacheControl(null)
const OWN = { requestId: 'req_joiner', messageId: 'msg_joiner', model: 'claude-sonnet-5-latest' }
const OWN_ANSWER = { ...ANSWER, id: OWN.messageId, model: OWN.model }
const tick = () => new Promise<void>((r) => setImmediate(r))

async function events(res: Response): Promise<AnthropicStreamEvent[]> {
  const d = new SSEDecoder()
  const msgs = d.push(new Uint8Array(await res.arrayBuffer())).concat(d.end())
  return msgs.map((m) => JSON.parse(m.data))
}

/** A layer with a leader flight for 'k' and one joiner. */
function setup(abort: () => void = () => {}) {
  const layer = new CacheLayer({ RESPONSE_CACHE_ENABLED: true, RESPONSE_CACHE_TTL_S: 300, RESPONSE_CACHE_MAX_ENTRIES: 10, RESPONSE_CACHE_MAX_BYTES: 1 << 20 }, () => 0)
  const lead = layer.begin('k', PLAIN, abort)
  if (lead.status !== 'miss' || !lead.flight) throw new Error('expected to lead')
  const join = () => {
    const j = layer.begin('k', PLAIN, () => {})
    if (j.status !== 'joined') throw new Error('expected to join')
    return j.subscription
  }
  return { layer, flight: lead.flight, tap: new LeaderTap(layer, lead.flight, false), join }
}

const joinOpts = (stream: boolean, extra: Partial<JoinOptions> = {}): JoinOptions => ({ stream, ...OWN, inputTokens: 40, pingIntervalMs: 10_000, ...extra })

describe('cachedResponse', () => {
  test('JSON, restamped with this request id and model, x-ccproxy-cache: hit', async () => {
    const res = cachedResponse(ANSWER, { stream: false, ...OWN })
    expect(res.headers.get('x-ccproxy-cache')).toBe('hit')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('request-id')).toBe('req_joiner')
    expect(await res.json()).toEqual(OWN_ANSWER)
    expect(ANSWER.id).toBe('msg_leader')
  })

  test('a well-formed stream when a stream is asked for', async () => {
    const res = cachedResponse(ANSWER, { stream: true, ...OWN, headers: { 'x-extra': '1' } })
    expect(res.headers.get('content-type')).toStartWith('text/event-stream')
    expect(res.headers.get('x-extra')).toBe('1')
    expect(assertAnthropicGrammar(await events(res))).toEqual(OWN_ANSWER)
  })
})

describe('joinedResponse', () => {
  test('streaming joiners of a streaming leader: one early, one late, both get the whole restamped stream', async () => {
    const { tap, join } = setup()
    tap.send(BATCHES[0])
    const early = joinedResponse(join(), joinOpts(true))
    tap.send(BATCHES[1])
    tap.send(BATCHES[2])
    await tick()
    const late = joinedResponse(join(), joinOpts(true))
    for (const b of BATCHES.slice(3)) {
      tap.send(b)
      await tick()
    }
    tap.end()
    for (const res of [await early, await late]) {
      expect(res.headers.get('x-ccproxy-cache')).toBe('joined')
      expect(assertAnthropicGrammar(await events(res))).toEqual(OWN_ANSWER)
    }
  })

  test('a non-streaming joiner gets the restamped message', async () => {
    const { tap, join } = setup()
    const res = joinedResponse(join(), joinOpts(false))
    for (const b of BATCHES) tap.send(b)
    tap.end()
    const r = await res
    expect(r.headers.get('x-ccproxy-cache')).toBe('joined')
    expect(await r.json()).toEqual(OWN_ANSWER)
  })

  test('a streaming joiner of a non-streaming leader gets the message as a stream', async () => {
    const { layer, flight, join } = setup()
    const res = joinedResponse(join(), joinOpts(true))
    await tick()
    layer.complete(flight, ANSWER, { noStore: false })
    expect(assertAnthropicGrammar(await events(await res))).toEqual(OWN_ANSWER)
  })

  test('a streaming joiner that committed before a non-streaming leader answered: own message_start, pings, then the rest', async () => {
    const { layer, flight, join } = setup()
    const done: string[] = []
    const res = await joinedResponse(join(), joinOpts(true, { pingIntervalMs: 0, onDone: (o) => done.push(o) }))
    const reader = res.body!.getReader()
    const first = await reader.read()
    layer.complete(flight, ANSWER, { noStore: false })
    const chunks: Uint8Array[] = [first.value!]
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value)
    const evs = await events(new Response(new Blob(chunks)))
    expect(evs[0]).toMatchObject({ type: 'message_start', message: { id: 'msg_joiner', model: OWN.model, usage: { input_tokens: 40 } } })
    expect(evs[1]).toEqual({ type: 'ping' })
    expect(evs.filter((e) => e.type === 'message_start')).toHaveLength(1)
    expect(assertAnthropicGrammar(evs)).toEqual(OWN_ANSWER)
    expect(done).toEqual(['complete'])
  })

  test('a leader failing before its first event gives streaming and non-streaming joiners its HTTP status', async () => {
    const { tap, join } = setup()
    const streaming = joinedResponse(join(), joinOpts(true))
    const plain = joinedResponse(join(), joinOpts(false))
    tap.end(new ProxyError('rate_limit_error', 'Slow down', { status: 429 }))
    for (const res of [await streaming, await plain]) {
      expect(res.status).toBe(429)
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' }, request_id: 'req_joiner' })
    }
  })

  test('a leader stream cut mid-block: the joiner closes the block and ends with event: error', async () => {
    const { tap, join } = setup()
    const done: string[] = []
    const res = joinedResponse(join(), joinOpts(true, { onDone: (o) => done.push(o) }))
    for (const b of BATCHES.slice(0, 3)) tap.send(b)
    await tick()
    tap.end(new ProxyError('api_error', 'The upstream stream broke: reset'))
    const evs = await events(await res)
    expect(() => assertAnthropicGrammar(evs)).not.toThrow()
    expect(evs.at(-1)).toEqual({ type: 'error', error: { type: 'api_error', message: 'The upstream stream broke: reset' } })
    expect(done).toEqual(['error'])
  })

  test("the leader's own error event reaches the joiner once", async () => {
    const { tap, join } = setup()
    const res = joinedResponse(join(), joinOpts(true))
    tap.send(BATCHES[0])
    tap.send([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }])
    tap.end()
    const evs = await events(await res)
    expect(evs.map((e) => e.type)).toEqual(['message_start', 'error'])
  })

  test('a joiner cancelling its stream leaves; with the leader gone too, the upstream is aborted once', async () => {
    let aborts = 0
    const { flight, tap, join } = setup(() => aborts++)
    const sub: Subscription<EventBatch> = join()
    tap.send(BATCHES[0])
    const res = await joinedResponse(sub, joinOpts(true))
    const reader = res.body!.getReader()
    await reader.read()
    flight.leave()
    expect(aborts).toBe(0)
    await reader.cancel()
    expect(sub.left).toBe(true)
    expect(aborts).toBe(1)
  })

  test("the joiner's request signal aborting leaves the flight", async () => {
    let aborts = 0
    const { flight, join } = setup(() => aborts++)
    const ac = new AbortController()
    const res = joinedResponse(join(), joinOpts(false, { signal: ac.signal }))
    flight.leave()
    ac.abort()
    expect(aborts).toBe(1)
    expect((await res).status).toBe(500)
  })
})
