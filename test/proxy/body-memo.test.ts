/**
 * The tools memo parses a body with a known `tools` member by parsing only the rest. Whatever the body, the
 * result must be exactly what JSON.parse gives (same values, same key order), and the upstream body built from it
 * must be byte for byte the one built without the memo.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { FakeUpstream } from '../support/fake-upstream'
import { postMessages, startApp, type InProcessProxy } from '../support/proxy-app'
import { BodyMemo } from '../../src/proxy/body-memo'
import { serializeForUpstream } from '../../src/cache/key'
import { isDeepFrozen, jsonOf } from '../../src/translate/frozen-json'
import { getProfile, PROVIDER_NAMES } from '../../src/translate/providers'
import { anthropicToOpenAI } from '../../src/translate/request'
import { MAX_DEPTH, validateMessagesRequest } from '../../src/translate/validate'
import { TokenCounter } from '../../src/tokens/count'
import { ProxyError } from '../../src/server/errors'
import { anthropicRequest, upstreamModel } from '../fuzz/arbitraries'

type Obj = Record<string, unknown>

/** Tools in Claude Code's shape, long enough (> 2 KB of JSON) to be kept. */
function ccTools(tag = ''): Obj[] {
  return ['Bash', 'Read', 'Edit', 'mcp__github__create_issue', 'mcp.server/tool'].map((name, i) => ({
    name,
    description: `${tag}Runs ${name}. `.repeat(20) + '"quoted" \\ back\nslash é ✓',
    input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { path: { type: 'string', description: `path ${i}` }, n: { type: 'integer', minimum: 0, maximum: 9_007_199_254_740_991 } }, required: ['path'], additionalProperties: false },
  }))
}

