import { spawn } from 'bun'
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/schema'

/** The command line that runs this same ccproxy (the compiled binary, or bun + the entry script). */
export function selfCommand(): string[] {
  const main = Bun.main
  return main.startsWith('/$bunfs/') || main.startsWith('B:/~BUN') ? [process.execPath] : [process.execPath, main]
}

/** The URL clients use for a proxy listening on HOST:PORT (a wildcard host is reached through loopback). */
export function proxyUrl(config: Config, port = config.PORT): string {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** True when a ccproxy answers /v1/health at `url`. */
export async function ccproxyAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const r = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(timeoutMs) })
    const body = (await r.json()) as { version?: unknown }
    return typeof body.version === 'string'
  } catch {
    return false
  }
}

/** True while a process with this pid exists. */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The environment Claude Code reads: where the proxy is, a key, and the models its names resolve to. */
export function claudeEnv(config: Config, url: string, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v
  return {
    ...env,
    ANTHROPIC_BASE_URL: url,
    ANTHROPIC_API_KEY: (config as { CCPROXY_API_KEYS?: string[] }).CCPROXY_API_KEYS?.[0] ?? 'ccproxy-local',
    ANTHROPIC_DEFAULT_OPUS_MODEL: config.BIG_MODEL_NAME,
    ANTHROPIC_DEFAULT_SONNET_MODEL: config.BIG_MODEL_NAME,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: config.SMALL_MODEL_NAME,
    ANTHROPIC_SMALL_FAST_MODEL: config.SMALL_MODEL_NAME,
    CLAUDE_CODE_SUBAGENT_MODEL: config.BIG_MODEL_NAME,
  }
}

/**
 * `ccproxy code [claude args…]`: reuses the ccproxy answering on the configured port or starts one in the
 * background, runs `claude` against it, and exits with claude's exit code. Sessions register in
 * ~/.ccproxy/code/<port>/; the proxy a session started is stopped when the last session using it ends.
 */
export async function runCode(config: Config, claudeArgs: string[], opts: { envFile?: string } = {}): Promise<number> {
  const port = config.PORT === 0 ? 11434 : config.PORT
  const url = proxyUrl(config, port)
  const dir = join(process.env.CCPROXY_HOME || join(homedir(), '.ccproxy'), 'code', String(port))
  mkdirSync(dir, { recursive: true })
  const me = join(dir, `session-${process.pid}`)
  writeFileSync(me, String(process.pid))
  const ownerFile = join(dir, 'proxy.pid')

  if (!(await ccproxyAnswers(url))) {
    const logPath = join(dir, 'ccproxy.log')
    const fd = openSync(logPath, 'a')
    const args = [...selfCommand(), 'serve', '--port', String(port), '--host', config.HOST, ...(opts.envFile ? ['--env-file', opts.envFile] : [])]
    const proxy = spawn(args, { stdin: 'ignore', stdout: fd, stderr: fd, env: process.env as Record<string, string> })
    proxy.unref()
    closeSync(fd)
    writeFileSync(ownerFile, String(proxy.pid))
    let up = false
    for (let i = 0; i < 100 && !up; i++) {
      if (proxy.exitCode !== null) break
      up = await ccproxyAnswers(url, 200)
      if (!up) await Bun.sleep(50)
    }
    if (!up) {
      rmSync(me, { force: true })
      console.error(`ccproxy: could not start the proxy on ${url}; see ${logPath}`)
      return 1
    }
  }

  let code: number
  try {
    const claude = spawn(['claude', ...claudeArgs], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', env: claudeEnv(config, url, process.env) })
    const forward = (sig: NodeJS.Signals) => claude.kill(sig)
    process.on('SIGINT', () => forward('SIGINT'))
    process.on('SIGTERM', () => forward('SIGTERM'))
    code = await claude.exited
  } catch (e) {
    console.error(`ccproxy: cannot run claude (${(e as Error).message}). Install it with: npm install -g @anthropic-ai/claude-code`)
    code = 127
  }
  rmSync(me, { force: true })
  stopProxyIfLast(dir, ownerFile)
  return code
}

/** Stops the proxy started by a `ccproxy code` session when no live session remains. */
function stopProxyIfLast(dir: string, ownerFile: string): void {
  const live = readdirSync(dir)
    .filter((f) => f.startsWith('session-'))
    .map((f) => Number(f.slice(8)))
    .filter((pid) => {
      if (alive(pid)) return true
      rmSync(join(dir, `session-${pid}`), { force: true })
      return false
    })
  if (live.length > 0 || !existsSync(ownerFile)) return
  const pid = Number(readFileSync(ownerFile, 'utf8'))
  rmSync(ownerFile, { force: true })
  if (pid > 0 && alive(pid)) process.kill(pid, 'SIGTERM')
}
