import type { ProxyDeps } from './deps'

/** GET /v1/models: the configured upstream models in Anthropic's list shape. */
export function listModels(deps: ProxyDeps): Response {
  const c = deps.config
  const ids = [...new Set([c.BIG_MODEL_NAME, c.SMALL_MODEL_NAME, ...c.MODEL_MAP.map((e) => e.slice(e.indexOf('=') + 1).trim()).filter(Boolean)])]
  const created = new Date(deps.startedAt).toISOString()
  const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: created }))
  const body = { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
}
