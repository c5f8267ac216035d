import type { Config } from '../config/schema'
import { buildDeps } from '../proxy/deps'
import { createApp } from '../server/app'
import { createAppLogger } from '../log/app-logger'
import { VERSION } from '../version'
import { listenOptions } from '../server/listen-options'
import { reportListening, supervise, watchSupervisor, workerCount, workerFromEnv, workerLogPath } from './supervisor'

/**
 * Starts the proxy and resolves with the exit code once it has shut down (SIGINT / SIGTERM). With workers
 * (IS_LOCAL_DEPLOYMENT=false or WORKERS > 1) this process supervises them instead; a worker listens with SO_REUSEPORT.
 */
export async function serve(config: Config, opts: { envFile?: string } = {}): Promise<number> {
  const worker = workerFromEnv()
  const workers = worker ? 0 : workerCount(config)
  if (workers > 0) return supervise(config, workers, opts)
  const logConfig = worker ? { ...config, LOG_FILE_PATH: workerLogPath(config.LOG_FILE_PATH, worker.index), ERROR_LOG_FILE_PATH: workerLogPath(config.ERROR_LOG_FILE_PATH, worker.index) } : config
  const { logger, close: closeLogger } = createAppLogger(logConfig)
  const deps = buildDeps(config, logger, {}, { worker })
  await deps.redis?.start()
  const app = createApp(deps)
  let server: ReturnType<typeof Bun.serve>
  try {
    server = Bun.serve({
      hostname: config.HOST,
      port: config.PORT,
      fetch: app.fetch,
      ...listenOptions(config),
      ...(worker ? { reusePort: true } : {}),
    })
  } catch (e) {
    const err = e as { code?: string; message?: string }
    if (err.code === 'EADDRINUSE' || /in use/i.test(err.message ?? '')) {
      console.error(`ccproxy: port ${config.PORT} on ${config.HOST} is already in use; pick another with --port N (or PORT=N; 0 picks a free port).`)
    } else if (err.code === 'EACCES') {
      console.error(`ccproxy: not allowed to listen on ${config.HOST}:${config.PORT}; pick a port above 1024 with --port N.`)
    } else {
      console.error(`ccproxy: cannot listen on ${config.HOST}:${config.PORT}: ${err.message ?? e}`)
    }
    deps.redis?.close()
    closeLogger()
    return 1
  }
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${server.port}`
  logger.info({ url, version: VERSION, upstream: config.OPENAI_BASE_URL.join(','), provider: deps.profile.name, big_model: config.BIG_MODEL_NAME, small_model: config.SMALL_MODEL_NAME, ...(worker ? { worker: worker.index } : {}) }, worker ? `ccproxy ${VERSION} worker ${worker.index}/${worker.count} (pid ${process.pid}) serving ${url}` : `ccproxy ${VERSION} listening on ${url}`)
  if (worker) reportListening(server.port ?? config.PORT)

  return new Promise<number>((resolve) => {
    let stopping = false
    const shutdown = async (signal: string) => {
      if (stopping) return
      stopping = true
      const graceMs = config.SHUTDOWN_GRACE_SECONDS * 1000
      logger.info({ signal, in_flight: server.pendingRequests, grace_s: config.SHUTDOWN_GRACE_SECONDS }, `${signal}: no longer accepting; letting in-flight requests finish`)
      void server.stop(false)
      // Idle keep-alive connections would hold stop(false) open: wait for the requests (streams included), then close.
      const until = Date.now() + graceMs
      while (server.pendingRequests > 0 && Date.now() < until) await Bun.sleep(25)
      if (server.pendingRequests > 0) logger.warn({ in_flight: server.pendingRequests }, 'grace period over; closing the remaining connections')
      await server.stop(true)
      deps.redis?.close()
      await deps.tracer.shutdown()
      logger.info('stopped')
      closeLogger()
      resolve(0)
    }
    process.on('SIGINT', () => void shutdown('SIGINT'))
    process.on('SIGTERM', () => void shutdown('SIGTERM'))
    if (worker) watchSupervisor(() => void shutdown('supervisor gone'))
  })
}
