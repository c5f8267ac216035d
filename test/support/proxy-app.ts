import pino from 'pino'
import { loadConfig } from '../../src/config/load'
import type { Config } from '../../src/config/schema'
import { buildDeps, type ProxyDeps } from '../../src/proxy/deps'
import { createApp } from '../../src/server/app'
import { listenOptions } from '../../src/server/listen-options'
import type { RequestRecord } from '../../src/proxy/messages'

export interface InProcessProxy {
  url: string
  config: Config
  deps: ProxyDeps
  /** Every finished request, in order. */
  records: RequestRecord[]
  close(): Promise<void>
}

/** Builds settings for tests: loopback upstream, quiet logs, fast retries; `env` overrides anything. */
export function testConfig(upstreamUrl: string, env: Record<string, string> = {}): Config {
  const r = loadConfig({
    env: {
      OPENAI_BASE_URL: upstreamUrl,
      OPENAI_API_KEY: 'sk-upstream-test-key-0123456789',
      LOG_LEVEL: 'silent',
      LOG_FILE_PATH: '',
      ERROR_LOG_FILE_PATH: '',
      PROVIDER_RETRY_BASE_DELAY: '0.01',
      PROVIDER_RETRY_JITTER: '0',
      // Off unless a test is about the cache: other tests repeat identical requests on purpose.
      RESPONSE_CACHE_ENABLED: 'false',
      ...env,
    },
  })
  if (!r.ok) throw new Error(r.errors.join('\n'))
  return r.config
}

/** Runs the real app in this process on 127.0.0.1, port 0. */
export async function startApp(upstreamUrl: string, env: Record<string, string> = {}, extra: Partial<ProxyDeps> = {}): Promise<InProcessProxy> {
  const config = testConfig(upstreamUrl, env)
  const records: RequestRecord[] = []
  const deps = buildDeps(config, extra.logger ?? pino({ level: 'silent' }), { observe: (rec) => records.push(rec), ...extra })
  const app = createApp(deps)
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch, ...listenOptions(config) })
  return {
    url: `http://127.0.0.1:${server.port}`,
    config,
    deps,
    records,
    close: async () => {
      await server.stop(true)
      deps.upstream.close()
    },
  }
}

/** POSTs an Anthropic Messages request. */
export function postMessages(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client-key', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}
