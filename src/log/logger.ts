import pino, { type Logger, type StreamEntry } from 'pino'
import { RotatingFileStream } from './rotating-file'

export type { Logger }

/** Something that takes whole serialized log lines. */
export interface LineSink {
  write(line: string): unknown
}

/** How to build the logger; see `createLogger`. */
export interface LoggerOptions {
  /** pino level name; `silent` disables every output and opens no file. */
  level: string
  /** JSON lines at `level` and up; empty or unset = no file. */
  logFile?: string
  /** JSON lines of errors only (error and fatal); empty or unset = no file. */
  errorFile?: string
  /** Size at which each file rotates to `<file>.1`. */
  maxBytes: number
  /** Rotated files kept per log (`<file>.1` … `<file>.N`). */
  maxFiles: number
  /** Console lines short and readable instead of JSON (default: stderr is a TTY). */
  pretty?: boolean
  /** Console destination: stderr by default, false for none, or any sink. */
  console?: boolean | LineSink
  /** Secret strings (API keys) replaced by `[redacted]` wherever they appear in a line. */
  redactValues?: readonly string[]
}

/** The replacement for every redacted value. */
export const REDACTED = '[redacted]'

const SECRET_KEYS = ['authorization', 'Authorization', 'proxy-authorization', 'x-api-key', 'X-Api-Key', 'api-key', 'Api-Key', 'cookie', 'apiKey', 'api_key']

/** Object paths pino censors before serializing: secret header names and key fields, at the top and one or two levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [
  `["${k}"]`, `*["${k}"]`, `headers["${k}"]`, `*.headers["${k}"]`, `*.*.headers["${k}"]`,
])

const MIN_SECRET_LENGTH = 4

/** A function that replaces each secret (raw or JSON-escaped) and any `Bearer <token>` in a line with `[redacted]`. */
export function createScrubber(secrets: readonly string[] = []): (line: string) => string {
  const needles = [...new Set(
    secrets.filter((s) => s && s.length >= MIN_SECRET_LENGTH).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
  )].sort((a, b) => b.length - a.length)
  return (line) => {
    let out = line
    for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED)
    return out.replace(/\b(Bearer\s+)(?!\[redacted\])[^\s"',;\\]+/gi, `$1${REDACTED}`)
  }
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const pad2 = (n: number) => String(n).padStart(2, '0')

const compact = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(1).replace(/\.0$/, '')}M` : n >= 1000 ? `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k` : String(n)

/**
 * One short console line from a log object, e.g.
 * `12:01:02 INFO  POST /v1/messages 200 claude-sonnet-4-5→gpt-4o 1.23s 1.2k/345 tok`.
 * Request lines are recognised by a `method` or a `status` and use method, path, status, model,
 * upstreamModel (or upstream_model), durationMs (or latency_ms), tokens {input, output} (or input_tokens, output_tokens).
 */
export function formatConsoleLine(o: Record<string, any>): string {
  const t = new Date(o.time ?? Date.now())
  const time = `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}`
  const level = (typeof o.level === 'number' ? LEVEL_NAMES[o.level] : String(o.level ?? 'info').toUpperCase()) ?? 'INFO'
  const parts: string[] = []
  if (o.method || o.status != null) {
    if (o.method) parts.push(o.method, o.path ?? o.url ?? '')
    if (o.status != null) parts.push(String(o.status))
    const upstream = o.upstreamModel ?? o.upstream_model
    if (o.model) parts.push(upstream && upstream !== o.model ? `${o.model}→${upstream}` : o.model)
    const ms = o.durationMs ?? o.latency_ms
    if (typeof ms === 'number') parts.push(ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms)}ms`)
    const input = o.tokens?.input ?? o.input_tokens
    const output = o.tokens?.output ?? o.output_tokens
    if (input != null || output != null) parts.push(`${compact(input ?? 0)}/${compact(output ?? 0)} tok`)
    if (o.msg && o.msg !== 'request') parts.push(`- ${o.msg}`)
  } else if (o.msg) {
    parts.push(o.msg)
  }
  let text = parts.join(' ')
  const err = o.err ?? o.error
  const message = typeof err === 'string' ? err : err?.message
  if (message && message !== o.msg) text += text ? `: ${message}` : message
  return `${time} ${level.padEnd(5)} ${text}\n`
}

function prettySink(sink: LineSink): LineSink {
  return {
    write(line: string) {
      try {
        return sink.write(formatConsoleLine(JSON.parse(line)))
      } catch {
        return sink.write(line)
      }
    },
  }
}

const owned = new WeakMap<Logger, RotatingFileStream[]>()

/**
 * A pino logger writing JSON lines to `logFile` (at `level`), errors once each to `errorFile`, and the console
 * (stderr: short lines when `pretty`, else JSON). All destinations are synchronous in-process streams (no worker
 * threads, so it works inside a single compiled binary); files rotate by size. Secrets are censored by path and
 * then scrubbed by value from every serialized line.
 */
export function createLogger(opts: LoggerOptions): Logger {
  if (opts.level === 'silent') return pino({ level: 'silent' })
  const rotation = { maxBytes: opts.maxBytes, maxFiles: opts.maxFiles }
  const files: RotatingFileStream[] = []
  const streams: StreamEntry[] = []
  if (opts.logFile) {
    const file = new RotatingFileStream(opts.logFile, rotation)
    files.push(file)
    streams.push({ level: opts.level as pino.Level, stream: file })
  }
  if (opts.errorFile && opts.errorFile !== opts.logFile) {
    const file = new RotatingFileStream(opts.errorFile, rotation)
    files.push(file)
    streams.push({ level: 'error', stream: file })
  }
  if (opts.console !== false) {
    const sink: LineSink = typeof opts.console === 'object' ? opts.console : { write: (s: string) => process.stderr.write(s) }
    const pretty = opts.pretty ?? Boolean(process.stderr.isTTY)
    streams.push({ level: opts.level as pino.Level, stream: pretty ? prettySink(sink) : sink })
  }
  const scrub = createScrubber(opts.redactValues)
  const logger = pino(
    {
      level: opts.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      hooks: { streamWrite: scrub },
    },
    pino.multistream(streams),
  )
  owned.set(logger, files)
  return logger
}

/** Flushes pending output (file writes are synchronous, so this only drains pino itself). */
export function flushLogger(logger: Logger): void {
  try {
    logger.flush()
  } catch {}
}

/** Flushes and closes the files of a logger made by `createLogger`; later lines go to the console only. */
export function closeLogger(logger: Logger): void {
  flushLogger(logger)
  for (const f of owned.get(logger) ?? []) f.close()
  owned.delete(logger)
}
