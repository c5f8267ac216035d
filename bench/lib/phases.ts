/**
 * The measurement phases of the load bench. Each one fills dotted figures into a shared map; the interleaved
 * phases rotate the order of direct / passthrough / ccproxy every round so machine drift hits all three alike.
 */
import { cpuTicks, freePort, jitTicks, memoryMB, spawnTracked, stopChild, waitReady } from './procs.ts'
import { median, percentile, runBatch, timeStream, type Target } from './loadgen.ts'
import { ratio, round, type Figures } from './report.ts'

/** The three ways a request can travel. */
export const TARGETS = ['direct', 'passthrough', 'ccproxy'] as const
/** One of TARGETS. */
export type TargetName = (typeof TARGETS)[number]

/** How much work each phase does. */
export interface Plan {
  rounds: number
  /** Requests per target per round at each concurrency. */
  perRound: Record<number, number>
  warmup: number
  streamRounds: number
  streamsPerRound: number
  memoryPhase: number
  /** Idle time after each memory phase in which RSS is sampled for its settled (lowest) value. */
  settleMs: number
  startupRuns: number
  countTokensRuns: number
  /** Data chunks in each streamed answer (the mock's MOCK_CHUNKS). */
  streamChunks: number
  /** Warm-up of each proxy until its compiler threads settle: see settleJit. */
  jitSettle: { window: number; share: number; max: number }
}

/** Process ids whose CPU time is charged per request. */
export interface Pids { ccproxy: number; passthrough: number }

/** Shared state of a run: figures, error count, the first error seen and the CPU clock rate. */
export interface RunState { x: Figures; errors: number; firstError?: string; clkTck: number }

function rotated<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length])
}

/** Warms every target and body (JIT, connection pools) with `count` requests at concurrency 8. */
export async function warmUp(targets: Record<string, Record<TargetName, Target>>, count: number, s: RunState): Promise<void> {
  for (const byTarget of Object.values(targets)) {
    for (const t of TARGETS) {
      const r = await runBatch(byTarget[t], count, 8)
      s.errors += r.errors
      s.firstError ??= r.firstError
    }
  }
}

/**
 * Warms a proxy until it runs in its steady state: `window` requests at a time at concurrency 16 until its JIT
 * compiler threads used less than `share` of its CPU over a window, or `max` requests have gone. JavaScriptCore
 * keeps compiling hot code into higher tiers for tens of thousands of requests (on ccproxy the compiler threads
 * took about 15% of its CPU over its first 10,000 requests and 3–4% after 25,000), a cost a long-running proxy pays
 * once; without this the rounds would measure part of it. Records the requests sent and the last window's share.
 */
export async function settleJit(name: 'ccproxy' | 'passthrough', target: Target, pid: number, plan: Plan, s: RunState): Promise<void> {
  const { window, share, max } = plan.jitSettle
  let sent = 0
  let last = 1
  while (sent < max) {
    const cpu0 = cpuTicks(pid)
    const jit0 = jitTicks(pid)
    const r = await runBatch(target, window, 16)
    s.errors += r.errors
    s.firstError ??= r.firstError
    sent += window
    const cpu = cpuTicks(pid) - cpu0
    last = cpu > 0 ? (jitTicks(pid) - jit0) / cpu : 0
    if (last < share) break
  }
  s.x[`warmup.${name}.requests`] = sent
  s.x[`warmup.${name}.jit_cpu_share`] = round(last, 3)
}

/**
 * Latency percentiles, requests per second and CPU per request for each body and concurrency, in rounds
 * alternating the three targets. CPU is read from /proc before and after each proxy's own batches.
 */
