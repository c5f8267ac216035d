/**
 * The client-side rate limit kept in Redis, so every replica and worker draws from one quota: the same rules as
 * resilience/rate-limiter.ts (token buckets for requests and tokens, a sliding 60 s window, the adaptive factor),
 * evaluated atomically by one Lua script per permit on Redis's own clock (TIME), so replicas' clocks never matter.
 *
 * Keys: `<prefix>rl:{<scope>}` a hash (rl, tl: bucket levels; at: last refill, ms; f: adaptive factor; s: successes
 * in a row; wt: tokens in the window; seq: permit counter) and `<prefix>rl:{<scope>}:w` a sorted set of the window's
 * permits (member `<seq>:<tokens>`, score = admission time in ms). The scope is a hash of the upstream URLs and key:
 * a provider's quota belongs to the key, not to a process.
 */
import type { EffectiveLimits } from '../resilience/rate-limiter'
import type { SharedAcquisition, SharedLimiter, SharedPermit } from '../upstream/limiter-gate'
import { RedisScript, type RedisLink } from './link'

/** Loads the state, refills both buckets and drops the window's expired permits. ARGV[1..3] = rpm, tpm, burst. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rpm, tpm, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'rl', 'tl', 'at', 'f', 's', 'wt')
local f = tonumber(h[4]) or 1
local s = tonumber(h[5]) or 0
local function caps()
  local tpmF = tpm * f
  return math.max(1, math.floor(burst * f + 1e-6)), math.max(1, math.min(tpmF, tpmF * burst / rpm))
end
local reqCap, tokCap = caps()
local rl = tonumber(h[1]) or reqCap
local tl = tonumber(h[2]) or tokCap
local at = tonumber(h[3]) or now
local wt = tonumber(h[6]) or 0
if now > at then
  rl = math.min(reqCap, rl + (now - at) * rpm * f / 60000)
  tl = math.min(tokCap, tl + (now - at) * tpm * f / 60000)
  at = now
end
local cut = now - 60000
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cut)
if #gone > 0 then
  for i = 1, #gone do wt = wt - tonumber(string.match(gone[i], ':([^:]+)$')) end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cut)
end
local count = redis.call('ZCARD', KEYS[2])
if count == 0 then wt = 0 end
local function save()
  redis.call('HSET', KEYS[1], 'rl', tostring(rl), 'tl', tostring(tl), 'at', tostring(at), 'f', tostring(f), 's', tostring(s), 'wt', tostring(wt))
  redis.call('PEXPIRE', KEYS[1], 600000)
end
`

/** One permit of ARGV[4] tokens: {1, seq, factor} or {0, waitMs, factor}. */
const ACQUIRE = new RedisScript(`${PRELUDE}
local n = tonumber(ARGV[4])
local perMs = f / 60000
local wait = 0
local tokenNeed = math.min(n, tokCap)
if rl < 1 - 1e-6 then wait = (1 - rl) / (rpm * perMs) end
if tl < tokenNeed - 1e-6 then wait = math.max(wait, (tokenNeed - tl) / (tpm * perMs)) end
local rpmCap = math.max(1, math.floor(rpm * f + 1e-6))
if count >= rpmCap then
  local e = redis.call('ZRANGE', KEYS[2], count - rpmCap, count - rpmCap, 'WITHSCORES')
  wait = math.max(wait, tonumber(e[2]) + 60000 - now)
end
local tpmCap = math.max(1, math.floor(tpm * f + 1e-6))
local windowNeed = math.min(n, tpmCap)
if wt + windowNeed > tpmCap + 1e-6 then
  local all = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local remaining, last, i = wt, nil, 1
  while i < #all and remaining + windowNeed > tpmCap + 1e-6 do
    remaining = remaining - tonumber(string.match(all[i], ':([^:]+)$'))
    last = tonumber(all[i + 1])
    i = i + 2
  end
  if last then wait = math.max(wait, last + 60000 - now) end
end
if wait > 0 then
  save()
  return {0, tostring(math.max(1, math.ceil(wait))), tostring(f)}
end
rl = rl - 1
tl = tl - n
wt = wt + n
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('ZADD', KEYS[2], now, seq .. ':' .. ARGV[4])
redis.call('PEXPIRE', KEYS[2], 120000)
save()
return {1, tostring(seq), tostring(f)}
`)