/** A system array like Claude Code's: the billing block, the identity line and a long prompt. */
function bigSystem(tag = ''): Obj[] {
  return [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.500; cc_entrypoint=cli;' },
    { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
    { type: 'text', text: `${tag}Follow the house rules.\n`.repeat(150), cache_control: { type: 'ephemeral' } },
  ]
}

function ccBody(messages: unknown[], tools: unknown = ccTools(), extra: Obj = {}): Obj {
  return { model: 'claude-sonnet-4-5', messages, system: [{ type: 'text', text: 'You are Claude Code.' }], tools, metadata: { user_id: 'u' }, max_tokens: 1000, stream: true, ...extra }
}

const turn = (n: number) => [
  { role: 'user', content: `question ${n}` },
  { role: 'assistant', content: [{ type: 'text', text: `answer ${n}` }, { type: 'tool_use', id: `toolu_${n}`, name: 'Read', input: { path: `/f${n}` } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: `result ${n}` }] },
]

/** A memo that has learned the tools of `body`. */
function learned(body: Obj): BodyMemo {
  const memo = new BodyMemo()
  const text = JSON.stringify(body)
  memo.learn(text, memo.parse(text) as Obj)
  expect(memo.size()).toBe(1)
  return memo
}

/** Parses with the memo and checks the result against JSON.parse: same values in the same key order. */
function parsesAsWritten(memo: BodyMemo, text: string): unknown {
  const viaMemo = memo.parse(text)
  expect(JSON.stringify(viaMemo)).toBe(JSON.stringify(JSON.parse(text)))
  expect(viaMemo).toEqual(JSON.parse(text))
  return viaMemo
}

describe('BodyMemo', () => {
  test('a later request of the session takes the kept tools: same value, frozen and shared', () => {
    const memo = learned(ccBody(turn(1)))
    const text = JSON.stringify(ccBody([...turn(1), ...turn(2)]))
    const a = parsesAsWritten(memo, text) as Obj
    const b = parsesAsWritten(memo, text) as Obj
    expect(memo.hits).toBe(2)
    expect(a.tools).toBe(b.tools)
    expect(isDeepFrozen(a.tools)).toBe(true)
    expect(Object.isFrozen((a.tools as Obj[])[0].input_schema)).toBe(true)
    expect(() => ((a.tools as Obj[])[0].name = 'x')).toThrow(TypeError)
    // The rest of the body is the request's own, not frozen.
    expect(Object.isFrozen(a.messages)).toBe(false)
  })

  test('found near where it was last seen; after a miss elsewhere, found at the new place', () => {
    const memo = learned(ccBody(turn(1)))
    const { tools, ...rest } = ccBody([...turn(3), { role: 'user', content: 'long '.repeat(2_000) }])
    // Last, and last before a tail up to 4 KB longer than before.
    parsesAsWritten(memo, JSON.stringify({ ...rest, tools }))
    parsesAsWritten(memo, JSON.stringify({ ...rest, tools, output_config: { format: { type: 'json_schema', schema: { description: 'x'.repeat(3_000) } } } }))
    expect(memo.hits).toBe(2)
    // First: too far from where it was seen, so parsed whole; learning from that body records the new place.
    const toolsFirst = JSON.stringify({ tools, ...rest })
    memo.learn(toolsFirst, parsesAsWritten(memo, toolsFirst) as Obj)
    expect(memo.hits).toBe(2)
    expect(memo.size()).toBe(1)
    parsesAsWritten(memo, toolsFirst.replace('long long', 'longer long'))
    parsesAsWritten(memo, toolsFirst)
    expect(memo.hits).toBe(4)
  })

  test('different tools, a pretty-printed body, or no tools: parsed as written, no hit', () => {
    const memo = learned(ccBody(turn(1)))
    parsesAsWritten(memo, JSON.stringify(ccBody(turn(1), ccTools('other '))))
    parsesAsWritten(memo, JSON.stringify(ccBody(turn(1)), null, 2))
    parsesAsWritten(memo, JSON.stringify({ ...ccBody(turn(1)), tools: undefined }))
    expect(memo.hits).toBe(0)
  })

  test('the same text nested in a message is not taken for the top-level member', () => {
    const tools = ccTools()
    const memo = learned(ccBody(turn(1), tools))
    // A tool_use whose input holds the very same `"tools":[…]`, and top-level tools that differ or are missing.
    const nested = [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Write', input: { tools } }] }, { role: 'user', content: 'ok' }]
    parsesAsWritten(memo, JSON.stringify(ccBody(nested, ccTools('other '))))
    parsesAsWritten(memo, JSON.stringify({ model: 'm', max_tokens: 1, messages: nested }))
    parsesAsWritten(memo, JSON.stringify({ model: 'm', max_tokens: 1, messages: nested, tools: [] }))
    // As a string (escaped quotes), too.
    parsesAsWritten(memo, JSON.stringify(ccBody([{ role: 'user', content: JSON.stringify({ tools }) }], [])))
    expect(memo.hits).toBe(0)
  })

  test('a duplicate top-level "tools" key: the last one wins, as in JSON.parse', () => {
    const memo = learned(ccBody(turn(1)))
    const text = JSON.stringify(ccBody(turn(2)))
    const laterDuplicate = text.slice(0, -1) + ',"tools":[{"name":"Other"}]}'
    expect((parsesAsWritten(memo, laterDuplicate) as Obj).tools).toEqual([{ name: 'Other' }])
    const earlierDuplicate = '{"tools":[{"name":"Other"}],' + text.slice(1)
    expect((parsesAsWritten(memo, earlierDuplicate) as Obj).tools).toEqual(ccTools())
  })

  test('bad JSON elsewhere in the body throws JSON.parse\'s own error', () => {
    const memo = learned(ccBody(turn(1)))
    const text = JSON.stringify(ccBody(turn(2)))
    for (const bad of [text.replace('"question 2"', '"question 2'), text.slice(0, -1), '{"x":' + text.slice(1), text.replace('"messages":[', '"messages":[,')]) {
      let expected = ''
      try {
        JSON.parse(bad)
      } catch (e) {
        expected = (e as Error).message
      }
      expect(expected).not.toBe('')
      expect(() => memo.parse(bad)).toThrow(expected)
    }
  })

  test('small tool lists and bodies whose tools are not written as JSON.stringify writes them are not kept', () => {
    const memo = new BodyMemo()
    const small = ccBody(turn(1), [{ name: 'Read', input_schema: { type: 'object' } }])
    memo.learn(JSON.stringify(small), small)
    const pretty = ccBody(turn(1))
    memo.learn(JSON.stringify(pretty, null, 1), JSON.parse(JSON.stringify(pretty)))
    expect(memo.size()).toBe(0)
  })

  test('after four bodies in a row it could not learn from, it tries only every 64th', () => {
    const memo = new BodyMemo()
    const body = ccBody(turn(1))
    const pretty = JSON.stringify(body, null, 1)
    for (let i = 0; i < 4; i++) memo.learn(pretty, JSON.parse(pretty))
    const compact = JSON.stringify(body)
    for (let i = 0; i < 63; i++) memo.learn(compact, JSON.parse(compact))
    expect(memo.size()).toBe(0)
    memo.learn(compact, JSON.parse(compact))
    expect(memo.size()).toBe(1)
  })

  test('tools that change with every request: after four kept lists were dropped unused, it learns only every 64th', () => {
    const memo = new BodyMemo()
    const learnAndRetry = (tag: string) => {
      const text = JSON.stringify(ccBody(turn(1), ccTools(tag)))
      memo.learn(text, memo.parse(text) as Obj)
      const before = memo.hits
      memo.parse(text)
      return memo.hits - before
    }
    const texts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `changing ${from + i} `)
    // Each retry is a reuse (which would reset the count), so only the first 12 are learned one by one, without retry.
    for (const tag of texts(0, 12)) {
      const text = JSON.stringify(ccBody(turn(1), ccTools(tag)))
      memo.learn(text, memo.parse(text) as Obj)
    }
    expect(memo.size()).toBe(8)
    // Four lists were dropped without a reuse: the next ones are not kept.
    expect(texts(12, 20).map(learnAndRetry)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    // A kept list that is reused starts the count again.
    expect(learnAndRetry('changing 11 ')).toBe(1)
    expect(learnAndRetry('changing 30 ')).toBe(1)
  })

  test('a copy of the tools nested after the top-level member is not taken for it when learning', () => {
    const tools = ccTools()
    // Tools first, then a turn whose tool input holds the very same text: the last occurrence is the nested one.
    const shaped = (n: number) => JSON.stringify({ tools, model: 'm', max_tokens: 1, messages: [...turn(n), { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'Write', input: { tools } }] }, { role: 'user', content: 'ok' }] })
    const memo = new BodyMemo()
    memo.learn(shaped(1), memo.parse(shaped(1)) as Obj)
    expect(memo.size()).toBe(1)
    parsesAsWritten(memo, shaped(2))
    parsesAsWritten(memo, shaped(3))
    expect(memo.hits).toBe(2)
  })

  test('members over 256 KB are not kept, and the kept ones hold at most 1 MB of text', () => {
    const memo = new BodyMemo()
    const huge = ccBody(turn(1), ccTools('x'.repeat(3_000)))
    expect(JSON.stringify(huge.tools).length).toBeGreaterThan(256 * 1024)
    memo.learn(JSON.stringify(huge), huge)
    expect(memo.size()).toBe(0)
    const bigs = Array.from({ length: 8 }, (_, i) => ccBody(turn(1), ccTools(`${i}`.repeat(2_000))))
    const each = `"tools":${JSON.stringify(bigs[0].tools)}`.length
    expect(each).toBeGreaterThan(200_000)
    for (const big of bigs) memo.learn(JSON.stringify(big), big)
    // Each list is over 200 KB of JSON: only five fit in 1 MB, the most recent ones.
    expect(memo.size()).toBe(Math.floor((1024 * 1024) / each))
    expect(memo.size()).toBe(5)
    expect((memo.parse(JSON.stringify(bigs[7])) as Obj).tools).toEqual(bigs[7].tools)
    expect(memo.hits).toBe(1)
  })

  test('keeps the 8 most recently used tool lists; a kept list seen again is not added twice', () => {
    const memo = new BodyMemo()
    for (let i = 0; i < 10; i++) {
      const text = JSON.stringify(ccBody(turn(1), ccTools(`set ${i} `)))
      memo.learn(text, JSON.parse(text))
    }
    expect(memo.size()).toBe(8)
    const again = JSON.stringify(ccBody(turn(1), ccTools('set 9 ')))
    memo.learn(again, JSON.parse(again))
    expect(memo.size()).toBe(8)
    parsesAsWritten(memo, JSON.stringify(ccBody(turn(2), ccTools('set 2 '))))
    expect(memo.hits).toBe(1)
    parsesAsWritten(memo, JSON.stringify(ccBody(turn(2), ccTools('set 1 '))))
    expect(memo.hits).toBe(1)
  })
})