export async function latencyMatrix(targets: Record<string, Record<TargetName, Target>>, concurrencies: number[], plan: Plan, pids: Pids, s: RunState): Promise<void> {
  const { x } = s
  for (const [body, byTarget] of Object.entries(targets)) {
    const cpu = { ccproxy: 0, passthrough: 0 }
    const cpuRequests = { ccproxy: 0, passthrough: 0 }
    for (const c of concurrencies) {
      const lat: Record<TargetName, number[]> = { direct: [], passthrough: [], ccproxy: [] }
      const wall: Record<TargetName, number> = { direct: 0, passthrough: 0, ccproxy: 0 }
      for (let r = 0; r < plan.rounds; r++) {
        for (const t of rotated(TARGETS, r)) {
          const pid = t === 'direct' ? 0 : pids[t]
          const before = pid ? cpuTicks(pid) : 0
          const res = await runBatch(byTarget[t], plan.perRound[c], c)
          if (pid && t !== 'direct') {
            cpu[t] += cpuTicks(pid) - before
            cpuRequests[t] += res.latencies.length + res.errors
          }
          for (const v of res.latencies) lat[t].push(v)
          wall[t] += res.wallMs
          s.errors += res.errors
          s.firstError ??= res.firstError
        }
      }
      for (const t of TARGETS) {
        const sorted = lat[t].sort((a, b) => a - b)
        x[`latency.${body}.c${c}.${t}.p50_ms`] = round(percentile(sorted, 50), 4)
        x[`latency.${body}.c${c}.${t}.p99_ms`] = round(percentile(sorted, 99), 4)
        x[`latency.${body}.c${c}.${t}.rps`] = round(ratio(sorted.length, wall[t] / 1000), 1)
        x[`latency.${body}.c${c}.${t}.samples`] = sorted.length
      }
      for (const t of ['passthrough', 'ccproxy'] as const) {
        for (const p of ['p50_ms', 'p99_ms']) x[`added.${body}.c${c}.${t}.${p}`] = round(x[`latency.${body}.c${c}.${t}.${p}`] - x[`latency.${body}.c${c}.direct.${p}`], 4)
      }
      x[`rps_ratio.${body}.c${c}.ccproxy_vs_direct`] = round(ratio(x[`latency.${body}.c${c}.ccproxy.rps`], x[`latency.${body}.c${c}.direct.rps`]), 4)
      x[`rps_ratio.${body}.c${c}.ccproxy_vs_passthrough`] = round(ratio(x[`latency.${body}.c${c}.ccproxy.rps`], x[`latency.${body}.c${c}.passthrough.rps`]), 4)
    }
    for (const t of ['ccproxy', 'passthrough'] as const) x[`cpu.${body}.${t}.ms_per_req`] = round(ratio((cpu[t] / s.clkTck) * 1000, cpuRequests[t]), 4)
  }
}

/**
 * Time to the first content delta and to the end of a streamed answer, one stream at a time, rounds alternating
 * the targets. Direct and passthrough wait for OpenAI's first content chunk, ccproxy for the first
 * `content_block_delta`. Each long stream is followed by a short one (`short`, SHORT_STREAM_CHUNKS chunks) so the
 * per-chunk cost can also be read as a slope, free of the per-request cost.
 */
export async function streaming(long: Record<TargetName, Target>, short: Record<TargetName, Target>, shortChunks: number, plan: Plan, pids: Pids, s: RunState): Promise<void> {
  const first: Record<TargetName, number[]> = { direct: [], passthrough: [], ccproxy: [] }
  const total: Record<TargetName, number[]> = { direct: [], passthrough: [], ccproxy: [] }
  const shortTotal: Record<TargetName, number[]> = { direct: [], passthrough: [], ccproxy: [] }
  const cpu = { long: { ccproxy: 0, passthrough: 0 }, short: { ccproxy: 0, passthrough: 0 } }
  const count = { long: { ccproxy: 0, passthrough: 0 }, short: { ccproxy: 0, passthrough: 0 } }
  const timed = async (t: TargetName, kind: 'long' | 'short', marker: string) => {
    const pid = t === 'direct' ? 0 : pids[t]
    const before = pid ? cpuTicks(pid) : 0
    try {
      return await timeStream((kind === 'long' ? long : short)[t], marker)
    } catch (e) {
      s.errors++
      s.firstError ??= (e as Error).message
      return undefined
    } finally {
      if (t !== 'direct') {
        cpu[kind][t] += cpuTicks(pid) - before
        count[kind][t]++
      }
    }
  }
  for (let r = 0; r < plan.streamRounds; r++) {
    for (const t of rotated(TARGETS, r)) {
      const marker = t === 'ccproxy' ? 'event: content_block_delta' : '"delta":{"content":"'
      for (let i = 0; i < plan.streamsPerRound; i++) {
        const a = await timed(t, 'long', marker)
        if (a) {
          first[t].push(a.firstMs)
          total[t].push(a.totalMs)
        }
        const b = await timed(t, 'short', marker)
        if (b) shortTotal[t].push(b.totalMs)
      }
    }
  }
  const { x } = s
  for (const t of TARGETS) {
    x[`stream.${t}.first_ms`] = round(median(first[t]), 4)
    x[`stream.${t}.total_ms`] = round(median(total[t]), 4)
    x[`stream.${t}.short_total_ms`] = round(median(shortTotal[t]), 4)
  }
  for (const t of ['passthrough', 'ccproxy'] as const) {
    x[`stream.${t}.added_first_ms`] = round(x[`stream.${t}.first_ms`] - x['stream.direct.first_ms'], 4)
    x[`stream.${t}.added_total_ms`] = round(x[`stream.${t}.total_ms`] - x['stream.direct.total_ms'], 4)
    x[`stream.${t}.per_chunk_us`] = round((x[`stream.${t}.added_total_ms`] * 1000) / plan.streamChunks, 3)
    const addedShort = x[`stream.${t}.short_total_ms`] - x['stream.direct.short_total_ms']
    x[`stream.${t}.marginal_per_chunk_us`] = round(((x[`stream.${t}.added_total_ms`] - addedShort) * 1000) / Math.max(1, plan.streamChunks - shortChunks), 3)
    const cpuLongMs = ratio((cpu.long[t] / s.clkTck) * 1000, count.long[t])
    const cpuShortMs = ratio((cpu.short[t] / s.clkTck) * 1000, count.short[t])
    x[`stream.${t}.cpu_per_stream_ms`] = round(cpuLongMs, 4)
    x[`stream.${t}.cpu_per_short_stream_ms`] = round(cpuShortMs, 4)
    x[`stream.${t}.cpu_per_chunk_us`] = round(((cpuLongMs - cpuShortMs) * 1000) / Math.max(1, plan.streamChunks - shortChunks), 3)
  }
}

