import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'bun'
import { createServer } from 'node:net'
import { FakeUpstream, textStream } from '../support/fake-upstream'
import { baseEnv, isolatedBinary, startProxy } from '../support/proxy-process'
import pkg from '../../package.json'

let upstream: FakeUpstream
let bin: string
let dir: string

beforeAll(async () => {
  ;({ bin, dir } = isolatedBinary())
  upstream = await FakeUpstream.start()
})
afterAll(async () => {
  await upstream.close()
})

describe('the compiled binary, run from a folder without node_modules', () => {
  test('--version prints the version from package.json', () => {
    const r = spawnSync([bin, '--version'], { cwd: dir, env: { PATH: process.env.PATH! } })
    expect(r.exitCode).toBe(0)
    expect(r.stdout.toString().trim()).toBe(pkg.version)
  })

  test('--help shows usage and examples', () => {
    const r = spawnSync([bin, '--help'], { cwd: dir, env: { PATH: process.env.PATH! } })
    expect(r.exitCode).toBe(0)
    const out = r.stdout.toString()
    expect(out).toContain('--port PORT')
    expect(out).toContain('--env-file FILE')
    expect(out).toContain('Examples:')
  })

  test('a bad setting stops start-up with exit code 2 and names the setting', () => {
    const r = spawnSync([bin], { cwd: dir, env: baseEnv(dir, upstream.url, { HTTP_CONNECT_TIMEOUT: 'soon', PORT: '99999' }) })
    expect(r.exitCode).toBe(2)
    const err = r.stderr.toString()
    const lines = err.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(err).toContain('HTTP_CONNECT_TIMEOUT="soon"')
    expect(err).toContain('PORT="99999"')
    expect(err).not.toContain('    at ')
  })

  test('a missing key for a remote upstream is reported with what to set', () => {
    const r = spawnSync([bin], { cwd: dir, env: { PATH: process.env.PATH!, HOME: dir, OPENAI_BASE_URL: 'https://api.openai.com/v1' } })
    expect(r.exitCode).toBe(2)
    expect(r.stderr.toString()).toContain('Set OPENAI_API_KEY')
  })

  test('config prints the effective settings with secrets masked; --env-file is read', async () => {
    const envFile = `${dir}/custom.env`
    await Bun.write(envFile, 'BIG_MODEL_NAME=model-from-file\nOPENAI_API_KEY=sk-secret-from-file-123456\n')
    const r = spawnSync([bin, 'config', '--env-file', envFile], { cwd: dir, env: { PATH: process.env.PATH!, HOME: dir } })
    expect(r.exitCode).toBe(0)
    const out = r.stdout.toString()
    expect(out).toContain('BIG_MODEL_NAME=model-from-file')
    expect(out).not.toContain('sk-secret-from-file-123456')
    expect(out).toContain('OPENAI_API_KEY=sk-…56')
  })

  test('serves /v1/health', async () => {
    const p = await startProxy(bin, { env: baseEnv(dir, upstream.url), cwd: dir })
    try {
      const r = await fetch(`${p.url}/v1/health`)
      expect(r.status).toBe(200)
      const body = (await r.json()) as { status: string; version: string; uptime_s: number }
      expect(body.status).toBe('ok')
      expect(body.version).toBe(pkg.version)
      expect(typeof body.uptime_s).toBe('number')
    } finally {
      expect(await p.stop()).toBe(0)
    }
  })

  test('a port already in use gives one line naming the port, not a stack trace', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = spawnSync([bin, '--port', String(port)], { cwd: dir, env: baseEnv(dir, upstream.url) })
      expect(r.exitCode).not.toBe(0)
      const err = r.stderr.toString().trim()
      expect(err.split('\n')).toHaveLength(1)
      expect(err).toContain(`port ${port}`)
      expect(err).toContain('--port')
    } finally {
      blocker.close()
    }
  })

  test('SIGTERM lets an in-flight stream finish, refuses new connections, then exits 0', async () => {
    const pieces = textStream(['one ', 'two ', 'three ', 'four ', 'five'])
    upstream.enqueue({ sse: [...pieces.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'], chunkDelayMs: 150 })
    const p = await startProxy(bin, { env: baseEnv(dir, upstream.url, { SHUTDOWN_GRACE_SECONDS: '10' }), cwd: dir })
    const res = await fetch(`${p.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'client-key' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'count' }] }),
    })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(first.done).toBe(false)
    p.proc.kill('SIGTERM')
    await Bun.sleep(100)
    const refused = await fetch(`${p.url}/v1/health`).then(() => false, () => true)
    expect(refused).toBe(true)
    let text = new TextDecoder().decode(first.value)
    for (let i = 0; i < 100; i++) {
      const r = await reader.read()
      if (r.done) break
      text += new TextDecoder().decode(r.value)
    }
    expect(text).toContain('one two three four five'.split(' ').at(-1)!)
    expect(text).toContain('event: message_stop')
    expect(await p.stop()).toBe(0)
    expect(p.stderr()).toContain('SIGTERM')
  })
})