describe('upstream bodies from kept tools', () => {
  test('jsonOf keeps the text of a deep-frozen value only', () => {
    const memo = learned(ccBody(turn(1)))
    const tools = (memo.parse(JSON.stringify(ccBody(turn(1)))) as Obj).tools
    expect(jsonOf(tools)).toBe(JSON.stringify(tools))
    expect(jsonOf(tools)).toBe(jsonOf(tools))
    const shallow = Object.freeze({ inner: { a: 1 } })
    expect(isDeepFrozen(shallow)).toBe(false)
    shallow.inner.a = 2
    expect(jsonOf(shallow)).toBe('{"inner":{"a":2}}')
  })

  test('every provider and system role: the same wire bytes with and without the memo, request after request', () => {
    const system = bigSystem()
    for (const provider of PROVIDER_NAMES) {
      const profile = getProfile(provider)
      const memo = learned(ccBody(turn(1), ccTools(), { system }))
      expect(memo.size('system')).toBe(1)
      let previousTools: unknown
      for (let n = 2; n < 8; n++) {
        // The fifth adds a system-role message, whose text joins the kept system's in the one system message.
        const messages = n === 5 ? [{ role: 'system', content: 'Also: be brief.' }, ...turn(n)] : turn(n)
        const text = JSON.stringify(ccBody(messages, ccTools(), { system, tool_choice: { type: 'tool', name: 'mcp.server/tool' } }))
        // gpt-5 takes a developer message where the profile allows it, gpt-4o a system message.
        const ctx = { upstreamModel: provider === 'gemini' ? 'gemini-2.5-pro' : n % 3 === 0 ? 'gpt-4o' : 'gpt-5', profile, stream: n % 2 === 0 }
        const plain = anthropicToOpenAI(validateMessagesRequest(JSON.parse(text)), ctx)
        const viaMemo = anthropicToOpenAI(validateMessagesRequest(memo.parse(text)), ctx)
        expect(serializeForUpstream(viaMemo.body).wire).toBe(serializeForUpstream(plain.body).wire)
        expect(viaMemo.toolNameMap).toEqual(plain.toolNameMap)
        expect(viaMemo.toolNameMap?.get(viaMemo.body.tools![4].function.name)).toBe('mcp.server/tool')
        // Translated once per kept list and profile: the same frozen array every time after the first.
        expect(isDeepFrozen(viaMemo.body.tools)).toBe(true)
        if (previousTools) expect(viaMemo.body.tools as unknown).toBe(previousTools)
        previousTools = viaMemo.body.tools
        if (n !== 5) expect(isDeepFrozen(viaMemo.body.messages[0])).toBe(true)
        expect(viaMemo.body.messages[0].content).toContain('Follow the house rules.')
      }
      expect(memo.hits).toBe(6)
    }
  })

  test('property: random requests that share a kept tool list parse and translate exactly as without the memo', () => {
    let hits = 0
    fc.assert(
      fc.property(anthropicRequest, anthropicRequest, upstreamModel, fc.constantFrom(...PROVIDER_NAMES), fc.nat(3), (a, b, model, provider, variant) => {
        const tools = [...((a.tools as unknown[]) ?? []), ...ccTools()]
        const memo = new BodyMemo()
        const system = bigSystem(String(a.model))
        const first = JSON.stringify({ ...a, system, tools })
        memo.learn(first, memo.parse(first) as Obj)
        // b with a's tools, written four ways: in b's own key order, tools first, tools followed by a duplicate,
        // and with the tools also nested in a message.
        // Half of them also share a's long system prompt.
        const withTools = variant % 2 ? { ...b, system, tools } : { ...b, tools }
        const { tools: _, ...rest } = withTools
        const text = [
          JSON.stringify(withTools),
          JSON.stringify({ tools, ...rest }),
          JSON.stringify(withTools).slice(0, -1) + ',"tools":[]}',
          JSON.stringify({ ...withTools, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'y', input: { tools } }] }, ...(b.messages as unknown[])] }),
        ][variant]
        const hitsBefore = memo.hits
        const viaMemo = parsesAsWritten(memo, text)
        hits += memo.hits - hitsBefore
        let plainWire: string | undefined
        try {
          plainWire = serializeForUpstream(anthropicToOpenAI(validateMessagesRequest(JSON.parse(text)), { upstreamModel: model, profile: getProfile(provider), stream: false }).body).wire
        } catch (e) {
          if (!(e instanceof ProxyError)) throw e
        }
        let memoWire: string | undefined
        try {
          memoWire = serializeForUpstream(anthropicToOpenAI(validateMessagesRequest(viaMemo), { upstreamModel: model, profile: getProfile(provider), stream: false }).body).wire
        } catch (e) {
          if (!(e instanceof ProxyError)) throw e
        }
        expect(memoWire).toBe(plainWire)
      }),
      { numRuns: 400, seed: 7 },
    )
    // The property is only meaningful if the memo was actually used for a good share of the runs.
    expect(hits).toBeGreaterThan(100)
  })
})

