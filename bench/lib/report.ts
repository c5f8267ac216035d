/**
 * Turning load-bench measurements into flat figures, goal verdicts and the printed tables.
 * Every figure is a finite number (ratios divide by at least a tiny epsilon), keyed by a dotted name.
 */

/** Flat map of figure name → finite number. */
export type Figures = Record<string, number>

/** One goal: the figure it reads, its limit and whether the run met it. */
export interface GoalResult {
  goal: string
  value: number
  limit: number
  unit: string
  pass: boolean
}

/** a / b, finite even when b is 0. */
export function ratio(a: number, b: number): number {
  return a / (Math.abs(b) < 1e-9 ? 1e-9 : b)
}

/** Rounds to `digits` decimals. */
export function round(n: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

const f = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : String(n))
const pad = (s: string, n: number) => s.padEnd(n)
const lpad = (s: string, n: number) => s.padStart(n)

/** The goals of the issue, judged from the figures. */
export function judgeGoals(x: Figures, rssGrowthToleranceMB: number): GoalResult[] {
  const g = (goal: string, value: number, limit: number, unit: string, pass: boolean): GoalResult => ({ goal, value: round(value, 4), limit, unit, pass })
  const added = x['added.60k.c1.ccproxy.p50_ms']
  const addedPass = x['added.60k.c1.passthrough.p50_ms']
  const rpsShare = x['rps_ratio.60k.c16.ccproxy_vs_passthrough']
  return [
    g('added p50 latency, 60 KB body, concurrency 1', added, 0.5, 'ms', added <= 0.5),
    g('  … and at most 2x the pass-through\'s added p50', ratio(added, Math.max(addedPass, 0.001)), 2, 'x', added <= 2 * Math.max(addedPass, 0.001)),
    g('CPU per 60 KB request (ccproxy)', x['cpu.60k.ccproxy.ms_per_req'], 0.5, 'ms', x['cpu.60k.ccproxy.ms_per_req'] <= 0.5),
    g('requests/s at concurrency 16, 60 KB, vs pass-through', rpsShare * 100, 40, '% (min)', rpsShare >= 0.4),
    g('streaming: added time to first content delta', x['stream.ccproxy.added_first_ms'], 1, 'ms', x['stream.ccproxy.added_first_ms'] <= 1),
    g('streaming: added cost per relayed chunk ((+total) / 200)', x['stream.ccproxy.per_chunk_us'], 5, 'µs', x['stream.ccproxy.per_chunk_us'] <= 5),
    g('  … and CPU per relayed chunk (200- vs 20-chunk answers)', x['stream.ccproxy.cpu_per_chunk_us'], 5, 'µs', x['stream.ccproxy.cpu_per_chunk_us'] <= 5),
    g('RSS after 10,000 requests', x['rss.after_10k_mb'], 80, 'MB', x['rss.after_10k_mb'] <= 80),
    g('RSS growth over a second 10,000 requests', x['rss.growth_mb'], rssGrowthToleranceMB, 'MB', x['rss.growth_mb'] <= rssGrowthToleranceMB),
    g('binary serves its first request after spawn (median)', x['startup.median_ms'], 100, 'ms', x['startup.median_ms'] <= 100),
    g('count_tokens, 200k-token conversation grown by one message (median)', x['count_tokens.grown_median_ms'], 5, 'ms', x['count_tokens.grown_median_ms'] <= 5),
  ]
}

