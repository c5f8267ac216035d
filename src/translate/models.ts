/** A compiled MODEL_MAP: glob patterns in their configured order. */
export type CompiledModelMap = ReadonlyArray<{ readonly glob: string; readonly pattern: RegExp; readonly model: string }>

/** The settings mapModel reads; MODEL_MAP as configured (`glob=model` strings) or already compiled. */
export interface ModelMapConfig {
  readonly BIG_MODEL_NAME: string
  readonly SMALL_MODEL_NAME: string
  readonly MODEL_MAP: readonly string[] | CompiledModelMap
}

/**
 * Compiles MODEL_MAP entries (`glob=model`, `*` any run of characters, `?` one character, case-insensitive,
 * anchored at both ends). Throws an Error naming the entry when one is malformed.
 */
export function compileModelMap(entries: readonly string[]): CompiledModelMap {
  const out: { glob: string; pattern: RegExp; model: string }[] = []
  for (const raw of entries) {
    const entry = raw.trim()
    if (!entry) continue
    const eq = entry.indexOf('=')
    const glob = eq > 0 ? entry.slice(0, eq).trim() : ''
    const model = eq > 0 ? entry.slice(eq + 1).trim() : ''
    if (!glob || !model) throw new Error(`MODEL_MAP entry "${entry}" must look like glob=model (e.g. claude-opus-*=gpt-5)`)
    const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
    out.push({ glob, pattern: new RegExp(`^${source}$`, 'i'), model })
  }
  return out
}

const compiledByList = new WeakMap<object, CompiledModelMap>()

function compiledFor(list: readonly string[] | CompiledModelMap): CompiledModelMap {
  if (typeof list[0] !== 'string') return list as CompiledModelMap
  let compiled = compiledByList.get(list)
  if (!compiled) compiledByList.set(list, (compiled = compileModelMap(list as readonly string[])))
  return compiled
}

/**
 * The upstream model for a requested model name: the first MODEL_MAP match; else SMALL_MODEL_NAME for names
 * containing "haiku"; else BIG_MODEL_NAME for every other `claude-*` name; any other name passes unchanged
 * (so `--model deepseek-chat` reaches the upstream as is). A string MODEL_MAP is compiled once per array.
 */
export function mapModel(requested: string, cfg: ModelMapConfig): string {
  const map = cfg.MODEL_MAP.length ? compiledFor(cfg.MODEL_MAP) : undefined
  if (map) for (const rule of map) if (rule.pattern.test(requested)) return rule.model
  const lower = requested.toLowerCase()
  if (lower.includes('haiku')) return cfg.SMALL_MODEL_NAME
  if (lower.startsWith('claude-')) return cfg.BIG_MODEL_NAME
  return requested
}

/** What ccproxy knows about an upstream model family. */
export interface ModelRules {
  /** Largest max_tokens the model accepts; requests are clamped to it, never raised. */
  readonly outputCap?: number
  /** The model reasons (o-series, gpt-5, deepseek-reasoner, grok reasoning models, gemini 2.5+, …). */
  readonly reasoning: boolean
  /** The family is in the table at all (unknown models get no reasoning fields except on OpenRouter). */
  readonly known: boolean
  /** `reasoning_effort` values the model takes; undefined = it takes no reasoning_effort. */
  readonly efforts?: readonly string[]
  /** OpenAI reasoning API: `max_completion_tokens` instead of `max_tokens` on OpenAI-style upstreams. */
  readonly maxCompletionTokens: boolean
  /** o-series and gpt-5 take the instructions as role `developer`. */
  readonly developerRole: boolean
  /** `stop` is accepted (o3, o4-mini, gpt-5 and xAI reasoning models reject it). */
  readonly acceptsStop: boolean
  /** `temperature` and `top_p` are accepted. */
  readonly acceptsSampling: boolean
}

