import { freezeDeep, isDeepFrozen } from '../translate/frozen-json'

/** The top-level members a session repeats unchanged: its tool definitions and its system prompt. */
export const KEPT_MEMBERS = ['tools', 'system'] as const
export type KeptMember = (typeof KEPT_MEMBERS)[number]

/** Members shorter than this (as JSON) are parsed every time: too cheap to be worth an entry. */
const MIN_MEMBER_CHARS = 2_048
/** Members longer than this are not kept (Claude Code's tools are about 32 KB, its system prompt 7–30 KB). */
const MAX_MEMBER_CHARS = 256 * 1024
/** Distinct values remembered per member (a session's main agent and its subagents each send their own)… */
const MAX_ENTRIES = 8
/** …and the characters they may hold together; the least recently used go first. */
const MAX_KEPT_CHARS = 1024 * 1024
/**
 * Occurrences of a member's text (or of its end, when looking near where it was last seen) tried before giving up:
 * the same text can also sit inside a turn.
 */
const MAX_OCCURRENCES = 4
/** Characters of a member's end searched for, and how far from where it was last seen. */
const TAIL_CHARS = 48
const SEARCH_WINDOW = 4_096
/**
 * After this many learns in a row that did not pay off (the member was not found as written, or a kept value was
 * dropped from the list without ever being reused), try to learn only from every SKIP_EVERY-th body. A reuse
 * starts the count again.
 */
const MAX_FAILED_LEARNS = 4
const SKIP_EVERY = 64

interface Entry {
  /** The member as it appears in the body: `"tools":` + JSON.stringify(tools). */
  readonly raw: string
  readonly tail: string
  /** Characters between the member's end and the body's end when it was last seen. */
  fromEnd: number
  /** The parsed value, deep-frozen: shared by every request that carries this member. */
  readonly value: unknown
  /** Bodies that reused it. */
  uses: number
}

/** A kept member's text in a body: whose, which value, and where it starts. */
interface Found {
  readonly memo: MemberMemo
  readonly entry: Entry
  readonly start: number
}

/**
 * JSON.parse of `text` with each found member (in order, not overlapping) replaced by its placeholder, if that
 * parses to an object whose every such member is its memo's nonce; undefined otherwise.
 */
function parsePlaceheld(text: string, found: readonly { memo: MemberMemo; entry: Pick<Entry, 'raw'>; start: number }[]): Record<string, unknown> | undefined {
  let spliced = ''
  let at = 0
  for (const f of found) {
    spliced += text.slice(at, f.start) + f.memo.placeholder
    at = f.start + f.entry.raw.length
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(spliced + text.slice(at))
  } catch {
    return undefined
  }
  if (parsed === null || typeof parsed !== 'object') return undefined
  const body = parsed as Record<string, unknown>
  return found.every((f) => body[f.memo.member] === f.memo.marker) ? body : undefined
}

/** The kept values of one member, most recently used first. */
class MemberMemo {
  readonly entries: Entry[] = []
  readonly placeholder: string
  #failedLearns = 0
  #skipped = 0

  constructor(
    readonly member: KeptMember,
    readonly marker: string,
  ) {
    this.placeholder = `${JSON.stringify(member)}:${JSON.stringify(marker)}`
  }

  find(text: string): Found | undefined {
    for (const entry of this.entries) {
      const start = locate(text, entry)
      if (start >= 0) return { memo: this, entry, start }
    }
    return undefined
  }

  used(e: Entry, text: string, start: number): void {
    e.uses++
    this.#failedLearns = 0
    e.fromEnd = text.length - start - e.raw.length
    const i = this.entries.indexOf(e)
    if (i > 0) this.entries.unshift(...this.entries.splice(i, 1))
  }

  learn(text: string, value: unknown): void {
    if (typeof value !== 'object' || value === null || isDeepFrozen(value)) return
    if (this.#failedLearns >= MAX_FAILED_LEARNS && ++this.#skipped % SKIP_EVERY !== 0) return
    const raw = `${JSON.stringify(this.member)}:${JSON.stringify(value)}`
    if (raw.length < MIN_MEMBER_CHARS || raw.length > MAX_MEMBER_CHARS) return
    const at = this.#topLevelAt(text, raw)
    if (at < 0) {
      this.#failedLearns++
      return
    }
    const fromEnd = text.length - at - raw.length
    const known = this.entries.findIndex((e) => e.raw === raw)
    if (known >= 0) {
      // Kept already, but not found where it was last seen: remember the new place.
      const [e] = this.entries.splice(known, 1)
      e.fromEnd = fromEnd
      this.entries.unshift(e)
      return
    }
    this.entries.unshift({ raw, tail: raw.slice(-TAIL_CHARS), fromEnd, value: freezeDeep(value), uses: 0 })
    let kept = 0
    for (const e of this.entries) kept += e.raw.length
    // A value dropped without ever being reused was learned for nothing (a client whose tools change every time).
    while (this.entries.length > MAX_ENTRIES || kept > MAX_KEPT_CHARS) {
      const dropped = this.entries.pop()!
      kept -= dropped.raw.length
      if (dropped.uses === 0) this.#failedLearns++
    }
  }

  /**
   * Where `raw` is this body's top-level member, or -1. The same text may also appear nested (a tool input holding a
   * copy of the tools, written the same way): each occurrence, last first, is checked by parsing the body with the
   * placeholder there, as `parse` would. One parse per value learned.
   */
  #topLevelAt(text: string, raw: string): number {
    let at = text.lastIndexOf(raw)
    for (let n = 0; n < MAX_OCCURRENCES && at >= 0; n++) {
      if (parsePlaceheld(text, [{ memo: this, entry: { raw }, start: at }])) return at
      at = at > 0 ? text.lastIndexOf(raw, at - 1) : -1
    }
    return -1
  }
}

