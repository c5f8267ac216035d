import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closeLogger, createLogger, createScrubber, formatConsoleLine, type LoggerOptions } from '../../src/log/logger'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function setup(extra: Partial<LoggerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ccproxy-log-'))
  dirs.push(dir)
  const consoleLines: string[] = []
  const opts: LoggerOptions = {
    level: 'info',
    logFile: join(dir, 'log.jsonl'),
    errorFile: join(dir, 'error.jsonl'),
    maxBytes: 10 * 1024 * 1024,
    maxFiles: 5,
    pretty: false,
    console: { write: (s: string) => consoleLines.push(s) },
    ...extra,
  }
  const logger = createLogger(opts)
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '')
  const jsonLines = (name: string) => read(name).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
  return { dir, logger, consoleLines, read, jsonLines }
}

const SECRET = 'sk-proj-TESTSECRET0123456789abcdef'
const CLIENT_TOKEN = 'client-token-9f8e7d6c5b4a'

describe('createLogger', () => {
  test('writes info and up to log.jsonl and errors only, once each, to error.jsonl', () => {
    const { logger, jsonLines } = setup()
    logger.debug('too chatty')
    logger.info({ status: 200 }, 'served')
    logger.warn('slow upstream')
    logger.error({ err: new Error('upstream 502') }, 'request failed')
    logger.fatal('cannot listen')
    closeLogger(logger)

    const log = jsonLines('log.jsonl')
    expect(log.map((l) => l.msg)).toEqual(['served', 'slow upstream', 'request failed', 'cannot listen'])
    expect(log[0]).toMatchObject({ level: 'info', status: 200 })
    expect(typeof log[0].time).toBe('string')

    const errors = jsonLines('error.jsonl')
    expect(errors.map((l) => l.msg)).toEqual(['request failed', 'cannot listen'])
    expect(errors[0].err.message).toBe('upstream 502')
  })

  test('secrets never reach the files or the console', () => {
    const { logger, read, consoleLines } = setup({ redactValues: [SECRET, '', 'ab'] })
    logger.info({ headers: { authorization: `Bearer ${CLIENT_TOKEN}`, 'x-api-key': CLIENT_TOKEN, 'content-type': 'application/json' } }, 'incoming')
    logger.info({ req: { headers: { authorization: `Bearer ${SECRET}`, 'api-key': SECRET } } }, 'outgoing')
    logger.info({ upstream: { apiKey: SECRET, baseUrl: 'https://api.openai.com/v1' } }, 'config')
    logger.info({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': CLIENT_TOKEN }, 'top level')
    logger.warn(`the key ${SECRET} was rejected`)
    logger.error({ err: new Error(`401 for key ${SECRET}`), detail: { nested: [`Bearer ${CLIENT_TOKEN}`, `quoted "${SECRET}"`] } }, 'auth failed')
    logger.info({ text: `multi\nline ${SECRET}\ttabbed` }, 'escaped')
    closeLogger(logger)

    for (const text of [read('log.jsonl'), read('error.jsonl'), consoleLines.join('')]) {
      expect(text.length).toBeGreaterThan(0)
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain(CLIENT_TOKEN)
      expect(text).not.toContain('dXNlcjpwYXNz')
      expect(text).toContain('[redacted]')
    }
    const log = read('log.jsonl')
    expect(log).toContain('application/json')
    expect(log).toContain('https://api.openai.com/v1')
  })

  test('rotation by size keeps at most maxFiles rotated files', () => {
    const { dir, logger } = setup({ maxBytes: 2048, maxFiles: 2, errorFile: '' })
    for (let i = 0; i < 300; i++) logger.info({ i, filler: 'z'.repeat(100) }, 'line')
    closeLogger(logger)
    expect(readdirSync(dir).sort()).toEqual(['log.jsonl', 'log.jsonl.1', 'log.jsonl.2'])
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2048)
  })

  test('silent disables everything and opens no file', () => {
    const { dir, logger, consoleLines } = setup({ level: 'silent' })
    logger.error('nothing')
    logger.fatal('still nothing')
    closeLogger(logger)
    expect(readdirSync(dir)).toEqual([])
    expect(consoleLines).toEqual([])
  })

  test('empty paths mean no files; the console still gets JSON when not pretty', () => {
    const { dir, logger, consoleLines } = setup({ logFile: '', errorFile: '' })
    logger.info({ a: 1 }, 'hello')
    closeLogger(logger)
    expect(readdirSync(dir)).toEqual([])
    expect(JSON.parse(consoleLines[0])).toMatchObject({ msg: 'hello', a: 1, level: 'info' })
  })

  test('pretty console lines are short and readable', () => {
    const { logger, consoleLines, jsonLines } = setup({ pretty: true })
    logger.info({
      method: 'POST', path: '/v1/messages', status: 200, model: 'claude-sonnet-4-5', upstreamModel: 'gpt-4o',
      durationMs: 1234, tokens: { input: 1200, output: 345 },
    }, 'request')
    logger.error({ err: new Error('boom') }, 'stream failed')
    closeLogger(logger)
    expect(consoleLines[0]).toMatch(/^\d\d:\d\d:\d\d INFO  POST \/v1\/messages 200 claude-sonnet-4-5→gpt-4o 1\.23s 1\.2k\/345 tok\n$/)
    expect(consoleLines[1]).toMatch(/^\d\d:\d\d:\d\d ERROR stream failed: boom\n$/)
    expect(jsonLines('log.jsonl')[0].method).toBe('POST')
  })

  test('lines after close do not reach the files', () => {
    const { logger, read } = setup()
    logger.info('before')
    closeLogger(logger)
    logger.error('after')
    expect(read('log.jsonl')).not.toContain('after')
    expect(read('error.jsonl')).toBe('')
  })
})

describe('formatConsoleLine', () => {
  test('uses local time, a padded level, and compact numbers', () => {
    const time = new Date(2025, 0, 2, 12, 1, 2).toISOString()
    expect(formatConsoleLine({ time, level: 'warn', method: 'POST', path: '/v1/messages', status: 429, model: 'claude-haiku-4-5', durationMs: 87, tokens: { input: 2_500_000, output: 1000 } }))
      .toBe('12:01:02 WARN  POST /v1/messages 429 claude-haiku-4-5 87ms 2.5M/1k tok\n')
    expect(formatConsoleLine({ time, level: 30, msg: 'listening on http://127.0.0.1:11434' }))
      .toBe('12:01:02 INFO  listening on http://127.0.0.1:11434\n')
  })
})

describe('createScrubber', () => {
  test('replaces raw and JSON-escaped secrets and bearer tokens; ignores very short values', () => {
    const scrub = createScrubber(['se"cret\\value', 'abc'])
    expect(scrub(JSON.stringify({ a: 'x se"cret\\value y' }))).toBe('{"a":"x [redacted] y"}')
    expect(scrub('Authorization: Bearer eyJhbGciOi.abc-def_ghi')).toBe('Authorization: Bearer [redacted]')
    expect(scrub('abc stays')).toBe('abc stays')
  })
})

describe('formatConsoleLine with snake_case request fields', () => {
  test('reads upstream_model, latency_ms and input/output_tokens', () => {
    const time = new Date(2025, 0, 2, 9, 8, 7).toISOString()
    expect(formatConsoleLine({
      time, level: 'error', msg: 'request failed', status: 502, model: 'claude-opus-4-1', upstream_model: 'gpt-5',
      latency_ms: 61_000, input_tokens: 12_345, output_tokens: 0, error: 'upstream closed the stream',
    })).toBe('09:08:07 ERROR 502 claude-opus-4-1→gpt-5 61.00s 12.3k/0 tok - request failed: upstream closed the stream\n')
  })
})