const LMH = ['low', 'medium', 'high'] as const
const PLAIN: ModelRules = { reasoning: false, known: true, maxCompletionTokens: false, developerRole: false, acceptsStop: true, acceptsSampling: true }
const OPENAI_REASONING: ModelRules = { reasoning: true, known: true, efforts: LMH, maxCompletionTokens: true, developerRole: true, acceptsStop: false, acceptsSampling: false }
const OPEN_REASONING: ModelRules = { ...PLAIN, reasoning: true }
const XAI_REASONING: ModelRules = { ...PLAIN, reasoning: true, acceptsStop: false }
const UNKNOWN: ModelRules = { ...PLAIN, known: false }

/** Ordered: the first pattern that matches the bare model name (provider prefix and case removed) wins. */
const RULES: ReadonlyArray<readonly [RegExp, ModelRules]> = [
  [/^o1-mini/, { ...OPENAI_REASONING, outputCap: 65536 }],
  [/^o[134](?:-|$)/, { ...OPENAI_REASONING, outputCap: 100000 }],
  [/^gpt-5(?:\.\d+)?-chat/, { ...PLAIN, outputCap: 16384 }],
  [/^gpt-5/, { ...OPENAI_REASONING, outputCap: 128000 }],
  [/^gpt-4o/, { ...PLAIN, outputCap: 16384 }],
  [/^gpt-4\.1/, { ...PLAIN, outputCap: 32768 }],
  [/^gpt-4-(?:turbo|\d{4}-preview)|^gpt-3\.5/, { ...PLAIN, outputCap: 4096 }],
  [/^gpt-4(?:-|$)/, { ...PLAIN, outputCap: 8192 }],
  [/^gpt-oss/, { ...OPEN_REASONING, efforts: LMH }],
  [/^deepseek-reasoner/, { ...OPEN_REASONING, outputCap: 65536, acceptsSampling: false }],
  [/^deepseek-chat/, { ...PLAIN, outputCap: 8192 }],
  [/^grok-code-fast/, { ...XAI_REASONING, outputCap: 10000 }],
  [/^grok-4(?:[.-]\d+)?-fast-non-reasoning/, { ...PLAIN, outputCap: 30720 }],
  [/^grok-4(?:[.-]\d+)?-fast/, { ...XAI_REASONING, outputCap: 30720 }],
  [/^grok-4/, XAI_REASONING],
  [/^grok-3-mini/, { ...XAI_REASONING, efforts: ['low', 'high'] }],
  [/^grok-/, PLAIN],
  [/^gemini-(?:2\.5|[3-9])/, { ...OPEN_REASONING, efforts: LMH, outputCap: 65536 }],
  [/^gemini-/, { ...PLAIN, outputCap: 8192 }],
  [/^claude-(?:3[.-]5|3-opus|3-sonnet|3-haiku|instant|2)/, { ...PLAIN, outputCap: 8192 }],
  [/^claude-(?:opus-4(?:[.-][01])?(?:$|-\d{8}))/, { ...OPEN_REASONING, outputCap: 32000 }],
  [/^claude-/, { ...OPEN_REASONING, outputCap: 64000 }],
  [/qwen3|qwq|deepseek-r1|-r1(?:\b|$)|thinking|glm-4\.[5-9]|glm-[5-9]|minimax-m/, OPEN_REASONING],
  [/llama|mistral|mixtral|codestral|gemma|phi-?\d|qwen2|kimi-k2|command-r/, PLAIN],
]

const rulesCache = new Map<string, ModelRules>()

/**
 * The per-model rules table, in one place: output cap, whether it reasons and which reasoning_effort values it
 * takes, role `developer`, and which sampling fields it rejects. Matches with provider prefixes (`openai/gpt-5`),
 * Ollama tags (`gpt-oss:20b`) and any case.
 */
export function modelRules(upstreamModel: string): ModelRules {
  const cached = rulesCache.get(upstreamModel)
  if (cached) return cached
  const lower = upstreamModel.toLowerCase()
  const bare = lower.slice(lower.lastIndexOf('/') + 1)
  let found = UNKNOWN
  for (const [pattern, rules] of RULES) {
    if (pattern.test(bare)) {
      found = rules
      break
    }
  }
  if (rulesCache.size >= 512) rulesCache.clear()
  rulesCache.set(upstreamModel, found)
  return found
}
