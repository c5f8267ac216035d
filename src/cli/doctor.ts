import { createServer } from 'node:net'
import type { Config } from '../config/schema'
import { resolveProfile } from '../translate/providers'
import { upstreamKey } from '../proxy/deps'
import { ccproxyAnswers, proxyUrl } from './code'

/** One check's outcome: what was checked, whether it passed, what was seen, and how to fix a failure. */
export interface CheckResult {
  name: string
  ok: boolean
  detail: string
  fix?: string
}

const timeout = (ms: number) => AbortSignal.timeout(ms)

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, host, () => s.close(() => resolve(true)))
  })
}

/** Runs every check in order; later upstream checks are skipped (failed) when the upstream is unreachable. */
export async function runChecks(config: Config, fetchImpl: typeof fetch = fetch): Promise<CheckResult[]> {
  const results: CheckResult[] = [{ name: 'settings', ok: true, detail: 'all settings valid' }]
  const url = proxyUrl(config)
  if (await portFree(config.HOST, config.PORT)) results.push({ name: 'port', ok: true, detail: `${config.HOST}:${config.PORT} is free` })
  else if (await ccproxyAnswers(url)) results.push({ name: 'port', ok: true, detail: `ccproxy already answers on ${url}` })
  else results.push({ name: 'port', ok: false, detail: `${config.HOST}:${config.PORT} is taken by another program`, fix: 'pick another port with --port N or PORT=N' })

  const base = config.OPENAI_BASE_URL[0]
  const profile = resolveProfile(config.UPSTREAM_PROVIDER, base)
  const key = upstreamKey(config)
  const headers = { ...(key ? profile.authHeaders(key) : {}), ...profile.extraHeaders }
  let models: Response | undefined
  try {
    models = await fetchImpl(`${base}/models`, { headers, signal: timeout(10_000) })
    results.push({ name: 'upstream reachable', ok: true, detail: `${base} answered HTTP ${models.status}${base.startsWith('https:') ? ' over TLS' : ''}` })
  } catch (e) {
    const msg = (e as Error).message
    const tls = /certificate|tls|ssl/i.test(msg)
    results.push({
      name: 'upstream reachable',
      ok: false,
      detail: `${base}: ${msg}`,
      fix: tls ? 'the TLS certificate is not trusted: set SSL_CERT_FILE to your CA bundle' : 'check OPENAI_BASE_URL, your network, and HTTPS_PROXY if you need a proxy',
    })
    return results
  }

  let ids: string[] = []
  if (models.status === 401 || models.status === 403) {
    results.push({ name: 'API key accepted', ok: false, detail: `GET /models answered ${models.status}`, fix: key ? 'the upstream rejects the key: set a valid OPENAI_API_KEY (or OPENROUTER_API_KEY)' : 'set OPENAI_API_KEY (or OPENROUTER_API_KEY)' })
  } else if (models.ok) {
    results.push({ name: 'API key accepted', ok: true, detail: key ? 'GET /models accepted the key' : 'no key needed' })
    const body = (await models.json().catch(() => ({}))) as { data?: { id?: string }[]; models?: { name?: string }[] }
    ids = (body.data ?? []).map((m) => String(m.id ?? ''))
  } else {
    results.push({ name: 'API key accepted', ok: true, detail: `GET /models answered ${models.status}; the key is checked by the completion below` })
  }
  for (const [setting, model] of [['BIG_MODEL_NAME', config.BIG_MODEL_NAME], ['SMALL_MODEL_NAME', config.SMALL_MODEL_NAME]] as const) {
    if (ids.length === 0) results.push({ name: `${setting} exists`, ok: true, detail: `${model} (the upstream lists no models; checked by the completion below)` })
    else if (ids.includes(model)) results.push({ name: `${setting} exists`, ok: true, detail: model })
    else results.push({ name: `${setting} exists`, ok: false, detail: `${model} is not among the ${ids.length} upstream models`, fix: `set ${setting} to one of: ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}` })
  }

  try {
    const body = JSON.stringify({ model: config.SMALL_MODEL_NAME, messages: [{ role: 'user', content: 'Say OK.' }], max_tokens: 1 })
    const r = await fetchImpl(profile.chatUrl(base, config.SMALL_MODEL_NAME, config), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: timeout(30_000) })
    const text = await r.text()
    if (r.ok) results.push({ name: 'one-token completion', ok: true, detail: `${config.SMALL_MODEL_NAME} answered` })
    else results.push({ name: 'one-token completion', ok: false, detail: `HTTP ${r.status}: ${text.slice(0, 200).replaceAll(key ?? '\u0000', '[redacted]')}`, fix: r.status === 401 ? 'set a valid OPENAI_API_KEY' : r.status === 404 ? 'check SMALL_MODEL_NAME and OPENAI_BASE_URL' : 'see the upstream message above' })
  } catch (e) {
    results.push({ name: 'one-token completion', ok: false, detail: (e as Error).message, fix: 'check the upstream; it did not answer a completion within 30 s' })
  }
  return results
}

/** `ccproxy doctor`: prints each check with ✓ or ✗ (and the fix); exit code 0 only when all pass. */
export async function runDoctor(config: Config): Promise<number> {
  const results = await runChecks(config)
  for (const r of results) {
    console.log(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}`)
    if (!r.ok && r.fix) console.log(`    fix: ${r.fix}`)
  }
  const failed = results.filter((r) => !r.ok).length
  console.log(failed === 0 ? 'All checks passed.' : `${failed} check${failed > 1 ? 's' : ''} failed.`)
  return failed === 0 ? 0 : 1
}
