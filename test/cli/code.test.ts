import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream } from '../support/fake-upstream'
import { baseEnv, isolatedBinary, startProxy } from '../support/proxy-process'

let upstream: FakeUpstream
let bin: string
let dir: string
let fakeBin: string

/** A stand-in `claude` that records its arguments, environment and whether the proxy answered, then exits 7. */
const STAND_IN = `#!/bin/sh
out="$CLAUDE_RECORD_DIR/$$"
mkdir -p "$out"
printf '%s\\n' "$@" > "$out/args"
env > "$out/env"
bun -e "const r = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/health'); console.log(r.status)" > "$out/health" 2>&1
if [ -n "$CLAUDE_SLEEP" ]; then sleep "$CLAUDE_SLEEP"; fi
exit 7
`

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const answers = (port: number) => fetch(`http://127.0.0.1:${port}/v1/health`, { signal: AbortSignal.timeout(500) }).then(() => true, () => false)

async function waitUntilDown(port: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!(await answers(port))) return true
    await Bun.sleep(100)
  }
  return false
}

function codeEnv(port: number, record: string, extra: Record<string, string> = {}) {
  const env = baseEnv(dir, upstream.url, { PORT: String(port), CCPROXY_HOME: join(dir, 'state'), CLAUDE_RECORD_DIR: record, ...extra })
  return { ...env, PATH: `${fakeBin}:${process.env.PATH}` }
}

const records = (record: string) =>
  readdirSync(record).map((pid) => ({
    args: readFileSync(join(record, pid, 'args'), 'utf8').trim().split('\n'),
    env: Object.fromEntries(readFileSync(join(record, pid, 'env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    health: readFileSync(join(record, pid, 'health'), 'utf8').trim(),
  }))

beforeAll(async () => {
  ;({ bin, dir } = isolatedBinary())
  upstream = await FakeUpstream.start()
  fakeBin = mkdtempSync(join(tmpdir(), 'fake-claude-'))
  writeFileSync(join(fakeBin, 'claude'), STAND_IN)
  chmodSync(join(fakeBin, 'claude'), 0o755)
})
afterAll(async () => {
  await upstream.close()
})

describe('ccproxy code', () => {
  test('starts a proxy, runs claude with the right environment and arguments, exits with its code, stops the proxy', async () => {
    const port = await freePort()
    const record = mkdtempSync(join(tmpdir(), 'rec-'))
    const p = Bun.spawn([bin, 'code', '-p', 'hello there', '--model', 'opus'], { cwd: dir, env: codeEnv(port, record, { BIG_MODEL_NAME: 'big-up', SMALL_MODEL_NAME: 'small-up' }), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    expect(await p.exited).toBe(7)
    const [r] = records(record)
    expect(r.args).toEqual(['-p', 'hello there', '--model', 'opus'])
    expect(r.health).toBe('200')
    expect(r.env.ANTHROPIC_BASE_URL).toBe(`http://127.0.0.1:${port}`)
    expect(r.env.ANTHROPIC_API_KEY).toBeTruthy()
    expect(r.env.ANTHROPIC_DEFAULT_OPUS_MODEL).toBe('big-up')
    expect(r.env.ANTHROPIC_DEFAULT_SONNET_MODEL).toBe('big-up')
    expect(r.env.ANTHROPIC_DEFAULT_HAIKU_MODEL).toBe('small-up')
    expect(r.env.ANTHROPIC_SMALL_FAST_MODEL).toBe('small-up')
    expect(await waitUntilDown(port)).toBe(true)
  }, 30_000)

  test('reuses a proxy that already answers and leaves it running', async () => {
    const port = await freePort()
    const running = await startProxy(bin, { env: baseEnv(dir, upstream.url, { PORT: String(port) }), cwd: dir })
    try {
      const record = mkdtempSync(join(tmpdir(), 'rec-'))
      const p = Bun.spawn([bin, 'code', '-p', 'x'], { cwd: dir, env: codeEnv(port, record), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
      expect(await p.exited).toBe(7)
      expect(records(record)[0].health).toBe('200')
      expect(await answers(port)).toBe(true)
    } finally {
      expect(await running.stop()).toBe(0)
    }
  }, 30_000)

  test('the proxy stops only when the last session using it ends', async () => {
    const port = await freePort()
    const record = mkdtempSync(join(tmpdir(), 'rec-'))
    const long = Bun.spawn([bin, 'code', '-p', 'long'], { cwd: dir, env: codeEnv(port, record, { CLAUDE_SLEEP: '3' }), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    for (let i = 0; i < 50 && !(await answers(port)); i++) await Bun.sleep(100)
    const short = Bun.spawn([bin, 'code', '-p', 'short'], { cwd: dir, env: codeEnv(port, record), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    expect(await short.exited).toBe(7)
    expect(await answers(port)).toBe(true)
    expect(await long.exited).toBe(7)
    expect(await waitUntilDown(port)).toBe(true)
    expect(records(record).map((r) => r.health)).toEqual(['200', '200'])
  }, 30_000)
})
