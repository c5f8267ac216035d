import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { OtlpExporter, otlpAttributes, unixNanos, type FinishedSpan } from '../../src/tracing/otlp-exporter'
import { Tracer, createTracer } from '../../src/tracing/tracer'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

interface Post { path: string; contentType: string | null; body: any }

/** An OTLP/HTTP collector on 127.0.0.1, port 0, that records what it receives. */
function startCollector(answer: () => Response | Promise<Response> = () => Response.json({})) {
  const posts: Post[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      posts.push({ path: new URL(req.url).pathname, contentType: req.headers.get('content-type'), body: await req.json() })
      return answer()
    },
  })
  return { posts, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
}

let collector: ReturnType<typeof startCollector>
beforeAll(() => {
  collector = startCollector()
})
afterAll(() => collector.stop())
beforeEach(() => {
  collector.posts.length = 0
})

const spansOf = (posts: Post[]) => posts.flatMap((p) => p.body.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)))
const attr = (span: any, key: string) => span.attributes.find((a: any) => a.key === key)?.value

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await Bun.sleep(5)
  }
}

function span(name: string): FinishedSpan {
  return { traceId: TRACE, spanId: PARENT, name, kind: 1, startMs: 1000, endMs: 2000, attributes: {}, status: { code: 0 } }
}

describe('a request traced through the exporter to a loopback collector', () => {
  test('spans arrive with parent and child ids, kinds, times as strings, typed attributes and status', async () => {
    let clock = 1_700_000_000_000
    const tracer = createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'ccproxy-test' }, { now: () => (clock += 1.5) })
    expect(tracer.enabled).toBe(true)
    const req = tracer.startRequestSpan(`00-${TRACE}-${PARENT}-01`, 'vendor=x', { 'http.request.method': 'POST', 'ccproxy.stream': true })
    const first = req.startAttempt({ 'http.request.resend_count': 0 }, 'chat gpt-4o')
    expect(first.headers()).toEqual({ traceparent: `00-${TRACE}-${first.spanId}-01`, tracestate: 'vendor=x' })
    expect(req.traceparentForUpstream(first.spanId)).toBe(`00-${TRACE}-${first.spanId}-01`)
    first.end({ 'http.response.status_code': 429 })
    const second = req.startAttempt({ 'http.request.resend_count': 1 }, 'chat gpt-4o')
    second.end({ 'http.response.status_code': 200 })
    req.setAttributes({ 'gen_ai.usage.output_tokens': 42 })
    req.end({ 'http.response.status_code': 200, 'ccproxy.tokens_per_second': 12.5, 'ccproxy.note': undefined })
    req.end({ 'http.response.status_code': 500 })
    await tracer.shutdown()

    expect(collector.posts).toHaveLength(1)
    const post = collector.posts[0]
    expect(post.path).toBe('/v1/traces')
    expect(post.contentType).toBe('application/json')
    const resource = post.body.resourceSpans[0].resource
    expect(attr(resource, 'service.name')).toEqual({ stringValue: 'ccproxy-test' })
    const spans = spansOf(collector.posts)
    expect(spans.map((s: any) => s.name)).toEqual(['chat gpt-4o', 'chat gpt-4o', 'POST /v1/messages'])
    const [a1, a2, server] = spans
    expect(server).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, kind: 2, traceState: 'vendor=x', status: { code: 0 } })
    expect(server.spanId).toMatch(/^[0-9a-f]{16}$/)
    for (const a of [a1, a2]) expect(a).toMatchObject({ traceId: TRACE, parentSpanId: server.spanId, kind: 3 })
    expect(a1.spanId).toBe(first.spanId)
    expect(new Set([a1.spanId, a2.spanId, server.spanId]).size).toBe(3)
    expect(a1.status).toEqual({ code: 2 })
    expect(a2.status).toEqual({ code: 0 })
    for (const s of spans) {
      expect(s.startTimeUnixNano).toMatch(/^\d{19}$/)
      expect(BigInt(s.endTimeUnixNano)).toBeGreaterThan(BigInt(s.startTimeUnixNano))
    }
    expect(attr(server, 'http.request.method')).toEqual({ stringValue: 'POST' })
    expect(attr(server, 'ccproxy.stream')).toEqual({ boolValue: true })
    expect(attr(server, 'http.response.status_code')).toEqual({ intValue: '200' })
    expect(attr(server, 'gen_ai.usage.output_tokens')).toEqual({ intValue: '42' })
    expect(attr(server, 'ccproxy.tokens_per_second')).toEqual({ doubleValue: 12.5 })
    expect(attr(server, 'ccproxy.note')).toBeUndefined()
    expect(attr(a2, 'http.request.resend_count')).toEqual({ intValue: '1' })
  })

  test('a request without traceparent is the root of a new trace; an explicit error sets the status message', async () => {
    const exporter = new OtlpExporter({ endpoint: `${collector.url}/`, resource: { serviceName: 's', serviceVersion: '1' } })
    const tracer = new Tracer({ sink: exporter })
    const req = tracer.startRequestSpan(null, 'ignored=1')
    req.end({ 'http.response.status_code': 504 }, 'first-byte timeout')
    await exporter.flush()
    const [server] = spansOf(collector.posts)
    expect(server.parentSpanId).toBeUndefined()
    expect(server.traceState).toBeUndefined()
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(server.status).toEqual({ code: 2, message: 'first-byte timeout' })
    expect(collector.posts[0].path).toBe('/v1/traces')
  })
})

