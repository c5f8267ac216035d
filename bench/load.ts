/**
 * The load benchmark of the compiled binary: `bun run bench` (or `bun bench/load.ts [--quick] [--out FILE]
 * [--rebuild] [--strict]`).
 *
 * Starts a fast mock OpenAI upstream, an ideal pass-through proxy and dist/ccproxy as separate processes on
 * 127.0.0.1, then measures in one interleaved run: added latency, requests per second, CPU per request,
 * streaming first-delta and per-chunk cost, memory, start-up time and count_tokens. Prints the tables and the
 * goals, and writes JSON to bench/results/load-<timestamp>.json and bench/results/latest.json (or --out).
 * Exits 1 when a request failed (and, with --strict, when a goal failed); every child is stopped on exit.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { claudeCodeBody, grownByOne, longConversation, type BodySize } from './bodies.ts'
import { SHORT_STREAM_CHUNKS, SHORT_STREAM_MARKER } from './openai-data.ts'
import { benchProxyEnv, cleanupAll, clockTicks, freePort, memoryMB, prepareBinary, ROOT, spawnPortPrinter, spawnTracked, stopChild, tempDir, waitReady } from './lib/procs.ts'
import type { Target } from './lib/loadgen.ts'
import { countTokens, latencyMatrix, memory, settleJit, startup, streaming, warmUp, type Plan, type RunState, type TargetName } from './lib/phases.ts'
import { judgeGoals, printReport, round } from './lib/report.ts'

const args = Bun.argv.slice(2)
const quick = args.includes('--quick')
const strict = args.includes('--strict')
const outIndex = args.indexOf('--out')
const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined
if (outIndex >= 0 && !outFile) {
  console.error('usage: bun bench/load.ts [--quick] [--out FILE] [--rebuild] [--strict]')
  process.exit(2)
}

const CONCURRENCIES = [1, 16, 64]
const BODIES: BodySize[] = ['small', '60k']
const STREAM_CHUNKS = 200
const RSS_GROWTH_TOLERANCE_MB = 4
const plan: Plan = quick
  ? { rounds: 1, perRound: { 1: 5, 16: 32, 64: 64 }, warmup: 16, streamRounds: 1, streamsPerRound: 3, memoryPhase: 200, settleMs: 300, startupRuns: 2, countTokensRuns: 2, streamChunks: STREAM_CHUNKS, jitSettle: { window: 32, share: 1, max: 32 } }
  : { rounds: 6, perRound: { 1: 250, 16: 1_500, 64: 3_000 }, warmup: 500, streamRounds: 6, streamsPerRound: 60, memoryPhase: 10_000, settleMs: 3_000, startupRuns: 9, countTokensRuns: 25, streamChunks: STREAM_CHUNKS, jitSettle: { window: 3_000, share: 0.03, max: 30_000 } }

const log = (s: string) => console.log(s)

async function main(): Promise<number> {
  const startedAt = new Date()
  log(`ccproxy load bench${quick ? ' (quick)' : ''}: ${cpus().length} CPUs, load ${loadavg().map((n) => n.toFixed(2)).join(' ')}, bun ${Bun.version}`)
  const { bin, built } = prepareBinary(args.includes('--rebuild'))
  log(built ? 'built dist/ccproxy' : 'dist/ccproxy is up to date')

  const mock = await spawnPortPrinter('bench/mock-upstream.ts', { MOCK_CHUNKS: String(STREAM_CHUNKS) })
  const pass = await spawnPortPrinter('bench/passthrough.ts', { UPSTREAM_URL: mock.url })
  const home = tempDir('ccproxy-bench-home-')
  const env = (port: number): Record<string, string> => benchProxyEnv(mock.url, port, home)
  const cc = await startCcproxy(bin, env, home)
  await Bun.sleep(quick ? 100 : 1_000)
  const s: RunState = { x: {}, errors: 0, clkTck: clockTicks() }
  s.x['rss.idle_mb'] = round(memoryMB(cc.proc.pid).rss, 2)

  const json = { 'content-type': 'application/json' }
  const anthropic = { ...json, 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench' }
  const upstreamBody = async (anthropicBody: string, stream: boolean) => {
    const res = await fetch(`${cc.url}/v1/messages`, { method: 'POST', body: anthropicBody, headers: anthropic })
    const text = await res.text()
    if (!res.ok) throw new Error(`ccproxy answered ${res.status}: ${text.slice(0, 500)}`)
    return (await fetch(`${mock.url}/last-request${stream ? '?stream=1' : ''}`)).text()
  }
  const targetsFor = async (size: BodySize, stream: boolean, shortStream = false): Promise<Record<TargetName, Target>> => {
    const request = claudeCodeBody(size, { stream })
    if (shortStream) request.messages.push({ role: 'assistant', content: 'ok' }, { role: 'user', content: SHORT_STREAM_MARKER })
    const body = JSON.stringify(request)
    const openai = await upstreamBody(body, stream)
    return {
      direct: { name: 'direct', url: `${mock.url}/v1/chat/completions`, headers: json, bodies: [openai] },
      passthrough: { name: 'passthrough', url: `${pass.url}/v1/chat/completions`, headers: json, bodies: [openai] },
      ccproxy: { name: 'ccproxy', url: `${cc.url}/v1/messages`, headers: anthropic, bodies: [body] },
    }
  }
  const targets: Record<string, Record<TargetName, Target>> = {}
  for (const size of BODIES) targets[size] = await targetsFor(size, false)
  s.x['rss.after_first_requests_mb'] = round(memoryMB(cc.proc.pid).rss, 2)
  const streamTargets = await targetsFor('60k', true)
  const shortStreamTargets = await targetsFor('60k', true, true)
  const meta = {
    timestamp: startedAt.toISOString(),
    quick,
    bun: Bun.version,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    loadavg_start: loadavg(),
    clk_tck: s.clkTck,
    binary_built: built,
    plan,
    body_bytes: Object.fromEntries(BODIES.map((b) => [b, targets[b].ccproxy.bodies[0].length])),
    upstream_body_bytes: Object.fromEntries(BODIES.map((b) => [b, targets[b].direct.bodies[0].length])),
    stream_body_bytes: streamTargets.ccproxy.bodies[0].length,
    non_streaming_latency: 'latency = send → whole answer read; stream figures use the 60k body',
  }
  log(`bodies: ${BODIES.map((b) => `${b} ${meta.body_bytes[b]} B (upstream ${meta.upstream_body_bytes[b]} B)`).join(', ')}`)

  const pids = { ccproxy: cc.proc.pid, passthrough: pass.proc.pid }
  const phase = async (name: string, fn: () => Promise<void>) => {
    const t0 = performance.now()
    await fn()
    log(`  ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s${s.errors ? ` (${s.errors} errors so far: ${s.firstError})` : ''}`)
  }
  await phase('warm-up', () => warmUp({ ...targets, stream: streamTargets }, plan.warmup, s))
  // Each proxy until its compilers settle, on a mix of the bodies it will see.
  const mixed = (t: 'ccproxy' | 'passthrough'): Target => ({ ...targets['60k'][t], bodies: [targets['60k'][t].bodies[0], targets.small[t].bodies[0], targets['60k'][t].bodies[0], streamTargets[t].bodies[0]] })
  await phase('steady state', async () => {
    for (const t of ['ccproxy', 'passthrough'] as const) await settleJit(t, mixed(t), pids[t], plan, s)
  })
  await phase('latency and throughput', () => latencyMatrix(targets, CONCURRENCIES, plan, pids, s))
  await phase('streaming', () => streaming(streamTargets, shortStreamTargets, SHORT_STREAM_CHUNKS, plan, pids, s))
  const memTarget: Target = { ...targets['60k'].ccproxy, bodies: [...Array(9).fill(targets['60k'].ccproxy.bodies[0]), streamTargets.ccproxy.bodies[0]] }
  await phase('memory', () => memory(memTarget, plan, pids, s))
  s.x['rss.peak_before_count_tokens_mb'] = round(memoryMB(cc.proc.pid).peak, 2)
  const conversation = longConversation(200_000)
  const grown = Array.from({ length: plan.countTokensRuns }, (_, i) => JSON.stringify(grownByOne(conversation, i + 1)))
  await phase('count_tokens', () => countTokens(`${cc.url}/v1/messages/count_tokens`, JSON.stringify(conversation), grown, plan, s))
  const peak = memoryMB(cc.proc.pid)
  s.x['rss.peak_mb'] = round(peak.peak, 2)
  s.x['rss.end_mb'] = round(peak.rss, 2)
  const passMem = memoryMB(pass.proc.pid)
  s.x['rss.passthrough_end_mb'] = round(passMem.rss, 2)
  s.x['rss.passthrough_peak_mb'] = round(passMem.peak, 2)
  await phase('start-up', () => startup(bin, env, home, { body: targets.small.ccproxy.bodies[0], headers: anthropic }, plan, s))
  s.x['errors.total'] = s.errors
  await Promise.all([stopChild(cc.proc), stopChild(pass.proc), stopChild(mock.proc)])

  const goals = judgeGoals(s.x, RSS_GROWTH_TOLERANCE_MB)
  printReport(s.x, goals, BODIES, CONCURRENCIES, log)
  const result = { meta: { ...meta, loadavg_end: loadavg(), duration_s: round((Date.now() - startedAt.getTime()) / 1000, 1), first_error: s.firstError ?? null }, figures: s.x, goals }
  const text = JSON.stringify(result, null, 2) + '\n'
  const files = outFile ? [outFile] : [join(ROOT, 'bench', 'results', `load-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), join(ROOT, 'bench', 'results', 'latest.json')]
  for (const file of files) {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
  }
  log(`\nwrote ${files.join(' and ')}`)
  if (s.errors > 0) {
    console.error(`${s.errors} requests failed; first: ${s.firstError}`)
    return 1
  }
  return strict && goals.some((g) => !g.pass) ? 1 : 0
}

/** Starts ccproxy on a free port (retrying if another process took the port first). */
async function startCcproxy(bin: string, env: (port: number) => Record<string, string>, cwd: string) {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort()
    const { proc, output } = spawnTracked([bin], env(port), cwd)
    try {
      await waitReady(`http://127.0.0.1:${port}/v1/health`, performance.now(), proc, 15_000)
      return { proc, port, url: `http://127.0.0.1:${port}` }
    } catch (e) {
      lastError = new Error(`${(e as Error).message}\n${output().slice(0, 2000)}`)
      await stopChild(proc)
    }
  }
  throw lastError
}

let code = 1
try {
  code = await main()
} catch (e) {
  console.error(`load bench failed: ${(e as Error)?.stack ?? e}`)
} finally {
  cleanupAll()
}
process.exit(code)
