import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pkg from '../../package.json'

const root = join(import.meta.dir, '..', '..')
const dist = join(root, 'dist')
const ASSETS = ['ccproxy-linux-x64', 'ccproxy-linux-arm64', 'ccproxy-darwin-x64', 'ccproxy-darwin-arm64', 'ccproxy-windows-x64.exe']
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const hasRuby = Bun.which('ruby') !== null

beforeAll(() => {
  const r = Bun.spawnSync(['bun', 'scripts/release.ts'], { cwd: root, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`make release failed: ${r.stderr.toString()}`)
}, 300_000)

describe('make release', () => {
  test('builds every platform binary and SHA256SUMS with the right checksums', () => {
    const sums = readFileSync(join(dist, 'SHA256SUMS'), 'utf8').trim().split('\n')
    expect(sums).toHaveLength(ASSETS.length)
    for (const asset of ASSETS) {
      expect(existsSync(join(dist, asset))).toBe(true)
      expect(sums).toContain(`${sha256(join(dist, asset))}  ${asset}`)
    }
  })

  test('the linux-x64 binary runs and reports the version', () => {
    const r = Bun.spawnSync([join(dist, 'ccproxy-linux-x64'), '--version'], { cwd: tmpdir(), env: { PATH: '/usr/bin:/bin' } })
    expect(r.exitCode).toBe(0)
    expect(r.stdout.toString().trim()).toBe(pkg.version)
  })
})

describe('the Homebrew formula', () => {
  test('make formula writes a formula whose URLs and checksums match the built files', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'formula-')), 'ccproxy.rb')
    const r = Bun.spawnSync(['bun', 'scripts/formula.ts', '--out', out], { cwd: root, env: { ...process.env, RELEASE_URL: 'https://downloads.example.test/ccproxy/v9' }, stdout: 'pipe', stderr: 'pipe' })
    expect(r.exitCode).toBe(0)
    const text = readFileSync(out, 'utf8')
    const pairs = [...text.matchAll(/url "([^"]+)"\s+sha256 "([0-9a-f]{64})"/g)].map((m) => [m[1], m[2]])
    expect(pairs.map((p) => p[0])).toEqual(['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64'].map((a) => `https://downloads.example.test/ccproxy/v9/ccproxy-${a}`))
    for (const [url, sha] of pairs) expect(sha).toBe(sha256(join(dist, url.split('/').at(-1)!)))
    expect(text).toContain(`version "${pkg.version}"`)
    expect(text).toMatch(/test do\s+assert_match version\.to_s, shell_output\("#\{bin\}\/ccproxy --version"\)/)
    if (hasRuby || process.env.CI) {
      const check = Bun.spawnSync(['ruby', '-c', out], { stdout: 'pipe', stderr: 'pipe' })
      expect(check.stdout.toString()).toContain('Syntax OK')
    }
  })

  test('the committed Formula/ccproxy.rb is valid Ruby for this version', () => {
    const file = join(root, 'Formula', 'ccproxy.rb')
    const text = readFileSync(file, 'utf8')
    expect(text).toContain(`version "${pkg.version}"`)
    expect([...text.matchAll(/sha256 "[0-9a-f]{64}"/g)]).toHaveLength(4)
    if (hasRuby || process.env.CI) expect(Bun.spawnSync(['ruby', '-c', file], { stdout: 'pipe' }).stdout.toString()).toContain('Syntax OK')
  })
})
