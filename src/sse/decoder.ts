/** One dispatched server-sent event. `event` and `id` are absent when the stream never set them. */
export interface SSEMessage {
  event?: string
  data: string
  id?: string
}

const LF = 10
const COLON = 58
const SPACE = 32
const REPLACEMENT = '\uFFFD'

/**
 * Incremental WHATWG server-sent-events parser: bytes in, messages out.
 *
 * Lines end at CRLF, LF or CR (a CRLF split across two reads is one line break); `:` lines are comments;
 * several `data:` lines join with `\n`; one space after the colon is stripped; a blank line dispatches.
 * Unlike the browser EventSource, `end()` also dispatches a final message that lacks its blank line
 * (some upstreams close right after `data: [DONE]\n`). UTF-8 split across reads is decoded intact.
 */
export class SSEDecoder {
  private readonly utf8 = new TextDecoder('utf-8')
  private line = ''
  private skipLF = false
  private data = ''
  private hasData = false
  private event: string | undefined = undefined
  private lastId = ''
  private prev1 = -1
  private prev2 = -1
  private replaced = 0

  /**
   * How many U+FFFD characters decoding produced from malformed UTF-8 (a literal U+FFFD sent as EF BF BD is
   * not counted). One malformed sequence counts once, whatever its length in bytes.
   */
  get replacedBytes(): number {
    return this.replaced
  }

  /** Feeds one read; returns the messages it completed. */
  push(bytes: Uint8Array): SSEMessage[] {
    const text = this.utf8.decode(bytes, { stream: true })
    if (text.indexOf(REPLACEMENT) !== -1) this.replaced += countReplacements(text) - this.genuineReplacements(bytes)
    const len = bytes.length
    if (len >= 2) {
      this.prev2 = bytes[len - 2]
      this.prev1 = bytes[len - 1]
    } else if (len === 1) {
      this.prev2 = this.prev1
      this.prev1 = bytes[0]
    }
    const out: SSEMessage[] = []
    if (text !== '') this.feed(text, out)
    return out
  }

  /** Flushes at end of input: a trailing partial line and a message without its final blank line are dispatched. */
  end(): SSEMessage[] {
    const out: SSEMessage[] = []
    const text = this.utf8.decode()
    if (text !== '') {
      this.replaced += countReplacements(text)
      this.feed(text, out)
    }
    if (this.line !== '') {
      const last = this.line
      this.line = ''
      this.processLine(last, out)
    }
    this.dispatch(out)
    this.skipLF = false
    this.prev1 = this.prev2 = -1
    return out
  }

  private feed(chunk: string, out: SSEMessage[]): void {
    let s = chunk
    let start = 0
    let from = 0
    if (this.skipLF) {
      this.skipLF = false
      if (s.charCodeAt(0) === LF) start = from = 1
    } else if (this.line !== '') {
      // The kept part holds no line break, so scanning resumes where it ended (no quadratic rescans).
      from = this.line.length
      s = this.line + s
      this.line = ''
    }
    let lf = s.indexOf('\n', from)
    let cr = s.indexOf('\r', from)
    while (lf !== -1 || cr !== -1) {
      const begin = start
      let end: number
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        end = lf
        start = lf + 1
      } else {
        end = cr
        if (cr + 1 === s.length) this.skipLF = true
        start = s.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1
      }
      this.processLine(end === begin ? '' : s.slice(begin, end), out)
      if (lf !== -1 && lf < start) lf = s.indexOf('\n', start)
      if (cr !== -1 && cr < start) cr = s.indexOf('\r', start)
    }
    if (start < s.length) this.line = start === 0 ? s : s.slice(start)
  }

  private processLine(line: string, out: SSEMessage[]): void {
    if (line === '') {
      this.dispatch(out)
      return
    }
    const first = line.charCodeAt(0)
    if (first === COLON) return
    let field: string
    let value: string
    if (first === 100 && line.startsWith('data:')) {
      field = 'data'
      value = line.charCodeAt(5) === SPACE ? line.slice(6) : line.slice(5)
    } else {
      const colon = line.indexOf(':')
      if (colon === -1) {
        field = line
        value = ''
      } else {
        field = line.slice(0, colon)
        value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1)
      }
    }
    if (field === 'data') {
      if (this.hasData) this.data += '\n' + value
      else {
        this.data = value
        this.hasData = true
      }
    } else if (field === 'event') this.event = value
    else if (field === 'id') {
      if (value.indexOf('\0') === -1) this.lastId = value
    }
  }

  private dispatch(out: SSEMessage[]): void {
    if (this.hasData) {
      const msg: SSEMessage = { data: this.data }
      if (this.event) msg.event = this.event
      if (this.lastId) msg.id = this.lastId
      out.push(msg)
      this.data = ''
      this.hasData = false
    }
    this.event = undefined
  }

  /** Literal U+FFFD characters (EF BF BD) that complete in this read, including across the previous read's end. */
  private genuineReplacements(bytes: Uint8Array): number {
    const len = bytes.length
    let n = 0
    if (len >= 1 && bytes[0] === 0xbd && this.prev1 === 0xbf && this.prev2 === 0xef) n++
    if (len >= 2 && bytes[0] === 0xbf && bytes[1] === 0xbd && this.prev1 === 0xef) n++
    let i = bytes.indexOf(0xef)
    while (i !== -1 && i + 2 < len) {
      if (bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) n++
      i = bytes.indexOf(0xef, i + 1)
    }
    return n
  }
}

function countReplacements(text: string): number {
  let n = 0
  let i = text.indexOf(REPLACEMENT)
  while (i !== -1) {
    n++
    i = text.indexOf(REPLACEMENT, i + 1)
  }
  return n
}
