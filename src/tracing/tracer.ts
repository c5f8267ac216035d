import type { Config } from '../config/schema'
import { VERSION } from '../version'
import { OtlpExporter, SPAN_KIND, STATUS_CODE, type ExporterStats, type FinishedSpan, type SpanAttributes, type SpanSink } from './otlp-exporter'
import { childSpanContext, formatTraceparent, parseTraceparent, passTracestate, startSpanContext, traceHeaders, type RandomBytes, type SpanContext } from './trace-context'

/** One upstream attempt (an OTLP client span, child of the request span). */
export interface AttemptSpan {
  /** This attempt's span id (empty when nothing is recorded). */
  readonly spanId: string
  /** `traceparent` (naming this attempt as parent) and `tracestate` to send upstream; empty when there is none. */
  headers(): Record<string, string>
  /** Ends the attempt. Status: error when `error` is given or `http.response.status_code` is 4xx/5xx. */
  end(attrs?: SpanAttributes, error?: string): void
}

/** One proxied request (an OTLP server span). */
export interface RequestSpan {
  /** The trace id, for log lines (empty when nothing is recorded and no trace came in). */
  readonly traceId: string
  readonly spanId: string
  /** Starts a child span for one upstream attempt. */
  startAttempt(attrs?: SpanAttributes, name?: string): AttemptSpan
  /** The `traceparent` value to send upstream for the attempt `attemptSpanId`; undefined when there is none. */
  traceparentForUpstream(attemptSpanId: string): string | undefined
  /** Adds attributes known later (model, stream, token usage). */
  setAttributes(attrs: SpanAttributes): void
  /** Ends the request. Status: error when `error` is given or `http.response.status_code` is 5xx. */
  end(attrs?: SpanAttributes, error?: string): void
}

/** Options of a Tracer; without a sink it records nothing and only passes incoming trace context on. */
export interface TracerOptions {
  sink?: SpanSink
  /** Epoch milliseconds (fractions allowed). */
  now?: () => number
  random?: RandomBytes
}

const defaultRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n))
const defaultNow = () => performance.timeOrigin + performance.now()
const statusOf = (attrs: SpanAttributes, errorFrom: number, error?: string): FinishedSpan['status'] => {
  if (error) return { code: STATUS_CODE.error, message: error }
  const status = attrs['http.response.status_code']
  return typeof status === 'number' && status >= errorFrom ? { code: STATUS_CODE.error } : { code: STATUS_CODE.unset }
}

class RecordedSpan {
  private readonly attrs: SpanAttributes
  private readonly startMs: number
  private ended = false

  constructor(
    protected readonly tracer: { sink: SpanSink; now: () => number; random: RandomBytes },
    readonly ctx: SpanContext,
    private readonly name: string,
    private readonly kind: FinishedSpan['kind'],
    attrs: SpanAttributes | undefined,
  ) {
    this.attrs = { ...attrs }
    this.startMs = tracer.now()
  }

  get traceId(): string {
    return this.ctx.traceId
  }

  get spanId(): string {
    return this.ctx.spanId
  }

  setAttributes(attrs: SpanAttributes): void {
    Object.assign(this.attrs, attrs)
  }

  protected finish(attrs: SpanAttributes | undefined, errorFrom: number, error?: string): void {
    if (this.ended) return
    this.ended = true
    if (attrs) Object.assign(this.attrs, attrs)
    const c = this.ctx
    this.tracer.sink.add({
      traceId: c.traceId, spanId: c.spanId, parentSpanId: c.parentSpanId, traceState: c.tracestate,
      name: this.name, kind: this.kind, startMs: this.startMs, endMs: this.tracer.now(),
      attributes: this.attrs, status: statusOf(this.attrs, errorFrom, error),
    })
  }
}

class RecordedAttempt extends RecordedSpan implements AttemptSpan {
  headers(): Record<string, string> {
    return traceHeaders(this.ctx, this.ctx.spanId)
  }

  end(attrs?: SpanAttributes, error?: string): void {
    this.finish(attrs, 400, error)
  }
}

class RecordedRequest extends RecordedSpan implements RequestSpan {
  startAttempt(attrs?: SpanAttributes, name = 'chat'): AttemptSpan {
    return new RecordedAttempt(this.tracer, childSpanContext(this.ctx, this.tracer.random), name, SPAN_KIND.client, attrs)
  }

  traceparentForUpstream(attemptSpanId: string): string | undefined {
    return traceHeaders(this.ctx, attemptSpanId).traceparent
  }

  end(attrs?: SpanAttributes, error?: string): void {
    this.finish(attrs, 500, error)
  }
}

/** Records nothing; passes a valid incoming `traceparent` and `tracestate` on unchanged. */
class PassThroughSpan implements RequestSpan, AttemptSpan {
  readonly spanId = ''
  private readonly upstream: Record<string, string>

  constructor(readonly traceId: string, traceparent: string, tracestate: string | undefined) {
    this.upstream = tracestate ? { traceparent, tracestate } : { traceparent }
  }

  headers(): Record<string, string> {
    return this.upstream
  }

  startAttempt(): AttemptSpan {
    return this
  }

  traceparentForUpstream(): string | undefined {
    return this.upstream.traceparent
  }

  setAttributes(): void {}
  end(): void {}
}

/**
 * Starts request spans from incoming W3C trace context. With a sink, each request is a server span and each
 * upstream attempt a client span under it; without one, nothing is recorded and incoming context passes through.
 */
export class Tracer {
  readonly sink: SpanSink | undefined
  readonly now: () => number
  readonly random: RandomBytes

  constructor(opts: TracerOptions = {}) {
    this.sink = opts.sink
    this.now = opts.now ?? defaultNow
    this.random = opts.random ?? defaultRandom
  }

  /** True when spans are recorded and exported. */
  get enabled(): boolean {
    return this.sink !== undefined
  }

  /** Starts the span of one request, a child of `traceparent` when that is valid, else the root of a new trace. */
  startRequestSpan(traceparent: string | null | undefined, tracestate: string | null | undefined, attrs?: SpanAttributes, name = 'POST /v1/messages'): RequestSpan {
    const sink = this.sink
    if (sink) return new RecordedRequest({ sink, now: this.now, random: this.random }, startSpanContext(traceparent, tracestate, this.random), name, SPAN_KIND.server, attrs)
    const parent = parseTraceparent(traceparent)
    if (parent) return new PassThroughSpan(parent.traceId, traceparent!.trim(), passTracestate(tracestate, parent))
    // No valid incoming context: start a trace so the upstream can still correlate this request.
    const root = startSpanContext(undefined, undefined, this.random)
    return new PassThroughSpan(root.traceId, formatTraceparent(root.traceId, root.spanId, root.flags), undefined)
  }

  /** Exporter counters, when there is an exporter. */
  stats(): ExporterStats | undefined {
    return this.sink instanceof OtlpExporter ? this.sink.stats() : undefined
  }

  /** Sends what is queued (call on shutdown). */
  async shutdown(): Promise<void> {
    await this.sink?.shutdown()
  }
}

/** The tracer the settings ask for: exporting to OTEL_EXPORTER_OTLP_ENDPOINT when set, else pass-through only. */
export function createTracer(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>,
  opts: Omit<TracerOptions, 'sink'> & { onExportError?: (message: string, spans: number) => void } = {},
): Tracer {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT
  if (!endpoint) return new Tracer(opts)
  const sink = new OtlpExporter({ endpoint, resource: { serviceName: config.OTEL_SERVICE_NAME, serviceVersion: VERSION }, onExportError: opts.onExportError })
  return new Tracer({ ...opts, sink })
}
