import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { describeConfig, loadConfig, maskSecret, parseDotEnv } from '../../src/config/load'
import { SETTINGS } from '../../src/config/schema'
import { renderEnvExample } from '../../src/config/env-example'

const KEY = { OPENAI_API_KEY: 'sk-test-1234567890abcdef' }

describe('loadConfig', () => {
  test('defaults follow the guide', () => {
    const r = loadConfig({ env: KEY })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    const c = r.config
    expect(c.HOST).toBe('127.0.0.1')
    expect(c.PORT).toBe(11434)
    expect(c.OPENAI_BASE_URL).toEqual(['https://api.openai.com/v1'])
    expect(c.CLIENT_RATE_LIMIT_RPM).toBe(3000)
    expect(c.CLIENT_RATE_LIMIT_TPM).toBe(1_620_000)
    expect(c.CLIENT_RATE_LIMIT_BURST).toBe(600)
    expect(c.STREAM_IDLE_TIMEOUT).toBe(300)
    expect(c.HTTP_READ_TIMEOUT).toBe(c.MAX_STREAM_SECONDS)
    expect(c.LOG_FILE_PATH).toBe('log.jsonl')
    expect(c.ERROR_LOG_FILE_PATH).toBe('error.jsonl')
    expect(c.IS_LOCAL_DEPLOYMENT).toBe(true)
  })

  test('precedence is flags > environment > .env > defaults', () => {
    const r = loadConfig({ flags: { PORT: '1001' }, env: { ...KEY, PORT: '1002', HOST: '127.0.0.2' }, dotenv: { PORT: '1003', HOST: '127.0.0.3', BIG_MODEL_NAME: 'from-dotenv' } })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    expect(r.config.PORT).toBe(1001)
    expect(r.config.HOST).toBe('127.0.0.2')
    expect(r.config.BIG_MODEL_NAME).toBe('from-dotenv')
  })

  test('every bad value is reported on its own line with the name, the value and what is accepted', () => {
    const r = loadConfig({ env: { ...KEY, PORT: 'abc', HTTP_CONNECT_TIMEOUT: '-1', LOG_LEVEL: 'loud', OPENAI_BASE_URL: 'not a url', CLIENT_RATE_LIMIT_ENABLED: 'maybe' } })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toHaveLength(5)
    expect(r.errors.find((l) => l.startsWith('PORT='))).toContain('"abc"')
    expect(r.errors.find((l) => l.startsWith('PORT='))).toContain('whole number from 0 to 65535')
    expect(r.errors.find((l) => l.startsWith('HTTP_CONNECT_TIMEOUT='))).toContain('"-1"')
    expect(r.errors.find((l) => l.startsWith('LOG_LEVEL='))).toContain('one of trace, debug, info')
    expect(r.errors.find((l) => l.startsWith('OPENAI_BASE_URL='))).toContain('URL')
    expect(r.errors.find((l) => l.startsWith('CLIENT_RATE_LIMIT_ENABLED='))).toContain('true or false')
  })

  test('a missing API key is reported with what to set, for a remote upstream', () => {
    const r = loadConfig({ env: {} })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors[0]).toContain('OPENAI_API_KEY')
    expect(r.errors[0]).toContain('OPENROUTER_API_KEY')
  })

  test.each(['http://127.0.0.1:11434/v1', 'http://localhost:8000/v1', 'http://192.168.1.20:1234/v1', 'http://10.0.0.5/v1', 'http://[::1]:8080/v1'])('no API key is needed for a loopback or private upstream %s', (url) => {
    const r = loadConfig({ env: { OPENAI_BASE_URL: url } })
    expect(r.ok).toBe(true)
  })

  test('OPENROUTER_API_KEY satisfies the key requirement', () => {
    expect(loadConfig({ env: { OPENROUTER_API_KEY: 'sk-or-x', OPENAI_BASE_URL: 'https://openrouter.ai/api/v1' } }).ok).toBe(true)
  })

  test('several base URLs are accepted, comma-separated, trailing slashes dropped', () => {
    const r = loadConfig({ env: { ...KEY, OPENAI_BASE_URL: 'https://a.example/v1/, https://b.example/v1' } })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    expect(r.config.OPENAI_BASE_URL).toEqual(['https://a.example/v1', 'https://b.example/v1'])
  })

  test('secrets are masked in the description and in error lines', () => {
    const r = loadConfig({ env: KEY })
    if (!r.ok) throw new Error('bad')
    const text = describeConfig(r.config)
    expect(text).not.toContain(KEY.OPENAI_API_KEY)
    expect(text).toContain(`OPENAI_API_KEY=${maskSecret(KEY.OPENAI_API_KEY)}`)
    expect(text).toContain('PORT=11434')
  })
})

