import { spawn, type Subprocess } from 'bun'
import { existsSync, mkdtempSync, copyFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(import.meta.dir, '..', '..')
export const BINARY = join(ROOT, 'dist', 'ccproxy')

/** Builds dist/ccproxy when it is missing (make test builds it first). */
export function ensureBinary(): string {
  if (!existsSync(BINARY)) {
    const r = Bun.spawnSync(['bun', 'build', '--compile', '--minify', 'src/main.ts', '--outfile', BINARY], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr.toString()}`)
  }
  return BINARY
}

/** Copies the binary into a fresh folder with no node_modules, proving it runs on its own. */
export function isolatedBinary(): { bin: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-bin-'))
  const bin = join(dir, 'ccproxy')
  copyFileSync(ensureBinary(), bin)
  chmodSync(bin, 0o755)
  return { bin, dir }
}

export interface RunningProxy {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  port: number
  /** Everything written to stderr so far. */
  stderr(): string
  stop(signal?: NodeJS.Signals): Promise<number>
}

/** Environment for a proxy that must never reach outside loopback and writes logs into `dir`. */
export function baseEnv(dir: string, upstreamUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    OPENAI_BASE_URL: upstreamUrl,
    OPENAI_API_KEY: 'sk-upstream-test-key-0123456789',
    LOG_FILE_PATH: join(dir, 'log.jsonl'),
    ERROR_LOG_FILE_PATH: join(dir, 'error.jsonl'),
    PORT: '0',
    HOST: '127.0.0.1',
    // Off unless a test is about the cache: other tests repeat identical requests on purpose.
    RESPONSE_CACHE_ENABLED: 'false',
    ...extra,
  }
}

/** Starts a ccproxy process and waits (bounded) for its "listening on" log line. */
export async function startProxy(bin: string, opts: { env: Record<string, string>; args?: string[]; cwd?: string; timeoutMs?: number }): Promise<RunningProxy> {
  const proc = spawn([bin, ...(opts.args ?? [])], { env: opts.env, cwd: opts.cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let err = ''
  const decoder = new TextDecoder()
  const pump = (async () => {
    for await (const c of proc.stderr) err += decoder.decode(c, { stream: true })
  })()
  void (async () => {
    for await (const _ of proc.stdout) {
      // drained so the pipe never fills
    }
  })()
  const until = Date.now() + (opts.timeoutMs ?? 10_000)
  let port = 0
  while (Date.now() < until) {
    const m = /listening on http:\/\/[^:]+:(\d+)/.exec(err)
    if (m) {
      port = Number(m[1])
      break
    }
    if (proc.exitCode !== null) throw new Error(`ccproxy exited with ${proc.exitCode}: ${err}`)
    await Bun.sleep(10)
  }
  if (!port) {
    proc.kill()
    throw new Error(`ccproxy did not start: ${err}`)
  }
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal)
      const code = await proc.exited
      await pump.catch(() => {})
      return code
    },
  }
}
