/**
 * Child processes for the load bench: building the binary, spawning helpers that print their port, free ports,
 * readiness polling, CPU and memory readings from /proc, and cleanup of every child on exit or error.
 */
import { spawn, spawnSync, type Subprocess } from 'bun'
import { copyFileSync, chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The repository root (bench/lib/../..). */
export const ROOT = join(import.meta.dir, '..', '..')

type Child = Subprocess<'ignore', 'pipe', 'pipe'>
const children = new Set<Child>()
const tempDirs = new Set<string>()
let hooked = false

/** Kills every child still running and removes temporary folders (synchronous: safe in an exit handler). */
export function cleanupAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true })
  tempDirs.clear()
}

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', cleanupAll)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupAll()
      process.exit(130)
    })
  }
}

/** A fresh temporary folder, removed by cleanupAll. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(d)
  return d
}

/** Stops one child (SIGTERM, then SIGKILL after `graceMs`) and forgets it. */
export async function stopChild(c: Child, graceMs = 2_000): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) {
    c.kill('SIGTERM')
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs)
    await c.exited
    clearTimeout(t)
  }
  children.delete(c)
}

/** Spawns a tracked child with piped output (stdout/stderr are drained into the returned log). */
export function spawnTracked(cmd: string[], env: Record<string, string>, cwd = ROOT): { proc: Child; output: () => string } {
  hookExit()
  const proc = spawn(cmd, { env, cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  children.add(proc)
  let log = ''
  const dec = new TextDecoder()
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const b of s) if (log.length < 1_000_000) log += dec.decode(b, { stream: true })
  }
  void drain(proc.stdout).catch(() => {})
  void drain(proc.stderr).catch(() => {})
  return { proc, output: () => log }
}

/** Runs `bun <script>` as a child and waits (bounded) for the `{"port":N}` line it prints. */
export async function spawnPortPrinter(script: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ proc: Child; port: number; url: string; output: () => string }> {
  const { proc, output } = spawnTracked([process.execPath, join(ROOT, script)], { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env })
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const m = /\{"port":(\d+)\}/.exec(output())
    if (m) return { proc, port: Number(m[1]), url: `http://127.0.0.1:${m[1]}`, output }
    if (proc.exitCode !== null) break
    await Bun.sleep(5)
  }
  await stopChild(proc)
  throw new Error(`${script} did not report its port: ${output().slice(0, 2000)}`)
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

/** Polls GET `url` until it answers 2xx; returns the milliseconds since `since`, or throws after `timeoutMs`. */
export async function waitReady(url: string, since: number, proc: Child, timeoutMs = 10_000): Promise<number> {
  const until = since + timeoutMs
  for (let i = 0; i < 100_000 && performance.now() < until; i++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1_000) })
      await r.arrayBuffer()
      if (r.ok) return performance.now() - since
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode} before it served ${url}`)
    await Bun.sleep(1)
  }
  throw new Error(`no answer from ${url} within ${timeoutMs} ms`)
}

/** Newest modification time (ms) of any file under `dir`, bounded to 5,000 entries. */
function newestMtime(dir: string): number {
  let newest = 0
  let seen = 0
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (++seen > 5_000) return
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else newest = Math.max(newest, statSync(p).mtimeMs)
    }
  }
  walk(dir)
  return newest
}

/**
 * Builds dist/ccproxy when it is missing, older than src/ (or package.json, bun.lock), or when `force`; then
 * copies it into a temporary folder so a rebuild elsewhere cannot change it mid-run. Returns the copy's path.
 */
export function prepareBinary(force = false): { bin: string; built: boolean } {
  const dist = join(ROOT, 'dist', 'ccproxy')
  const sources = Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs, statSync(join(ROOT, 'bun.lock')).mtimeMs)
  const stale = !existsSync(dist) || statSync(dist).mtimeMs < sources
  if (force || stale) {
    const r = spawnSync([process.execPath, 'build', '--compile', '--minify', 'src/main.ts', '--outfile', dist], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`building dist/ccproxy failed:\n${r.stderr.toString()}${r.stdout.toString()}`)
  }
  const bin = join(tempDir('ccproxy-bench-bin-'), 'ccproxy')
  copyFileSync(dist, bin)
  chmodSync(bin, 0o755)
  return { bin, built: force || stale }
}

/**
 * The settings every bench run of ccproxy uses: loopback, the given upstream, warnings only and no log files, and
 * the response cache and client rate limiter off (the benches repeat one body thousands of times a second).
 */
export function benchProxyEnv(upstreamUrl: string, port: number, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HOST: '127.0.0.1',
    PORT: String(port),
    OPENAI_BASE_URL: `${upstreamUrl}/v1`,
    OPENAI_API_KEY: 'sk-bench-0123456789abcdef',
    LOG_LEVEL: 'warn',
    LOG_FILE_PATH: '',
    ERROR_LOG_FILE_PATH: '',
    CLIENT_RATE_LIMIT_ENABLED: 'false',
    RESPONSE_CACHE_ENABLED: 'false',
  }
}

/** Clock ticks per second for /proc CPU times (`getconf CLK_TCK`, 100 when unknown). */
export function clockTicks(): number {
  try {
    const r = spawnSync(['getconf', 'CLK_TCK'], { stdout: 'pipe', stderr: 'ignore' })
    const n = Number(r.stdout.toString().trim())
    return Number.isFinite(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
}

/** CPU time (user + system, in clock ticks, all threads) a process has used so far. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/**
 * CPU time (clock ticks) a process's JavaScriptCore compiler threads (named `JIT…`) have used so far, from
 * /proc/<pid>/task; 0 where threads cannot be read.
 */
export function jitTicks(pid: number): number {
  let total = 0
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8')
        if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('JIT')) continue
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        total += Number(fields[11]) + Number(fields[12])
      } catch {} // the thread ended
    }
  } catch {}
  return total
}

/** Resident memory now and at its peak, in MB, from /proc/<pid>/status. */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}
