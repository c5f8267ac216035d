import { spawn, type Subprocess } from 'bun'
import { deadPort } from '../upstream/helpers'

/** A redis-server of the test's own on a loopback port, with no persistence, that the test may stop and restart. */
export class TestRedis {
  private proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined

  private constructor(readonly port: number) {}

  /** Starts redis-server on a free loopback port (or `port`) and waits until it accepts connections. */
  static async start(port?: number): Promise<TestRedis> {
    const r = new TestRedis(port ?? (await deadPort()))
    await r.restart()
    return r
  }

  /** redis://127.0.0.1:<port> */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid
  }

  /** (Re)starts the server on the same port; resolves once it logs that it is ready (bounded). */
  async restart(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) return
    const proc = spawn(['redis-server', '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    this.proc = proc
    let out = ''
    const decoder = new TextDecoder()
    const reader = proc.stdout.getReader()
    const until = Date.now() + 10_000
    while (!/Ready to accept connections/i.test(out)) {
      if (Date.now() > until || proc.exitCode !== null) throw new Error(`redis-server did not start on ${this.port}: ${out}`)
      const { value, done } = await reader.read()
      if (done) throw new Error(`redis-server exited: ${out}`)
      out += decoder.decode(value, { stream: true })
    }
    reader.releaseLock()
    void (async () => {
      for await (const _ of proc.stdout) {
        // drained so the pipe never fills
      }
    })()
    void (async () => {
      for await (const _ of proc.stderr) {
        // drained
      }
    })()
  }

  /** Stops the server (SIGKILL: the connection drops at once, as when a host dies) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill(signal)
    await proc.exited
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open, answers stop coming. */
  freeze(frozen: boolean): void {
    this.proc?.kill(frozen ? 'SIGSTOP' : 'SIGCONT')
  }
}

/**
 * A Redis for tests that only need one: REDIS_TEST_URL when CI started one, else a TestRedis of their own.
 * `stop` ends only a server this function started.
 */
export async function sharedTestRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.REDIS_TEST_URL
  if (given) return { url: given, stop: async () => {} }
  const r = await TestRedis.start()
  return { url: r.url, stop: () => r.stop() }
}

/** Whether these tests can run here: a redis-server binary or a Redis given by CI (CI always runs them). */
export const HAVE_REDIS = Bun.which('redis-server') !== null || !!process.env.REDIS_TEST_URL || !!process.env.CI
