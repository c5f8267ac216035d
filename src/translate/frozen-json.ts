/**
 * Values the proxy has deep-frozen, with their JSON text computed at most once. A Claude Code session sends the
 * same tool definitions and system prompt (about 40 KB of JSON) with every request; src/proxy/body-memo.ts parses
 * them once and freezes them, the translator memoises their upstream form, and every serialisation after the first
 * reads the text from here. A frozen value cannot change, so its text cannot go stale.
 *
 * Only values passed to freezeDeep count: an object frozen by anything else (whose children may still change) is
 * serialised afresh like any other value.
 */
const texts = new WeakMap<object, string | null>()

/** Freezes `value` and everything reachable from it, and marks each object so jsonOf may keep its text. */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || texts.has(value)) return value
  const o = value as Record<string, unknown>
  for (const k in o) freezeDeep(o[k])
  Object.freeze(o)
  texts.set(o, null)
  return value
}

/** Whether `value` went through freezeDeep. */
export function isDeepFrozen(value: unknown): boolean {
  return typeof value === 'object' && value !== null && texts.has(value)
}

/** JSON.stringify(value), kept for a deep-frozen value; `undefined` (which has no JSON) gives undefined. */
export function jsonOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  const kept = texts.get(value)
  if (kept != null) return kept
  const text = JSON.stringify(value) as string | undefined
  if (kept === null && text !== undefined) texts.set(value, text)
  return text
}
