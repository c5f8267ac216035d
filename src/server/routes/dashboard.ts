import { Elysia } from 'elysia'
import { DASHBOARD_HTML } from '../../dashboard/page'
import { htmlPage } from '../security-headers'
import { opsOpenApiDetails } from '../openapi-ops'

/** GET /dashboard: the live page (it polls GET /v1/metrics). */
export function dashboardRoutes() {
  return new Elysia({ name: 'ccproxy/dashboard' })
    .get('/dashboard', () => htmlPage(DASHBOARD_HTML), { detail: opsOpenApiDetails().dashboard })
}
