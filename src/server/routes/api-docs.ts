import { Elysia, type InternalRoute } from 'elysia'
import { API_DOCS_ASSETS, API_DOCS_HTML } from '../../dashboard/api-docs-page'
import { htmlPage, staticAsset } from '../security-headers'
import { ProxyError, errorResponse } from '../errors'
import { newRequestId } from '../../proxy/messages'
import { openApiDocument, type OpenApiHead } from '../openapi-document'

const hidden = { detail: { hide: true } }

/**
 * GET /swagger (Swagger UI, its assets served from the binary) and GET /swagger/json (the OpenAPI document of
 * every route of the app this plugin is used in, built on first request and again when routes were added).
 */
export function apiDocs(head: OpenApiHead) {
  const plugin = new Elysia({ name: 'ccproxy/api-docs' })
  // After `.use`, getGlobalRoutes returns the routes of the whole app (it is protected in Elysia's types).
  const allRoutes = () => (plugin as unknown as { getGlobalRoutes(): InternalRoute[] }).getGlobalRoutes()
  let document: object | undefined
  let documented = -1
  return plugin
    .get('/swagger', () => htmlPage(API_DOCS_HTML), hidden)
    .get('/swagger/assets/:file', function apiDocsAsset({ params }) {
      const asset = Object.hasOwn(API_DOCS_ASSETS, params.file) ? API_DOCS_ASSETS[params.file] : undefined
      return asset ? staticAsset(asset.body, asset.type) : errorResponse(new ProxyError('not_found_error', `No asset ${params.file}.`), newRequestId())
    }, hidden)
    .get('/swagger/json', function openApiJson() {
      const routes = allRoutes()
      if (!document || routes.length !== documented) {
        document = openApiDocument(routes, head)
        documented = routes.length
      }
      return document
    }, hidden)
}
