import { describe, expect, test } from 'bun:test'
import {
  FLAG_SAMPLED, childSpanContext, formatTraceparent, newSpanId, newTraceId, parseTraceparent, passTracestate, randomHexId,
  startSpanContext, traceHeaders, type RandomBytes,
} from '../../src/tracing/trace-context'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const VALID = `00-${TRACE}-${PARENT}-01`

/** Deterministic bytes: 1, 2, 3, … across calls. */
function counter(): RandomBytes {
  let next = 1
  return (n) => Uint8Array.from({ length: n }, () => next++ & 255)
}

describe('parseTraceparent', () => {
  test('reads a version-00 header', () => {
    expect(parseTraceparent(VALID)).toEqual({ version: '00', traceId: TRACE, parentId: PARENT, flags: 1 })
    expect(parseTraceparent(`00-${TRACE}-${PARENT}-00`)!.flags).toBe(0)
    expect(parseTraceparent(`  ${VALID} `)!.traceId).toBe(TRACE)
  })

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['uppercase hex', VALID.toUpperCase()],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['non-hex flags', `00-${TRACE}-${PARENT}-0g`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['non-hex version', `0x-${TRACE}-${PARENT}-01`],
    ['version 00 with more fields', `${VALID}-extra`],
    ['wrong separators', `00_${TRACE}_${PARENT}_01`],
    ['a later version with junk glued on', `cc-${TRACE}-${PARENT}-01x`],
  ])('rejects %s', (_, header) => {
    expect(parseTraceparent(header)).toBeNull()
  })

  test('reads a later version by its first four fields', () => {
    expect(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-the-future-holds`)).toEqual({ version: 'cc', traceId: TRACE, parentId: PARENT, flags: 1 })
    expect(parseTraceparent(`01-${TRACE}-${PARENT}-03`)!.flags).toBe(3)
  })
})

describe('ids', () => {
  test('are lowercase hex of the asked size, from the injected randomness', () => {
    expect(newTraceId(counter())).toBe('0102030405060708090a0b0c0d0e0f10')
    expect(newSpanId(counter())).toBe('0102030405060708')
  })

  test('are never all zero', () => {
    let calls = 0
    const zerosFirst: RandomBytes = (n) => (calls++ === 0 ? new Uint8Array(n) : new Uint8Array(n).fill(0xab))
    expect(randomHexId(zerosFirst, 8)).toBe('abababababababab')
    expect(calls).toBe(2)
  })

  test('formatTraceparent writes version 00 with two-digit flags', () => {
    expect(formatTraceparent(TRACE, PARENT, 1)).toBe(VALID)
    expect(formatTraceparent(TRACE, PARENT, 0)).toBe(`00-${TRACE}-${PARENT}-00`)
    expect(formatTraceparent(TRACE, PARENT, 0xa3)).toBe(`00-${TRACE}-${PARENT}-a3`)
  })
})

describe('span contexts', () => {
  test('a valid traceparent makes a child: same trace and flags, its parent id as parent, tracestate passed on', () => {
    const ctx = startSpanContext(`00-${TRACE}-${PARENT}-00`, 'vendor=abc, other=1 ', counter())
    expect(ctx).toEqual({ traceId: TRACE, spanId: '0102030405060708', parentSpanId: PARENT, flags: 0, tracestate: 'vendor=abc, other=1' })
  })

  test('no traceparent starts a new sampled trace', () => {
    const ctx = startSpanContext(null, null, counter())
    expect(ctx).toEqual({ traceId: '090a0b0c0d0e0f101112131415161718', spanId: '0102030405060708', flags: FLAG_SAMPLED })
  })

  test('an invalid traceparent starts a new trace and drops its tracestate', () => {
    const ctx = startSpanContext(`00-${'0'.repeat(32)}-${PARENT}-01`, 'vendor=abc', counter())
    expect(ctx.parentSpanId).toBeUndefined()
    expect(ctx.tracestate).toBeUndefined()
    expect(ctx.traceId).not.toBe('0'.repeat(32))
  })

  test('tracestate: empty or oversized values are not passed on', () => {
    const parent = parseTraceparent(VALID)
    expect(passTracestate('  ', parent)).toBeUndefined()
    expect(passTracestate('a=1', null)).toBeUndefined()
    expect(passTracestate('a='.padEnd(9000, 'x'), parent)).toBeUndefined()
  })

  test('a child of a child keeps the trace; headers name the given span as parent', () => {
    const random = counter()
    const root = startSpanContext(VALID, 'k=v', random)
    const child = childSpanContext(root, random)
    expect(child).toEqual({ traceId: TRACE, spanId: '090a0b0c0d0e0f10', parentSpanId: root.spanId, flags: 1, tracestate: 'k=v' })
    expect(traceHeaders(child, child.spanId)).toEqual({ traceparent: `00-${TRACE}-090a0b0c0d0e0f10-01`, tracestate: 'k=v' })
    expect(traceHeaders({ traceId: TRACE, flags: 0 }, PARENT)).toEqual({ traceparent: `00-${TRACE}-${PARENT}-00` })
  })
})
