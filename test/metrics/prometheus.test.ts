import { describe, expect, test } from 'bun:test'
import { Metrics } from '../../src/metrics/registry'
import { escapeLabelValue, toPrometheus } from '../../src/metrics/prometheus'
import { checkHistogram, parseExposition } from '../support/prometheus-text'

function busyMetrics() {
  let now = 0
  const m = new Metrics({ now: () => now })
  const models = ['gpt-4o', 'weird "model"\\with\nnewline']
  for (let i = 0; i < 200; i++) {
    m.requestStarted()
    now += 100
    m.requestFinished({
      status: i % 10 === 0 ? 502 : 200, model: models[i % 2], totalMs: 50 + i * 37, firstByteMs: 20 + i, upstreamMs: 40 + i * 30,
      stream: true, tokens: { input: 100, output: 50, cacheRead: 10, cacheCreation: 1 },
    })
  }
  m.requestFinished({ status: 200, model: 'gpt-4o', totalMs: 900_000, stream: false })
  m.retry()
  m.timeout('pool')
  m.setBreakerState('open')
  m.setLimiter({ rpm: 100, tpm: 1000, queueLength: 4 })
  m.limiterWait(1500)
  m.cache('joined')
  return m
}

describe('toPrometheus', () => {
  test('every sample belongs to a family with HELP and TYPE; histograms are cumulative and end in +Inf = _count', () => {
    const families = parseExposition(toPrometheus(busyMetrics()))
    for (const f of families.values()) {
      expect(f.name.startsWith('ccproxy_')).toBe(true)
      expect(f.help).toBeTruthy()
      expect(f.type).toBeTruthy()
      if (f.type === 'histogram') checkHistogram(f)
    }
    const required: Record<string, string> = {
      ccproxy_requests_total: 'counter',
      ccproxy_requests_in_flight: 'gauge',
      ccproxy_request_duration_seconds: 'histogram',
      ccproxy_time_to_first_byte_seconds: 'histogram',
      ccproxy_tokens_total: 'counter',
      ccproxy_retries_total: 'counter',
      ccproxy_timeouts_total: 'counter',
      ccproxy_circuit_breaker_state: 'gauge',
      ccproxy_cache_requests_total: 'counter',
      ccproxy_rate_limit_queue_length: 'gauge',
      ccproxy_process_resident_memory_bytes: 'gauge',
      ccproxy_uptime_seconds: 'gauge',
    }
    for (const [name, type] of Object.entries(required)) expect(families.get(name)?.type).toBe(type)
  })

  test('values match the registry', () => {
    const families = parseExposition(toPrometheus(busyMetrics()))
    const value = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)!.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(value('ccproxy_requests_total', { status_class: '5xx', model: 'gpt-4o' })).toBe(20)
    expect(value('ccproxy_requests_total', { status_class: '2xx', model: 'weird "model"\\with\nnewline' })).toBe(100)
    expect(value('ccproxy_tokens_total', { kind: 'cache_read' })).toBe(2000)
    expect(value('ccproxy_timeouts_total', { kind: 'pool' })).toBe(1)
    expect(value('ccproxy_circuit_breaker_state')).toBe(2)
    expect(value('ccproxy_cache_requests_total', { result: 'joined' })).toBe(1)
    expect(value('ccproxy_rate_limit_queue_length')).toBe(4)
    const duration = families.get('ccproxy_request_duration_seconds')!
    expect(duration.samples.find((s) => s.name.endsWith('_count'))!.value).toBe(201)
    expect(duration.samples.find((s) => s.labels.le === '600')!.value).toBe(200)
    expect(duration.samples.find((s) => s.labels.le === '0.0005')).toBeDefined()
  })

  test('an empty registry still exposes every family', () => {
    const families = parseExposition(toPrometheus(new Metrics({ now: () => 0 })))
    expect(families.get('ccproxy_requests_total')!.samples).toHaveLength(0)
    expect(families.get('ccproxy_request_duration_seconds')!.samples.at(-1)!.value).toBe(0)
  })

  test('extra families are appended with HELP and TYPE', () => {
    const text = toPrometheus(new Metrics({ now: () => 0 }), [
      { name: 'ccproxy_upstream_connections', help: 'Open sockets.', type: 'gauge', samples: [{ labels: { host: 'a"b' }, value: 3 }] },
    ])
    const f = parseExposition(text).get('ccproxy_upstream_connections')!
    expect(f.samples[0]).toEqual({ name: 'ccproxy_upstream_connections', labels: { host: 'a"b' }, value: 3 })
  })

  test('label values escape backslash, quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
  })
})
