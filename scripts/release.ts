// Builds the release binaries for every platform (Bun cross-compilation) and dist/SHA256SUMS.
// Usage: bun scripts/release.ts [target ...]   e.g. bun scripts/release.ts linux-x64
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Release targets: our asset name → Bun's compile target. */
export const TARGETS: Record<string, string> = {
  'linux-x64': 'bun-linux-x64',
  'linux-arm64': 'bun-linux-arm64',
  'darwin-x64': 'bun-darwin-x64',
  'darwin-arm64': 'bun-darwin-arm64',
  'windows-x64': 'bun-windows-x64',
}

const root = join(import.meta.dir, '..')
const dist = join(root, 'dist')
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS)
mkdirSync(dist, { recursive: true })
const sums: string[] = []
for (const name of wanted) {
  const target = TARGETS[name]
  if (!target) {
    console.error(`unknown target ${name}; known: ${Object.keys(TARGETS).join(', ')}`)
    process.exit(2)
  }
  const file = `ccproxy-${name}${name.startsWith('windows') ? '.exe' : ''}`
  const r = Bun.spawnSync(['bun', 'build', '--compile', '--minify', `--target=${target}`, 'src/main.ts', '--outfile', join(dist, file)], { cwd: root, stdout: 'inherit', stderr: 'inherit' })
  if (r.exitCode !== 0) process.exit(r.exitCode ?? 1)
  const hash = createHash('sha256').update(readFileSync(join(dist, file))).digest('hex')
  sums.push(`${hash}  ${file}`)
  console.log(`${file}  ${hash}`)
}
writeFileSync(join(dist, 'SHA256SUMS'), sums.join('\n') + '\n')