/** Prints every table: latency and throughput, streaming, resources, start-up, count_tokens and the goals. */
export function printReport(x: Figures, goals: GoalResult[], bodies: string[], concurrencies: number[], log: (s: string) => void = console.log): void {
  const k = (b: string, c: number, t: string, m: string) => x[`latency.${b}.c${c}.${t}.${m}`]
  const a = (b: string, c: number, t: string, m: string) => x[`added.${b}.c${c}.${t}.${m}`]
  const warm = (t: string) => `${f(x[`warmup.${t}.requests`], 0)} requests (compiler threads ${f(100 * x[`warmup.${t}.jit_cpu_share`], 1)}% of its CPU in the last batch)`
  log(`\nSteady state before measuring: ccproxy warmed with ${warm('ccproxy')}, the pass-through with ${warm('passthrough')}`)
  log('\nLatency of a whole non-streaming answer, ms ("+" = added over the direct call at the same percentile)')
  log(pad('body', 6) + lpad('conc', 5) + lpad('direct p50/p99', 17) + lpad('passthrough p50/p99', 21) + lpad('+p50/+p99', 17) + lpad('ccproxy p50/p99', 18) + lpad('+p50/+p99', 18) + lpad('p50 x direct', 14) + lpad('p50 x pass', 12))
  for (const b of bodies) {
    for (const c of concurrencies) {
      log(
        pad(b, 6) + lpad(String(c), 5) +
        lpad(`${f(k(b, c, 'direct', 'p50_ms'))}/${f(k(b, c, 'direct', 'p99_ms'))}`, 17) +
        lpad(`${f(k(b, c, 'passthrough', 'p50_ms'))}/${f(k(b, c, 'passthrough', 'p99_ms'))}`, 21) +
        lpad(`${f(a(b, c, 'passthrough', 'p50_ms'))}/${f(a(b, c, 'passthrough', 'p99_ms'))}`, 17) +
        lpad(`${f(k(b, c, 'ccproxy', 'p50_ms'))}/${f(k(b, c, 'ccproxy', 'p99_ms'))}`, 18) +
        lpad(`${f(a(b, c, 'ccproxy', 'p50_ms'))}/${f(a(b, c, 'ccproxy', 'p99_ms'))}`, 18) +
        lpad(f(ratio(k(b, c, 'ccproxy', 'p50_ms'), k(b, c, 'direct', 'p50_ms')), 2), 14) + lpad(f(ratio(k(b, c, 'ccproxy', 'p50_ms'), k(b, c, 'passthrough', 'p50_ms')), 2), 12),
      )
    }
  }
  log('\nRequests per second (whole answers)')
  log(pad('body', 6) + lpad('conc', 5) + lpad('direct', 10) + lpad('passthrough', 13) + lpad('ccproxy', 10) + lpad('cc x direct', 13) + lpad('cc x pass', 11))
  for (const b of bodies) {
    for (const c of concurrencies) {
      log(pad(b, 6) + lpad(String(c), 5) + lpad(f(k(b, c, 'direct', 'rps'), 0), 10) + lpad(f(k(b, c, 'passthrough', 'rps'), 0), 13) + lpad(f(k(b, c, 'ccproxy', 'rps'), 0), 10) +
        lpad(f(x[`rps_ratio.${b}.c${c}.ccproxy_vs_direct`], 2), 13) + lpad(f(x[`rps_ratio.${b}.c${c}.ccproxy_vs_passthrough`], 2), 11))
    }
  }
  log('\nStreaming, 200-chunk answer with text and a tool call, concurrency 1 (median ms)')
  log(pad('target', 13) + lpad('first content', 15) + lpad('total', 10) + lpad('+first', 10) + lpad('+total', 10) + lpad('per chunk µs', 14) + lpad('slope µs/chunk', 16))
  for (const t of ['direct', 'passthrough', 'ccproxy']) {
    log(pad(t, 13) + lpad(f(x[`stream.${t}.first_ms`]), 15) + lpad(f(x[`stream.${t}.total_ms`]), 10) +
      lpad(t === 'direct' ? '-' : f(x[`stream.${t}.added_first_ms`]), 10) + lpad(t === 'direct' ? '-' : f(x[`stream.${t}.added_total_ms`]), 10) +
      lpad(t === 'direct' ? '-' : f(x[`stream.${t}.per_chunk_us`], 2), 14) + lpad(t === 'direct' ? '-' : f(x[`stream.${t}.marginal_per_chunk_us`], 2), 16))
  }
  log('  per chunk = (+total) / 200; slope = ((+total of 200 chunks) - (+total of a 20-chunk answer)) / 180, free of per-request cost')
  for (const t of ['passthrough', 'ccproxy']) {
    log(`  ${t} CPU: ${f(x[`stream.${t}.cpu_per_stream_ms`])} ms per 200-chunk answer, ${f(x[`stream.${t}.cpu_per_short_stream_ms`])} ms per 20-chunk answer → ${f(x[`stream.${t}.cpu_per_chunk_us`], 2)} µs CPU per relayed chunk`)
  }
  log('\nCPU per request (user + system, all threads)')
  for (const b of bodies) log(`  ${pad(b, 6)} ccproxy ${f(x[`cpu.${b}.ccproxy.ms_per_req`])} ms   passthrough ${f(x[`cpu.${b}.passthrough.ms_per_req`])} ms   ratio ${x[`cpu.${b}.passthrough.ms_per_req`] > 0 ? f(ratio(x[`cpu.${b}.ccproxy.ms_per_req`], x[`cpu.${b}.passthrough.ms_per_req`]), 2) + 'x' : '-'}`)
  log(`  60k, memory phases (${x['rss.requests_per_phase']} x 2 requests): ccproxy ${f(x['cpu.rss_phase.ccproxy.ms_per_req'])} ms`)
  log('\nMemory (MB)')
  const n = x['rss.requests_per_phase']
  log(`  ccproxy idle ${f(x['rss.idle_mb'], 1)}, after its first requests ${f(x['rss.after_first_requests_mb'], 1)}, peak ${f(x['rss.peak_before_count_tokens_mb'], 1)} before count_tokens and ${f(x['rss.peak_mb'], 1)} after (~1 MB bodies)`)
  log(`  after ${n} requests ${f(x['rss.after_10k_mb'], 1)} settled (${f(x['rss.after_10k_at_end_mb'], 1)} at the end of the phase); after ${2 * n}: ${f(x['rss.after_20k_mb'], 1)} settled (${f(x['rss.after_20k_at_end_mb'], 1)}); growth ${f(x['rss.growth_mb'], 1)}`)
  log(`  passthrough at the end ${f(x['rss.passthrough_end_mb'], 1)} (peak ${f(x['rss.passthrough_peak_mb'], 1)})`)
  log(`\nStart-up: spawn → first /v1/health answer: median ${f(x['startup.median_ms'], 1)} ms (min ${f(x['startup.min_ms'], 1)}, max ${f(x['startup.max_ms'], 1)}, ${x['startup.runs']} runs); → first /v1/messages answer right after: median ${f(x['startup.first_message_median_ms'], 1)} ms`)
  log(`count_tokens over HTTP, ${Math.round(x['count_tokens.conversation_tokens']).toLocaleString('en')}-token conversation (${f(x['count_tokens.body_kb'], 0)} KB): first (cold) ${f(x['count_tokens.cold_ms'], 1)} ms; grown by one message: median ${f(x['count_tokens.grown_median_ms'], 2)} ms, max ${f(x['count_tokens.grown_max_ms'], 2)} ms; unchanged: median ${f(x['count_tokens.same_median_ms'], 2)} ms`)
  log(`Errors: ${x['errors.total']}`)
  log('\nGoals')
  for (const r of goals) log(`  ${r.pass ? 'PASS' : 'FAIL'}  ${pad(r.goal, 68)} ${lpad(f(r.value, 3), 10)} ${r.unit.startsWith('%') ? '≥' : '≤'} ${r.limit} ${r.unit.replace(' (min)', '')}`)
}