describe('parseDotEnv', () => {
  test('reads KEY=VALUE, export, quotes and comments', () => {
    const env = parseDotEnv('# comment\nexport A=1\nB="two words" \nC=\'x#y\'\nD=plain # trailing\n\nE=\r\nF="line\\nbreak"\n')
    expect(env).toEqual({ A: '1', B: 'two words', C: 'x#y', D: 'plain', E: '', F: 'line\nbreak' })
  })
})

describe('.env.example', () => {
  test('documents every setting and matches the schema', () => {
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
    expect(text).toBe(renderEnvExample())
    for (const s of SETTINGS) expect(text).toMatch(new RegExp(`^(# )?${s.env}=`, 'm'))
    expect(text).toContain('CLIENT_RATE_LIMIT_RPM=120')
  })
})

describe('safety checks at start-up', () => {
  test('a non-loopback HOST without client keys refuses to start, unless explicitly allowed', () => {
    const r = loadConfig({ env: { ...KEY, HOST: '0.0.0.0' } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors[0]).toContain('CCPROXY_API_KEYS')
    expect(loadConfig({ env: { ...KEY, HOST: '0.0.0.0', CCPROXY_API_KEYS: 'k1,k2' } }).ok).toBe(true)
    expect(loadConfig({ env: { ...KEY, HOST: '0.0.0.0', CCPROXY_ALLOW_UNAUTHENTICATED: 'true' } }).ok).toBe(true)
    expect(loadConfig({ env: { ...KEY, HOST: '::1' } }).ok).toBe(true)
  })

  test('plain http is only for loopback or private upstreams unless ALLOW_INSECURE_UPSTREAM', () => {
    const r = loadConfig({ env: { ...KEY, OPENAI_BASE_URL: 'http://api.example.com/v1' } })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.join('\n')).toContain('ALLOW_INSECURE_UPSTREAM')
    expect(loadConfig({ env: { ...KEY, OPENAI_BASE_URL: 'http://api.example.com/v1', ALLOW_INSECURE_UPSTREAM: 'true' } }).ok).toBe(true)
    expect(loadConfig({ env: { OPENAI_BASE_URL: 'http://192.168.1.5:8000/v1' } }).ok).toBe(true)
  })

  test('client keys are masked by ccproxy config', () => {
    const r = loadConfig({ env: { ...KEY, CCPROXY_API_KEYS: 'client-key-number-one,client-key-number-two' } })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    const text = describeConfig(r.config)
    expect(text).not.toContain('client-key-number-one')
    expect(text).toMatch(/CCPROXY_API_KEYS=cli…ne \(21 chars\),cli…wo \(21 chars\)/)
  })
})

describe('scaling settings', () => {
  test('IS_LOCAL_DEPLOYMENT=false is accepted; WORKERS, REDIS_TIMEOUT_MS and REDIS_KEY_PREFIX have defaults', () => {
    const r = loadConfig({ env: { ...KEY, IS_LOCAL_DEPLOYMENT: 'false' } })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    expect(r.config.IS_LOCAL_DEPLOYMENT).toBe(false)
    expect(r.config.WORKERS).toBe(0)
    expect(r.config.REDIS_URL).toBeUndefined()
    expect(r.config.REDIS_TIMEOUT_MS).toBe(250)
    expect(r.config.REDIS_KEY_PREFIX).toBe('ccproxy:')
  })

  test('REDIS_URL takes redis:// and rediss:// only; a bad one is reported without its password', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://user:pw@redis.internal:6380/2']) {
      const r = loadConfig({ env: { ...KEY, REDIS_URL: url } })
      if (!r.ok) throw new Error(r.errors.join('\n'))
      expect(r.config.REDIS_URL).toBe(url)
    }
    const bad = loadConfig({ env: { ...KEY, REDIS_URL: 'http://user:hunter22@redis.internal:6379', WORKERS: '-1' } })
    expect(bad.ok).toBe(false)
    if (bad.ok) return
    const line = bad.errors.find((l) => l.startsWith('REDIS_URL='))!
    expect(line).toContain('redis:// or rediss://')
    expect(line).not.toContain('hunter22')
    expect(bad.errors.find((l) => l.startsWith('WORKERS='))).toContain('whole number from 0 to 1024')
  })

  test('ccproxy config masks the REDIS_URL password', () => {
    const r = loadConfig({ env: { ...KEY, REDIS_URL: 'redis://default:s3cret-redis-pass@redis.internal:6379/0' } })
    if (!r.ok) throw new Error(r.errors.join('\n'))
    const text = describeConfig(r.config)
    expect(text).not.toContain('s3cret-redis-pass')
    expect(text).toContain('REDIS_URL=redis://default:****@redis.internal:6379/0')
    expect(text).toContain('# scaling')
  })
})
