/**
 * The one connection to Redis (REDIS_URL) and its health. Every call has a deadline (REDIS_TIMEOUT_MS) and never
 * rejects: a failure or a late answer resolves undefined and marks Redis down, so callers fall back to their local
 * state. While down nothing is sent on the request path; a background probe (every second) reconnects with a fresh
 * client and marks Redis up again once it answers PING. Each change is logged once: one warning when it goes down,
 * one info line when it is back.
 */
import { RedisClient } from 'bun'
import type { Logger } from 'pino'
import { maskUrlPassword } from '../config/load'

/** off: no REDIS_URL; ok: shared state in use; down: the local fallback is in use. */
export type RedisStatus = 'off' | 'ok' | 'down'

/** What a link reads: REDIS_URL, REDIS_TIMEOUT_MS and REDIS_KEY_PREFIX. */
export interface RedisLinkOptions {
  url: string
  timeoutMs: number
  prefix: string
  logger?: Logger
  /** Called on every status change (metrics). */
  onStatus?: (status: RedisStatus) => void
  /** How often the probe runs, in ms (1 s). */
  probeIntervalMs?: number
}

/** A Lua script sent by its SHA-1: every script is loaded on each (re)connection, and again on NOSCRIPT. */
export class RedisScript {
  /** Every script defined, loaded into Redis whenever a link connects. */
  static readonly all = new Set<RedisScript>()
  readonly sha: string
  constructor(readonly source: string) {
    this.sha = new Bun.CryptoHasher('sha1').update(source).digest('hex')
    RedisScript.all.add(this)
  }
}

const NOSCRIPT = /NOSCRIPT/

/** See the module comment. */
export class RedisLink {
  readonly prefix: string
  readonly #url: string
  readonly #timeoutMs: number
  readonly #log: Logger | undefined
  readonly #onStatus: ((s: RedisStatus) => void) | undefined
  readonly #probeMs: number
  readonly #watchers = new Set<(up: boolean) => void>()
  readonly #probes = new Set<() => void>()
  #client: RedisClient
  #up = false
  #everUp = false
  /** The warning for the current outage was logged. */
  #downLogged = false
  /** The last reconnection attempt got no answer at all. */
  #hung = false
  #probe: ReturnType<typeof setInterval> | undefined
  #probing = false
  #closed = false

  constructor(opts: RedisLinkOptions) {
    this.#url = opts.url
    this.#timeoutMs = opts.timeoutMs
    this.prefix = opts.prefix
    this.#log = opts.logger
    this.#onStatus = opts.onStatus
    this.#probeMs = opts.probeIntervalMs ?? 1000
    this.#client = this.#newClient()
  }

  /** True while Redis answers: shared state is in use. */
  get up(): boolean {
    return this.#up
  }

  /** 'ok' or 'down'. */
  get status(): RedisStatus {
    return this.#up ? 'ok' : 'down'
  }

