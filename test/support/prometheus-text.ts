import { expect } from 'bun:test'

/** One sample of the Prometheus text format. */
export interface Sample { name: string; labels: Record<string, string>; value: number }
/** A metric family with its HELP, TYPE and samples. */
export interface Family { name: string; help?: string; type?: string; samples: Sample[] }

/** A small parser of the text format 0.0.4 that rejects what Prometheus would reject. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  expect(text.endsWith('\n')).toBe(true)
  const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta
      expect(name).toMatch(nameRe)
      const f = families.get(name) ?? { name, samples: [] }
      families.set(name, f)
      if (kind === 'HELP') {
        expect(f.help).toBeUndefined()
        f.help = rest
      } else {
        expect(f.type).toBeUndefined()
        expect(f.samples).toHaveLength(0)
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest)
        f.type = rest
      }
      continue
    }
    expect(line.startsWith('#')).toBe(false)
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`bad sample line: ${line}`)
    const [, name, labelText, valueText] = m
    const labels: Record<string, string> = {}
    if (labelText) {
      const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y
      let pos = 0
      while (pos < labelText.length) {
        labelRe.lastIndex = pos
        const l = labelRe.exec(labelText)
        if (!l) throw new Error(`bad labels: ${labelText}`)
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
        pos = labelRe.lastIndex
      }
    }
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText)
    expect(Number.isNaN(value) && valueText !== 'NaN').toBe(false)
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '')
    const f = families.get(base)
    if (!f?.help || !f.type) throw new Error(`sample ${name} before its HELP and TYPE`)
    if (base !== name) expect(f.type).toBe('histogram')
    f.samples.push({ name, labels, value })
  }
  return families
}

/** Checks a histogram family: _sum and _count present, buckets cumulative, ending in +Inf equal to _count. */
export function checkHistogram(f: Family) {
  const buckets = f.samples.filter((s) => s.name === `${f.name}_bucket`)
  const count = f.samples.find((s) => s.name === `${f.name}_count`)!
  expect(f.samples.find((s) => s.name === `${f.name}_sum`)).toBeDefined()
  expect(buckets.length).toBeGreaterThan(2)
  expect(buckets.at(-1)!.labels.le).toBe('+Inf')
  let prevLe = -Infinity
  let prevCount = 0
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)
    expect(le).toBeGreaterThan(prevLe)
    expect(b.value).toBeGreaterThanOrEqual(prevCount)
    prevLe = le
    prevCount = b.value
  }
  expect(buckets.at(-1)!.value).toBe(count.value)
}
