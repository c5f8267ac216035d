/**
 * One upstream endpoint's circuit breaker kept in Redis, so a replica that sees the upstream fail opens it for all
 * and half-open trials are counted across replicas. The rules are resilience/circuit-breaker.ts's, run by one Lua
 * script per step (peek, allow, success, failure, release) on Redis's clock.
 *
 * Key: `<prefix>cb:<hash of the endpoint URL>`, a hash: st (CLOSED, OPEN, HALF_OPEN), cf (failures in a row),
 * oa (opened at, ms), ti / tf / ts (half-open trials issued, in flight, succeeded), tr (transitions), li (when the
 * last trial was issued). Trials outstanding longer than a lease (MAX_STREAM_SECONDS) are forgotten, so a replica
 * that died during its trial cannot hold the breaker half-open for ever.
 */
import type { BreakerDecision, BreakerSnapshot, BreakerState, BreakerTransition } from '../resilience/circuit-breaker'
import type { SharedBreaker } from '../upstream/endpoints'
import { RedisScript, type RedisLink } from './link'

const STEP = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local threshold, recovery, half, lease, op = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local h = redis.call('HMGET', KEYS[1], 'st', 'cf', 'oa', 'ti', 'tf', 'ts', 'tr', 'li')
local st = h[1] or 'CLOSED'
local cf, oa = tonumber(h[2]) or 0, tonumber(h[3]) or 0
local ti, tf, ts = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0
local tr, li = tonumber(h[7]) or 0, tonumber(h[8]) or 0
local moved, dirty = {}, false
local function move(to)
  moved[#moved + 1] = st .. '>' .. to
  st, tr, ti, tf, ts, dirty = to, tr + 1, 0, 0, 0, true
  if to == 'OPEN' then oa = now end
  if to == 'CLOSED' then cf = 0 end
end
if st == 'OPEN' and now >= oa + recovery then move('HALF_OPEN') end
if st == 'HALF_OPEN' and tf > 0 and now - li > lease then ti, tf, ts, dirty = 0, 0, 0, true end
local ok, trial, retry = 0, 0, 0
if op == 'allow' then
  if st == 'CLOSED' then ok = 1
  elseif st == 'OPEN' then retry = oa + recovery - now
  elseif ti < half then ti, tf, li, ok, trial, dirty = ti + 1, tf + 1, now, 1, 1, true
  else retry = math.min(1000, recovery) end
elseif op == 'success' then
  if st == 'CLOSED' then
    if cf ~= 0 then cf, dirty = 0, true end
  elseif st == 'HALF_OPEN' and tf > 0 then
    tf, ts, dirty = tf - 1, ts + 1, true
    if ts >= half then move('CLOSED') end
  end
elseif op == 'failure' then
  if st == 'CLOSED' then
    cf, dirty = cf + 1, true
    if cf >= threshold then move('OPEN') end
  elseif st == 'HALF_OPEN' and tf > 0 then
    cf = cf + 1
    move('OPEN')
  end
elseif op == 'release' then
  if st == 'HALF_OPEN' and tf > 0 then tf, ti, dirty = tf - 1, ti - 1, true end
end
if dirty then
  redis.call('HSET', KEYS[1], 'st', st, 'cf', cf, 'oa', tostring(oa), 'ti', ti, 'tf', tf, 'ts', ts, 'tr', tr, 'li', tostring(li))
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
local left = 0
if st == 'OPEN' then left = math.max(0, oa + recovery - now) end
return {st, cf, tostring(math.max(0, retry)), ok, trial, tr, table.concat(moved, ','), tostring(left)}
`)

/** CIRCUIT_BREAKER_* (recovery in ms) and how long a half-open trial may stay outstanding. */
export interface RedisBreakerOptions {
  failureThreshold: number
  recoveryTimeoutMs: number
  halfOpenRequests: number
  trialLeaseMs: number
}

/** Where a shared breaker reports: transitions this process caused, and any change of the state it saw. */
export interface SharedBreakerHooks {
  onTransition(t: BreakerTransition): void
  onChange(): void
}

type Op = 'peek' | 'allow' | 'success' | 'failure' | 'release'
interface Reply { snapshot: BreakerSnapshot; ok: boolean; trial: boolean; retryAfterMs: number }

/** See the module comment. */
export class RedisBreaker implements SharedBreaker {
  readonly #link: RedisLink
  readonly #key: string
  readonly #args: string[]
  readonly #hooks: SharedBreakerHooks
  #last: { snapshot: BreakerSnapshot; at: number } | undefined

  constructor(link: RedisLink, endpointUrl: string, opts: RedisBreakerOptions, hooks: SharedBreakerHooks) {
    this.#link = link
    this.#key = `${link.prefix}cb:${new Bun.CryptoHasher('sha256').update(endpointUrl).digest('hex').slice(0, 24)}`
    this.#args = [opts.failureThreshold, opts.recoveryTimeoutMs, opts.halfOpenRequests, opts.trialLeaseMs].map((n) => String(Math.max(0, n)))
    this.#hooks = hooks
  }

  get available(): boolean {
    return this.#link.up
  }

  snapshot(): BreakerSnapshot | undefined {
    const last = this.#last
    if (last === undefined) return undefined
    const s = last.snapshot
    return s.state === 'OPEN' ? { ...s, retryAfterMs: Math.max(0, s.retryAfterMs - (performance.now() - last.at)) } : s
  }

  async peek(): Promise<BreakerSnapshot | undefined> {
    return (await this.#step('peek'))?.snapshot
  }

  async allow(): Promise<BreakerDecision | undefined> {
    const r = await this.#step('allow')
    if (r === undefined) return undefined
    return r.ok ? { ok: true, trial: r.trial } : { ok: false, retryAfterMs: r.retryAfterMs }
  }

  async onSuccess(): Promise<boolean> {
    const s = this.#last?.snapshot
    if (s !== undefined && s.state === 'CLOSED' && s.consecutiveFailures === 0) return true
    return (await this.#step('success')) !== undefined
  }

  async onFailure(): Promise<boolean> {
    return (await this.#step('failure')) !== undefined
  }

  async release(): Promise<boolean> {
    if (this.#last?.snapshot.state !== 'HALF_OPEN') return true
    return (await this.#step('release')) !== undefined
  }

  async #step(op: Op): Promise<Reply | undefined> {
    const r = await this.#link.eval(STEP, [this.#key], [...this.#args, op])
    if (!Array.isArray(r) || r.length < 8) return undefined
    const state = String(r[0]) as BreakerState
    const snapshot: BreakerSnapshot = {
      state,
      consecutiveFailures: Number(r[1]) || 0,
      openedAt: null,
      retryAfterMs: Number(r[7]) || 0,
      transitions: Number(r[5]) || 0,
    }
    const before = this.#last?.snapshot.state
    this.#last = { snapshot, at: performance.now() }
    const moves = String(r[6] ?? '')
    if (moves !== '') {
      for (const m of moves.split(',')) {
        const [from, to] = m.split('>') as [BreakerState, BreakerState]
        this.#hooks.onTransition({ from, to, at: Date.now(), consecutiveFailures: snapshot.consecutiveFailures })
      }
    }
    if (before !== state) this.#hooks.onChange()
    return { snapshot, ok: Number(r[3]) === 1, trial: Number(r[4]) === 1, retryAfterMs: Number(r[2]) || 0 }
  }
}
