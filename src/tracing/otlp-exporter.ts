/**
 * Span export over OTLP/HTTP with the JSON encoding (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 * `POST {endpoint}/v1/traces`, batched in the background so that a request never waits on the collector.
 */

/** Attribute values a span may carry; undefined and null ones are left out. */
export type SpanAttributes = Record<string, string | number | boolean | undefined | null>

/** OTLP span kinds (the enum values of the protocol). */
export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const

/** OTLP status codes. */
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const

/** A span that has ended, as handed to a sink. Times are Unix epoch milliseconds (fractions allowed). */
export interface FinishedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  name: string
  kind: (typeof SPAN_KIND)[keyof typeof SPAN_KIND]
  startMs: number
  endMs: number
  attributes: SpanAttributes
  status: { code: (typeof STATUS_CODE)[keyof typeof STATUS_CODE]; message?: string }
}

/** Where finished spans go. */
export interface SpanSink {
  /** Takes a finished span; must return at once. */
  add(span: FinishedSpan): void
  /** Sends everything queued; never rejects. */
  flush(): Promise<void>
  /** Flushes and stops accepting spans. */
  shutdown(): Promise<void>
}

/** Who emits the spans (the OTLP resource and scope). */
export interface TraceResource {
  serviceName: string
  serviceVersion: string
}

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean }

/** Unix epoch milliseconds as the decimal string of nanoseconds OTLP/JSON uses for 64-bit times. */
export function unixNanos(ms: number): string {
  const whole = Math.floor(ms)
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString()
}

/** OTLP `KeyValue`s: integers as `intValue` (a string, as for every 64-bit integer in OTLP/JSON). */
export function otlpAttributes(attrs: SpanAttributes): Array<{ key: string; value: OtlpValue }> {
  const out: Array<{ key: string; value: OtlpValue }> = []
  for (const key in attrs) {
    const v = attrs[key]
    if (v == null) continue
    const value: OtlpValue = typeof v === 'string' ? { stringValue: v }
      : typeof v === 'boolean' ? { boolValue: v }
      : Number.isSafeInteger(v) ? { intValue: String(v) }
      : { doubleValue: v }
    out.push({ key, value })
  }
  return out
}

/** The OTLP/JSON `ExportTraceServiceRequest` body for a batch of spans. */
export function toOtlpRequest(spans: readonly FinishedSpan[], resource: TraceResource): object {
  return {
    resourceSpans: [{
      resource: { attributes: otlpAttributes({ 'service.name': resource.serviceName, 'service.version': resource.serviceVersion }) },
      scopeSpans: [{
        scope: { name: 'ccproxy', version: resource.serviceVersion },
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          ...(s.traceState ? { traceState: s.traceState } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: unixNanos(s.startMs),
          endTimeUnixNano: unixNanos(s.endMs),
          attributes: otlpAttributes(s.attributes),
          status: s.status.message ? s.status : { code: s.status.code },
        })),
      }],
    }],
  }
}

/** Settings of the exporter. */
export interface OtlpExporterOptions {
  /** Collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); `/v1/traces` is appended. */
  endpoint: string
  resource: TraceResource
  /** Spans per POST; a full batch is sent at once (default 100). */
  maxBatch?: number
  /** Longest a span waits before it is sent (default 1000 ms). */
  flushIntervalMs?: number
  /** Spans held at most; when full the oldest is dropped (default 2048). */
  maxQueue?: number
  /** Bound of one POST (default 10 s). */
  timeoutMs?: number
  fetch?: (url: string, init: RequestInit) => Promise<Response>
  /** Told about each failed POST (for a log line). */
  onExportError?: (message: string, spans: number) => void
}

/** Counters of the exporter. */
export interface ExporterStats {
  exported_spans: number
  dropped_spans: number
  failed_exports: number
  queued_spans: number
}

/** Batches finished spans and POSTs them to an OTLP/HTTP collector; errors are counted, never thrown. */
export class OtlpExporter implements SpanSink {
  private readonly url: string
  private readonly maxBatch: number
  private readonly flushIntervalMs: number
  private readonly maxQueue: number
  private readonly timeoutMs: number
  private readonly fetchFn: NonNullable<OtlpExporterOptions['fetch']>
  private queue: FinishedSpan[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private chain: Promise<void> = Promise.resolve()
  private closed = false
  private readonly counts = { exported: 0, dropped: 0, failed: 0 }

  constructor(private readonly opts: OtlpExporterOptions) {
    this.url = `${opts.endpoint.replace(/\/+$/, '')}/v1/traces`
    this.maxBatch = opts.maxBatch ?? 100
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000
    this.maxQueue = Math.max(opts.maxQueue ?? 2048, this.maxBatch)
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.fetchFn = opts.fetch ?? ((url, init) => fetch(url, init))
  }

  /** Queues a span; a full batch is sent on the next turn of the event loop, others within the flush interval. */
  add(span: FinishedSpan): void {
    if (this.closed) {
      this.counts.dropped++
      return
    }
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift()
      this.counts.dropped++
    }
    this.queue.push(span)
    if (this.queue.length >= this.maxBatch) this.schedule(0)
    else if (!this.timer) this.schedule(this.flushIntervalMs)
  }

  /** Sends everything queued, one batch at a time; resolves when done (or failed). */
  flush(): Promise<void> {
    this.cancelTimer()
    this.chain = this.chain.then(() => this.drain())
    return this.chain
  }

  /** Flushes what is queued and drops every later span. */
  async shutdown(): Promise<void> {
    this.closed = true
    await this.flush()
  }

  /** Counters since start. */
  stats(): ExporterStats {
    return { exported_spans: this.counts.exported, dropped_spans: this.counts.dropped, failed_exports: this.counts.failed, queued_spans: this.queue.length }
  }

  private schedule(ms: number): void {
    this.cancelTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, ms)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.send(this.queue.splice(0, this.maxBatch))
  }

  private async send(batch: FinishedSpan[]): Promise<void> {
    try {
      const res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(toOtlpRequest(batch, this.opts.resource)),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      await res.arrayBuffer().catch(() => undefined)
      if (!res.ok) throw new Error(`collector answered HTTP ${res.status}`)
      this.counts.exported += batch.length
    } catch (e) {
      this.counts.failed++
      this.counts.dropped += batch.length
      this.opts.onExportError?.(e instanceof Error ? e.message : String(e), batch.length)
    }
  }
}
