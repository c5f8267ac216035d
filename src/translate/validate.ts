import { ProxyError } from '../server/errors'
import type { AnthropicCountTokensRequest, AnthropicMessagesRequest } from './types'
import { isDeepFrozen } from './frozen-json'

/** Anthropic's documented limit on `messages` entries. */
export const MAX_MESSAGES = 100_000
/**
 * Deepest nesting of arrays and objects accepted anywhere in a body. Tool inputs and schemas go upstream by
 * reference and token counting walks blocks recursively; far deeper values (JSON.parse takes a million levels)
 * would overflow the stack in JSON.stringify instead of giving a 400.
 */
export const MAX_DEPTH = 128

const ROLES = new Set(['user', 'assistant', 'system'])

type Obj = Record<string, unknown>

function fail(path: string, problem: string): never {
  throw new ProxyError('invalid_request_error', `${path}: ${problem}`)
}

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A short rendering of a bad value for error messages. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing'
  // A very deep value would take JSON.stringify (or String, for arrays) into a slow stack overflow.
  if (pathTooDeep(v, 16) !== undefined) return Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested object'
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = String(v)
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

function checkBlocks(blocks: unknown[], path: string): void {
  for (let j = 0; j < blocks.length; j++) {
    const block = blocks[j]
    if (!isObject(block)) fail(`${path}.${j}`, `must be a content block object, got ${shown(block)}`)
    const b = block as Obj
    const type = b.type
    if (typeof type !== 'string') fail(`${path}.${j}.type`, type === undefined ? 'field required' : `must be a string, got ${shown(type)}`)
    // Only what translation dereferences is checked; unknown block types (server tools, newer kinds) pass.
    switch (type) {
      case 'text':
        if (typeof b.text !== 'string') fail(`${path}.${j}.text`, `must be a string, got ${shown(b.text)}`)
        break
      case 'image':
      case 'document':
        if (!isObject(b.source)) fail(`${path}.${j}.source`, `must be an object, got ${shown(b.source)}`)
        break
      case 'tool_use':
        if (typeof b.id !== 'string') fail(`${path}.${j}.id`, `must be a string, got ${shown(b.id)}`)
        if (typeof b.name !== 'string') fail(`${path}.${j}.name`, `must be a string, got ${shown(b.name)}`)
        break
      case 'tool_result':
        if (typeof b.tool_use_id !== 'string') fail(`${path}.${j}.tool_use_id`, `must be a string, got ${shown(b.tool_use_id)}`)
        if (b.content !== undefined && typeof b.content !== 'string' && !Array.isArray(b.content)) {
          fail(`${path}.${j}.content`, `must be a string or an array of content blocks, got ${shown(b.content)}`)
        }
        if (Array.isArray(b.content)) checkBlocks(b.content, `${path}.${j}.content`)
        break
    }
  }
}

/** Whether anything below `v` is nested deeper than `limit` levels (no allocation: the request path's check). */
function tooDeep(v: object, limit: number): boolean {
  if (limit <= 0) return true
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i]
      if (typeof item === 'object' && item !== null && tooDeep(item, limit - 1)) return true
    }
    return false
  }
  for (const key in v) {
    const item = (v as Obj)[key]
    if (typeof item === 'object' && item !== null && tooDeep(item, limit - 1)) return true
  }
  return false
}

/** The path below `v` of the first value nested deeper than `limit` levels, or undefined. */
export function pathTooDeep(v: unknown, limit: number): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  if (!tooDeep(v, limit)) return undefined
  if (limit <= 0) return ''
  const keys = Array.isArray(v) ? undefined : Object.keys(v)
  const n = keys ? keys.length : (v as unknown[]).length
  for (let i = 0; i < n; i++) {
    const key = keys ? keys[i] : i
    const below = pathTooDeep((v as Obj)[key as string], limit - 1)
    if (below !== undefined) return below === '' ? String(key) : `${key}.${below}`
  }
  return undefined
}

/**
 * pathTooDeep(b, MAX_DEPTH), skipping a deep-frozen member: a session's kept tools or system (src/proxy/body-memo.ts)
 * passed this check, at this same depth, in the request they were learned from.
 */
function bodyTooDeep(b: Obj): string | undefined {
  for (const key in b) {
    const v = b[key]
    if (typeof v === 'object' && v !== null && !isDeepFrozen(v) && tooDeep(v, MAX_DEPTH - 1)) return pathTooDeep(b, MAX_DEPTH)
  }
  return undefined
}

