import { freezeDeep, isDeepFrozen } from '../translate/frozen-json'

/** Tool lists shorter than this (as JSON) are parsed every time: too cheap to be worth an entry. */
const MIN_SECTION_CHARS = 2_048
/** Distinct tool lists remembered (a session's main agent and its subagents each send their own). */
const MAX_ENTRIES = 8
/** Characters of a section's end searched for, and how far from where it was last seen. */
const TAIL_CHARS = 48
const SEARCH_WINDOW = 4_096
/** After this many bodies in a row whose tools could not be found as written, try only every SKIP_EVERY-th. */
const MAX_FAILED_LEARNS = 4
const SKIP_EVERY = 64

interface Entry {
  /** The member as it appears in the body: `"tools":` + JSON.stringify(tools). */
  readonly raw: string
  readonly tail: string
  /** Characters between the member's end and the body's end when it was last seen. */
  fromEnd: number
  /** The parsed tools, deep-frozen: shared by every request that carries this member. */
  readonly tools: readonly unknown[]
}

/**
 * Parses request bodies, recognising a `tools` member seen before so that only the rest is parsed.
 *
 * Claude Code sends the same ~32 KB of tool definitions with every request of a session. Once a body's tools have
 * been validated, `learn` finds their JSON text in the body (clients serialise with JSON.stringify, so it is
 * `"tools":` + JSON.stringify(tools)) and keeps it with the parsed tools, deep-frozen. `parse` looks for a kept
 * member near where it was last seen, parses the body with the member replaced by `"tools":"<nonce>"`, and puts
 * the frozen tools in its place. The nonce is random per process, so a parse that yields it as the top-level
 * `tools` proves the replaced text was that member: a string key can only be followed by `:` in an object, and a
 * replacement that began inside a string would have closed it and broken the JSON. The body then parses to the
 * same value as a whole, since one complete value stood where another stands now. Anything else (no member
 * found, a parse error, a different result) parses the whole body as written.
 */
export class ToolSectionMemo {
  readonly #entries: Entry[] = []
  readonly #marker = `ccproxy-tools-${crypto.randomUUID()}`
  readonly #placeholder = `"tools":${JSON.stringify(this.#marker)}`
  #failedLearns = 0
  #skipped = 0
  /** Bodies that took a kept member (for tests and the health figures). */
  hits = 0

  /** JSON.parse(text), reusing a kept tools member; throws JSON.parse's SyntaxError for bad JSON. */
  parse(text: string): unknown {
    const entries = this.#entries
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      const start = locate(text, e)
      if (start < 0) continue
      let parsed: unknown
      try {
        parsed = JSON.parse(text.slice(0, start) + this.#placeholder + text.slice(start + e.raw.length))
      } catch {
        break
      }
      if (parsed === null || typeof parsed !== 'object' || (parsed as { tools?: unknown }).tools !== this.#marker) break
      ;(parsed as { tools: unknown }).tools = e.tools
      e.fromEnd = text.length - start - e.raw.length
      if (i > 0) entries.unshift(...entries.splice(i, 1))
      this.hits++
      return parsed
    }
    return JSON.parse(text)
  }

  /**
   * Keeps the tools of a body that passed validation, if they are worth it and appear in `text` exactly as
   * JSON.stringify writes them. The body's tools array is frozen in place: the request's own translation only
   * reads it.
   */
  learn(text: string, body: { tools?: unknown }): void {
    const tools = body.tools
    if (!Array.isArray(tools) || tools.length === 0 || isDeepFrozen(tools)) return
    if (this.#failedLearns >= MAX_FAILED_LEARNS && ++this.#skipped % SKIP_EVERY !== 0) return
    const raw = `"tools":${JSON.stringify(tools)}`
    if (raw.length < MIN_SECTION_CHARS) return
    const at = text.lastIndexOf(raw)
    if (at < 0) {
      this.#failedLearns++
      return
    }
    this.#failedLearns = 0
    const fromEnd = text.length - at - raw.length
    const known = this.#entries.findIndex((e) => e.raw === raw)
    if (known >= 0) {
      // Kept already, but not found where it was last seen: remember the new place.
      const [e] = this.#entries.splice(known, 1)
      e.fromEnd = fromEnd
      this.#entries.unshift(e)
      return
    }
    this.#entries.unshift({ raw, tail: raw.slice(-TAIL_CHARS), fromEnd, tools: freezeDeep(tools) })
    if (this.#entries.length > MAX_ENTRIES) this.#entries.length = MAX_ENTRIES
  }

  /** Tool lists currently kept. */
  get size(): number {
    return this.#entries.length
  }
}

/** Where `e.raw` starts in `text`: first where it was last seen, then near there; -1 if not found. */
function locate(text: string, e: Entry): number {
  const expected = text.length - e.fromEnd - e.raw.length
  if (expected >= 0 && text.startsWith(e.raw, expected)) return expected
  let from = Math.max(0, expected + e.raw.length - e.tail.length - SEARCH_WINDOW)
  for (let n = 0; n < 4; n++) {
    const tailAt = text.indexOf(e.tail, from)
    if (tailAt < 0) return -1
    const start = tailAt + e.tail.length - e.raw.length
    if (start >= 0 && text.startsWith(e.raw, start)) return start
    from = tailAt + 1
  }
  return -1
}
