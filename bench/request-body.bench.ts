/**
 * Reading and parsing a ~60 KB Claude Code request body from a Request, as the messages route does:
 * readJsonBody (Request.json() for a body of declared length) against the former text() + JSON.parse.
 * Run: bun bench/request-body.bench.ts
 */
import { bench, do_not_optimize, run, summary } from 'mitata'
import { claudeCodeBodyText } from './bodies.ts'
import { readJsonBody } from '../src/proxy/body.ts'

const bytes = new TextEncoder().encode(claudeCodeBodyText('60k'))
const config = { MAX_REQUEST_BYTES: 32 * 1024 * 1024, CLIENT_BODY_TIMEOUT: 60 }
const request = () => new Request('http://127.0.0.1/v1/messages', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) } })

summary(() => {
  bench('readJsonBody (Request.json)', async () => do_not_optimize((await readJsonBody(request(), config)).json))
  bench('text() + JSON.parse', async () => do_not_optimize(JSON.parse(await request().text())))
})

await run({ colors: Boolean(process.stdout.isTTY) })