describe('batching', () => {
  const resource = { serviceName: 's', serviceVersion: '1' }

  test('a full batch goes at once, in POSTs of at most maxBatch spans', async () => {
    const exporter = new OtlpExporter({ endpoint: collector.url, resource, maxBatch: 100, flushIntervalMs: 60_000 })
    for (let i = 0; i < 250; i++) exporter.add(span(`s${i}`))
    await until(() => collector.posts.length === 3)
    expect(collector.posts.map((p) => spansOf([p]).length)).toEqual([100, 100, 50])
    expect(spansOf(collector.posts).map((s: any) => s.name)).toEqual(Array.from({ length: 250 }, (_, i) => `s${i}`))
    expect(exporter.stats()).toEqual({ exported_spans: 250, dropped_spans: 0, failed_exports: 0, queued_spans: 0 })
    await exporter.shutdown()
  })

  test('a partial batch waits for the flush interval; shutdown sends it', async () => {
    const exporter = new OtlpExporter({ endpoint: collector.url, resource, flushIntervalMs: 60_000 })
    exporter.add(span('early'))
    await Bun.sleep(100)
    expect(collector.posts).toHaveLength(0)
    expect(exporter.stats().queued_spans).toBe(1)
    await exporter.shutdown()
    expect(spansOf(collector.posts).map((s: any) => s.name)).toEqual(['early'])
  })

  test('a partial batch goes after the flush interval, without any call', async () => {
    const exporter = new OtlpExporter({ endpoint: collector.url, resource, flushIntervalMs: 40 })
    for (let i = 0; i < 3; i++) exporter.add(span(`s${i}`))
    await until(() => collector.posts.length === 1)
    expect(spansOf(collector.posts)).toHaveLength(3)
    await exporter.shutdown()
  })

  test('adding never sends in the caller\'s turn, even with a full batch', async () => {
    let calls = 0
    const exporter = new OtlpExporter({ endpoint: collector.url, resource, maxBatch: 2, fetch: (url, init) => (calls++, fetch(url, init)) })
    exporter.add(span('a'))
    exporter.add(span('b'))
    exporter.add(span('c'))
    expect(calls).toBe(0)
    await until(() => calls > 0)
    await exporter.shutdown()
    expect(calls).toBe(2)
    expect(spansOf(collector.posts)).toHaveLength(3)
  })

  test('a full queue drops the oldest spans and counts them', async () => {
    const exporter = new OtlpExporter({ endpoint: collector.url, resource, maxBatch: 50, maxQueue: 60, flushIntervalMs: 60_000 })
    for (let i = 0; i < 100; i++) exporter.add(span(`s${i}`))
    await exporter.shutdown()
    expect(spansOf(collector.posts).map((s: any) => s.name)).toEqual(Array.from({ length: 60 }, (_, i) => `s${i + 40}`))
    expect(exporter.stats()).toMatchObject({ exported_spans: 60, dropped_spans: 40 })
    exporter.add(span('after shutdown'))
    expect(exporter.stats().dropped_spans).toBe(41)
  })
})

