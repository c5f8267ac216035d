/**
 * Reading and parsing a ~60 KB Claude Code request body from a Request, as the messages route does: readJsonBody
 * with plain JSON.parse against readJsonBody with a BodyMemo that has learned the session's tools and system prompt.
 * Run: bun bench/request-body.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { claudeCodeBody, claudeCodeBodyText } from './bodies.ts'
import { readJsonBody } from '../src/proxy/body.ts'
import { BodyMemo } from '../src/proxy/body-memo.ts'

const text = claudeCodeBodyText('60k')
const bytes = new TextEncoder().encode(text)
const config = { MAX_REQUEST_BYTES: 32 * 1024 * 1024, CLIENT_BODY_TIMEOUT: 60 }
const request = () => new Request('http://127.0.0.1/v1/messages', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } })
const memo = new BodyMemo()
memo.learn(text, claudeCodeBody('60k'))

summary(() => {
  bench('readJsonBody, JSON.parse', async () => do_not_optimize((await readJsonBody(request(), config)).json))
  bench('readJsonBody, BodyMemo with the kept tools and system', async () => do_not_optimize((await readJsonBody(request(), config, memo)).json))
})

await run({ colors: Boolean(process.stdout.isTTY) })