/**
 * RSS after `plan.memoryPhase` requests through ccproxy and again after as many more (60 KB bodies, 1 in 10
 * streamed). Right after each phase RSS still holds garbage the collector has not returned yet, so it is also
 * sampled every 100 ms for `plan.settleMs` while idle: the lowest sample is the settled figure.
 */
export async function memory(target: Target, plan: Plan, pids: Pids, s: RunState): Promise<void> {
  const { x } = s
  const before = cpuTicks(pids.ccproxy)
  let done = 0
  for (const phase of ['10k', '20k']) {
    const r = await runBatch(target, plan.memoryPhase, 16, 300_000)
    done += r.latencies.length + r.errors
    s.errors += r.errors
    s.firstError ??= r.firstError
    const atEnd = memoryMB(pids.ccproxy).rss
    let settled = atEnd
    for (let i = 0; i < Math.ceil(plan.settleMs / 100); i++) {
      await Bun.sleep(100)
      settled = Math.min(settled, memoryMB(pids.ccproxy).rss)
    }
    x[`rss.after_${phase}_at_end_mb`] = round(atEnd, 2)
    x[`rss.after_${phase}_mb`] = round(settled, 2)
  }
  x['rss.requests_per_phase'] = plan.memoryPhase
  x['rss.growth_mb'] = round(x['rss.after_20k_mb'] - x['rss.after_10k_mb'], 2)
  x['cpu.rss_phase.ccproxy.ms_per_req'] = round(ratio(((cpuTicks(pids.ccproxy) - before) / s.clkTck) * 1000, done), 4)
}

/** count_tokens over HTTP: the first call (nothing memoised), the same body again, and bodies grown by one message. */
export async function countTokens(url: string, base: string, grown: string[], plan: Plan, s: RunState): Promise<void> {
  const post = async (body: string) => {
    const t0 = performance.now()
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } })
    const json = (await res.json()) as { input_tokens?: number }
    const ms = performance.now() - t0
    if (!res.ok || typeof json.input_tokens !== 'number') throw new Error(`count_tokens answered ${res.status}: ${JSON.stringify(json).slice(0, 300)}`)
    return { ms, tokens: json.input_tokens }
  }
  const { x } = s
  const cold = await post(base)
  const same: number[] = []
  const grownMs: number[] = []
  for (let i = 0; i < plan.countTokensRuns; i++) same.push((await post(base)).ms)
  for (const body of grown.slice(0, plan.countTokensRuns)) grownMs.push((await post(body)).ms)
  x['count_tokens.conversation_tokens'] = cold.tokens
  x['count_tokens.body_kb'] = round(base.length / 1024, 1)
  x['count_tokens.cold_ms'] = round(cold.ms, 3)
  x['count_tokens.same_median_ms'] = round(median(same), 3)
  x['count_tokens.grown_median_ms'] = round(median(grownMs), 3)
  x['count_tokens.grown_max_ms'] = round(Math.max(0, ...grownMs), 3)
}

/**
 * Spawn → first successful GET /v1/health of fresh ccproxy processes, then at once one POST /v1/messages (the first
 * real request pays lazy start-up work such as loading the tokenizer); medians, min and max over the runs.
 */
export async function startup(bin: string, env: (port: number) => Record<string, string>, cwd: string, message: { body: string; headers: Record<string, string> }, plan: Plan, s: RunState): Promise<void> {
  const health: number[] = []
  const firstMessage: number[] = []
  for (let i = 0; i < plan.startupRuns; i++) {
    const port = freePort()
    const t0 = performance.now()
    const { proc, output } = spawnTracked([bin], env(port), cwd)
    try {
      health.push(await waitReady(`http://127.0.0.1:${port}/v1/health`, t0, proc))
      const res = await fetch(`http://127.0.0.1:${port}/v1/messages`, { method: 'POST', body: message.body, headers: message.headers })
      await res.arrayBuffer()
      if (!res.ok) throw new Error(`first /v1/messages answered ${res.status}`)
      firstMessage.push(performance.now() - t0)
    } catch (e) {
      s.errors++
      s.firstError ??= `startup: ${(e as Error).message} ${output().slice(0, 500)}`
    } finally {
      await stopChild(proc)
    }
  }
  const { x } = s
  x['startup.runs'] = health.length
  x['startup.median_ms'] = round(median(health), 2)
  x['startup.min_ms'] = round(health.length ? Math.min(...health) : 0, 2)
  x['startup.max_ms'] = round(Math.max(0, ...health), 2)
  x['startup.first_message_median_ms'] = round(median(firstMessage), 2)
}
