import { Elysia } from 'elysia'
import { createHash, timingSafeEqual } from 'node:crypto'
import { ProxyError, errorResponse } from '../server/errors'
import { newRequestId } from '../proxy/messages'

/** Paths anyone may reach: health (which then reveals nothing internal), the API docs and the favicon. */
const OPEN_PATHS = ['/v1/health', '/swagger', '/favicon.ico']

const digest = (s: string) => createHash('sha256').update(s).digest()

/** The path of a request URL without parsing the whole URL. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const q = url.indexOf('?', start)
  return q < 0 ? url.slice(start) : url.slice(start, q)
}

/** The key a client presented: `x-api-key`, else `Authorization: Bearer …`, else (for the dashboard page) `?key=`. */
export function presentedKey(request: Request, path: string): string | undefined {
  const h = request.headers
  const direct = h.get('x-api-key')
  if (direct) return direct
  const auth = h.get('authorization')
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim()
  if (path === '/dashboard') return new URL(request.url).searchParams.get('key') ?? undefined
  return undefined
}

/** Checks keys in constant time: every configured key is compared, by SHA-256 digest, whatever matches first. */
export class KeyChecker {
  private readonly digests: Buffer[]

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest)
  }

  /** True when no keys are configured (ccproxy is open). */
  get open(): boolean {
    return this.digests.length === 0
  }

  /** True when `key` is one of the configured keys. */
  accepts(key: string | undefined): boolean {
    if (key === undefined) return false
    const d = digest(key)
    let ok = false
    for (const k of this.digests) ok = timingSafeEqual(d, k) || ok
    return ok
  }
}

/**
 * Client keys (CCPROXY_API_KEYS): every route but health, docs and favicon requires one of them, as x-api-key or
 * Authorization: Bearer; a wrong or missing key gets 401 authentication_error before the body is read.
 * With no keys configured nothing is checked.
 */
export function auth(checker: KeyChecker) {
  const plugin = new Elysia({ name: 'ccproxy/auth', seed: checker })
  if (checker.open) return plugin
  return plugin.onRequest(function requireClientKey({ request }) {
    if (request.method === 'OPTIONS') return
    const path = pathOf(request.url)
    if (OPEN_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) return
    if (checker.accepts(presentedKey(request, path))) return
    const res = errorResponse(new ProxyError('authentication_error', 'Invalid or missing API key: send one of CCPROXY_API_KEYS as x-api-key or Authorization: Bearer.'), newRequestId())
    res.headers.set('www-authenticate', 'Bearer realm="ccproxy"')
    return res
  })
}
