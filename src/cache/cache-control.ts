/** What a client's `cache-control` request header asks of the response cache. */
export interface CacheDirectives {
  /** `no-store`: do not keep this answer. */
  readonly noStore: boolean
  /** `no-cache` (or `max-age=0`): do not answer from the cache; ask the upstream. */
  readonly noCache: boolean
}

const NONE: CacheDirectives = Object.freeze({ noStore: false, noCache: false })

/**
 * Parses a `cache-control` request header (RFC 9111 §5.2.1: comma-separated, case-insensitive directives, some
 * with `=value`). Unknown directives are ignored; a missing or empty header allocates nothing.
 */
export function parseCacheControl(header: string | null | undefined): CacheDirectives {
  if (!header) return NONE
  let noStore = false
  let noCache = false
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === 'no-store') noStore = true
    else if (name === 'no-cache') noCache = true
    else if (name === 'max-age' && eq !== -1 && Number(part.slice(eq + 1).trim().replace(/^"|"$/g, '')) === 0) noCache = true
  }
  return noStore || noCache ? { noStore, noCache } : NONE
}
