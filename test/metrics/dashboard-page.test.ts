import { describe, expect, test } from 'bun:test'
import { DASHBOARD_HTML } from '../../src/dashboard/page'
import { Metrics } from '../../src/metrics/registry'

/** Just enough of a DOM for the page script: elements by id, text, attributes and a no-op canvas. */
function fakeDocument(html: string) {
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))
  const make = (): any => {
    const children = new Map<string, any>()
    const attributes: Record<string, string> = {}
    return {
      textContent: '', className: '', innerHTML: '', style: {}, clientWidth: 400, clientHeight: 180, width: 0, height: 0,
      attributes,
      setAttribute: (k: string, v: string) => (attributes[k] = v),
      getAttribute: (k: string) => attributes[k] ?? null,
      appendChild: () => {},
      querySelector(sel: string) {
        if (!children.has(sel)) children.set(sel, make())
        return children.get(sel)
      },
      getContext: () => new Proxy({}, { get: (t: any, k) => (k in t ? t[k] : () => {}), set: (t: any, k, v) => ((t[k] = v), true) }),
    }
  }
  const elements = new Map<string, any>()
  return {
    elements,
    document: {
      documentElement: make(),
      createElement: make,
      createTextNode: (text: string) => ({ text }),
      getElementById(id: string) {
        if (!ids.has(id)) throw new Error(`no element #${id} in the page`)
        if (!elements.has(id)) elements.set(id, make())
        return elements.get(id)
      },
    },
  }
}

function runPage(snapshots: () => unknown) {
  const script = /<script>([\s\S]*?)<\/script>/.exec(DASHBOARD_HTML)![1]
  const dom = fakeDocument(DASHBOARD_HTML)
  const requests: Array<{ url: string; headers: Record<string, string> }> = []
  const timers: Array<() => void> = []
  const fetch = (url: string, init: { headers: Record<string, string> }) => {
    requests.push({ url, headers: init.headers })
    return Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(snapshots()) })
  }
  const run = new Function('document', 'window', 'location', 'fetch', 'getComputedStyle', 'setTimeout', script)
  run(dom.document, { devicePixelRatio: 2 }, { search: '?key=secret-key' }, fetch, () => ({ getPropertyValue: () => '#123456' }),
    (fn: () => void, ms: number) => {
      expect(ms).toBe(2000)
      timers.push(fn)
    })
  const settle = () => new Promise((r) => setImmediate(r))
  return { dom, requests, timers, settle }
}

describe('DASHBOARD_HTML', () => {
  test('is self-contained and compact', () => {
    expect(DASHBOARD_HTML.split('\n').length).toBeLessThan(400)
    expect(DASHBOARD_HTML).not.toMatch(/<link|<script\s+src|@import|url\(|https?:\/\//i)
    expect(DASHBOARD_HTML).toContain('prefers-color-scheme: dark')
  })

  test('polls /v1/metrics with the key, fills the tiles and counts plotted points', async () => {
    let now = 0
    const m = new Metrics({ now: () => now })
    m.setBreakerState('open')
    m.setLimiter({ rpm: 3000, tpm: 1_620_000, queueLength: 2 })
    const page = runPage(() => JSON.parse(JSON.stringify(m.snapshot())))
    await page.settle()
    expect(page.requests[0]).toEqual({ url: '/v1/metrics', headers: { 'x-api-key': 'secret-key' } })
    // Before any request there is a rate and an error rate to plot, but no latency and no token speed (gaps).
    const points = () => ['chart-rps', 'chart-latency', 'chart-tokens', 'chart-errors'].map((id) => page.dom.elements.get(id).getAttribute('data-points'))
    expect(points()).toEqual(['1', '0', '0', '1'])
    for (let i = 0; i < 4; i++) {
      now += 2000
      m.requestFinished({ status: i ? 200 : 500, model: 'gpt-4o', totalMs: 1500, firstByteMs: 300, stream: true, tokens: { input: 10, output: 120 } })
      m.retry()
      page.timers.shift()!()
      await page.settle()
    }
    expect(page.requests).toHaveLength(5)
    expect(points()).toEqual(['5', '4', '4', '5'])
    const tile = (id: string) => page.dom.elements.get(id).querySelector('.value').textContent
    expect(tile('tile-breaker')).toBe('open')
    expect(tile('tile-limiter')).toBe('3.0k RPM')
    expect(tile('tile-queue')).toBe('2')
    expect(tile('tile-requests')).toBe('4')
    expect(tile('tile-health')).toMatch(/^\d+ \/ 100$/)
    expect(page.dom.elements.get('status').textContent).toContain('live')
  })

  test('shows the HTTP error when /v1/metrics refuses and keeps polling', async () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(DASHBOARD_HTML)![1]
    const dom = fakeDocument(DASHBOARD_HTML)
    const timers: Array<() => void> = []
    new Function('document', 'window', 'location', 'fetch', 'getComputedStyle', 'setTimeout', script)(
      dom.document, {}, { search: '' }, () => Promise.resolve({ ok: false, status: 401 }), () => ({ getPropertyValue: () => '' }),
      (fn: () => void) => timers.push(fn))
    await new Promise((r) => setImmediate(r))
    expect(dom.elements.get('status').textContent).toContain('HTTP 401')
    expect(timers).toHaveLength(1)
  })
})
