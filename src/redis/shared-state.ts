import type { Logger } from 'pino'
import type { Config } from '../config/schema'
import type { Metrics } from '../metrics/registry'
import { RedisBreaker } from './breaker'
import { RedisCache } from './cache-store'
import { RedisLink } from './link'
import { RedisRateLimiter } from './rate-limiter'
import type { SharedBreakerHooks } from './breaker'

/** Everything kept in Redis when REDIS_URL is set: the link and the shared limiter, breakers and cache. */
export interface SharedState {
  readonly link: RedisLink
  readonly limiter: RedisRateLimiter
  breaker(endpointUrl: string, hooks: SharedBreakerHooks): RedisBreaker
  readonly cache: RedisCache
}

/**
 * Builds the shared state from REDIS_URL (undefined when unset). Nothing connects until `link.start()`; until then,
 * and whenever Redis is unreachable, every part reports unavailable and the local state is used.
 */
export function createSharedState(config: Config, deps: { logger?: Logger; metrics?: Metrics } = {}): SharedState | undefined {
  if (!config.REDIS_URL) return undefined
  const link = new RedisLink({
    url: config.REDIS_URL,
    timeoutMs: config.REDIS_TIMEOUT_MS,
    prefix: config.REDIS_KEY_PREFIX,
    logger: deps.logger,
    onStatus: (status) => deps.metrics?.setRedis(status),
  })
  deps.metrics?.setRedis('down')
  // The limits belong to the upstream account: every process with the same upstream and key shares them.
  const account = `${config.OPENAI_BASE_URL.join(',')}\n${config.OPENAI_API_KEY ?? config.OPENROUTER_API_KEY ?? ''}`
  const scope = new Bun.CryptoHasher('sha256').update(account).digest('hex').slice(0, 24)
  const limiter = new RedisRateLimiter(link, scope, { rpm: config.CLIENT_RATE_LIMIT_RPM, tpm: config.CLIENT_RATE_LIMIT_TPM, burst: config.CLIENT_RATE_LIMIT_BURST })
  const lastsMs = config.MAX_STREAM_SECONDS * 1000 + 5000
  const breakerOptions = {
    failureThreshold: config.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
    recoveryTimeoutMs: config.CIRCUIT_BREAKER_RECOVERY_TIMEOUT * 1000,
    halfOpenRequests: config.CIRCUIT_BREAKER_HALF_OPEN_REQUESTS,
    trialLeaseMs: lastsMs,
  }
  const cache = new RedisCache(link, { ttlMs: config.RESPONSE_CACHE_TTL_S * 1000, maxBytes: config.RESPONSE_CACHE_MAX_BYTES, maxWaitMs: lastsMs })
  return { link, limiter, cache, breaker: (url, hooks) => new RedisBreaker(link, url, breakerOptions, hooks) }
}
