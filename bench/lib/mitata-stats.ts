/** Reading mean times out of mitata's run() result, for figures mitata does not print (MB/s, events/s). */
import type { run } from 'mitata'

type RunResult = Awaited<ReturnType<typeof run>>

/** Mean nanoseconds per iteration of each benchmark, by its name. */
export function meanNs(result: RunResult): Map<string, number> {
  const out = new Map<string, number>()
  for (const trial of result.benchmarks) {
    for (const r of trial.runs) if (r.stats) out.set(r.name, r.stats.avg)
  }
  return out
}
