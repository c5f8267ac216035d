/**
 * Token counting for Anthropic requests with tiktoken, memoised per content block: every string that gets
 * tokenized is looked up first (by its hash, or itself when short), so a conversation that grew by one message costs the
 * hashing of its old blocks (about 0.1 ms a megabyte) plus the tokenizing of the new ones.
 */
import { isDeepFrozen, jsonOf } from '../translate/frozen-json'
import type { Tiktoken, TiktokenEncoding } from 'tiktoken'
import type { AnthropicMessage, AnthropicTool } from '../translate/types.ts'
import { TokenMemo, type MemoKey } from './memo.ts'
import { createEncoder } from './tiktoken-loader.ts'
import { roughTokens } from './estimate.ts'

/** Per message: the chat format's start/role/end markers (OpenAI cookbook: 3 per message + 1 for the role). */
export const TOKENS_PER_MESSAGE = 4
/** Every reply is primed with `<|start|>assistant<|message|>` (OpenAI cookbook). */
export const REPLY_PRIMING_TOKENS = 3
/** Per tool_use block: the call's id, type and function wrapper. */
export const TOKENS_PER_TOOL_CALL = 4
/** Per tool definition, as the upstream renders tools into the prompt. */
export const TOKENS_PER_TOOL = 8
/** Once per request that has tools: the preamble the tool definitions sit in. */
export const TOOLS_PREAMBLE_TOKENS = 12
/**
 * Images are never tokenized (their base64 is not text). Anthropic charges about width×height/750 tokens and
 * scales images down to ~1.15 megapixels, so ~1,600 is the most one image costs; counting every image at that
 * ceiling keeps rate limiting and context checks on the safe side without decoding the picture.
 */
export const IMAGE_TOKENS = 1_600
/**
 * Base64 PDFs (and url/file documents, whose size is unknown here): a page is charged as its text plus an
 * image of the page; one image's worth per started 50 KiB of decoded PDF, at least one.
 */
export const DOCUMENT_BYTES_PER_IMAGE = 50 * 1024

const O200K_PREFIXES = ['gpt-4o', 'chatgpt-4o', 'gpt-4.1', 'gpt-4.5', 'gpt-5', 'gpt-oss', 'o1', 'o3', 'o4']
const CL100K_PREFIXES = ['gpt-4', 'gpt-3.5', 'gpt-35', 'text-embedding', 'text-davinci', 'davinci', 'babbage', 'curie', 'ada', 'code-']

/**
 * The tiktoken encoding for an upstream model: `cl100k_base` for gpt-4, gpt-3.5 and older OpenAI families,
 * `o200k_base` for gpt-4o and newer and for every other model (the closest widely used modern vocabulary).
 * A provider prefix such as `openai/` (OpenRouter) is ignored.
 */
export function encodingForModel(model: string): TiktokenEncoding {
  const name = model.toLowerCase().slice(model.lastIndexOf('/') + 1)
  if (O200K_PREFIXES.some((p) => name.startsWith(p))) return 'o200k_base'
  if (CL100K_PREFIXES.some((p) => name.startsWith(p))) return 'cl100k_base'
  return 'o200k_base'
}

/** What countRequest reads: the token-bearing fields of a Messages or count_tokens body. */
export interface CountableRequest {
  system?: string | ReadonlyArray<{ type: string; text?: string }>
  messages: readonly AnthropicMessage[]
  tools?: readonly AnthropicTool[]
  tool_choice?: { type: string; name?: string }
}

/** Memo statistics: lookups answered from the memo, lookups that had to tokenize, entries held. */
export interface TokenCounterStats { hits: number; misses: number; entries: number }

/** Memo tuning. */
export interface TokenCounterOptions {
  /** Most texts remembered (least recently used evicted first); default 100,000. */
  maxEntries?: number
}

type Block = { type: string; [key: string]: unknown }

const encoders = new Map<string, Tiktoken | null>()

function loadEncoder(encoding: string): Tiktoken | null {
  let encoder = encoders.get(encoding)
  if (encoder !== undefined) return encoder
  try {
    encoder = createEncoder(encoding)
  } catch {
    encoder = null
  }
  encoders.set(encoding, encoder)
  return encoder
}

