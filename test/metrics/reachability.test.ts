import { describe, expect, test } from 'bun:test'
import { upstreamReachability } from '../../src/metrics/reachability'

describe('upstreamReachability', () => {
  test('a success means reachable; a connection failure means unreachable', () => {
    expect(upstreamReachability(200, undefined)).toBe(true)
    expect(upstreamReachability(502, 'Could not reach the upstream at http://127.0.0.1:9/v1: connection refused')).toBe(false)
  })

  test('other outcomes say nothing', () => {
    expect(upstreamReachability(400, 'messages: required')).toBeNull()
    expect(upstreamReachability(429, 'Rate limit reached')).toBeNull()
    expect(upstreamReachability(504, 'The upstream sent no response within 200 ms (HTTP_READ_TIMEOUT).')).toBeNull()
    expect(upstreamReachability(502, 'The upstream answered with a body that is not JSON')).toBeNull()
    expect(upstreamReachability(499, 'The client closed the connection.')).toBeNull()
  })
})
