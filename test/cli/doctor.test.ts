import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { FakeUpstream, textCompletion } from '../support/fake-upstream'
import { baseEnv, isolatedBinary } from '../support/proxy-process'

let upstream: FakeUpstream
let bin: string
let dir: string
const GOOD_KEY = 'sk-upstream-test-key-0123456789'

beforeAll(async () => {
  ;({ bin, dir } = isolatedBinary())
  upstream = await FakeUpstream.start()
  // The fake upstream checks the key like a real provider: /models lists models, chat completions answer.
  upstream.setFallback((req) => {
    if (req.headers.authorization !== `Bearer ${GOOD_KEY}`) return { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } }
    if (req.path.endsWith('/models')) return { json: { object: 'list', data: [{ id: 'big-up', object: 'model' }, { id: 'small-up', object: 'model' }] } }
    return { json: textCompletion('O', { prompt_tokens: 3, completion_tokens: 1 }) }
  })
})
afterAll(async () => {
  await upstream.close()
})

/** Runs `ccproxy doctor` (asynchronously: the fake upstream lives in this process and must keep answering). */
const doctor = async (env: Record<string, string>) => {
  const p = Bun.spawn([bin, 'doctor'], { cwd: dir, env: baseEnv(dir, upstream.url, { PORT: '0', BIG_MODEL_NAME: 'big-up', SMALL_MODEL_NAME: 'small-up', ...env }), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { code, out: out + err }
}

describe('ccproxy doctor', () => {
  test('all checks pass against a healthy upstream', async () => {
    const { code, out } = await doctor({})
    expect(out).toContain('✓ settings')
    expect(out).toContain('✓ upstream reachable')
    expect(out).toContain('✓ API key accepted')
    expect(out).toContain('✓ BIG_MODEL_NAME exists: big-up')
    expect(out).toContain('✓ one-token completion')
    expect(out).not.toContain('✗')
    expect(code).toBe(0)
    const completion = upstream.chatRequests.at(-1)!
    expect(completion.body.max_tokens).toBe(1)
  })

  test('a rejected key is reported with its fix, and the key never appears', async () => {
    const { code, out } = await doctor({ OPENAI_API_KEY: 'sk-wrong-key-abcdefghijkl' })
    expect(code).toBe(1)
    expect(out).toContain('✗ API key accepted')
    expect(out).toContain('fix: the upstream rejects the key')
    expect(out).not.toContain('sk-wrong-key-abcdefghijkl')
  })

  test('an unknown model is reported with the models that exist', async () => {
    const { code, out } = await doctor({ BIG_MODEL_NAME: 'gpt-9' })
    expect(code).toBe(1)
    expect(out).toContain('✗ BIG_MODEL_NAME exists')
    expect(out).toContain('fix: set BIG_MODEL_NAME to one of: big-up, small-up')
  })

  test('an unreachable upstream and a bad setting are reported', async () => {
    const dead = await doctor({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' })
    expect(dead.code).toBe(1)
    expect(dead.out).toContain('✗ upstream reachable')
    expect(dead.out).toContain('fix: check OPENAI_BASE_URL')
    const bad = await doctor({ HTTP_READ_TIMEOUT: 'never' })
    expect(bad.code).toBe(1)
    expect(bad.out).toContain('✗ settings: HTTP_READ_TIMEOUT="never"')
  })
})