function checkCommon(body: unknown): Obj {
  if (!isObject(body)) fail('body', `must be a JSON object, got ${shown(body)}`)
  const b = body as Obj
  const deep = bodyTooDeep(b)
  if (deep !== undefined) fail(deep.length > 80 ? `${deep.slice(0, 77)}...` : deep, `nested deeper than ${MAX_DEPTH} levels`)
  if (b.model === undefined) fail('model', 'field required')
  if (typeof b.model !== 'string' || !b.model) fail('model', `must be a non-empty string, got ${shown(b.model)}`)

  const messages = b.messages
  if (messages === undefined) fail('messages', 'field required')
  if (!Array.isArray(messages)) fail('messages', `must be an array, got ${shown(messages)}`)
  const list = messages as unknown[]
  if (list.length > MAX_MESSAGES) fail('messages', `at most ${MAX_MESSAGES} messages are allowed, got ${list.length}`)
  for (let i = 0; i < list.length; i++) {
    const m = list[i]
    if (!isObject(m)) fail(`messages.${i}`, `must be a message object, got ${shown(m)}`)
    const msg = m as Obj
    if (!ROLES.has(msg.role as string)) fail(`messages.${i}.role`, `must be "user", "assistant" or "system", got ${shown(msg.role)}`)
    const content = msg.content
    if (typeof content === 'string') continue
    if (!Array.isArray(content)) fail(`messages.${i}.content`, `must be a string or an array of content blocks, got ${shown(content)}`)
    checkBlocks(content as unknown[], `messages.${i}.content`)
  }

  const system = b.system
  if (system !== undefined && typeof system !== 'string') {
    if (!Array.isArray(system)) fail('system', `must be a string or an array of text blocks, got ${shown(system)}`)
    checkBlocks(system as unknown[], 'system')
  }

  const tools = b.tools
  if (tools !== undefined) {
    if (!Array.isArray(tools)) fail('tools', `must be an array, got ${shown(tools)}`)
    const arr = tools as unknown[]
    for (let i = 0; i < arr.length; i++) {
      const t = arr[i]
      if (!isObject(t)) fail(`tools.${i}`, `must be a tool object, got ${shown(t)}`)
      const name = (t as Obj).name
      if (typeof name !== 'string' || !name) fail(`tools.${i}.name`, name === undefined ? 'field required' : `must be a non-empty string, got ${shown(name)}`)
      const schema = (t as Obj).input_schema
      if (schema !== undefined && !isObject(schema)) fail(`tools.${i}.input_schema`, `must be an object, got ${shown(schema)}`)
    }
  }
  const choice = b.tool_choice
  if (choice !== undefined && (!isObject(choice) || typeof choice.type !== 'string')) fail('tool_choice', `must be an object with a string type, got ${shown(choice)}`)
  const thinking = b.thinking
  if (thinking !== undefined && (!isObject(thinking) || typeof thinking.type !== 'string')) fail('thinking', `must be an object with a string type, got ${shown(thinking)}`)

  const stops = b.stop_sequences
  if (stops !== undefined && (!Array.isArray(stops) || stops.some((s) => typeof s !== 'string'))) fail('stop_sequences', `must be an array of strings, got ${shown(stops)}`)
  if (b.stream !== undefined && typeof b.stream !== 'boolean') fail('stream', `must be a boolean, got ${shown(b.stream)}`)
  for (const key of ['temperature', 'top_p'] as const) {
    if (b[key] !== undefined && (typeof b[key] !== 'number' || !Number.isFinite(b[key]))) fail(key, `must be a number, got ${shown(b[key])}`)
  }
  if (b.top_k !== undefined && !(Number.isInteger(b.top_k) && (b.top_k as number) >= 0)) fail('top_k', `must be an integer ≥ 0, got ${shown(b.top_k)}`)
  if (b.metadata !== undefined && b.metadata !== null && !isObject(b.metadata)) fail('metadata', `must be an object, got ${shown(b.metadata)}`)
  if (b.output_config !== undefined && b.output_config !== null && !isObject(b.output_config)) fail('output_config', `must be an object, got ${shown(b.output_config)}`)
  return b
}

/**
 * Cheap structural checks of a /v1/messages body; throws ProxyError 400 naming the field and the problem
 * (`max_tokens: must be an integer ≥ 0, got "abc"`). Unknown fields and unknown block types are left alone.
 */
export function validateMessagesRequest(body: unknown): AnthropicMessagesRequest {
  const b = checkCommon(body)
  if (b.max_tokens === undefined) fail('max_tokens', 'field required')
  if (!Number.isInteger(b.max_tokens) || (b.max_tokens as number) < 0) fail('max_tokens', `must be an integer ≥ 0, got ${shown(b.max_tokens)}`)
  return b as AnthropicMessagesRequest
}

/** The same checks for /v1/messages/count_tokens, where max_tokens is not required. */
export function validateCountTokensRequest(body: unknown): AnthropicCountTokensRequest {
  return checkCommon(body) as AnthropicCountTokensRequest
}
