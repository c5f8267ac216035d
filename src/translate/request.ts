import { modelRules, type ModelRules } from './models'
import type { ProviderProfile } from './providers/profile'
import { convertMessages } from './request-messages'
import { freezeDeep, isDeepFrozen } from './frozen-json'
import { applyTokensAndReasoning } from './request-reasoning'
import { ToolNamer, type ToolNameMap } from './tool-names'
import type { AnthropicMessagesRequest, AnthropicTool, OpenAIChatRequest, OpenAITool } from './types'

export { clientToolName, type ToolNameMap } from './tool-names'
export { GEMINI_SIGNATURE_FALLBACK } from './request-messages'

/** What anthropicToOpenAI needs besides the request. */
export interface RequestContext {
  /** The upstream model (after mapModel). */
  readonly upstreamModel: string
  readonly profile: ProviderProfile
  readonly stream: boolean
}

/** The upstream body and what the response side needs to undo. */
export interface TranslatedRequest {
  readonly body: OpenAIChatRequest
  /**
   * Upstream tool name → client tool name, only when a name had to be changed to fit OpenAI's
   * `^[a-zA-Z0-9_-]{1,64}$`; undefined otherwise (always, for Claude Code). Map names back with
   * `clientToolName(toolNameMap, name)`.
   */
  readonly toolNameMap: ToolNameMap | undefined
}

/**
 * Anthropic Messages request → OpenAI chat completions body for one upstream model and provider profile.
 * Pure and single-pass: builds new objects and never clones or serialises the input (tool schemas are passed by
 * reference unless the profile rewrites them). Throws ProxyError 400 for content the upstream cannot take.
 */
export function anthropicToOpenAI(req: AnthropicMessagesRequest, ctx: RequestContext): TranslatedRequest {
  const { profile, upstreamModel } = ctx
  const rules = modelRules(upstreamModel)
  const namer = new ToolNamer(() => declaredNames(req.tools))
  const body: OpenAIChatRequest = {
    model: upstreamModel,
    messages: convertMessages(req, {
      profile,
      systemRole: profile.developerRole && rules.developerRole ? 'developer' : 'system',
      namer,
    }),
  }
  applyTokensAndReasoning(body, req, rules, profile)
  applySampling(body, req, rules, profile)
  applyTools(body, req, profile, namer)

  const format = req.output_config?.format
  if (format?.type === 'json_schema' && format.schema && typeof format.schema === 'object') {
    const schema = profile.normalizeSchema ? profile.normalizeSchema(format.schema) : format.schema
    body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema } }
  }
  const userId = req.metadata?.user_id
  if (profile.acceptsUser && typeof userId === 'string' && userId) body.user = hashUserId(userId)
  if (ctx.stream) {
    body.stream = true
    body.stream_options = { include_usage: true }
  }
  return { body, toolNameMap: namer.map() }
}

/** A short stable pseudonym for metadata.user_id (Claude Code sends a long JSON string): `ccp-` + 64-bit wyhash. */
export function hashUserId(userId: string): string {
  return `ccp-${Bun.hash(userId).toString(16)}`
}

function declaredNames(tools: AnthropicTool[] | undefined): string[] {
  const names: string[] = []
  if (tools) for (const t of tools) if (isClientTool(t)) names.push(t.name)
  return names
}

/** Client tools have no `type` (or `custom`); anything else is a server/versioned tool the proxy cannot run. */
function isClientTool(tool: AnthropicTool): boolean {
  return tool.type === undefined || tool.type === null || tool.type === 'custom'
}

function applySampling(body: OpenAIChatRequest, req: AnthropicMessagesRequest, rules: ModelRules, profile: ProviderProfile): void {
  if (rules.acceptsSampling) {
    if (typeof req.temperature === 'number') body.temperature = req.temperature
    if (typeof req.top_p === 'number') body.top_p = req.top_p
    if (profile.acceptsTopK && typeof req.top_k === 'number') body.top_k = req.top_k
  }
  if (rules.acceptsStop && req.stop_sequences?.length) body.stop = req.stop_sequences.slice(0, 4)
}

/** The upstream tools of a deep-frozen client tool list, per profile, with the upstream names they were built with. */
const translatedTools = new WeakMap<readonly AnthropicTool[], { profile: ProviderProfile; names: readonly string[]; tools: readonly OpenAITool[] }>()

function applyTools(body: OpenAIChatRequest, req: AnthropicMessagesRequest, profile: ProviderProfile, namer: ToolNamer): void {
  const clientTools = req.tools?.filter(isClientTool)
  if (!clientTools?.length) return
  // Every name goes through the namer (it records renames for the response), even when the tools are reused.
  const names = clientTools.map((tool) => namer.upstream(tool.name))
  const frozen = isDeepFrozen(req.tools) ? req.tools : undefined
  const kept = frozen && translatedTools.get(frozen)
  if (kept && kept.profile === profile && kept.names.every((n, i) => n === names[i])) body.tools = kept.tools as OpenAITool[]
  else {
    const tools = clientTools.map((tool, i): OpenAITool => {
      const schema = tool.input_schema ?? { type: 'object', properties: {} }
      const fn: OpenAITool['function'] = { name: names[i] }
      if (typeof tool.description === 'string') fn.description = tool.description
      fn.parameters = profile.normalizeSchema ? profile.normalizeSchema(schema) : schema
      return { type: 'function', function: fn }
    })
    // A frozen list (a session's tools, see src/proxy/body-memo.ts) is translated once per profile; the
    // frozen result's JSON is then written once too (frozen-json.ts).
    if (frozen) translatedTools.set(frozen, { profile, names, tools: freezeDeep(tools) })
    body.tools = tools
  }
  const choice = req.tool_choice
  if (!choice) return
  switch (choice.type) {
    case 'auto':
      body.tool_choice = 'auto'
      break
    case 'any':
      body.tool_choice = 'required'
      break
    case 'none':
      body.tool_choice = 'none'
      break
    case 'tool':
      if ('name' in choice && typeof choice.name === 'string') body.tool_choice = { type: 'function', function: { name: namer.upstream(choice.name) } }
      break
  }
  if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true && profile.parallelToolCalls) body.parallel_tool_calls = false
}