/** Texts up to this many characters are their own memo key; a map lookup costs less than hashing them. */
export const SHORT_TEXT_KEY = 64
const KEY_BITS = (1n << 53n) - 1n

/** The memo key of a text: the text when short, else 53 bits of its 64-bit hash (a number: cheap Map keys). */
function memoKey(text: string): MemoKey {
  return text.length <= SHORT_TEXT_KEY ? text : Number((Bun.hash(text) as bigint) & KEY_BITS)
}

/**
 * Longest run of whitespace, or of anything else, tokenized in one piece. tiktoken's byte-pair merge is quadratic
 * in the length of a pre-token (200,000 × "a" takes 15 s), and a pre-token never spans more than about one such
 * run, so longer runs are cut into slices of this size. Counts stay exact for repeated characters and move by at
 * most a token a slice otherwise; text without such runs is tokenized whole, unchanged.
 */
export const MAX_RUN = 256

const isSpace = (c: number) =>
  c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff

/** Tokens of `text`, cutting runs longer than MAX_RUN (never inside a surrogate pair). */
function encodedLength(encoder: Tiktoken, text: string): number {
  if (text.length <= MAX_RUN) return encoder.encode_ordinary(text).length
  let total = 0
  let from = 0
  let runStart = 0
  let runSpace = isSpace(text.charCodeAt(0))
  for (let i = 1; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i))
    if (space !== runSpace) {
      runStart = i
      runSpace = space
    } else if (i - runStart >= MAX_RUN) {
      const high = text.charCodeAt(i - 1)
      const cut = high >= 0xd800 && high <= 0xdbff ? i - 1 : i
      total += encoder.encode_ordinary(text.slice(from, cut)).length
      from = runStart = cut
    }
  }
  return total + encoder.encode_ordinary(from === 0 ? text : text.slice(from)).length
}

/**
 * Counts the input tokens of Anthropic requests as the upstream's tokenizer would see them (an estimate:
 * the upstream's exact chat template is not known). One instance per encoding, shared across requests.
 * If tiktoken cannot be loaded, every text is counted as ceil(chars / 4) and `fallback` is true.
 */
export class TokenCounter {
  readonly encoding: string
  readonly #memo: TokenMemo
  #encoder: Tiktoken | null | undefined
  /** Totals of deep-frozen tool lists (a session's kept tools, src/proxy/body-memo.ts), counted once. */
  #toolTotals = new WeakMap<object, number>()

  constructor(encoding: string = 'o200k_base', options: TokenCounterOptions = {}) {
    this.encoding = encoding
    this.#memo = new TokenMemo(options.maxEntries)
  }

  /** True when tiktoken is unavailable and counts are ceil(chars / 4) estimates. */
  get fallback(): boolean {
    return this.#load() === null
  }

  /** Memo hits and misses since construction (or clear()). */
  get stats(): TokenCounterStats {
    return { hits: this.#memo.hits, misses: this.#memo.misses, entries: this.#memo.size }
  }

  /** Forgets memoised counts and resets stats. */
  clear(): void {
    this.#memo.clear()
    this.#toolTotals = new WeakMap()
  }

  /** Tokens in one text (special-token markers count as ordinary text), memoised by the text's hash. */
  countText(text: string): number {
    if (text.length === 0) return 0
    const encoder = this.#load()
    if (encoder === null) return roughTokens(text.length)
    const key = memoKey(text)
    const known = this.#memo.get(key)
    if (known !== undefined) return known
    let tokens: number
    try {
      tokens = encodedLength(encoder, text)
    } catch {
      return roughTokens(text.length)
    }
    this.#memo.set(key, tokens)
    return tokens
  }

  /** Input tokens of a request: system, every message's content, tools and tool_choice, with format overheads. */
  countRequest(req: CountableRequest): number {
    let total = REPLY_PRIMING_TOKENS
    if (req.system !== undefined) total += TOKENS_PER_MESSAGE + this.#countSystem(req.system)
    for (const message of req.messages) {
      total += TOKENS_PER_MESSAGE
      const content = message.content
      if (typeof content === 'string') total += this.countText(content)
      else if (Array.isArray(content)) for (const block of content) total += this.#countBlock(block as Block)
    }
    if (req.tools !== undefined && req.tools.length > 0) {
      total += TOOLS_PREAMBLE_TOKENS + this.#countTools(req.tools)
    }
    const choiceName = req.tool_choice?.name
    if (typeof choiceName === 'string') total += TOKENS_PER_TOOL_CALL + this.countText(choiceName)
    return total
  }

  #load(): Tiktoken | null {
    if (this.#encoder === undefined) this.#encoder = loadEncoder(this.encoding)
    return this.#encoder
  }

  #countSystem(system: NonNullable<CountableRequest['system']>): number {
    if (typeof system === 'string') return this.countText(system)
    let total = 0
    for (const block of system) if (typeof block.text === 'string') total += this.countText(block.text)
    return total
  }

