import { Elysia } from 'elysia'
import { swagger } from '@elysiajs/swagger'
import { VERSION } from '../version'
import type { ProxyDeps } from '../proxy/deps'
import { handleMessages, newRequestId } from '../proxy/messages'
import { handleCountTokens } from '../proxy/count-tokens'
import { listModels } from '../proxy/models'
import { ProxyError, errorResponse } from './errors'
import { openApiDetails } from './openapi'

/** Builds the Elysia app from its parts (it does not listen). */
export function createApp(deps: ProxyDeps) {
  const docs = openApiDetails()
  return new Elysia({ name: 'ccproxy' })
    .use(
      swagger({
        path: '/swagger',
        documentation: {
          info: { title: 'ccproxy', version: VERSION, description: 'Anthropic Messages API in front of an OpenAI-compatible provider.' },
          tags: [{ name: 'messages' }, { name: 'operations' }],
        },
      }),
    )
    .onError(function answerUnknownRoutes({ code, error }) {
      if (code === 'NOT_FOUND') return errorResponse(new ProxyError('not_found_error', 'Not found. ccproxy serves POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models and GET /v1/health.'), newRequestId())
      if (code === 'PARSE') return errorResponse(new ProxyError('invalid_request_error', 'The request body could not be parsed.'), newRequestId())
      const message = error instanceof Error ? error.message : String(error)
      deps.logger.error({ err: message }, 'unhandled error')
      return errorResponse(new ProxyError('api_error', `Internal error: ${message}`), newRequestId())
    })
    .post('/v1/messages', ({ request, server }) => {
      server?.timeout(request, 0)
      return handleMessages(deps, request)
    }, { parse: 'none', detail: docs.messages })
    .post('/v1/messages/count_tokens', ({ request }) => handleCountTokens(deps, request), { parse: 'none', detail: docs.countTokens })
    .get('/v1/models', () => listModels(deps), { detail: docs.models })
    .get('/v1/health', () => health(deps), { detail: docs.health })
}

function health(deps: ProxyDeps): Response {
  const body = { status: 'ok', version: VERSION, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) }
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } })
}
