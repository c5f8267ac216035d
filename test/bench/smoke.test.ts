import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepareBinary } from '../../bench/lib/procs'

const ROOT = join(import.meta.dir, '..', '..')

describe('bench/load.ts --quick', () => {
  test('runs to the end and writes every figure as a finite number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccproxy-bench-smoke-'))
    const out = join(dir, 'load.json')
    try {
      const proc = Bun.spawn([process.execPath, 'bench/load.ts', '--quick', '--out', out], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env } })
      const killer = setTimeout(() => proc.kill('SIGKILL'), 110_000)
      const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
      clearTimeout(killer)
      if (code !== 0) console.error(stdout.slice(-3000), stderr.slice(-3000))
      expect(code).toBe(0)

      const result = JSON.parse(readFileSync(out, 'utf8')) as { figures: Record<string, unknown>; goals: { goal: string; value: unknown; pass: unknown }[] }
      const figures = Object.entries(result.figures)
      expect(figures.length).toBeGreaterThan(50)
      const notFinite = figures.filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v))
      expect(notFinite).toEqual([])
      for (const key of ['added.60k.c1.ccproxy.p50_ms', 'cpu.60k.ccproxy.ms_per_req', 'rps_ratio.60k.c16.ccproxy_vs_passthrough', 'stream.ccproxy.added_first_ms', 'stream.ccproxy.per_chunk_us', 'rss.after_10k_mb', 'rss.growth_mb', 'startup.median_ms', 'count_tokens.grown_median_ms', 'warmup.ccproxy.requests', 'warmup.ccproxy.jit_cpu_share']) {
        expect(result.figures).toHaveProperty([key])
      }
      expect(result.figures['errors.total']).toBe(0)
      expect(result.goals.length).toBeGreaterThanOrEqual(10)
      for (const g of result.goals) {
        expect(Number.isFinite(g.value)).toBe(true)
        expect(typeof g.pass).toBe('boolean')
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('bench/compare.ts', () => {
  test('runs two binaries side by side and prints a figure for every target', async () => {
    const { bin } = prepareBinary()
    const proc = Bun.spawn([process.execPath, 'bench/compare.ts', bin, bin, '--rounds', '1', '--requests', '24', '--serial', '4'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env } })
    const killer = setTimeout(() => proc.kill('SIGKILL'), 80_000)
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    clearTimeout(killer)
    if (code !== 0) console.error(stdout.slice(-3000), stderr.slice(-3000))
    expect(code).toBe(0)
    const rows = stdout.split('\n').filter((l) => /^(direct|pass-through|[12]: )/.test(l))
    expect(rows.map((r) => r.split(/\s{2,}/)[0].slice(0, 3))).toEqual(['dir', 'pas', '1: ', '2: '])
    for (const row of rows.slice(1)) {
      const [rps, share, cpu, added] = row.trim().split(/\s+/).slice(-5)
      expect(Number(rps)).toBeGreaterThan(0)
      expect(Number.parseFloat(share)).toBeGreaterThan(0)
      expect(Number(cpu)).toBeGreaterThanOrEqual(0)
      expect(Number.isFinite(Number.parseFloat(added))).toBe(true)
    }
  }, 90_000)
})
