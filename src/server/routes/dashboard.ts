import { Elysia } from 'elysia'
import { DASHBOARD_HTML } from '../../dashboard/page'
import { htmlPage } from '../security-headers'
import { opsOpenApiDetails } from '../openapi-ops'

/** GET /dashboard: the live page (it polls GET /v1/metrics); /favicon.ico answers 204 so browsers log no 404. */
export function dashboardRoutes() {
  return new Elysia({ name: 'ccproxy/dashboard' })
    .get('/dashboard', () => htmlPage(DASHBOARD_HTML), { detail: opsOpenApiDetails().dashboard })
    .get('/favicon.ico', () => new Response(null, { status: 204 }), { detail: { hide: true } })
}
