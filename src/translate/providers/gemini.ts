import { BASE_PROFILE, type ProviderProfile } from './profile'

/**
 * Keywords Gemini's function-declaration Schema (an OpenAPI 3.0 subset) knows. Anything else is answered with
 * `400 Invalid JSON payload received. Unknown name "…"`: seen for `$schema`, `additionalProperties`,
 * `propertyNames`, `exclusiveMinimum`, `const` (openswarm-ai/openswarm#24, theopenco/llmgateway#1763,
 * zed-industries/zed#44875, musistudio/claude-code-router#187). `title`, `default` and `example` are left out too,
 * to be safe.
 */
const KEPT = new Set([
  'type', 'format', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'anyOf',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
  'minProperties', 'maxProperties', 'propertyOrdering',
])
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
}

type Schema = Record<string, unknown>

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Rewrites a JSON schema into what Gemini's OpenAI endpoint accepts, without touching the input: unknown keywords
 * dropped, `const` → one-value `enum`, `oneOf` → `anyOf`, `type:[T,"null"]` → `type:T, nullable:true`, formats
 * Gemini lacks moved into the description, empty `properties` removed, `required` limited to real properties.
 */
export function normalizeGeminiSchema(schema: Schema): Schema {
  const out: Schema = {}
  let type = schema.type
  if (Array.isArray(type)) {
    const concrete = type.filter((t) => t !== 'null')
    if (concrete.length < type.length) out.nullable = true
    type = concrete[0]
  }
  if (typeof type === 'string') out.type = type
  for (const key in schema) {
    const value = schema[key]
    if (key === 'type' || key === 'format') continue
    if (key === 'const') {
      if (typeof value === 'string' && out.enum === undefined) {
        out.enum = [value]
        out.type ??= 'string'
      }
      continue
    }
    if (key === 'oneOf') {
      if (Array.isArray(value) && !('anyOf' in schema)) out.anyOf = value.filter(isObject).map(normalizeGeminiSchema)
      continue
    }
    if (!KEPT.has(key)) continue
    if (key === 'properties') {
      if (!isObject(value)) continue
      const props: Schema = {}
      let count = 0
      for (const name in value) {
        const prop = value[name]
        props[name] = isObject(prop) ? normalizeGeminiSchema(prop) : {}
        count++
      }
      if (count) out.properties = props
    } else if (key === 'items') {
      if (isObject(value)) out.items = normalizeGeminiSchema(value)
      else if (Array.isArray(value) && isObject(value[0])) out.items = normalizeGeminiSchema(value[0])
    } else if (key === 'anyOf') {
      if (Array.isArray(value)) out.anyOf = value.filter(isObject).map(normalizeGeminiSchema)
    } else {
      out[key] = value
    }
  }
  if (Array.isArray(out.required)) {
    const props = out.properties as Schema | undefined
    out.required = out.required.filter((name) => typeof name === 'string' && props !== undefined && name in props)
    if (!(out.required as unknown[]).length) delete out.required
  }
  const format = schema.format
  if (typeof format === 'string') {
    if (typeof out.type === 'string' && FORMATS[out.type]?.has(format)) out.format = format
    else out.description = typeof out.description === 'string' && out.description ? `${out.description} (format: ${format})` : `Format: ${format}`
  }
  return out
}

/** Gemini's OpenAI-compatible endpoint: strict tool schemas, thought-signature replay, no parallel_tool_calls. */
export const geminiProfile: ProviderProfile = {
  ...BASE_PROFILE,
  name: 'gemini',
  replay: 'gemini_thought_signature',
  acceptsUser: false,
  normalizeSchema: normalizeGeminiSchema,
}
