import { describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { requestId } from '../../src/plugins/request-id'

describe('request-id plugin', () => {
  let n = 0
  const app = new Elysia()
    .use(requestId(() => `req_test${++n}`))
    .get('/value', () => ({ ok: true }))
    .get('/response', () => new Response('x', { headers: { 'content-type': 'text/plain; version=0.0.4' } }))
    .get('/own', () => new Response('x', { headers: { 'request-id': 'req_own' } }))
  const get = (path: string) => app.handle(new Request(`http://localhost${path}`))

  test('tags values and Responses, keeping their other headers', async () => {
    const a = await get('/value')
    const b = await get('/response')
    expect(a.headers.get('request-id')).toBe('req_test1')
    expect(b.headers.get('request-id')).toBe('req_test2')
    expect(b.headers.get('content-type')).toBe('text/plain; version=0.0.4')
  })

  test('a response that has its own id keeps it, and none is generated', async () => {
    const before = n
    expect((await get('/own')).headers.get('request-id')).toBe('req_own')
    expect(n).toBe(before)
  })
})
