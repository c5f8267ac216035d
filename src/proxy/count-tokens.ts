import { errorResponse, toProxyError } from '../server/errors'
import { validateCountTokensRequest } from '../translate/validate'
import type { ProxyDeps } from './deps'
import { readJsonBody } from './body'
import { newRequestId } from './messages'

/** POST /v1/messages/count_tokens: a local tiktoken estimate, `{input_tokens}`, flagged as an estimate. */
export async function handleCountTokens(deps: ProxyDeps, request: Request): Promise<Response> {
  const requestId = newRequestId()
  try {
    const { json, text } = await readJsonBody(request, deps.config, deps.bodies)
    const req = validateCountTokensRequest(json)
    deps.bodies.learn(text, req)
    const inputTokens = deps.countTokens(req)
    return new Response(JSON.stringify({ input_tokens: inputTokens }), {
      headers: { 'content-type': 'application/json', 'request-id': requestId, 'x-ccproxy-token-count': 'estimate' },
    })
  } catch (err) {
    return errorResponse(toProxyError(err), requestId)
  }
}