  #countJson(value: unknown): number {
    if (typeof value === 'string') return this.countText(value)
    return this.countText(jsonOf(value ?? {}) ?? '')
  }

  #countContent(content: unknown): number {
    if (typeof content === 'string') return this.countText(content)
    if (!Array.isArray(content)) return 0
    let total = 0
    for (const block of content) if (block !== null && typeof block === 'object') total += this.#countBlock(block as Block)
    return total
  }

  #countBlock(block: Block): number {
    switch (block.type) {
      case 'text':
        return typeof block.text === 'string' ? this.countText(block.text) : 0
      case 'thinking':
        return typeof block.thinking === 'string' ? this.countText(block.thinking) : 0
      case 'redacted_thinking':
        return 0
      case 'image':
        return IMAGE_TOKENS
      case 'tool_use':
        return TOKENS_PER_TOOL_CALL + this.countText(String(block.name ?? '')) + this.#countJson(block.input)
      case 'tool_result':
        return TOKENS_PER_MESSAGE + this.#countContent(block.content)
      case 'document':
        return this.#countDocument(block)
      default:
        return this.#countOther(block)
    }
  }

  #countDocument(block: Block): number {
    let total = 0
    if (typeof block.title === 'string') total += this.countText(block.title)
    if (typeof block.context === 'string') total += this.countText(block.context)
    const source = block.source as { type?: string; data?: unknown; content?: unknown } | undefined
    if (source?.type === 'text' && typeof source.data === 'string') return total + this.countText(source.data)
    if (source?.type === 'content') return total + this.#countContent(source.content)
    if (source?.type === 'base64' && typeof source.data === 'string') {
      const bytes = Math.floor((source.data.length * 3) / 4)
      return total + IMAGE_TOKENS * Math.max(1, Math.ceil(bytes / DOCUMENT_BYTES_PER_IMAGE))
    }
    return total + IMAGE_TOKENS
  }

  /** Server-tool blocks and newer types: whatever text, input or content they carry. */
  #countOther(block: Block): number {
    let total = 0
    if (typeof block.text === 'string') total += this.countText(block.text)
    if (typeof block.name === 'string') total += this.countText(block.name)
    if (block.input !== undefined) total += this.#countJson(block.input)
    if (block.content !== undefined) total += this.#countContent(block.content)
    return total
  }

  #countTools(tools: readonly AnthropicTool[]): number {
    const frozen = isDeepFrozen(tools)
    const known = frozen ? this.#toolTotals.get(tools) : undefined
    if (known !== undefined) return known
    let total = 0
    for (const tool of tools) total += this.#countTool(tool)
    // Only a tokenizer's count is kept: a fallback estimate is not worth keeping past a tokenizer that loads later.
    if (frozen && this.#encoder) this.#toolTotals.set(tools, total)
    return total
  }

  #countTool(tool: AnthropicTool): number {
    let total = TOKENS_PER_TOOL + this.countText(tool.name ?? '')
    if (typeof tool.description === 'string') total += this.countText(tool.description)
    if (tool.input_schema !== undefined) total += this.#countJson(tool.input_schema)
    return total
  }
}
