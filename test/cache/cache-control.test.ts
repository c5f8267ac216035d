import { describe, expect, test } from 'bun:test'
import { parseCacheControl } from '../../src/cache/cache-control'

describe('parseCacheControl', () => {
  test('no header, empty header or unrelated directives ask nothing', () => {
    for (const h of [null, undefined, '', 'max-age=60', 'private, must-revalidate']) expect(parseCacheControl(h)).toEqual({ noStore: false, noCache: false })
  })

  test('no-store prevents storing; no-cache bypasses the lookup', () => {
    expect(parseCacheControl('no-store')).toEqual({ noStore: true, noCache: false })
    expect(parseCacheControl('no-cache')).toEqual({ noStore: false, noCache: true })
    expect(parseCacheControl('no-cache, no-store')).toEqual({ noStore: true, noCache: true })
  })

  test('directives are case-insensitive and tolerate whitespace', () => {
    expect(parseCacheControl('  No-Store ,NO-CACHE  ')).toEqual({ noStore: true, noCache: true })
  })

  test('max-age=0 asks for a fresh answer like no-cache', () => {
    expect(parseCacheControl('max-age=0')).toEqual({ noStore: false, noCache: true })
    expect(parseCacheControl('max-age="0"')).toEqual({ noStore: false, noCache: true })
    expect(parseCacheControl('max-age=10')).toEqual({ noStore: false, noCache: false })
  })

  test('no-cache with a field-name argument still counts', () => {
    expect(parseCacheControl('no-cache="set-cookie"')).toEqual({ noStore: false, noCache: true })
  })

  test('a token that merely contains a directive name does not count', () => {
    expect(parseCacheControl('x-no-store, no-stored')).toEqual({ noStore: false, noCache: false })
  })
})