/**
 * Parses request bodies, recognising a `tools` or `system` member seen before so that only the rest is parsed.
 *
 * Claude Code sends the same ~32 KB of tool definitions and ~7 KB of system prompt with every request of a
 * session. Once a body has been validated, `learn` finds these members' JSON text in it (clients serialise with
 * JSON.stringify, so a member is `"tools":` + JSON.stringify(tools)) and keeps each with its parsed value,
 * deep-frozen. `parse` looks for kept members near where each was last seen, parses the body with each found
 * member replaced by `"<name>":"<nonce>"`, and puts the frozen values in their places. The nonce is random per
 * process, so a parse that yields it as the top-level member proves the replaced text was that member: a string
 * key can only be followed by `:` in an object, and a replacement that began inside a string would have closed it
 * and broken the JSON. The body then parses to the same value as a whole, since one complete value stood where
 * another stands now. Anything else (nothing found, a parse error, a different result) parses the whole body as
 * written.
 */
export class BodyMemo {
  readonly #members: MemberMemo[]
  /** Bodies that took at least one kept member. */
  hits = 0

  constructor() {
    const nonce = crypto.randomUUID()
    this.#members = KEPT_MEMBERS.map((m) => new MemberMemo(m, `ccproxy-kept-${m}-${nonce}`))
  }

  /** JSON.parse(text), reusing kept members; throws JSON.parse's SyntaxError for bad JSON. */
  parse(text: string): unknown {
    let found: Found[] | undefined
    for (const m of this.#members) {
      const f = m.find(text)
      if (f) (found ??= []).push(f)
    }
    if (!found) return JSON.parse(text)
    found.sort((a, b) => a.start - b.start)
    // Members that overlap (one found inside the other) leave the later one out.
    const used: Found[] = []
    for (const f of found) {
      const last = used.at(-1)
      if (!last || f.start >= last.start + last.entry.raw.length) used.push(f)
    }
    const body = parsePlaceheld(text, used)
    if (!body) return JSON.parse(text)
    for (const f of used) {
      body[f.memo.member] = f.entry.value
      f.memo.used(f.entry, text, f.start)
    }
    this.hits++
    return body
  }

  /**
   * Keeps the members of a body that passed validation, if they are worth it and appear in `text` exactly as
   * JSON.stringify writes them. Their values are frozen in place: the request's own translation only reads them.
   */
  learn(text: string, body: Partial<Record<KeptMember, unknown>>): void {
    for (const m of this.#members) m.learn(text, body[m.member])
  }

  /** For GET /v1/metrics: bodies that took a kept member, and how many values each member keeps. */
  stats(): { reused_total: number; kept: Record<KeptMember, number> } {
    return { reused_total: this.hits, kept: Object.fromEntries(this.#members.map((m) => [m.member, m.entries.length])) as Record<KeptMember, number> }
  }

  /** Values currently kept for `member`. */
  size(member: KeptMember = 'tools'): number {
    return this.#memo(member).entries.length
  }

  #memo(member: KeptMember): MemberMemo {
    return this.#members[KEPT_MEMBERS.indexOf(member)]
  }
}

/** Where `e.raw` starts in `text`: first where it was last seen, then near there; -1 if not found. */
function locate(text: string, e: Entry): number {
  const expected = text.length - e.fromEnd - e.raw.length
  if (expected >= 0 && text.startsWith(e.raw, expected)) return expected
  let from = Math.max(0, expected + e.raw.length - e.tail.length - SEARCH_WINDOW)
  for (let n = 0; n < MAX_OCCURRENCES; n++) {
    const tailAt = text.indexOf(e.tail, from)
    if (tailAt < 0) return -1
    const start = tailAt + e.tail.length - e.raw.length
    if (start >= 0 && text.startsWith(e.raw, start)) return start
    from = tailAt + 1
  }
  return -1
}
