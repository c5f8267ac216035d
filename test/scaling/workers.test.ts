import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream } from '../support/fake-upstream'
import { baseEnv, ensureBinary, startProxy, type RunningProxy } from '../support/proxy-process'
import { workerCount, workerFromEnv, workerLogPath } from '../../src/cli/supervisor'
import { alive } from '../../src/cli/code'


/** The pid of the worker that answers a fresh connection (no keep-alive, so the kernel picks a worker each time). */
async function answeringPid(url: string): Promise<number> {
  const r = await fetch(`${url}/v1/health`, { keepalive: false })
  await r.arrayBuffer()
  return Number(r.headers.get('x-ccproxy-worker'))
}

describe('how many workers', () => {
  test('one process by default; IS_LOCAL_DEPLOYMENT=false runs one per core unless WORKERS says; WORKERS > 1 alone turns workers on', () => {
    expect(workerCount({ IS_LOCAL_DEPLOYMENT: true, WORKERS: 0 }, 8)).toBe(0)
    expect(workerCount({ IS_LOCAL_DEPLOYMENT: true, WORKERS: 1 }, 8)).toBe(0)
    expect(workerCount({ IS_LOCAL_DEPLOYMENT: true, WORKERS: 3 }, 8)).toBe(3)
    expect(workerCount({ IS_LOCAL_DEPLOYMENT: false, WORKERS: 0 }, 8)).toBe(8)
    expect(workerCount({ IS_LOCAL_DEPLOYMENT: false, WORKERS: 1 }, 8)).toBe(1)
  })

  test('a worker knows its place from the environment; each writes its own log files', () => {
    expect(workerFromEnv({ CCPROXY_WORKER_INDEX: '2', CCPROXY_WORKER_COUNT: '4' })).toEqual({ index: 2, count: 4 })
    expect(workerFromEnv({})).toBeUndefined()
    expect(workerFromEnv({ CCPROXY_WORKER_INDEX: '5', CCPROXY_WORKER_COUNT: '4' })).toBeUndefined()
    expect(workerLogPath('log.jsonl', 2)).toBe('log-w2.jsonl')
    expect(workerLogPath('/var/log/ccproxy/error.jsonl', 1)).toBe('/var/log/ccproxy/error-w1.jsonl')
    expect(workerLogPath('/var/log.d/ccproxy', 3)).toBe('/var/log.d/ccproxy-w3')
    expect(workerLogPath('', 1)).toBe('')
  })
})

describe('WORKERS=2 (compiled binary)', () => {
  let upstream: FakeUpstream | undefined
  let proxy: RunningProxy | undefined
  let dir = ''
  afterEach(async () => {
    await proxy?.stop('SIGKILL')
    await upstream?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    proxy = upstream = undefined
  })

  test('two processes answer on one port, each with half the limits; a killed worker is replaced; SIGTERM stops them all with exit 0', async () => {
    upstream = await FakeUpstream.start()
    dir = mkdtempSync(join(tmpdir(), 'ccproxy-workers-'))
    proxy = await startProxy(ensureBinary(), { env: baseEnv(dir, upstream.url, { WORKERS: '2', CLIENT_RATE_LIMIT_RPM: '100', CLIENT_RATE_LIMIT_BURST: '10', SHUTDOWN_GRACE_SECONDS: '2' }) })
    expect(proxy.stderr()).toContain('with 2 workers')

    const seen = new Set<number>()
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(await answeringPid(proxy.url))
    expect(seen.size).toBe(2)
    expect(seen.has(proxy.proc.pid)).toBe(false)

    // Without Redis each worker keeps its share of the machine's limits.
    for (let i = 0; i < 6; i++) {
      const m = (await (await fetch(`${proxy.url}/v1/metrics`, { keepalive: false })).json()) as { limiter: { rpm_effective: number } }
      expect(m.limiter.rpm_effective).toBe(50)
    }

    const [victim, survivor] = [...seen]
    process.kill(victim, 'SIGKILL')
    let replacement: number | undefined
    const until = Date.now() + 10_000
    while (replacement === undefined && Date.now() < until) {
      const pid = await answeringPid(proxy.url).catch(() => 0)
      if (pid > 0 && !seen.has(pid)) replacement = pid
      else await Bun.sleep(20)
    }
    expect(replacement).toBeDefined()
    expect(alive(victim)).toBe(false)
    expect(proxy.stderr()).toMatch(new RegExp(`worker \\d \\(pid ${victim}\\) exited with signal SIGKILL; restarting it`))

    const code = await proxy.stop('SIGTERM')
    expect(code).toBe(0)
    for (const pid of [survivor, replacement!]) expect(alive(pid)).toBe(false)
    proxy = undefined
  }, 30_000)
})