describe('checks and counts of a request with kept tools', () => {
  test('validation still covers the rest of the body', () => {
    const memo = learned(ccBody(turn(1)))
    let deep: unknown = 'x'
    for (let i = 0; i < MAX_DEPTH + 2; i++) deep = [deep]
    const tooDeep = JSON.stringify(ccBody([{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'x', extra: deep }] }] }]))
    const badRole = JSON.stringify(ccBody([{ role: 'robot', content: 'x' }]))
    for (const text of [tooDeep, badRole]) {
      const parsed = memo.parse(text)
      expect(() => validateMessagesRequest(parsed)).toThrow(ProxyError)
      expect(() => validateMessagesRequest(JSON.parse(text))).toThrow(ProxyError)
    }
    expect(memo.hits).toBe(2)
  })

  test('a kept tool list counts the same tokens as the list parsed afresh, every time', () => {
    const counter = new TokenCounter('o200k_base')
    const memo = learned(ccBody(turn(1)))
    const text = JSON.stringify(ccBody(turn(2)))
    const lookups = () => counter.stats.hits + counter.stats.misses
    const fresh = counter.countRequest(JSON.parse(text))
    expect(fresh).toBeGreaterThan(500)
    let before = lookups()
    expect(counter.countRequest(JSON.parse(text))).toBe(fresh)
    const freshLookups = lookups() - before
    expect(counter.countRequest(memo.parse(text) as never)).toBe(fresh)
    before = lookups()
    expect(counter.countRequest(memo.parse(text) as never)).toBe(fresh)
    // The kept list's total is remembered: none of its names, descriptions or schemas is looked up again.
    expect(lookups() - before).toBe(freshLookups - 3 * 5)
  })
})

