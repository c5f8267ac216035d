/**
 * The response cache and the in-flight index in Redis, so an answer completed on one replica is a hit on another
 * and identical concurrent requests on different replicas share one upstream call.
 *
 * Keys, per cache key: `<prefix>c:<key>` the stored Message (JSON, PX = RESPONSE_CACHE_TTL_S); `<prefix>f:<key>` the
 * running call's lease (the leader's token, PX 15 s, renewed every 5 s while it runs); `<prefix>r:<key>` the
 * finished call's outcome for replicas waiting on it (the Message or the error, PX 30 s). One script looks up and,
 * on a miss, takes the lease (or reports that another replica holds it); one script publishes the outcome, stores
 * a cacheable answer and drops the lease. A waiting replica polls the outcome key (20 ms, growing to 250 ms).
 * Redis holds no entry or byte bound of its own: give it a maxmemory with an LRU policy (every key has a TTL).
 */
import type { AnthropicMessageResponse } from '../translate/types'
import type { SharedCache, SharedBegin, SharedOutcome } from '../cache/layer'
import { RedisScript, type RedisLink } from './link'

const BEGIN = new RedisScript(`
if ARGV[1] == '0' then
  local v = redis.call('GET', KEYS[1])
  if v then return {'hit', v} end
  if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {'lead'} end
  return {'wait'}
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return {'lead'}
`)

const FINISH = new RedisScript(`
if ARGV[2] ~= '' then redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
`)

const POLL = new RedisScript(`
local r = redis.call('GET', KEYS[1])
if r then return {'done', r} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'running'} end
return {'gone'}
`)

const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

const LEASE_MS = 15_000
const RESULT_MS = 30_000

/** RESPONSE_CACHE_TTL_S and RESPONSE_CACHE_MAX_BYTES (ms and bytes), and how long a waiting replica waits. */
export interface RedisCacheOptions { ttlMs: number; maxBytes: number; maxWaitMs: number }

/** See the module comment. */
export class RedisCache implements SharedCache {
  readonly #link: RedisLink
  readonly #opts: RedisCacheOptions
  readonly #leases = new Map<string, string>()
  #renewal: ReturnType<typeof setInterval> | undefined

  constructor(link: RedisLink, opts: RedisCacheOptions) {
    this.#link = link
    this.#opts = opts
  }

  get available(): boolean {
    return this.#link.up
  }

  async begin(key: string, noCache: boolean): Promise<SharedBegin | undefined> {
    const token = crypto.randomUUID()
    const r = await this.#link.eval(BEGIN, [this.#k('c', key), this.#k('f', key)], [noCache ? '1' : '0', token, LEASE_MS])
    if (!Array.isArray(r)) return undefined
    if (r[0] === 'hit') {
      try {
        return { kind: 'hit', message: JSON.parse(String(r[1])) as AnthropicMessageResponse }
      } catch {
        return { kind: 'lead', token: await this.#lead(key, token) }
      }
    }
    if (r[0] === 'lead') return { kind: 'lead', token: this.#hold(key, token) }
    return r[0] === 'wait' ? { kind: 'wait' } : undefined
  }

  async finish(key: string, token: string, outcome: SharedOutcome): Promise<void> {
    this.#release(key, token)
    let result = ''
    let stored = ''
    if (outcome.kind === 'message') {
      result = JSON.stringify({ m: outcome.message })
      if (outcome.store && this.#opts.ttlMs >= 1) {
        const json = JSON.stringify(outcome.message)
        if (json.length <= this.#opts.maxBytes) stored = json
      }
    } else if (outcome.kind === 'error') {
      result = JSON.stringify({ e: outcome.error })
    }
    if (!this.#link.up) return
    await this.#link.eval(FINISH, [this.#k('c', key), this.#k('f', key), this.#k('r', key)], [token, result, RESULT_MS, stored, Math.max(1, Math.round(this.#opts.ttlMs))])
  }

  async wait(key: string, signal: AbortSignal): Promise<SharedOutcome | undefined> {
    const until = performance.now() + this.#opts.maxWaitMs
    let pause = 20
    while (!signal.aborted && performance.now() < until) {
      const r = await this.#link.eval(POLL, [this.#k('r', key), this.#k('f', key)], [])
      if (!Array.isArray(r)) return undefined
      if (r[0] === 'gone') return { kind: 'gone' }
      if (r[0] === 'done') {
        try {
          const o = JSON.parse(String(r[1])) as { m?: AnthropicMessageResponse; e?: { type: string; message: string; status: number } }
          if (o.m) return { kind: 'message', message: o.m, store: false }
          if (o.e) return { kind: 'error', error: o.e }
        } catch {}
        return { kind: 'gone' }
      }
      await Bun.sleep(pause)
      pause = Math.min(250, pause * 1.5)
    }
    return undefined
  }

  async clear(): Promise<number> {
    let cursor = '0'
    let n = 0
    do {
      const r = await this.#link.call('SCAN', [cursor, 'MATCH', `${this.#link.prefix}c:*`, 'COUNT', '500'])
      if (!Array.isArray(r)) return n
      cursor = String(r[0])
      const keys = (r[1] as string[]) ?? []
      if (keys.length > 0) n += Number(await this.#link.call('UNLINK', keys)) || 0
    } while (cursor !== '0')
    return n
  }

  #k(kind: 'c' | 'f' | 'r', key: string): string {
    return `${this.#link.prefix}${kind}:${key}`
  }

  async #lead(key: string, token: string): Promise<string> {
    await this.#link.eval(BEGIN, [this.#k('c', key), this.#k('f', key)], ['1', token, LEASE_MS])
    return this.#hold(key, token)
  }

  /** Keeps the lease alive while the call runs (one timer for all of this process's leases). */
  #hold(key: string, token: string): string {
    this.#leases.set(key, token)
    this.#renewal ??= setInterval(() => {
      for (const [k, t] of this.#leases) void this.#link.eval(RENEW, [this.#k('f', k)], [t, LEASE_MS])
    }, LEASE_MS / 3)
    this.#renewal.unref?.()
    return token
  }

  #release(key: string, token: string): void {
    if (this.#leases.get(key) === token) this.#leases.delete(key)
    if (this.#leases.size === 0 && this.#renewal !== undefined) {
      clearInterval(this.#renewal)
      this.#renewal = undefined
    }
  }
}
