/**
 * Several worker processes on one port (IS_LOCAL_DEPLOYMENT=false, or WORKERS=N > 1). The supervisor picks the port
 * (a free one for PORT=0), starts WORKERS copies of this same ccproxy marked as workers, each listening with
 * SO_REUSEPORT so the kernel spreads connections between them; it restarts a worker that dies (backing off, at most
 * MAX_RESTARTS a minute per worker) and, on SIGTERM or SIGINT, passes the signal on and exits 0 once every worker
 * has finished its own graceful shutdown. Without Redis each worker keeps 1/WORKERS of the configured rate limits.
 */
import { availableParallelism } from 'node:os'
import type { Subprocess } from 'bun'
import type { Config } from '../config/schema'
import type { WorkerInfo } from '../proxy/deps'
import { createAppLogger } from '../log/app-logger'
import { VERSION } from '../version'
import { proxyUrl, selfCommand } from './code'

const INDEX_ENV = 'CCPROXY_WORKER_INDEX'
const COUNT_ENV = 'CCPROXY_WORKER_COUNT'
/** Restarts of one worker allowed within a minute before the supervisor stops replacing it. */
export const MAX_RESTARTS = 5
const START_TIMEOUT_MS = 30_000

/** How many workers to run: 0 = none (one process serves), else the count. */
export function workerCount(config: Pick<Config, 'IS_LOCAL_DEPLOYMENT' | 'WORKERS'>, cores = availableParallelism()): number {
  if (config.IS_LOCAL_DEPLOYMENT) return config.WORKERS > 1 ? config.WORKERS : 0
  return config.WORKERS >= 1 ? config.WORKERS : Math.max(1, cores)
}

/** This process's place among the workers, when a supervisor started it as one. */
export function workerFromEnv(env: Record<string, string | undefined> = process.env): WorkerInfo | undefined {
  const index = Number(env[INDEX_ENV])
  const count = Number(env[COUNT_ENV])
  return Number.isInteger(index) && Number.isInteger(count) && index >= 1 && count >= index ? { index, count } : undefined
}

/** A worker's log file: `log.jsonl` → `log-w2.jsonl` (rotation is per file, so each worker keeps its own). */
export function workerLogPath(path: string, index: number): string {
  if (!path) return path
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  return dot > slash + 1 ? `${path.slice(0, dot)}-w${index}${path.slice(dot)}` : `${path}-w${index}`
}

