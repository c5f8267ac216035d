import { Elysia } from 'elysia'

const ALLOW_HEADERS = 'content-type, x-api-key, authorization, anthropic-version, anthropic-beta, anthropic-dangerous-direct-browser-access, cache-control, traceparent, tracestate'
const EXPOSE_HEADERS = 'request-id, retry-after, x-ccproxy-cache, x-ccproxy-token-count'

/**
 * CORS for browser clients, off unless CORS_ALLOW_ORIGINS names origins (or `*`): allowed origins get the CORS
 * headers and their preflight requests a 204; other origins get none, so browsers refuse them.
 */
export function cors(origins: readonly string[]) {
  const plugin = new Elysia({ name: 'ccproxy/cors', seed: origins.join(',') })
  if (origins.length === 0) return plugin
  const any = origins.includes('*')
  const allowed = new Set(origins)
  const allow = (origin: string | null) => origin !== null && (any || allowed.has(origin))
  return plugin
    .onRequest(function answerPreflight({ request }) {
      if (request.method !== 'OPTIONS') return
      const origin = request.headers.get('origin')
      if (!allow(origin)) return new Response(null, { status: 403 })
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin!,
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
          vary: 'origin',
        },
      })
    })
    .onAfterHandle({ as: 'global' }, function addCorsHeaders({ request, responseValue, set }) {
      const origin = request.headers.get('origin')
      if (!allow(origin)) return
      const headers = { 'access-control-allow-origin': origin!, 'access-control-expose-headers': EXPOSE_HEADERS, vary: 'origin' }
      if (responseValue instanceof Response) for (const [k, v] of Object.entries(headers)) responseValue.headers.set(k, v)
      else Object.assign(set.headers, headers)
    })
}