describe('a collector that is gone or failing', () => {
  const resource = { serviceName: 's', serviceVersion: '1' }

  test('a dead port: nothing throws, the failure is counted and reported', async () => {
    const dead = startCollector()
    const url = dead.url
    dead.stop()
    const errors: string[] = []
    const exporter = new OtlpExporter({ endpoint: url, resource, onExportError: (m, n) => errors.push(`${n}: ${m}`) })
    const tracer = new Tracer({ sink: exporter })
    tracer.startRequestSpan(null, null).end()
    tracer.startRequestSpan(null, null).end()
    await tracer.shutdown()
    expect(exporter.stats()).toEqual({ exported_spans: 0, dropped_spans: 2, failed_exports: 1, queued_spans: 0 })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toStartWith('2: ')
  })

  test('an HTTP error and a collector that never answers are failures too', async () => {
    const failing = startCollector(() => new Response('no', { status: 503 }))
    const hanging = startCollector(() => new Promise<Response>(() => {}))
    try {
      const a = new OtlpExporter({ endpoint: failing.url, resource })
      const b = new OtlpExporter({ endpoint: hanging.url, resource, timeoutMs: 100 })
      a.add(span('x'))
      b.add(span('y'))
      await Promise.all([a.shutdown(), b.shutdown()])
      expect(a.stats().failed_exports).toBe(1)
      expect(b.stats().failed_exports).toBe(1)
    } finally {
      failing.stop()
      hanging.stop()
    }
  })
})

describe('without an endpoint', () => {
  test('nothing is recorded; a valid incoming trace context passes through unchanged, and one is created when absent', async () => {
    const tracer = createTracer({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: 'ccproxy' })
    expect(tracer.enabled).toBe(false)
    const incoming = `00-${TRACE}-${PARENT}-01`
    const req = tracer.startRequestSpan(incoming, 'vendor=x')
    expect(req.traceId).toBe(TRACE)
    expect(req.startAttempt().headers()).toEqual({ traceparent: incoming, tracestate: 'vendor=x' })
    expect(req.traceparentForUpstream('')).toBe(incoming)
    req.end({ 'http.response.status_code': 200 })
    for (const header of [null, 'garbage']) {
      // No valid incoming context: a new trace is started and its traceparent sent upstream (no tracestate).
      const fresh = tracer.startRequestSpan(header, 'vendor=x')
      const sent = fresh.startAttempt().headers()
      expect(Object.keys(sent)).toEqual(['traceparent'])
      expect(sent.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      expect(sent.traceparent).toContain(fresh.traceId)
      expect(fresh.traceId).not.toBe(TRACE)
    }
    expect(tracer.stats()).toBeUndefined()
    await tracer.shutdown()
  })
})

describe('encoding', () => {
  test('times are exact decimal nanoseconds', () => {
    expect(unixNanos(1_700_000_000_123.5)).toBe('1700000000123500000')
    expect(unixNanos(0.25)).toBe('250000')
  })

  test('attributes: strings, safe integers as strings, other numbers as doubles, booleans; nullish left out', () => {
    expect(otlpAttributes({ s: 'x', i: 3, d: 0.5, big: 2 ** 60, b: false, n: null, u: undefined })).toEqual([
      { key: 's', value: { stringValue: 'x' } },
      { key: 'i', value: { intValue: '3' } },
      { key: 'd', value: { doubleValue: 0.5 } },
      { key: 'big', value: { doubleValue: 2 ** 60 } },
      { key: 'b', value: { boolValue: false } },
    ])
  })
})
