import type { ToolNameMap } from '../translate/tool-names'
import type { OpenAIChatRequest } from '../translate/types'
import { isDeepFrozen, jsonOf } from '../translate/frozen-json'

/**
 * Upstream body fields that change per request without changing the answer: the stream flag (a streamed and a
 * non-streamed request share one answer), its options, and `user` (the pseudonym of metadata.user_id). Claude
 * Code's x-anthropic-billing-header system block never reaches the body: the translator drops it.
 */
export const PER_REQUEST_FIELDS = ['stream', 'stream_options', 'user'] as const

const SKIPPED: ReadonlySet<string> = new Set(PER_REQUEST_FIELDS)

/** The two strings serializeForUpstream produces from one JSON.stringify. */
export interface UpstreamSerialization {
  /** The whole body as JSON, ready to send upstream, with PER_REQUEST_FIELDS last. */
  readonly wire: string
  /**
   * What the cache key hashes: the leading part of `wire` that holds every field but PER_REQUEST_FIELDS, without
   * the object's closing brace (so a body with and one without per-request fields cut alike). A prefix of `wire`,
   * not a second serialisation.
   */
  readonly keyMaterial: string
}

/**
 * Serialises the upstream body once, with PER_REQUEST_FIELDS moved to the end, and returns the wire string and the
 * cache key material, which is the wire string up to those fields. The body itself is not modified (its top-level
 * fields are copied into a new object, no deep walk); undefined fields are left out, as JSON.stringify does.
 */
export function serializeForUpstream(body: OpenAIChatRequest): UpstreamSerialization {
  const ordered: Record<string, unknown> = {}
  let perRequest: Record<string, unknown> | undefined
  for (const k in body) {
    const v = body[k]
    if (v === undefined) continue
    if (SKIPPED.has(k)) (perRequest ??= {})[k] = v
    else ordered[k] = v
  }
  if (perRequest) for (const k in perRequest) ordered[k] = perRequest[k]
  const wire = stringifyFields(ordered)
  if (!perRequest) return { wire, keyMaterial: wire.slice(0, -1) }
  // The wire ends with `,` + the per-request object's JSON without its `{` (or is that JSON alone): same length.
  const tail = JSON.stringify(perRequest).length
  return { wire, keyMaterial: wire.slice(0, wire.length === tail ? 1 : wire.length - tail) }
}

/**
 * JSON.stringify(fields) for an object of defined JSON values, taking the text of a deep-frozen field, or of a
 * deep-frozen first element of an array field, from jsonOf: a session's translated tools and its system message
 * (about 40 KB) are written once instead of on every request. Same bytes either way.
 */
function stringifyFields(fields: Record<string, unknown>): string {
  let kept: Map<string, string> | undefined
  for (const k in fields) {
    const json = keptJson(fields[k])
    if (json !== undefined) (kept ??= new Map()).set(k, json)
  }
  if (!kept) return JSON.stringify(fields)
  let out = ''
  for (const k in fields) out += (out ? ',' : '{') + JSON.stringify(k) + ':' + (kept.get(k) ?? JSON.stringify(fields[k]))
  return out ? out + '}' : '{}'
}

/** The JSON of a deep-frozen value, or of an array whose first element is deep-frozen, with that text kept; else undefined. */
function keptJson(v: unknown): string | undefined {
  if (isDeepFrozen(v)) return jsonOf(v)
  if (!Array.isArray(v) || v.length === 0 || !isDeepFrozen(v[0])) return undefined
  return '[' + jsonOf(v[0]) + (v.length > 1 ? ',' + JSON.stringify(v.slice(1)).slice(1) : ']')
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
