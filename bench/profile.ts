/**
 * CPU profile of the proxy under load: `bun bench/profile.ts [--body 60k|small|20k|200k] [--stream]
 * [--requests N] [--concurrency C] [--interval µs] [--binary]`.
 * Runs `bun --cpu-prof src/main.ts` (or, with --binary, dist/ccproxy with BUN_OPTIONS=--cpu-prof; its own
 * function names are minified) against the mock upstream, drives N requests, stops it gracefully and prints
 * the hottest functions by self and by inclusive time. The profile is kept in bench/results/ (open it in Chrome
 * DevTools or any .cpuprofile viewer).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { claudeCodeBodyText, type BodySize } from './bodies.ts'
import { runBatch } from './lib/loadgen.ts'
import { benchProxyEnv, cleanupAll, freePort, prepareBinary, ROOT, spawnPortPrinter, spawnTracked, stopChild, tempDir, waitReady } from './lib/procs.ts'

const args = Bun.argv.slice(2)
const opt = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : def)
const size = opt('--body', '60k') as BodySize
const stream = args.includes('--stream')
const requests = Number(opt('--requests', '20000'))
const concurrency = Number(opt('--concurrency', '16'))
const interval = Number(opt('--interval', '250'))

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

/** Self and inclusive time per function (name + file:line), as shares of all samples. */
export function summariseProfile(p: CpuProfile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const key = (n: ProfileNode) => {
    const file = n.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/')
    return `${n.callFrame.functionName || '(anonymous)'}  ${file ? `${file}:${n.callFrame.lineNumber + 1}` : ''}`.trim()
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let all = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = Math.max(0, p.timeDeltas[i] ?? 0)
    all += dt
    let node = byId.get(p.samples[i])
    if (!node) continue
    self.set(key(node), (self.get(key(node)) ?? 0) + dt)
    const seen = new Set<string>()
    for (let depth = 0; node && depth < 500; depth++) {
      const k = key(node)
      if (!seen.has(k)) {
        seen.add(k)
        total.set(k, (total.get(k) ?? 0) + dt)
      }
      node = byId.get(parent.get(node.id) ?? -1)
    }
  }
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${((v / all) * 100).toFixed(1).padStart(6)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`).join('\n')
  return `total sampled: ${(all / 1000).toFixed(0)} ms\n\nby self time\n${rows(self)}\n\nby inclusive time\n${rows(total)}`
}

async function main(): Promise<number> {
  const mock = await spawnPortPrinter('bench/mock-upstream.ts')
  const home = tempDir('ccproxy-bench-prof-')
  const port = freePort()
  const env = benchProxyEnv(mock.url, port, home)
  const profFlags = ['--cpu-prof', `--cpu-prof-dir=${home}`, `--cpu-prof-interval=${interval}`]
  const binary = args.includes('--binary')
  const cmd = binary ? [prepareBinary().bin] : [process.execPath, ...profFlags, join(ROOT, 'src', 'main.ts')]
  const { proc, output } = spawnTracked(cmd, binary ? { ...env, BUN_OPTIONS: profFlags.join(' ') } : env, home)
  await waitReady(`http://127.0.0.1:${port}/v1/health`, performance.now(), proc, 20_000)
  const target = { name: 'ccproxy', url: `http://127.0.0.1:${port}/v1/messages`, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, bodies: [claudeCodeBodyText(size, { stream })] }
  const t0 = performance.now()
  const r = await runBatch(target, requests, concurrency, 600_000)
  const secs = (performance.now() - t0) / 1000
  console.log(`${r.latencies.length} requests (${size}${stream ? ', streamed' : ''}, concurrency ${concurrency}) in ${secs.toFixed(1)} s, ${(r.latencies.length / secs).toFixed(0)} req/s, ${r.errors} errors${r.firstError ? `: ${r.firstError}` : ''}`)
  await stopChild(proc, 20_000)
  await stopChild(mock.proc)
  const file = readdirSync(home).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile written; proxy output:\n${output().slice(0, 2000)}`)
  const dir = join(ROOT, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const kept = join(dir, `profile-${binary ? 'binary-' : ''}${size}${stream ? '-stream' : ''}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`)
  copyFileSync(join(home, file), kept)
  console.log(summariseProfile(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile))
  console.log(`\nprofile: ${kept}`)
  return r.errors ? 1 : 0
}

if (import.meta.main) {
  let code = 1
  try {
    code = await main()
  } catch (e) {
    console.error(`profile failed: ${(e as Error)?.stack ?? e}`)
  } finally {
    cleanupAll()
  }
  process.exit(code)
}
