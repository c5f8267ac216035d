/**
 * Loads tiktoken's WebAssembly synchronously. The package reads its .wasm from node_modules at an absolute
 * path, which a `bun build --compile` binary only finds on the machine that built it. When that fails, the
 * same .wasm is loaded from the path Bun's file loader gives it (inside the binary once compiled).
 */
import { readFileSync } from 'node:fs'
import type { Tiktoken, TiktokenEncoding } from 'tiktoken'

type GetEncoding = (encoding: TiktokenEncoding) => Tiktoken
type Bindings = { __wbg_set_wasm(exports: WebAssembly.Instance["exports"]): void }

let getEncoding: GetEncoding | undefined

function fromEmbeddedWasm(): GetEncoding {
  const wasmPath = require('tiktoken/tiktoken_bg.wasm') as string
  const wasmModule = new WebAssembly.Module(readFileSync(wasmPath))
  const tiktoken = require('tiktoken/init') as typeof import('tiktoken/init')
  // init() calls this synchronously; setting the instance here makes get_encoding usable before init resolves.
  tiktoken.init((imports) => {
    const instance = new WebAssembly.Instance(wasmModule, imports)
    ;(imports['./tiktoken_bg.js'] as unknown as Bindings).__wbg_set_wasm(instance.exports)
    return Promise.resolve(instance)
  }).catch(() => {})
  return tiktoken.get_encoding
}

function load(): GetEncoding {
  try {
    return (require('tiktoken') as typeof import('tiktoken')).get_encoding
  } catch {
    return fromEmbeddedWasm()
  }
}

/** A tiktoken encoder for `encoding`; throws if tiktoken cannot be loaded or the encoding is unknown. */
export function createEncoder(encoding: string): Tiktoken {
  getEncoding ??= load()
  return getEncoding(encoding as TiktokenEncoding)
}
