import { Elysia } from 'elysia'
import { VERSION } from '../version'
import type { ProxyDeps } from '../proxy/deps'
import { handleMessages, newRequestId } from '../proxy/messages'
import { handleCountTokens } from '../proxy/count-tokens'
import { listModels } from '../proxy/models'
import { ProxyError, errorResponse } from './errors'
import { OPENAPI_COMPONENTS, openApiDetails } from './openapi'
import { requestId } from '../plugins/request-id'
import { apiDocs } from './routes/api-docs'
import { opsRoutes } from './routes/ops'
import { dashboardRoutes } from './routes/dashboard'
import { auth } from '../plugins/auth'
import { cors } from '../plugins/cors'

/** Builds the Elysia app from its parts (it does not listen). */
export function createApp(deps: ProxyDeps) {
  const docs = openApiDetails()
  return new Elysia({ name: 'ccproxy' })
    .use(requestId())
    .use(cors(deps.config.CORS_ALLOW_ORIGINS))
    .use(auth(deps.keys))
    .use(
      apiDocs({
        info: { title: 'ccproxy', version: VERSION, description: 'Anthropic Messages API in front of an OpenAI-compatible provider.' },
        tags: [{ name: 'messages' }, { name: 'operations' }],
        schemas: OPENAPI_COMPONENTS,
      }),
    )
    .onError(function answerUnknownRoutes({ code, error }) {
      if (code === 'NOT_FOUND') return errorResponse(new ProxyError('not_found_error', 'Not found. ccproxy serves POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models, GET /v1/health, GET /v1/metrics, GET /metrics, GET /dashboard and GET /swagger.'), newRequestId())
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
    .use(opsRoutes(deps))
    .use(dashboardRoutes())
}
