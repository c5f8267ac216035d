/**
 * Upstream transport comparison against the mock upstream (a separate process, plain HTTP and TLS with ALPN
 * h2/http1.1, self-signed certificate made with openssl at run time), posting ~60 KB bodies:
 *   - Bun fetch keep-alive vs keep-alive off (`keepalive: false` + `Connection: close`), plain HTTP/1.1; a
 *     Bun.FetchSession pool; the body as a string, as bytes encoded per call, as a stream of 64 KB pieces or as a
 *     direct stream writing the string (also with ~200 KB bodies at concurrency 16);
 *   - over TLS: fetch HTTP/1.1, fetch HTTP/2 (`protocol: "http2"`, experimental in Bun 1.4) and a node:http2 session;
 *   - pool sizes: 128 callers through a semaphore of 8 / 32 / 100, and BUN_CONFIG_MAX_HTTP_REQUESTS = 8 / 32 / 100
 *     in child processes with 128 uncapped callers.
 * Rounds alternate the scenarios of a group. Prints p50 / p99 latency, requests per second and (in-process
 * scenarios) this process's CPU per request — the client's cost, the mock upstream runs apart — and writes JSON to
 * bench/results/transport-<timestamp>.json and transport-latest.json (or --out FILE). Run:
 * bun bench/transport.bench.ts [--quick] [--out FILE]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { claudeCodeBodyText } from './bodies.ts'
import { percentile, runCalls, type BatchResult } from './lib/loadgen.ts'
import { cleanupAll, ROOT, spawnPortPrinter, spawnTracked, stopChild, tempDir } from './lib/procs.ts'
import { round } from './lib/report.ts'
import { cappedCall, directBodyCall, encodedBodyCall, fetchCall, nodeHttp2Client, type Call } from './lib/transport-clients.ts'

const args = Bun.argv.slice(2)
const childIndex = args.indexOf('--child')

/** Child mode: uncapped keep-alive fetch under this process's BUN_CONFIG_MAX_HTTP_REQUESTS; prints one JSON line. */
async function child(spec: { url: string; count: number; concurrency: number; warmup: number }): Promise<void> {
  const body = claudeCodeBodyText('60k')
  const call = fetchCall(spec.url, body, { keepalive: true })
  await runCalls(call, spec.warmup, spec.concurrency)
  const r = await runCalls(call, spec.count, spec.concurrency)
  console.log(JSON.stringify(r))
}

/** A batch's result; in-process scenarios also report this process's CPU time (user + system, all threads). */
type ScenarioResult = BatchResult & { cpuMs?: number }
interface Scenario { key: string; label: string; concurrency: number; run: (count: number) => Promise<ScenarioResult> }

function summarise(results: ScenarioResult[]): { p50: number; p99: number; rps: number; errors: number; samples: number; cpuMsPerReq: number } {
  const lat = results.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const wall = results.reduce((s, r) => s + r.wallMs, 0)
  const cpu = results.every((r) => r.cpuMs !== undefined) ? results.reduce((s, r) => s + (r.cpuMs ?? 0), 0) / Math.max(1, lat.length) : NaN
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), rps: (lat.length / Math.max(wall, 1e-9)) * 1000, errors: results.reduce((s, r) => s + r.errors, 0), samples: lat.length, cpuMsPerReq: cpu }
}

