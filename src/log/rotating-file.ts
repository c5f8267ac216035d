import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Size limits of a rotating log file. */
export interface RotationOptions {
  /** A write that would take the file past this many bytes first rotates it. */
  maxBytes: number
  /** Rotated files kept: `file.1` (newest) … `file.N`; older ones are deleted. */
  maxFiles: number
}

/**
 * An append-only file written synchronously, line by line, that rotates `file` → `file.1` → … → `file.N` when
 * the next write would exceed `maxBytes`, so disk use stays under (maxFiles + 1) × maxBytes (plus one line).
 * Write errors (disk full, file removed) are swallowed so logging never takes the proxy down.
 */
export class RotatingFileStream {
  readonly path: string
  private readonly opts: RotationOptions
  private fd = -1
  private size = 0
  private closed = false

  constructor(path: string, opts: RotationOptions) {
    this.path = path
    this.opts = { maxBytes: Math.max(1, opts.maxBytes), maxFiles: Math.max(1, Math.floor(opts.maxFiles)) }
    mkdirSync(dirname(path), { recursive: true })
    this.open()
  }

  /** Appends a chunk (a serialized log line); rotates first when it would not fit. */
  write(chunk: string): boolean {
    if (this.closed) return false
    const bytes = Buffer.byteLength(chunk)
    try {
      if (this.size > 0 && this.size + bytes > this.opts.maxBytes) this.rotate()
      if (this.fd < 0) this.open()
      writeSync(this.fd, chunk)
      this.size += bytes
    } catch {
      return false
    }
    return true
  }

  /** Writes are synchronous, so there is nothing buffered; kept for the pino stream interface. */
  flushSync(): void {}

  /** Closes the file; later writes are dropped. */
  close(): void {
    this.closed = true
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }

  /** Alias of close(), for the stream interface. */
  end(): void {
    this.close()
  }

  private open(): void {
    this.fd = openSync(this.path, 'a')
    this.size = fstatSync(this.fd).size
  }

  private rotate(): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
    const { maxFiles } = this.opts
    rmSync(`${this.path}.${maxFiles}`, { force: true })
    for (let i = maxFiles - 1; i >= 1; i--) {
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
    }
    if (existsSync(this.path)) renameSync(this.path, `${this.path}.1`)
    this.open()
  }
}
