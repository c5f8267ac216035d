import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { FakeUpstream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { readAnthropicEvents, withoutPings } from '../support/anthropic-sse'
import { assertAnthropicGrammar } from '../support/grammar'
import { translateSSE } from '../translate/run-sse'

// Every recorded upstream stream beside the repository (../shared/fixtures/upstream), replayed through the
// running proxy in uneven network pieces; runs wherever that folder exists.
const dir = join(import.meta.dir, '..', '..', '..', 'shared', 'fixtures', 'upstream')
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sse')).sort() : []

/** Splits bytes into uneven pieces (7, 61, 7, 61, … bytes) so lines and UTF-8 characters straddle reads. */
function pieces(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = k % 2 ? 61 : 7
    out.push(bytes.slice(i, i + n))
    i += n
  }
  return out
}

let upstream: FakeUpstream
let proxy: InProcessProxy
let sdk: Anthropic

beforeAll(async () => {
  upstream = await FakeUpstream.start()
  proxy = await startApp(upstream.url, { PROVIDER_MAX_RETRIES: '0' })
  sdk = new Anthropic({ baseURL: proxy.url, apiKey: 'client-key', maxRetries: 0 })
})
afterAll(async () => {
  await proxy.close()
  await upstream.close()
})

describe.if(files.length > 0)('recorded upstream streams through the running proxy', () => {
  test.each(files)('%s', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)))
    const expected = { msg: assertAnthropicGrammar(translateSSE(bytes, { model: 'claude-opus-5-5' }).events) }
    const script = { chunks: pieces(bytes), headers: { 'content-type': 'text/event-stream' } }

    upstream.enqueue(script)
    const res = await postMessages(proxy.url, { model: 'claude-opus-5-5', max_tokens: 512, stream: true, messages: [{ role: 'user', content: 'go' }] })
    expect(res.status).toBe(200)
    const { events } = await readAnthropicEvents(res)
    const msg = assertAnthropicGrammar(withoutPings(events))
    expect(msg.content).toEqual(expected.msg.content)
    expect(msg.stop_reason).toBe(expected.msg.stop_reason)
    expect(msg.model).toBe('claude-opus-5-5')

    upstream.enqueue(script)
    const viaSdk = await sdk.messages.stream({ model: 'claude-opus-5-5', max_tokens: 512, messages: [{ role: 'user', content: 'go' }] }).finalMessage()
    expect(viaSdk.content.length).toBe(expected.msg.content.length)
    expect(viaSdk.stop_reason).toBe(expected.msg.stop_reason as never)
  })
})