describe('through the proxy', () => {
  let upstream: FakeUpstream
  const proxies: InProcessProxy[] = []
  beforeAll(async () => {
    upstream = await FakeUpstream.start()
  })
  afterAll(async () => {
    for (const p of proxies) await p.close()
    await upstream.close()
  })
  const post = (p: InProcessProxy, body: string) => postMessages(p.url, body)

  test('a request that reuses the kept tools reaches the upstream byte for byte as one parsed whole, and its tool call maps back', async () => {
    const [a, b] = await Promise.all([startApp(upstream.url), startApp(upstream.url)])
    proxies.push(a, b)
    const second = JSON.stringify(ccBody([...turn(1), ...turn(2)], ccTools(), { stream: false }))
    const call = { id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: '', arguments: '{"path":"/x"}' } }] }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }
    // The upstream answers with the renamed tool's upstream name, read from the request it got.
    const answerWithRenamedTool = (req: { body: { tools: { function: { name: string } }[] } }) => ({ json: { ...call, choices: [{ ...call.choices[0], message: { ...call.choices[0].message, tool_calls: [{ ...call.choices[0].message.tool_calls[0], function: { name: req.body.tools[4].function.name, arguments: '{"path":"/x"}' } }] } }] } })
    upstream.enqueue(answerWithRenamedTool, answerWithRenamedTool, answerWithRenamedTool)
    const seen = upstream.chatRequests.length
    expect((await post(a, JSON.stringify(ccBody(turn(1), ccTools(), { stream: false })))).status).toBe(200)
    const viaMemo = await post(a, second)
    const whole = await post(b, second)
    expect(a.deps.bodies.hits).toBe(1)
    expect(b.deps.bodies.hits).toBe(0)
    const [, sentViaMemo, sentWhole] = upstream.chatRequests.slice(seen).map((r) => r.raw)
    expect(sentViaMemo).toBe(sentWhole)
    for (const res of [await viaMemo.json(), await whole.json()]) expect((res as { content: unknown }).content).toEqual([{ type: 'tool_use', id: 'call_1', name: 'mcp.server/tool', input: { path: '/x' } }])
  })
})

