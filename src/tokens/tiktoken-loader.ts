/**
 * Loads tiktoken's "lite" WebAssembly build (1 MB, no vocabularies inside) and builds encoders from the package's
 * encoder JSON files. The full build's .wasm (5.6 MB) embeds every vocabulary in a 4.9 MB data segment: compiling and
 * instantiating it costs about 5–8 MB more resident memory than the lite one for the same o200k_base encoder (same
 * engine, same tokens).
 *
 * Every file is imported as a *file* (a path), never as a module: from source the paths point into node_modules,
 * and in a `bun build --compile` binary they point into the binary, where the bundler embeds them. Only the two
 * vocabularies the proxy uses are listed, so only those end up in the binary. The JSON is read and parsed when an
 * encoder is built and dropped right after, so the 1–2 MB vocabulary string can be garbage collected.
 */
import { readFileSync } from 'node:fs'
import type { Tiktoken } from 'tiktoken/lite'
import wasmPath from 'tiktoken/lite/tiktoken_bg.wasm' with { type: 'file' }
import o200kPath from 'tiktoken/encoders/o200k_base.json' with { type: 'file' }
import cl100kPath from 'tiktoken/encoders/cl100k_base.json' with { type: 'file' }

type TiktokenClass = typeof import('tiktoken/lite').Tiktoken
type Bindings = { __wbg_set_wasm(exports: WebAssembly.Instance['exports']): void }
interface EncoderData { bpe_ranks: string; special_tokens: Record<string, number>; pat_str: string }

// TypeScript types these imports as the modules' contents; with `type: 'file'` Bun gives their paths.
const filePath = (imported: unknown) => imported as string
const ENCODER_FILES: Readonly<Record<string, string>> = { o200k_base: filePath(o200kPath), cl100k_base: filePath(cl100kPath) }

let TiktokenLite: TiktokenClass | undefined

function loadLite(): TiktokenClass {
  const wasmModule = new WebAssembly.Module(readFileSync(filePath(wasmPath)))
  const tiktoken = require('tiktoken/lite/init') as typeof import('tiktoken/lite/init')
  // init() calls this synchronously; setting the instance here makes Tiktoken usable before init resolves.
  tiktoken.init((imports) => {
    const instance = new WebAssembly.Instance(wasmModule, imports)
    ;(imports['./tiktoken_bg.js'] as unknown as Bindings).__wbg_set_wasm(instance.exports)
    return Promise.resolve(instance)
  }).catch(() => {})
  return tiktoken.Tiktoken
}

/** A tiktoken encoder for `encoding`; throws if tiktoken cannot be loaded or the encoding is not embedded. */
export function createEncoder(encoding: string): Tiktoken {
  const file = ENCODER_FILES[encoding]
  if (file === undefined) throw new Error(`tiktoken encoding ${encoding} is not available`)
  TiktokenLite ??= loadLite()
  const data = JSON.parse(readFileSync(file, 'utf8')) as EncoderData
  return new TiktokenLite(data.bpe_ranks, data.special_tokens, data.pat_str)
}
