/**
 * Every setting ccproxy reads: its environment name, type, default, bounds and one line of documentation.
 * This table is the single source for validation, `ccproxy config`, `--help` and `.env.example`.
 */

export type SettingKind = 'string' | 'int' | 'number' | 'bool' | 'url' | 'urls' | 'choice' | 'list' | 'path' | 'redis-url'

export interface SettingSpec {
  readonly env: string
  readonly kind: SettingKind
  /** Default as it would be written in the environment; undefined = unset. */
  readonly default?: string
  readonly doc: string
  readonly group: string
  readonly min?: number
  readonly max?: number
  readonly choices?: readonly string[]
  readonly secret?: boolean
}

function s<E extends string, K extends SettingKind, D extends string | undefined>(
  group: string, env: E, kind: K, def: D, doc: string, extra: Partial<SettingSpec> = {},
): SettingSpec & { env: E; kind: K; default: D } {
  return { group, env, kind, default: def, doc, ...extra } as SettingSpec & { env: E; kind: K; default: D }
}

export const SETTINGS = [
  // Upstream
  s('upstream', 'OPENAI_API_KEY', 'string', undefined, 'API key for the upstream provider (sent as Authorization: Bearer, or api-key for Azure).', { secret: true }),
  s('upstream', 'OPENROUTER_API_KEY', 'string', undefined, 'Used instead of OPENAI_API_KEY when that is unset (OpenRouter).', { secret: true }),
  s('upstream', 'OPENAI_BASE_URL', 'urls', 'https://api.openai.com/v1', 'OpenAI-compatible base URL; several, comma-separated, fail over in order.'),
  s('upstream', 'UPSTREAM_PROVIDER', 'choice', 'auto', 'Provider profile; auto picks it from OPENAI_BASE_URL.', { choices: ['auto', 'openai', 'azure', 'openrouter', 'deepseek', 'xai', 'groq', 'gemini', 'ollama', 'generic'] }),
  s('upstream', 'AZURE_API_VERSION', 'string', '2024-10-21', 'api-version query parameter for classic Azure OpenAI deployment URLs.'),
  s('upstream', 'BIG_MODEL_NAME', 'string', 'gpt-4o', 'Upstream model for Claude opus/sonnet and every other claude-* name.'),
  s('upstream', 'SMALL_MODEL_NAME', 'string', 'gpt-4o-mini', 'Upstream model for Claude names containing "haiku".'),
  s('upstream', 'MODEL_MAP', 'list', '', 'Overrides, e.g. claude-opus-*=gpt-5,*haiku*=gpt-5-mini (glob=model, comma-separated, first match wins).'),
  s('upstream', 'ALLOW_INSECURE_UPSTREAM', 'bool', 'false', 'Allow plain http:// to an upstream that is not a loopback or private address.'),
  // Server
  s('server', 'HOST', 'string', '127.0.0.1', 'Address to listen on.'),
  s('server', 'PORT', 'int', '11434', 'Port to listen on (0 picks a free one).', { min: 0, max: 65535 }),
  s('server', 'SHUTDOWN_GRACE_SECONDS', 'number', '30', 'On SIGINT/SIGTERM, how long in-flight requests and streams may finish.', { min: 0 }),
  s('server', 'MAX_REQUEST_BYTES', 'int', String(32 * 1024 * 1024), 'Largest accepted request body; larger ones get 413 request_too_large.', { min: 1024 }),
  s('server', 'CLIENT_BODY_TIMEOUT', 'number', '30', 'Seconds a client may take to send its request body (slow clients get 408).', { min: 0.001 }),
  s('server', 'CCPROXY_API_KEYS', 'list', '', 'Client keys ccproxy accepts (x-api-key or Authorization: Bearer), comma-separated; empty = no key needed.', { secret: true }),
  s('server', 'CCPROXY_ALLOW_UNAUTHENTICATED', 'bool', 'false', 'Allow a non-loopback HOST without CCPROXY_API_KEYS.'),
  s('server', 'CORS_ALLOW_ORIGINS', 'list', '', 'Browser origins allowed by CORS (or *); empty = CORS off.'),
  s('server', 'IS_LOCAL_DEPLOYMENT', 'bool', 'true', 'true: one process, what a laptop wants. false: WORKERS processes (default one per core) share the port under a supervisor that restarts them.'),
  // Pool and transport
  s('transport', 'POOL_MAX_CONNECTIONS', 'int', '100', 'Most upstream requests in flight at once (further ones wait up to HTTP_POOL_TIMEOUT).', { min: 1 }),
  s('transport', 'POOL_MAX_KEEPALIVE_CONNECTIONS', 'int', '20', 'Idle keep-alive connections kept per upstream endpoint (0 = no keep-alive).', { min: 0 }),
  s('transport', 'POOL_KEEPALIVE_EXPIRY', 'number', '30', 'Seconds an idle keep-alive connection is kept (0 = no keep-alive).', { min: 0 }),
  s('transport', 'SSL_CERT_FILE', 'path', undefined, 'Extra CA bundle (PEM) trusted for the upstream.'),
  s('transport', 'HTTPS_PROXY', 'string', undefined, 'Proxy for https:// upstreams.'),
  s('transport', 'HTTP_PROXY', 'string', undefined, 'Proxy for http:// upstreams.'),
  s('transport', 'NO_PROXY', 'list', '', 'Hosts that bypass HTTP(S)_PROXY.'),
  // Timeouts
  s('timeouts', 'HTTP_CONNECT_TIMEOUT', 'number', '10', 'Seconds to open a connection to the upstream (TCP, TLS and any proxy tunnel).', { min: 0.001 }),
  s('timeouts', 'HTTP_WRITE_TIMEOUT', 'number', '30', 'Seconds to send the request body upstream.', { min: 0.001 }),
  s('timeouts', 'HTTP_POOL_TIMEOUT', 'number', '30', 'Seconds to wait for a connection slot or a rate-limit permit.', { min: 0 }),
  s('timeouts', 'HTTP_READ_TIMEOUT', 'number', undefined, 'Seconds from the request being sent to the upstream first byte (default: MAX_STREAM_SECONDS).', { min: 0.001 }),
  s('timeouts', 'HTTP_ADAPTIVE_TIMEOUT', 'bool', 'true', 'Learn the first-byte timeout from recent latency (2 x p95, 10 s to 600 s, never above HTTP_READ_TIMEOUT).'),
  s('timeouts', 'STREAM_IDLE_TIMEOUT', 'number', '300', 'Seconds of silence between stream chunks before the stream is failed.', { min: 0.001 }),
  s('timeouts', 'MAX_STREAM_SECONDS', 'number', '600', 'Seconds a whole answer may take.', { min: 0.001 }),
  // Retries
  s('retries', 'PROVIDER_MAX_RETRIES', 'int', '3', 'Retries after the first attempt (connection errors, 408/409/429/5xx/529 before the first byte).', { min: 0, max: 20 }),
  s('retries', 'PROVIDER_RETRY_BASE_DELAY', 'number', '0.5', 'Seconds; the delay is BASE x 2^attempt + jitter unless the upstream says retry-after.', { min: 0 }),
  s('retries', 'PROVIDER_RETRY_JITTER', 'number', '0.25', 'Seconds of uniform random jitter added to each retry delay.', { min: 0 }),
  // Client-side rate limiting
  s('ratelimit', 'CLIENT_RATE_LIMIT_ENABLED', 'bool', 'true', 'Limit requests and tokens sent upstream.'),
  s('ratelimit', 'CLIENT_RATE_LIMIT_RPM', 'int', '3000', 'Requests per minute.', { min: 1 }),
  s('ratelimit', 'CLIENT_RATE_LIMIT_TPM', 'int', '1620000', 'Tokens per minute: the prompt as counted, corrected to input + output once the upstream reports usage.', { min: 1 }),
  s('ratelimit', 'CLIENT_RATE_LIMIT_BURST', 'int', '600', 'Bucket size: requests that may go at once.', { min: 1 }),
  s('ratelimit', 'CLIENT_RATE_LIMIT_ADAPTIVE', 'bool', 'true', 'Lower limits to 80% on an upstream 429; recover by 10% per 10 successes.'),
  // Circuit breaker
  s('breaker', 'CIRCUIT_BREAKER_FAILURE_THRESHOLD', 'int', '5', 'Consecutive failed attempts that open the breaker.', { min: 1 }),
  s('breaker', 'CIRCUIT_BREAKER_RECOVERY_TIMEOUT', 'number', '30', 'Seconds the breaker stays open before half-open trials.', { min: 0 }),
  s('breaker', 'CIRCUIT_BREAKER_HALF_OPEN_REQUESTS', 'int', '3', 'Trial requests let through while half-open.', { min: 1 }),
  // Response cache and in-flight de-duplication
  s('cache', 'RESPONSE_CACHE_ENABLED', 'bool', 'true', 'Serve repeats of a completed answer from memory and let identical concurrent requests share one upstream call.'),
  s('cache', 'RESPONSE_CACHE_TTL_S', 'number', '300', 'Seconds a completed answer is served from the cache.', { min: 0 }),
  s('cache', 'RESPONSE_CACHE_MAX_ENTRIES', 'int', '1000', 'Most answers kept (least recently used go first).', { min: 0 }),
  s('cache', 'RESPONSE_CACHE_MAX_BYTES', 'int', String(64 * 1024 * 1024), 'Most bytes of answers kept (least recently used go first).', { min: 0 }),
  // Observability
  s('observability', 'LOG_LEVEL', 'choice', 'info', 'Console and log.jsonl level.', { choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }),
  s('observability', 'LOG_FILE_PATH', 'path', 'log.jsonl', 'JSON log (info and up); empty = no file.'),
  s('observability', 'ERROR_LOG_FILE_PATH', 'path', 'error.jsonl', 'JSON log of errors only; empty = no file.'),
  s('observability', 'LOG_MAX_BYTES', 'int', '10485760', 'Bytes a log file may reach before it is rotated to <file>.1.', { min: 1024 }),
  s('observability', 'LOG_MAX_FILES', 'int', '5', 'Rotated files kept per log (<file>.1 ... <file>.N).', { min: 1 }),
  s('observability', 'LOG_BODIES', 'bool', 'false', 'Log request and response bodies at debug level (may contain private data).'),
  s('observability', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'url', undefined, 'OpenTelemetry collector base URL; when set, spans go to <url>/v1/traces over OTLP/HTTP JSON.'),
  s('observability', 'OTEL_SERVICE_NAME', 'string', 'ccproxy', 'service.name of the exported spans.'),
  // Scaling: worker processes and state shared through Redis
  s('scaling', 'WORKERS', 'int', '0', 'Worker processes sharing the port: 0 = one per core when IS_LOCAL_DEPLOYMENT=false, else one process; N > 1 runs N workers.', { min: 0, max: 1024 }),
  s('scaling', 'REDIS_URL', 'redis-url', undefined, 'redis:// or rediss:// URL: replicas and workers share rate limits, circuit breakers and the response cache through it.'),
  s('scaling', 'REDIS_TIMEOUT_MS', 'int', '250', 'Milliseconds one Redis call may take before this replica falls back to its local state.', { min: 1, max: 60_000 }),
  s('scaling', 'REDIS_KEY_PREFIX', 'string', 'ccproxy:', 'Prefix of every Redis key ccproxy writes (separate deployments sharing one Redis use different prefixes).'),
] as const satisfies readonly SettingSpec[]

export type SettingName = (typeof SETTINGS)[number]['env']

type ValueOf<K extends SettingKind> = K extends 'int' | 'number' ? number : K extends 'bool' ? boolean : K extends 'urls' | 'list' ? string[] : string
type Spec = (typeof SETTINGS)[number]

/** The effective settings, keyed by their environment names, with typed values. */
export type Config = {
  readonly [S in Spec as S['env']]: S['default'] extends string ? ValueOf<S['kind']> : ValueOf<S['kind']> | undefined
}

export const SETTING_BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((x) => [x.env, x]))