/** Real requests recorded from Claude Code, present only where the shared fixtures are checked out beside the repo. */
const recorded = resolve(import.meta.dir, '../../../shared/fixtures/claude-code-requests')

describe.if(existsSync(recorded))('recorded Claude Code requests', () => {
  const bodies = existsSync(recorded) ? readdirSync(recorded).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(recorded, f), 'utf8')).body as Obj) : []

  test('each request after the first of a session takes the tools and system the others share, and translates the same', () => {
    const memo = new BodyMemo()
    const profile = getProfile('openai')
    let hits = 0
    for (const body of bodies) {
      // As Claude Code sends it: JSON.stringify of the body, in the recorded key order.
      const text = JSON.stringify(body)
      const before = memo.hits
      const parsed = parsesAsWritten(memo, text) as Obj
      const sharesTools = bodies.some((b) => b !== body && bodies.indexOf(b) < bodies.indexOf(body) && JSON.stringify(b.tools) === JSON.stringify(body.tools))
      expect(memo.hits - before).toBe(sharesTools ? 1 : 0)
      hits += memo.hits - before
      const req = validateMessagesRequest(parsed)
      memo.learn(text, req)
      const ctx = { upstreamModel: 'gpt-5', profile, stream: true }
      expect(serializeForUpstream(anthropicToOpenAI(req, ctx).body).wire).toBe(serializeForUpstream(anthropicToOpenAI(validateMessagesRequest(JSON.parse(text)), ctx).body).wire)
    }
    expect(hits).toBeGreaterThan(0)
  })
})
