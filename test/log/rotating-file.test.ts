import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RotatingFileStream } from '../../src/log/rotating-file'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ccproxy-rotate-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(80) })}\n`

describe('RotatingFileStream', () => {
  test('rotation by size keeps at most maxFiles rotated files, each within maxBytes', () => {
    const dir = tempDir()
    const path = join(dir, 'log.jsonl')
    const s = new RotatingFileStream(path, { maxBytes: 1024, maxFiles: 3 })
    for (let i = 0; i < 500; i++) s.write(line(i))
    s.close()
    expect(readdirSync(dir).sort()).toEqual(['log.jsonl', 'log.jsonl.1', 'log.jsonl.2', 'log.jsonl.3'])
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(1024)
    const newest = readFileSync(path, 'utf8').trim().split('\n')
    expect(JSON.parse(newest.at(-1)!).i).toBe(499)
    const previous = readFileSync(`${path}.1`, 'utf8').trim().split('\n')
    expect(JSON.parse(previous.at(-1)!).i).toBe(JSON.parse(newest[0]).i - 1)
  })

  test('appends to an existing file and counts its size', () => {
    const dir = tempDir()
    const path = join(dir, 'a.jsonl')
    const first = new RotatingFileStream(path, { maxBytes: 300, maxFiles: 1 })
    first.write(line(1))
    first.write(line(2))
    first.close()
    const second = new RotatingFileStream(path, { maxBytes: 300, maxFiles: 1 })
    second.write(line(3))
    second.write(line(4))
    second.close()
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(line(1) + line(2) + line(3))
    expect(readFileSync(path, 'utf8')).toBe(line(4))
  })

  test('a line larger than maxBytes is still written, alone', () => {
    const dir = tempDir()
    const path = join(dir, 'big.jsonl')
    const s = new RotatingFileStream(path, { maxBytes: 1024, maxFiles: 2 })
    s.write('small\n')
    const big = `${'y'.repeat(5000)}\n`
    s.write(big)
    s.close()
    expect(readFileSync(path, 'utf8')).toBe(big)
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('small\n')
  })

  test('creates missing directories; writes after close are dropped', () => {
    const dir = tempDir()
    const path = join(dir, 'deep', 'er', 'log.jsonl')
    const s = new RotatingFileStream(path, { maxBytes: 1024, maxFiles: 1 })
    expect(s.write('one\n')).toBe(true)
    s.close()
    expect(s.write('two\n')).toBe(false)
    expect(readFileSync(path, 'utf8')).toBe('one\n')
  })
})