  /** Connects (waiting at most `waitMs`) and starts the background probe; a Redis that is down is logged once. */
  async start(waitMs = Math.max(1000, this.#timeoutMs)): Promise<void> {
    this.#probe = setInterval(() => void this.#runProbe(), this.#probeMs)
    this.#probe.unref?.()
    const r = await this.#connectAndPing(waitMs)
    if (r === true) this.#markUp()
    else this.#markDown(r)
  }

  /** Stops the probe and closes the connection. */
  close(): void {
    this.#closed = true
    clearInterval(this.#probe)
    this.#up = false
    try {
      this.#client.close()
    } catch {}
  }

  /** Calls `fn` on every change between up and down. */
  onStatusChange(fn: (up: boolean) => void): void {
    this.#watchers.add(fn)
  }

  /** Calls `fn` after each probe that found Redis up (about once a second): refreshes mirrored state. */
  onProbe(fn: () => void): void {
    this.#probes.add(fn)
  }

  /** One command with the deadline; undefined when Redis is down, failed or was too slow (then it is marked down). */
  async call(command: string, args: string[]): Promise<unknown> {
    if (!this.#up) return undefined
    try {
      return await this.#withDeadline(this.#client.send(command, args))
    } catch (e) {
      this.#markDown(e)
      return undefined
    }
  }

  /** Runs a script by SHA (loading it on NOSCRIPT); undefined on any failure, as `call`. */
  async eval(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (!this.#up) return undefined
    const tail = [String(keys.length), ...keys, ...args.map(String)]
    try {
      return await this.#withDeadline(this.#client.send('EVALSHA', [script.sha, ...tail]))
    } catch (e) {
      if (!NOSCRIPT.test(String((e as Error)?.message))) {
        this.#markDown(e)
        return undefined
      }
    }
    try {
      return await this.#withDeadline(this.#client.send('EVAL', [script.source, ...tail]))
    } catch (e) {
      this.#markDown(e)
      return undefined
    }
  }

  #newClient(): RedisClient {
    // No offline queue: a command while disconnected fails at once instead of waiting for a reconnection.
    return new RedisClient(this.#url, { connectionTimeout: Math.max(500, this.#timeoutMs * 4), enableOfflineQueue: false, autoReconnect: false })
  }

  #withDeadline<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      // The refusal waits one more turn of the event loop: when the loop itself was held up (a long synchronous
      // task such as loading the tokenizer), the answer may be sitting unread in the socket, and the poll that
      // precedes the next timer delivers it first. A late Redis is then not mistaken for a failed one.
      timer = setTimeout(() => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.#timeoutMs} ms (REDIS_TIMEOUT_MS)`)), 0)
      }, this.#timeoutMs)
    })
    p.catch(() => {})
    return Promise.race([p, deadline]).finally(() => clearTimeout(timer))
  }

  /** Connects, PINGs and loads the scripts; true, or why not. */
  async #connectAndPing(waitMs: number): Promise<true | Error> {
    const client = this.#client
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<Error>((r) => (timer = setTimeout(() => r(new Error(`no answer within ${waitMs} ms`)), waitMs)))
    const attempt = (async (): Promise<true | Error> => {
      if (!client.connected) await client.connect()
      const pong = await client.send('PING', [])
      if (pong !== 'PONG') return new Error(`PING answered ${JSON.stringify(pong)}`)
      // Loaded up front so that no request pays the NOSCRIPT round trip (Redis forgets scripts when it restarts).
      await Promise.all([...RedisScript.all].map((s) => client.send('SCRIPT', ['LOAD', s.source])))
      return true
    })().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
    const r = await Promise.race([attempt, late])
    clearTimeout(timer)
    return r
  }

  async #runProbe(): Promise<void> {
    if (this.#probing || this.#closed) return
    this.#probing = true
    try {
      if (this.#up) {
        const pong = await this.#withDeadline(this.#client.send('PING', [])).catch((e) => this.#markDown(e))
        if (pong === 'PONG') for (const fn of this.#probes) fn()
        return
      }
      // A fresh client when the old one is closed, or hung on the last attempt (a frozen server keeps it open).
      if (!this.#client.connected || this.#hung) {
        try {
          this.#client.close()
        } catch {}
        this.#client = this.#newClient()
      }
      const r = await this.#connectAndPing(Math.max(500, this.#timeoutMs * 4))
      this.#hung = r !== true && r.message.startsWith('no answer within')
      if (r === true) this.#markUp()
    } finally {
      this.#probing = false
    }
  }

  #markUp(): void {
    if (this.#up || this.#closed) return
    this.#up = true
    this.#downLogged = false
    this.#onStatus?.('ok')
    if (this.#everUp) this.#log?.info({ redis: maskUrlPassword(this.#url) }, 'Redis is back: sharing limits, breakers and the cache again')
    else this.#log?.info({ redis: maskUrlPassword(this.#url) }, 'Redis connected: limits, breakers and the cache are shared')
    this.#everUp = true
    for (const fn of this.#watchers) fn(true)
  }

  #markDown(err: unknown): void {
    if (this.#closed) return
    const wasUp = this.#up
    this.#up = false
    if (wasUp) for (const fn of this.#watchers) fn(false)
    if (this.#downLogged) return
    this.#downLogged = true
    this.#onStatus?.('down')
    const message = err instanceof Error ? err.message : String(err)
    this.#log?.warn({ redis: maskUrlPassword(this.#url), err: message }, 'Redis unavailable: using this process\'s local limits, breakers and cache until it is back')
  }
}
