import type { ToolNameMap } from '../translate/tool-names'
import type { OpenAIChatRequest } from '../translate/types'

/**
 * Upstream body fields that change per request without changing the answer: the stream flag (a streamed and a
 * non-streamed request share one answer), its options, and `user` (the pseudonym of metadata.user_id). Claude
 * Code's x-anthropic-billing-header system block never reaches the body: the translator drops it.
 */
export const PER_REQUEST_FIELDS = ['stream', 'stream_options', 'user'] as const

const SKIPPED: ReadonlySet<string> = new Set(PER_REQUEST_FIELDS)

/** The two strings serializeForUpstream produces from one JSON.stringify. */
export interface UpstreamSerialization {
  /** The body without PER_REQUEST_FIELDS, as JSON: what the cache key hashes. */
  readonly keyMaterial: string
  /** The whole body as JSON, ready to send upstream (equal to JSON.stringify(body) up to key order). */
  readonly wire: string
}

/**
 * Serialises the upstream body once and returns both the cache key material and the wire body. The body is
 * stringified without the per-request fields (a shallow copy of its top-level keys, no deep walk), and the wire
 * string is that JSON with those fields spliced in at the front, so the key costs no second serialisation.
 */
export function serializeForUpstream(body: OpenAIChatRequest): UpstreamSerialization {
  let prefix = ''
  const rest: Record<string, unknown> = {}
  for (const k in body) {
    const v = body[k]
    if (!SKIPPED.has(k)) rest[k] = v
    else if (v !== undefined) {
      const json = JSON.stringify(v)
      if (json !== undefined) prefix += (prefix === '' ? '' : ',') + JSON.stringify(k) + ':' + json
    }
  }
  const keyMaterial = JSON.stringify(rest)
  if (prefix === '') return { keyMaterial, wire: keyMaterial }
  const wire = keyMaterial.length === 2 ? '{' + prefix + '}' : '{' + prefix + ',' + keyMaterial.slice(1)
  return { keyMaterial, wire }
}

/**
 * The response cache and de-duplication key: SHA-256 (hex) over the upstream base URL, the upstream model, the
 * tool-name map (present only when a client tool name had to be renamed, since two client names can map to one
 * upstream name while the answer must carry the client's) and the key material. Each part is length-prefixed, so
 * no two different inputs hash the same bytes.
 */
export function cacheKey(keyMaterial: string, upstreamBaseUrl: string, upstreamModel: string, toolNameMap?: ToolNameMap): string {
  const h = new Bun.CryptoHasher('sha256')
  h.update(upstreamBaseUrl.length + ':' + upstreamBaseUrl + upstreamModel.length + ':' + upstreamModel)
  if (toolNameMap !== undefined && toolNameMap.size > 0) {
    let names = ''
    for (const [upstream, client] of toolNameMap) names += upstream.length + ':' + upstream + client.length + ':' + client
    h.update('T' + names.length + ':' + names)
  }
  h.update('B')
  h.update(keyMaterial)
  return h.digest('hex')
}