/** Replaces permit ARGV[4]'s estimate ARGV[5] by the reported ARGV[6] tokens, in the bucket and the window. */
const CORRECT = new RedisScript(`${PRELUDE}
local diff = tonumber(ARGV[6]) - tonumber(ARGV[5])
tl = math.min(tokCap, tl - diff)
local old = ARGV[4] .. ':' .. ARGV[5]
local score = redis.call('ZSCORE', KEYS[2], old)
if score then
  redis.call('ZREM', KEYS[2], old)
  redis.call('ZADD', KEYS[2], score, ARGV[4] .. ':' .. ARGV[6])
  wt = wt + diff
end
save()
return 1
`)

/** The adaptive factor: ARGV[4] = '429' lowers it to 80%, 'ok' counts a success (10 in a row regain 10%). */
const ADAPT = new RedisScript(`${PRELUDE}
if ARGV[4] == '429' then
  s = 0
  f = math.floor(f * 0.8 * 1e9 + 0.5) / 1e9
else
  if f >= 1 then return tostring(f) end
  s = s + 1
  if s < 10 then
    save()
    return tostring(f)
  end
  s = 0
  f = math.min(1, math.floor((f + 0.1) * 1e9 + 0.5) / 1e9)
end
reqCap, tokCap = caps()
rl = math.min(rl, reqCap)
tl = math.min(tl, tokCap)
save()
return tostring(f)
`)

/** CLIENT_RATE_LIMIT_RPM / TPM / BURST as configured (the whole quota, not a worker's share). */
export interface SharedLimits { rpm: number; tpm: number; burst: number }

const whole = (x: number) => Math.max(1, Math.floor(x + 1e-6))

/** See the module comment. */
export class RedisRateLimiter implements SharedLimiter {
  readonly #link: RedisLink
  readonly #keys: [string, string]
  readonly #limits: SharedLimits
  #factor = 1

  constructor(link: RedisLink, scope: string, limits: SharedLimits) {
    this.#link = link
    const base = `${link.prefix}rl:{${scope}}`
    this.#keys = [base, `${base}:w`]
    this.#limits = { rpm: Math.max(1, limits.rpm), tpm: Math.max(1, limits.tpm), burst: Math.max(1, limits.burst) }
  }

  get available(): boolean {
    return this.#link.up
  }

  async tryAcquire(tokens: number): Promise<SharedAcquisition | undefined> {
    const n = Number.isFinite(tokens) ? Math.max(0, Math.round(tokens)) : 0
    const r = await this.#link.eval(ACQUIRE, this.#keys, [...this.#args(), n])
    if (!Array.isArray(r) || r.length < 3) return undefined
    this.#factor = Number(r[2]) || this.#factor
    if (Number(r[0]) === 1) return { ok: true, permit: { seq: String(r[1]), tokens: n } }
    return { ok: false, waitMs: Math.max(1, Number(r[1]) || 1) }
  }

  correct(permit: SharedPermit, actualTokens: number): void {
    const actual = Number.isFinite(actualTokens) ? Math.max(0, Math.round(actualTokens)) : permit.tokens
    if (actual === permit.tokens) return
    void this.#link.eval(CORRECT, this.#keys, [...this.#args(), permit.seq, permit.tokens, actual])
  }

  onUpstream429(): void {
    void this.#adapt('429')
  }

  onSuccess(): void {
    if (this.#factor < 1) void this.#adapt('ok')
  }

  effectiveLimits(): EffectiveLimits {
    const f = this.#factor
    const { rpm, tpm, burst } = this.#limits
    return { rpm: whole(rpm * f), tpm: whole(tpm * f), burst: whole(burst * f) }
  }

  async #adapt(kind: '429' | 'ok'): Promise<void> {
    const r = await this.#link.eval(ADAPT, this.#keys, [...this.#args(), kind])
    if (r !== undefined && Number.isFinite(Number(r))) this.#factor = Number(r)
  }

  #args(): number[] {
    return [this.#limits.rpm, this.#limits.tpm, this.#limits.burst]
  }
}
