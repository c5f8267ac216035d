import { SETTINGS, type Config, type SettingSpec } from './schema'
import { isLoopbackHost, isPrivateOrLoopbackHost } from './net'

/** Parses a `.env` file: KEY=VALUE lines, `export ` prefix, # comments, single or double quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) continue
    let value = m[2]
    const q = value[0]
    if ((q === '"' || q === "'") && value.lastIndexOf(q) > 0) {
      value = value.slice(1, value.lastIndexOf(q))
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"')
    } else {
      const hash = value.search(/\s#/)
      if (hash >= 0) value = value.slice(0, hash).trimEnd()
    }
    out[m[1]] = value
  }
  return out
}

export interface ConfigSources {
  /** Values from command-line flags, keyed by setting name (highest precedence). */
  flags?: Record<string, string | undefined>
  /** The process environment. */
  env?: Record<string, string | undefined>
  /** Contents of the `.env` file, already parsed (lowest precedence). */
  dotenv?: Record<string, string>
}

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: string[] }

function describeAccepted(spec: SettingSpec): string {
  switch (spec.kind) {
    case 'int': return `a whole number${range(spec)}`
    case 'number': return `a number${range(spec)}`
    case 'bool': return 'true or false'
    case 'url': return 'an http:// or https:// URL'
    case 'urls': return 'one or more http:// or https:// URLs, comma-separated'
    case 'redis-url': return 'a redis:// or rediss:// URL'
    case 'choice': return `one of ${spec.choices!.join(', ')}`
    default: return 'text'
  }
}

function range(spec: SettingSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` from ${spec.min} to ${spec.max}`
  if (spec.min !== undefined) return spec.min === 0 ? ' ≥ 0' : ` ≥ ${spec.min}`
  return ''
}

function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v)
    return (u.protocol === 'http:' || u.protocol === 'https:') && !!u.hostname
  } catch {
    return false
  }
}

function isRedisUrl(v: string): boolean {
  try {
    const u = new URL(v)
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && !!u.hostname
  } catch {
    return false
  }
}

/** A URL with its password (and a username given alone, which Redis treats as the password) shown as ****. */
export function maskUrlPassword(value: string): string {
  try {
    const u = new URL(value)
    if (u.password) u.password = '****'
    else if (u.username) u.username = '****'
    return u.toString().replace(/\/$/, '')
  } catch {
    return maskSecret(value)
  }
}

const splitList = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean)

/** Converts one raw value; returns undefined for "bad" (the caller reports it). */
function convert(spec: SettingSpec, raw: string): { value: unknown } | undefined {
  const v = raw.trim()
  switch (spec.kind) {
    case 'int':
    case 'number': {
      if (v === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v)) return undefined
      const n = Number(v)
      if (!Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) return undefined
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) return undefined
      return { value: n }
    }
    case 'bool': {
      const l = v.toLowerCase()
      if (['true', '1', 'yes', 'on'].includes(l)) return { value: true }
      if (['false', '0', 'no', 'off'].includes(l)) return { value: false }
      return undefined
    }
    case 'url': return isHttpUrl(v) ? { value: v.replace(/\/+$/, '') } : undefined
    case 'redis-url': return isRedisUrl(v) ? { value: v } : undefined
    case 'urls': {
      const list = splitList(v)
      return list.length > 0 && list.every(isHttpUrl) ? { value: list.map((u) => u.replace(/\/+$/, '')) } : undefined
    }
    case 'choice': {
      const l = v.toLowerCase()
      return spec.choices!.includes(l) ? { value: l } : undefined
    }
    case 'list': return { value: splitList(v) }
    default: return { value: v }
  }
}

/**
 * Builds the effective settings from flags > environment > .env > defaults.
 * Every bad value is reported on its own line: the setting, the value given and what is accepted.
 */
export function loadConfig(sources: ConfigSources): LoadResult {
  const { flags = {}, env = {}, dotenv = {} } = sources
  const out: Record<string, unknown> = {}
  const errors: string[] = []
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const from = flags[spec.env] !== undefined ? 'flag' : env[spec.env] !== undefined ? 'env' : dotenv[spec.env] !== undefined ? '.env' : 'default'
    const raw = flags[spec.env] ?? env[spec.env] ?? dotenv[spec.env] ?? spec.default
    if (raw === undefined || (raw.trim() === '' && spec.kind !== 'list' && spec.kind !== 'path')) {
      out[spec.env] = spec.kind === 'list' ? [] : undefined
      continue
    }
    const converted = convert(spec, raw)
    if (!converted) {
      const shown = spec.secret ? maskSecret(raw) : spec.kind === 'redis-url' ? JSON.stringify(maskUrlPassword(raw)) : JSON.stringify(raw)
      errors.push(`${spec.env}=${shown} (from ${from}) is not valid: expected ${describeAccepted(spec)}.`)
      continue
    }
    out[spec.env] = converted.value
  }
  if (out.HTTP_READ_TIMEOUT === undefined) out.HTTP_READ_TIMEOUT = out.MAX_STREAM_SECONDS
  const urls = out.OPENAI_BASE_URL as string[] | undefined
  if (urls && !out.OPENAI_API_KEY && !out.OPENROUTER_API_KEY) {
    const remote = urls.filter((u) => !isPrivateOrLoopbackHost(new URL(u).hostname))
    if (remote.length > 0) {
      errors.push(`OPENAI_API_KEY is not set: ${remote[0]} needs an API key. Set OPENAI_API_KEY (or OPENROUTER_API_KEY) in the environment or .env; only a loopback or private OPENAI_BASE_URL (a local Ollama or vLLM) works without one.`)
    }
  }
  if (urls && out.ALLOW_INSECURE_UPSTREAM !== true) {
    const insecure = urls.find((u) => u.startsWith('http:') && !isPrivateOrLoopbackHost(new URL(u).hostname))
    if (insecure) errors.push(`OPENAI_BASE_URL=${insecure} sends the API key and every prompt unencrypted over plain http: use https://, or set ALLOW_INSECURE_UPSTREAM=true if you must.`)
  }
  const host = out.HOST as string | undefined
  if (host && !isLoopbackHost(host) && (out.CCPROXY_API_KEYS as string[] | undefined)?.length === 0 && out.CCPROXY_ALLOW_UNAUTHENTICATED !== true) {
    errors.push(`HOST=${host} lets other machines reach ccproxy, but CCPROXY_API_KEYS is empty: set CCPROXY_API_KEYS=<key>[,<key>…] (clients send it as x-api-key or Authorization: Bearer), or CCPROXY_ALLOW_UNAUTHENTICATED=true to allow anyone in.`)
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, config: out as unknown as Config }
}

/** Shows the first 3 and last 2 characters of a secret, or only its length when it is short. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return `****(${value.length} chars)`
  return `${value.slice(0, 3)}…${value.slice(-2)} (${value.length} chars)`
}

/** The effective settings as `NAME=value` lines, secrets masked, for `ccproxy config`. */
export function describeConfig(config: Config): string {
  const lines: string[] = []
  let group = ''
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (spec.group !== group) {
      group = spec.group
      lines.push(`# ${group}`)
    }
    const v = (config as unknown as Record<string, unknown>)[spec.env]
    let shown: string
    if (v === undefined) shown = '(unset)'
    else if (Array.isArray(v)) shown = spec.secret && v.length ? v.map((x) => maskSecret(String(x))).join(',') : v.join(',')
    else shown = spec.secret ? maskSecret(String(v)) : spec.kind === 'redis-url' ? maskUrlPassword(String(v)) : String(v)
    lines.push(`${spec.env}=${shown}`)
  }
  return lines.join('\n')
}
