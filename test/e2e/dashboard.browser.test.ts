/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) loads /dashboard and /swagger from the
 * compiled binary, which serves a scripted fake upstream: the charts must fill with data, the tiles with numbers,
 * Swagger UI must render the operations, and no request may leave 127.0.0.1. Screenshots go to test-results/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { FakeUpstream, sseBody, textCompletion, textStream } from '../support/fake-upstream'
import { postMessages } from '../support/proxy-app'
import { ROOT, baseEnv, isolatedBinary, startProxy, type RunningProxy } from '../support/proxy-process'

const CHROMIUM = '/usr/bin/chromium'
const RESULTS = join(ROOT, 'test-results')
const CHARTS = ['chart-rps', 'chart-latency', 'chart-tokens', 'chart-errors']
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

let upstream: FakeUpstream
let proxy: RunningProxy
let context: BrowserContext
const dirs: string[] = []
const offLoopback: string[] = []
const pageErrors: string[] = []

const ask = (extra: object = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra })

/** The fake model's answer, in the shape asked for; streams take ~60 ms so the generation speed is measurable. */
function answer(stream: boolean, i: number) {
  return stream
    ? { sse: [sseBody(textStream(['a', 'b', 'c'], { prompt_tokens: 40 + i, completion_tokens: 30 }))], chunkDelayMs: 20 }
    : { json: textCompletion('fine', { prompt_tokens: 25, completion_tokens: 12 }), delayMs: 30 }
}

async function send(body: object): Promise<number> {
  const res = await postMessages(proxy.url, body)
  await res.arrayBuffer()
  return res.status
}

async function newPage(): Promise<Page> {
  const page = await context.newPage()
  await page.setViewportSize({ width: 1280, height: 900 })
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${page.url()}: ${m.text()}`)
  })
  return page
}

describe.if(existsSync(CHROMIUM) || !!process.env.CI)('dashboard and API docs in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true })
    upstream = await FakeUpstream.start()
    upstream.setFallback((req, n) => answer(req.body?.stream === true, n))
    const { bin, dir } = isolatedBinary()
    dirs.push(dir)
    proxy = await startProxy(bin, { env: baseEnv(dir, upstream.url, { PROVIDER_MAX_RETRIES: '0', HTTP_READ_TIMEOUT: '0.5', HTTP_ADAPTIVE_TIMEOUT: 'false' }), cwd: dir })
    const profile = mkdtempSync(join(tmpdir(), 'ccproxy-chromium-'))
    dirs.push(profile)
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    })
    context.on('request', (r) => {
      const url = new URL(r.url())
      if (url.protocol !== 'data:' && url.protocol !== 'about:' && !LOOPBACK.has(url.hostname)) offLoopback.push(r.url())
    })

    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push(await send(ask({ stream: i % 2 === 1 })))
    upstream.enqueue({ status: 429, headers: { 'retry-after': '1' }, json: { error: { message: 'Rate limit reached', type: 'requests' } } })
    statuses.push(await send(ask()))
    upstream.enqueue({ hang: true })
    statuses.push(await send(ask()))
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 504])
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    if (proxy) await proxy.stop()
    if (upstream) await upstream.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  test('/dashboard plots every chart and fills the tiles with numbers', async () => {
    const page = await newPage()
    const res = await page.goto(`${proxy.url}/dashboard`)
    expect(res!.status()).toBe(200)
    // More traffic while the page polls, so that the rate charts have something to show.
    let traffic = true
    const background = (async () => {
      for (let i = 0; traffic && i < 60; i++) {
        await send(ask({ stream: i % 2 === 0 }))
        await Bun.sleep(150)
      }
    })()
    try {
      // Runs in the page, where `document` exists (this file is type-checked without the DOM library).
      const plotted = (ids: string[]) => ids.every((id) => Number((globalThis as any).document.getElementById(id).dataset.points) > 1)
      await page.waitForFunction(plotted, CHARTS, { timeout: 15_000 })
      await page.waitForTimeout(2500)
    } finally {
      traffic = false
      await background
    }
    for (const id of CHARTS) expect(Number(await page.getAttribute(`#${id}`, 'data-points'))).toBeGreaterThan(1)
    const tile = (id: string) => page.locator(`#${id} .value`).innerText()
    expect(await tile('tile-health')).toMatch(/^\d+ \/ 100$/)
    expect(await tile('tile-requests')).toMatch(/^\d+$/)
    expect(Number(await tile('tile-requests'))).toBeGreaterThanOrEqual(9)
    expect(await tile('tile-tokens')).toMatch(/^\d+(\.\d)?k? \/ \d+(\.\d)?k?$/)
    expect(await tile('tile-inflight')).toMatch(/^\d+$/)
    expect(await tile('tile-memory')).toMatch(/^\d+ MiB$/)
    expect(await page.locator('#tile-requests .sub').innerText()).toMatch(/^\d+ errors · \d+ retries$/)
    expect(await page.locator('#status').innerText()).toStartWith('live')
    await page.screenshot({ path: join(RESULTS, 'dashboard.png'), fullPage: true })
    await page.close()
  }, 40_000)

  test('/swagger renders the operations with assets from the binary', async () => {
    const page = await newPage()
    const res = await page.goto(`${proxy.url}/swagger`)
    expect(res!.status()).toBe(200)
    await page.getByText('/v1/messages', { exact: true }).first().waitFor({ state: 'visible', timeout: 15_000 })
    for (const path of ['/v1/health', '/v1/metrics', '/metrics', '/dashboard']) {
      await expect(page.getByText(path, { exact: true }).first().isVisible()).resolves.toBe(true)
    }
    // Opening an operation shows its documented responses, 503 included for health.
    await page.getByText('/v1/health', { exact: true }).first().click()
    await page.locator('#operations-operations-getV1Health .response[data-code="503"]').waitFor({ state: 'visible', timeout: 5000 })
    await page.screenshot({ path: join(RESULTS, 'swagger.png'), fullPage: true })
    await page.close()
  }, 30_000)

  test('no request left 127.0.0.1 and no page reported an error', () => {
    expect(offLoopback).toEqual([])
    expect(pageErrors).toEqual([])
  })
})