/** A free port on `host` (bound and released), so that every worker can listen on the same one. */
function freePort(host: string): number {
  const probe = Bun.listen({ hostname: host, port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

interface Slot {
  index: number
  proc?: Subprocess
  listening: boolean
  /** When it was restarted, for the per-minute bound. */
  restarts: number[]
  timer?: ReturnType<typeof setTimeout>
}

/** Runs `count` workers until SIGTERM / SIGINT; resolves with the exit code. See the module comment. */
export async function supervise(config: Config, count: number, opts: { envFile?: string } = {}): Promise<number> {
  const { logger, close: closeLogger } = createAppLogger(config)
  let port: number
  try {
    port = config.PORT === 0 ? freePort(config.HOST) : config.PORT
  } catch (e) {
    console.error(`ccproxy: cannot find a free port on ${config.HOST}: ${(e as Error).message}`)
    closeLogger()
    return 1
  }
  const args = [...selfCommand(), 'serve', '--host', config.HOST, '--port', String(port), ...(opts.envFile ? ['--env-file', opts.envFile] : [])]
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ index: i + 1, listening: false, restarts: [] }))
  let stopping = false
  let started = false
  let exitCode = 0
  const { promise: done, resolve: finish } = Promise.withResolvers<number>()
  const { promise: ready, resolve: markReady } = Promise.withResolvers<boolean>()

  const live = () => slots.filter((s) => s.proc !== undefined && s.proc.exitCode === null && s.proc.signalCode === null)
  const endIfIdle = () => {
    if (slots.some((s) => s.proc !== undefined || s.timer !== undefined)) return
    logger.info('stopped')
    closeLogger()
    finish(exitCode)
  }

  const spawnWorker = (slot: Slot) => {
    slot.timer = undefined
    slot.listening = false
    const env = { ...(process.env as Record<string, string>), [INDEX_ENV]: String(slot.index), [COUNT_ENV]: String(count) }
    const proc = Bun.spawn(args, {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      ipc(message) {
        if ((message as { type?: string })?.type !== 'listening') return
        slot.listening = true
        if (slots.every((s) => s.listening)) markReady(true)
      },
    })
    slot.proc = proc
    void proc.exited.then((code) => onExit(slot, proc, code))
  }

  const onExit = (slot: Slot, proc: Subprocess, code: number) => {
    if (slot.proc !== proc) return
    slot.proc = undefined
    if (stopping) return endIfIdle()
    const how = proc.signalCode ? `signal ${proc.signalCode}` : `code ${code}`
    if (!started && !slot.listening) {
      logger.error({ worker: slot.index, worker_pid: proc.pid, exit: how }, `worker ${slot.index} exited with ${how} before listening; stopping`)
      stopping = true
      exitCode = code || 1
      stopAll('SIGTERM')
      markReady(false)
      return endIfIdle()
    }
    const now = performance.now()
    slot.restarts = slot.restarts.filter((t) => now - t < 60_000)
    if (slot.restarts.length >= MAX_RESTARTS) {
      logger.error({ worker: slot.index, worker_pid: proc.pid, exit: how, restarts_last_minute: slot.restarts.length }, `worker ${slot.index} exited with ${how} and was restarted ${MAX_RESTARTS} times within a minute; not restarting it`)
      if (live().length === 0 && slots.every((s) => s.timer === undefined)) {
        exitCode = 1
        endIfIdle()
      }
      return
    }
    const delayMs = Math.min(5000, 100 * 2 ** slot.restarts.length)
    slot.restarts.push(now)
    logger.warn({ worker: slot.index, worker_pid: proc.pid, exit: how, delay_ms: delayMs }, `worker ${slot.index} (pid ${proc.pid}) exited with ${how}; restarting it in ${delayMs} ms`)
    slot.timer = setTimeout(() => {
      if (!stopping) spawnWorker(slot)
      else {
        slot.timer = undefined
        endIfIdle()
      }
    }, delayMs)
  }

  const stopAll = (signal: NodeJS.Signals) => {
    for (const s of slots) {
      if (s.timer !== undefined) {
        clearTimeout(s.timer)
        s.timer = undefined
      }
      try {
        s.proc?.kill(signal)
      } catch {}
    }
  }

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info({ signal, workers: live().length }, `${signal}: stopping ${live().length} workers`)
    stopAll(signal)
    const force = setTimeout(() => stopAll('SIGKILL'), (config.SHUTDOWN_GRACE_SECONDS + 5) * 1000)
    force.unref?.()
    endIfIdle()
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))

  for (const slot of slots) spawnWorker(slot)
  const startTimer = setTimeout(() => markReady(false), START_TIMEOUT_MS)
  const ok = await ready
  clearTimeout(startTimer)
  if (ok && !stopping) {
    started = true
    const url = proxyUrl(config, port)
    logger.info({ url, version: VERSION, workers: count, redis: config.REDIS_URL ? 'on' : 'off' }, `ccproxy ${VERSION} listening on ${url} with ${count} workers`)
  } else if (!stopping) {
    logger.error({ workers: count }, `the workers did not all start within ${START_TIMEOUT_MS / 1000} s; stopping`)
    stopping = true
    exitCode = 1
    stopAll('SIGTERM')
    endIfIdle()
  }
  return done
}

/** In a worker: stops it (as SIGTERM would) when its supervisor is gone, so no orphan keeps the port. */
export function watchSupervisor(stop: () => void): void {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer)
      stop()
    }
  }, 1000)
  timer.unref?.()
}

/** Tells the supervisor this worker listens. */
export function reportListening(port: number): void {
  try {
    process.send?.({ type: 'listening', port })
  } catch {}
}
