/**
 * The in-process HTTP load generator: a fixed number of requests at a fixed concurrency over Bun's keep-alive
 * fetch, every request's latency (send → whole body read), and streamed-answer timing (first content, total).
 */

/** Where requests go and what they carry. */
export interface Target {
  name: string
  url: string
  headers: Record<string, string>
  /** Bodies sent in turn (request i sends bodies[i % length]). */
  bodies: string[]
}

/** The outcome of one batch. */
export interface BatchResult {
  /** Latencies in ms of the successful requests, in completion order. */
  latencies: number[]
  errors: number
  /** Wall time of the batch, ms. */
  wallMs: number
  firstError?: string
}

/** Value at percentile `p` (0–100) of ascending `sorted`, nearest rank; 0 for an empty list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** The median of a list (any order); 0 for an empty one. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50)
}

/**
 * Runs `count` calls with `concurrency` in flight; each call resolves to an error text or undefined on success.
 * Stops issuing new calls once `deadlineMs` of wall time has passed, so a stuck target cannot hang the bench.
 */
export async function runCalls(call: (i: number) => Promise<string | undefined>, count: number, concurrency: number, deadlineMs = 120_000): Promise<BatchResult> {
  const latencies: number[] = []
  let errors = 0
  let issued = 0
  let firstError: string | undefined
  const started = performance.now()
  const until = started + deadlineMs
  const worker = async () => {
    while (issued < count && performance.now() < until) {
      const i = issued++
      const t0 = performance.now()
      let failure: string | undefined
      try {
        failure = await call(i)
      } catch (e) {
        failure = (e as Error).message ?? String(e)
      }
      if (failure === undefined) latencies.push(performance.now() - t0)
      else {
        errors++
        firstError ??= failure
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return { latencies, errors, wallMs: performance.now() - started, firstError }
}

/** Sends `count` POSTs to `target` with `concurrency` in flight over keep-alive fetch, each body read whole. */
export function runBatch(target: Target, count: number, concurrency: number, deadlineMs = 120_000): Promise<BatchResult> {
  return runCalls(async (i) => {
    const body = target.bodies[i % target.bodies.length]
    const res = await fetch(target.url, { method: 'POST', body, headers: target.headers, keepalive: true, signal: AbortSignal.timeout(30_000) })
    await res.arrayBuffer()
    return res.ok ? undefined : `${target.name}: HTTP ${res.status}`
  }, count, concurrency, deadlineMs)
}

/** Timing of one streamed answer. */
export interface StreamTiming {
  /** ms from send to the first byte sequence containing `marker`. */
  firstMs: number
  /** ms from send to the end of the body. */
  totalMs: number
  bytes: number
  reads: number
}

/**
 * Sends one streaming request and reads its body, noting when `marker` (the first content delta of the
 * protocol spoken) first appears; a marker split across two reads is found too.
 */
export async function timeStream(target: Target, marker: string): Promise<StreamTiming> {
  const decoder = new TextDecoder()
  const t0 = performance.now()
  const res = await fetch(target.url, { method: 'POST', body: target.bodies[0], headers: target.headers, keepalive: true, signal: AbortSignal.timeout(30_000) })
  if (!res.ok || !res.body) throw new Error(`${target.name}: HTTP ${res.status} ${await res.text()}`)
  const reader = res.body.getReader()
  let firstMs = -1
  let tail = ''
  let bytes = 0
  let reads = 0
  for (let i = 0; i < 1_000_000; i++) {
    const { done, value } = await reader.read()
    if (done) break
    reads++
    bytes += value.byteLength
    if (firstMs < 0) {
      const text = tail + decoder.decode(value, { stream: true })
      if (text.includes(marker)) firstMs = performance.now() - t0
      else tail = text.slice(-marker.length)
    }
  }
  const totalMs = performance.now() - t0
  if (firstMs < 0) throw new Error(`${target.name}: the stream never contained ${marker}`)
  return { firstMs, totalMs, bytes, reads }
}
