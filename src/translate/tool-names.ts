/** OpenAI function names: `^[a-zA-Z0-9_-]{1,64}$`. */
const VALID = /^[a-zA-Z0-9_-]{1,64}$/

/** Upstream tool name → the name the client sent. Present only when some name had to change. */
export type ToolNameMap = ReadonlyMap<string, string>

/**
 * Gives each client tool name a name the upstream accepts, remembering every change so it can be undone on the
 * response. Valid names (all of Claude Code's) pass through and allocate nothing.
 */
export class ToolNamer {
  private toUpstream: Map<string, string> | undefined
  private toClient: Map<string, string> | undefined
  private taken: Set<string> | undefined

  /** `declared` lists the request's tool names (called only once a rename is needed), so a renamed tool never takes a declared valid name. */
  constructor(private readonly declared: () => readonly string[] = () => []) {}

  /** The upstream name for a client name (stable within one request). */
  upstream(name: string): string {
    if (VALID.test(name) && !this.toClient?.has(name)) return name
    const known = this.toUpstream?.get(name)
    if (known !== undefined) return known
    const taken = (this.taken ??= new Set(this.declared().filter((n) => VALID.test(n))))
    const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_')
    let candidate = cleaned.slice(0, 64) || 'tool'
    if (candidate !== cleaned || taken.has(candidate) || this.toClient?.has(candidate)) candidate = `${cleaned.slice(0, 55)}_${hash8(name)}`
    for (let n = 2; taken.has(candidate) || this.toClient?.has(candidate); n++) candidate = `${candidate.slice(0, 60)}_${n}`
    ;(this.toUpstream ??= new Map()).set(name, candidate)
    ;(this.toClient ??= new Map()).set(candidate, name)
    return candidate
  }

  /** The reverse map for the response side, or undefined when every name went through unchanged. */
  map(): ToolNameMap | undefined {
    return this.toClient
  }
}

/** The name the client knows for an upstream tool name (identity when no map was needed). */
export function clientToolName(map: ToolNameMap | undefined, upstreamName: string): string {
  return map?.get(upstreamName) ?? upstreamName
}

function hash8(s: string): string {
  return (Number(Bun.hash(s) & 0xffffffffn) >>> 0).toString(16).padStart(8, '0')
}