async function main(): Promise<number> {
  const quick = args.includes('--quick')
  const outIndex = args.indexOf('--out')
  const outFile = outIndex >= 0 ? args[outIndex + 1] : undefined
  const rounds = quick ? 1 : 3
  const perRound: Record<number, number> = quick ? { 1: 10, 16: 64, 64: 128, 128: 256 } : { 1: 300, 16: 2_000, 64: 3_000, 128: 4_000 }

  const dir = tempDir('ccproxy-bench-tls-')
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  const ssl = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdout: 'pipe', stderr: 'pipe' })
  if (ssl.exitCode !== 0) throw new Error(`openssl failed: ${ssl.stderr.toString()}`)
  const ca = readFileSync(cert, 'utf8')
  const mock = await spawnPortPrinter('bench/mock-upstream.ts', { MOCK_TLS_CERT: cert, MOCK_TLS_KEY: key })
  const tlsPort = Number(/\{"tlsPort":(\d+)\}/.exec(mock.output())?.[1])
  if (!tlsPort) throw new Error('the mock upstream did not open its TLS port')
  const path = '/v1/chat/completions'
  const http = `${mock.url}${path}`
  const https = `https://127.0.0.1:${tlsPort}${path}`
  const body = claudeCodeBodyText('60k')
  const body200k = claudeCodeBodyText('200k')
  const h2 = nodeHttp2Client(`https://127.0.0.1:${tlsPort}`, path, body, ca)
  const tls = { tls: { ca } }
  const session = new Bun.FetchSession({ keepAlive: { idleTimeout: 30, maxIdleSockets: 20 } })

  const fetchH2 = fetchCall(https, body, { ...tls, protocol: 'http2', keepalive: true })
  const h2Probe = await fetchH2(0).catch((e) => (e as Error).message)
  const h2Note = h2Probe === undefined ? 'fetch HTTP/2 works (protocol: "http2")' : `fetch HTTP/2 failed: ${h2Probe}`
  console.log(`transport bench${quick ? ' (quick)' : ''}: ${cpus().length} CPUs, load ${loadavg().map((n) => n.toFixed(2)).join(' ')}, bun ${Bun.version}; body ${body.length} B; ${h2Note}`)

  const inProcess = (key: string, label: string, call: Call, concurrency: number): Scenario => ({
    key,
    label,
    concurrency,
    run: async (count) => {
      const before = process.cpuUsage()
      const r = await runCalls(call, count, concurrency)
      const used = process.cpuUsage(before)
      return { ...r, cpuMs: (used.user + used.system) / 1000 }
    },
  })
  const viaChild = (max: number, concurrency: number): Scenario => ({
    key: `bun_max_http_requests_${max}`,
    label: `fetch, BUN_CONFIG_MAX_HTTP_REQUESTS=${max} (child)`,
    concurrency,
    run: async (count) => {
      const spec = JSON.stringify({ url: http, count, concurrency, warmup: Math.min(count, 500) })
      const { proc, output } = spawnTracked([process.execPath, join(ROOT, 'bench', 'transport.bench.ts'), '--child', spec], { PATH: process.env.PATH ?? '', BUN_CONFIG_MAX_HTTP_REQUESTS: String(max) })
      const code = await Promise.race([proc.exited, Bun.sleep(180_000).then(() => -1)])
      await stopChild(proc)
      const line = output().trim().split('\n').pop() ?? ''
      if (code !== 0 || !line.startsWith('{')) return { latencies: [], errors: count, wallMs: 1, firstError: `child exited ${code}: ${output().slice(0, 500)}` }
      return JSON.parse(line) as BatchResult
    },
  })

  const groups: Record<string, Scenario[]> = {}
  for (const c of [1, 16, 64]) {
    groups[`c${c}`] = [
      inProcess('fetch_h1_keepalive', 'fetch HTTP/1.1 keep-alive', fetchCall(http, body, { keepalive: true }), c),
      inProcess('session_h1_keepalive', 'Bun.FetchSession HTTP/1.1 keep-alive', fetchCall(http, body, {}, {}, session.fetch as typeof fetch), c),
      inProcess('fetch_h1_bytes_body', 'fetch keep-alive, body encoded per call', encodedBodyCall(http, body, true), c),
      inProcess('fetch_h1_stream_body', 'fetch keep-alive, body as 64 KB stream', encodedBodyCall(http, body, false), c),
      inProcess('fetch_h1_direct_body', 'fetch keep-alive, body as direct string stream', directBodyCall(http, body), c),
      ...(c === 16
        ? [
            inProcess('fetch_h1_stream_body_200k', 'fetch keep-alive, 200 KB body as 64 KB stream', encodedBodyCall(http, body200k, false), c),
            inProcess('fetch_h1_direct_body_200k', 'fetch keep-alive, 200 KB body as direct stream', directBodyCall(http, body200k), c),
          ]
        : []),
      inProcess('fetch_h1_no_keepalive', 'fetch HTTP/1.1 no keep-alive', fetchCall(http, body, { keepalive: false }, { connection: 'close' }), c),
      inProcess('fetch_tls_h1_keepalive', 'fetch TLS HTTP/1.1 keep-alive', fetchCall(https, body, { ...tls, protocol: 'http1.1', keepalive: true }), c),
      ...(h2Probe === undefined ? [inProcess('fetch_tls_h2', 'fetch TLS HTTP/2', fetchH2, c)] : []),
      inProcess('node_http2_session', 'node:http2 session (TLS)', h2.call, c),
    ]
  }
  groups.pool = [
    ...[8, 32, 100].map((cap) => inProcess(`semaphore_${cap}`, `fetch keep-alive, semaphore ${cap}`, cappedCall(fetchCall(http, body, { keepalive: true }), cap), 128)),
    ...[8, 32, 100].map((max) => viaChild(max, 128)),
  ]

  const figures: Record<string, number> = {}
  const rows: string[] = []
  let errors = 0
  let firstError: string | undefined
  for (const [group, scenarios] of Object.entries(groups)) {
    const results = new Map<string, ScenarioResult[]>(scenarios.map((s) => [s.key, []]))
    for (const s of scenarios) if (!s.key.startsWith('bun_max')) await s.run(Math.min(perRound[s.concurrency], 200))
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < scenarios.length; i++) {
        const s = scenarios[(i + r) % scenarios.length]
        const res = await s.run(perRound[s.concurrency])
        results.get(s.key)!.push(res)
        firstError ??= res.firstError && `${s.label}: ${res.firstError}`
      }
    }
    for (const s of scenarios) {
      const sum = summarise(results.get(s.key)!)
      errors += sum.errors
      const k = `transport.${group}.${s.key}`
      figures[`${k}.p50_ms`] = round(sum.p50, 4)
      figures[`${k}.p99_ms`] = round(sum.p99, 4)
      figures[`${k}.rps`] = round(sum.rps, 1)
      figures[`${k}.errors`] = sum.errors
      if (Number.isFinite(sum.cpuMsPerReq)) figures[`${k}.client_cpu_ms_per_req`] = round(sum.cpuMsPerReq, 4)
      rows.push(`${group.padEnd(6)}${String(s.concurrency).padStart(5)}  ${s.label.padEnd(48)}${sum.p50.toFixed(3).padStart(10)}${sum.p99.toFixed(3).padStart(10)}${sum.rps.toFixed(0).padStart(10)}${(Number.isFinite(sum.cpuMsPerReq) ? sum.cpuMsPerReq.toFixed(3) : '-').padStart(10)}${String(sum.errors).padStart(8)}`)
    }
  }
  h2.close()
  await stopChild(mock.proc)
  figures['transport.errors'] = errors

  console.log(`\n${'group'.padEnd(6)}${'conc'.padStart(5)}  ${'client'.padEnd(48)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'req/s'.padStart(10)}${'cpu ms/req'.padStart(10)}${'errors'.padStart(8)}`)
  for (const row of rows) console.log(row)
  const result = { meta: { timestamp: new Date().toISOString(), quick, bun: Bun.version, cpus: cpus().length, body_bytes: body.length, http2_fetch: h2Note, first_error: firstError ?? null }, figures }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const files = outFile ? [outFile] : [join(ROOT, 'bench', 'results', `transport-${stamp}.json`), join(ROOT, 'bench', 'results', 'transport-latest.json')]
  for (const f of files) {
    mkdirSync(dirname(f), { recursive: true })
    writeFileSync(f, JSON.stringify(result, null, 2) + '\n')
  }
  console.log(`\nwrote ${files.join(' and ')}`)
  if (errors) console.error(`${errors} requests failed; first: ${firstError}`)
  return errors ? 1 : 0
}

let code = 1
try {
  if (childIndex >= 0) {
    await child(JSON.parse(args[childIndex + 1]))
    code = 0
  } else code = await main()
} catch (e) {
  console.error(`transport bench failed: ${(e as Error)?.stack ?? e}`)
} finally {
  cleanupAll()
}
process.exit(code)
