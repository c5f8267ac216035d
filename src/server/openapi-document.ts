import type { InternalRoute } from 'elysia'
import { filterPaths, registerSchemaPath } from '@elysiajs/swagger/utils'

/** The top of the OpenAPI document: info, tags and reusable schemas. */
export interface OpenApiHead {
  info: { title: string; version: string; description: string }
  tags: Array<{ name: string; description?: string }>
  schemas: Record<string, object>
}

/**
 * The OpenAPI 3.0.3 document of the given routes: each route's `detail` (summary, tags, request and response
 * schemas) and its Elysia schemas; routes with `detail.hide` and OPTIONS are left out.
 */
export function openApiDocument(routes: readonly InternalRoute[], head: OpenApiHead, models: Record<string, any> = {}): object {
  const paths: Record<string, any> = {}
  for (const route of routes) {
    if (route.hooks?.detail?.hide === true || route.method === 'OPTIONS' || route.method === 'ALL') continue
    registerSchemaPath({ schema: paths, hook: route.hooks, method: route.method, path: route.path, models })
  }
  return {
    openapi: '3.0.3',
    info: head.info,
    tags: head.tags,
    paths: filterPaths(paths, { excludeStaticFile: true, exclude: [] }),
    components: { schemas: { ...models, ...head.schemas } },
  }
}
