/**
 * Compares ccproxy binaries in one interleaved run: `bun bench/compare.ts <binary> <binary> … [--body 60k]
 * [--rounds 8] [--requests 1500] [--serial 1500]`. The load bench measures one binary against the pass-through;
 * on a shared machine two separate runs of it differ by 10–30%, more than most single changes. Here the binaries
 * run side by side against one mock upstream and pass-through, and take turns: each round sends `--requests` at
 * concurrency 16 to every target, then the serial pass sends `--serial` requests at concurrency 1 to each target
 * in turn. Prints, per target, the median requests/s at concurrency 16 (and as a share of the pass-through's), the
 * CPU per request there (from /proc, all threads) and the added p50 at concurrency 1 over the direct call.
 */
import { claudeCodeBodyText, type BodySize } from './bodies.ts'
import { median, runBatch, type Target } from './lib/loadgen.ts'
import { benchProxyEnv, cleanupAll, clockTicks, cpuTicks, freePort, spawnPortPrinter, spawnTracked, tempDir, waitReady } from './lib/procs.ts'

const args = Bun.argv.slice(2)
const opt = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : def)
const size = opt('--body', '60k') as BodySize
const rounds = Number(opt('--rounds', '8'))
const perRound = Number(opt('--requests', '1500'))
const serial = Number(opt('--serial', '1500'))
const binaries = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')))
if (binaries.length === 0) {
  console.error('usage: bun bench/compare.ts <ccproxy binary> [<ccproxy binary> …] [--body 60k] [--rounds 8] [--requests 1500] [--serial 1500]')
  process.exit(2)
}

interface Measured extends Target {
  pid?: number
}

try {
  const mock = await spawnPortPrinter('bench/mock-upstream.ts')
  const pass = await spawnPortPrinter('bench/passthrough.ts', { UPSTREAM_URL: mock.url })
  const body = claudeCodeBodyText(size)
  const anthropic = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-bench' }
  const proxies: Measured[] = []
  for (const [i, bin] of binaries.entries()) {
    const port = freePort()
    const home = tempDir('ccproxy-compare-')
    const { proc } = spawnTracked([bin], benchProxyEnv(mock.url, port, home), home)
    await waitReady(`http://127.0.0.1:${port}/v1/health`, performance.now(), proc, 15_000)
    proxies.push({ name: `${i + 1}: ${bin}`, url: `http://127.0.0.1:${port}/v1/messages`, headers: anthropic, bodies: [body], pid: proc.pid })
  }
  // The direct call and the pass-through send what ccproxy sends upstream.
  await fetch(proxies[0].url, { method: 'POST', body, headers: anthropic }).then((r) => r.text())
  const upstreamBody = await (await fetch(`${mock.url}/last-request`)).text()
  const json = { 'content-type': 'application/json' }
  const direct: Measured = { name: 'direct', url: `${mock.url}/v1/chat/completions`, headers: json, bodies: [upstreamBody] }
  const passthrough: Measured = { name: 'pass-through', url: `${pass.url}/v1/chat/completions`, headers: json, bodies: [upstreamBody], pid: pass.proc.pid }
  const targets = [direct, passthrough, ...proxies]
  for (const t of targets) await runBatch(t, 1_000, 8)

  const rps = new Map<Measured, number[]>(targets.map((t) => [t, []]))
  const cpu = new Map<Measured, number[]>(targets.map((t) => [t, []]))
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const before = t.pid ? cpuTicks(t.pid) : 0
      const res = await runBatch(t, perRound, 16)
      if (res.errors) throw new Error(`${t.name}: ${res.errors} errors (${res.firstError})`)
      rps.get(t)!.push(perRound / (res.wallMs / 1000))
      if (t.pid) cpu.get(t)!.push(((cpuTicks(t.pid) - before) / clockTicks()) * 1000 / perRound)
    }
  }
  const serialMs = new Map<Measured, number[]>(targets.map((t) => [t, []]))
  for (let i = 0; i < serial; i++) {
    for (const t of targets) {
      const res = await runBatch(t, 1, 1)
      if (res.errors) throw new Error(`${t.name}: ${res.firstError}`)
      serialMs.get(t)!.push(res.latencies[0])
    }
  }
  const directP50 = median(serialMs.get(direct)!)
  const passRps = median(rps.get(passthrough)!)
  console.log(`${size} body, ${rounds} rounds of ${perRound} requests at concurrency 16, ${serial} at concurrency 1`)
  console.log('target'.padEnd(44) + 'req/s c16'.padStart(10) + '  vs pass'.padStart(10) + 'CPU ms/req'.padStart(12) + '  added p50 c1'.padStart(15))
  for (const t of targets) {
    const r = median(rps.get(t)!)
    const c = cpu.get(t)!.length ? median(cpu.get(t)!).toFixed(3) : '-'
    const added = t === direct ? '-' : `+${(median(serialMs.get(t)!) - directP50).toFixed(3)} ms`
    console.log(t.name.slice(0, 43).padEnd(44) + r.toFixed(0).padStart(10) + `${((100 * r) / passRps).toFixed(1)}%`.padStart(10) + c.padStart(12) + added.padStart(15))
  }
} finally {
  cleanupAll()
}
process.exit(0)
