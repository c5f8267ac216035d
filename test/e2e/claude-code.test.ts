/**
 * The real Claude Code CLI (the pinned devDependency) talks to the compiled ccproxy binary, which talks to a
 * scripted OpenAI-compatible fake upstream that plays the model: it writes a file, reads it, edits it, then
 * reads two files in parallel and finishes. The files on disk and every upstream request are checked.
 * Everything stays on 127.0.0.1; the CLI gets a private HOME and no stdin.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeUpstream, sseBody, textCompletion, textStream, type RecordedRequest, type UpstreamScript } from '../support/fake-upstream'
import { sseEvents, toolCallChunks, toolCallCompletion, type ToolCallSpec } from '../support/openai-sse'
import { ROOT, baseEnv, isolatedBinary, startProxy, type RunningProxy } from '../support/proxy-process'

/** The native CLI: node_modules/.bin/claude, or the platform package's binary when .bin holds the install stub. */
function claudeBinary(): string {
  const bin = join(ROOT, 'node_modules', '.bin', 'claude')
  if (existsSync(bin) && statSync(bin).size > 1_000_000) return bin
  const platform = `${process.platform}-${process.arch}`
  for (const p of [platform, `${platform}-musl`]) {
    const native = join(ROOT, 'node_modules', '@anthropic-ai', `claude-code-${p}`, 'claude')
    if (existsSync(native)) return native
  }
  return bin
}

const CLAUDE = claudeBinary()
const CLAUDE_VERSION = '2.1.332'
const RUN_LIMIT_MS = 90_000
const FINAL_TEXT = 'done'
const OTHER_CONTENT = 'omega from the other file\n'

let upstream: FakeUpstream
let proxy: RunningProxy
const dirs: string[] = []

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

beforeAll(async () => {
  upstream = await FakeUpstream.start()
  const { bin, dir } = isolatedBinary()
  dirs.push(dir)
  proxy = await startProxy(bin, { env: baseEnv(dir, upstream.url, { BIG_MODEL_NAME: 'fake-big', SMALL_MODEL_NAME: 'fake-small' }), cwd: dir })
})

afterAll(async () => {
  if (proxy) await proxy.stop()
  if (upstream) await upstream.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

type Step = 'write' | 'read' | 'edit' | 'parallel-read' | 'final'

/** The model: picks the next step from which of its tool calls have been answered so far. */
function scriptedModel(work: string) {
  const notes = join(work, 'notes.txt')
  const other = join(work, 'other.txt')
  const plan: Array<{ step: Step; calls: ToolCallSpec[] }> = [
    { step: 'write', calls: [{ id: 'call_write_a1', name: 'Write', args: { file_path: notes, content: 'alpha\n' } }] },
    { step: 'read', calls: [{ id: 'call_read_b2', name: 'Read', args: { file_path: notes } }] },
    { step: 'edit', calls: [{ id: 'call_edit_c3', name: 'Edit', args: { file_path: notes, old_string: 'alpha', new_string: 'beta' } }] },
    {
      step: 'parallel-read',
      calls: [
        { id: 'call_read_d4', name: 'Read', args: { file_path: notes } },
        { id: 'call_read_e5', name: 'Read', args: { file_path: other } },
      ],
    },
  ]
  const main: Array<{ step: Step; req: RecordedRequest }> = []
  const side: RecordedRequest[] = []

  const answer = (req: RecordedRequest): UpstreamScript => {
    const body = req.body
    const isMain = req.path.includes('/chat/completions') && Array.isArray(body?.tools) && body.tools.some((t: any) => t?.function?.name === 'Write')
    if (!isMain) {
      side.push(req)
      return body?.stream ? { sse: [sseBody(textStream(['ok']))] } : { json: textCompletion('ok') }
    }
    const answered = new Set<string>((body.messages ?? []).filter((m: any) => m.role === 'tool').map((m: any) => m.tool_call_id))
    const next = plan.find((p) => !p.calls.every((c) => answered.has(c.id)))
    main.push({ step: next?.step ?? 'final', req })
    if (!next) return body.stream ? { sse: [sseBody(textStream([FINAL_TEXT]))] } : { json: textCompletion(FINAL_TEXT) }
    const opts = { model: String(body.model), text: next.step === 'parallel-read' ? 'Reading both files.' : undefined }
    return body.stream ? { sse: sseEvents(toolCallChunks(next.calls, opts)) } : { json: toolCallCompletion(next.calls, opts) }
  }
  return { answer, main, side, plan, notes, other }
}

interface ClaudeRun {
  code: number | null
  timedOut: boolean
  stdout: string
  stderr: string
  events: any[]
  ms: number
}

/** Runs `claude -p` headless with stdin closed; killed after RUN_LIMIT_MS. */
async function runClaude(prompt: string, model: string, cwd: string, home: string): Promise<ClaudeRun> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    ANTHROPIC_BASE_URL: proxy.url,
    ANTHROPIC_API_KEY: 'test-client-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    CI: 'true',
  }
  const args = [CLAUDE, '-p', prompt, '--model', model, '--permission-mode', 'acceptEdits', '--output-format', 'stream-json', '--verbose']
  const started = Date.now()
  const proc = Bun.spawn(args, { cwd, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGKILL')
  }, RUN_LIMIT_MS)
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    const events = stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l))
    return { code, timedOut, stdout, stderr, events, ms: Date.now() - started }
  } finally {
    clearTimeout(timer)
    if (proc.exitCode === null) proc.kill('SIGKILL')
  }
}

/** Every assistant message with tool_calls is followed directly by one tool message per call, ids in order. */
function expectToolCallsAnswered(messages: any[]): number {
  let checked = 0
  messages.forEach((m, i) => {
    if (m.role !== 'assistant' || !m.tool_calls?.length) return
    const ids = m.tool_calls.map((c: any) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    const following = messages.slice(i + 1, i + 1 + ids.length)
    expect(following.map((f) => f.role)).toEqual(ids.map(() => 'tool'))
    expect(following.map((f) => f.tool_call_id)).toEqual(ids)
    for (const id of ids) expect(messages.filter((f) => f.role === 'tool' && f.tool_call_id === id)).toHaveLength(1)
    checked += ids.length
  })
  expect(messages.filter((f) => f.role === 'tool')).toHaveLength(checked)
  return checked
}

function toolContent(messages: any[], id: string): string {
  const m = messages.find((x) => x.role === 'tool' && x.tool_call_id === id)
  expect(m).toBeDefined()
  return typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text ?? '').join('')
}

describe('Claude Code through the compiled binary against a scripted upstream', () => {
  test('the pinned Claude Code CLI is installed', () => {
    expect(existsSync(CLAUDE)).toBe(true)
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tempDir('cc-home-'), DISABLE_AUTOUPDATER: '1' }
    const r = Bun.spawnSync([CLAUDE, '--version'], { env, stdin: 'ignore', timeout: 30_000 })
    expect(r.exitCode).toBe(0)
    expect(r.stdout.toString()).toContain(CLAUDE_VERSION)
  })

  // Sonnet 4.5 and Opus 5.5 (the CLI's default, which sends adaptive thinking) both map to BIG_MODEL_NAME.
  test.each(['claude-sonnet-4-5', 'claude-opus-5-5'])('%s: Write, Read, Edit, then two Reads in one turn; files and tool results match', async (claudeModel) => {
    const work = tempDir('cc-work-')
    const home = tempDir('cc-home-')
    const model = scriptedModel(work)
    writeFileSync(model.other, OTHER_CONTENT)
    upstream.setFallback(model.answer)
    const before = upstream.requests.length

    const run = await runClaude('Create notes.txt with alpha, change alpha to beta, then read notes.txt and other.txt.', claudeModel, work, home)
    const detail = `exit ${run.code} after ${run.ms} ms${run.timedOut ? ' (killed after timeout)' : ''}\nstderr: ${run.stderr.slice(-2000)}\nproxy: ${proxy.stderr().slice(-2000)}`
    if (run.code !== 0) throw new Error(detail)

    // The CLI finished cleanly with the model's final text.
    const result = run.events.find((e) => e.type === 'result')
    expect(result).toBeDefined()
    expect(result.is_error).toBe(false)
    expect(result.subtype).toBe('success')
    expect(result.result).toBe(FINAL_TEXT)
    expect(result.permission_denials).toEqual([])

    // Files on disk.
    expect(readFileSync(model.notes, 'utf8')).toBe('beta\n')
    expect(readFileSync(model.other, 'utf8')).toBe(OTHER_CONTENT)

    // The main loop ran every step once, in order, against the big model.
    expect(model.main.map((m) => m.step)).toEqual(['write', 'read', 'edit', 'parallel-read', 'final'])
    // Its requests after the first carry the tools (and system prompt) the first did: the proxy parsed them once.
    const metrics = (await (await fetch(`${proxy.url}/v1/metrics`)).json()) as { request_bodies: { reused_total: number; kept: { tools: number } } }
    expect(metrics.request_bodies.reused_total).toBeGreaterThanOrEqual(model.main.length - 1)
    expect(metrics.request_bodies.kept.tools).toBeGreaterThanOrEqual(1)
    const seen = upstream.requests.slice(before)
    for (const r of seen) expect(r.path).toBe('/v1/chat/completions')
    for (const side of model.side) expect(['fake-big', 'fake-small']).toContain(side.body?.model)

    for (const { req } of model.main) {
      const body = req.body
      expect(req.method).toBe('POST')
      expect(req.path).toBe('/v1/chat/completions')
      expect(req.headers.authorization).toBe('Bearer sk-upstream-test-key-0123456789')
      expect(body.model).toBe('fake-big')
      expect(body.stream).toBe(true)
      expect(body.stream_options).toEqual({ include_usage: true })
      expect(body.messages[0].role).toBe('system')
      expect(body.messages.slice(1).some((m: any) => m.role === 'system' || m.role === 'developer')).toBe(false)
      expect(body.messages[1].role).toBe('user')
      for (const t of body.tools) {
        expect(t.type).toBe('function')
        expect(typeof t.function.name).toBe('string')
        expect(t.function.parameters.type).toBe('object')
      }
      const names = body.tools.map((t: any) => t.function.name)
      for (const n of ['Read', 'Write', 'Edit', 'Bash']) expect(names).toContain(n)
      const edit = body.tools.find((t: any) => t.function.name === 'Edit').function.parameters
      expect(edit.required).toEqual(['file_path', 'old_string', 'new_string'])
    }

    // Every tool call in every request is answered by exactly one tool message, directly after it, in order.
    const answeredPerRequest = model.main.map(({ req }) => expectToolCallsAnswered(req.body.messages))
    expect(answeredPerRequest).toEqual([0, 1, 2, 3, 5])
    for (const side of model.side) if (Array.isArray(side.body?.messages)) expectToolCallsAnswered(side.body.messages)

    // Each step's tool calls come back to the model exactly as they were streamed.
    const last = model.main.at(-1)!.req.body.messages as any[]
    const assistants = last.filter((m) => m.role === 'assistant' && m.tool_calls?.length)
    expect(assistants.map((a) => a.tool_calls.map((c: any) => c.id))).toEqual(model.plan.map((p) => p.calls.map((c) => c.id)))
    for (const [k, a] of assistants.entries()) {
      const calls = model.plan[k].calls
      expect(a.tool_calls.map((c: any) => c.function.name)).toEqual(calls.map((c) => c.name))
      // Claude Code fills schema defaults (Edit's replace_all: false) into the input it echoes back.
      expect(a.tool_calls.map((c: any) => JSON.parse(c.function.arguments))).toMatchObject(calls.map((c) => c.args))
    }

    // Write and Edit succeeded; the Reads saw the right content.
    const written = toolContent(last, 'call_write_a1')
    const edited = toolContent(last, 'call_edit_c3')
    for (const c of [written, edited]) {
      expect(c.startsWith('Error')).toBe(false)
      expect(c).not.toMatch(/<tool_use_error>|no result was provided/i)
    }
    expect(written).toContain(model.notes)
    expect(edited).toContain(model.notes)
    expect(toolContent(last, 'call_read_b2')).toContain('alpha')

    // The parallel Reads: one assistant message with two calls, answered by two tool messages in that order.
    const parallelAt = last.findIndex((m) => m.role === 'assistant' && m.tool_calls?.length === 2)
    expect(parallelAt).toBeGreaterThan(0)
    expect(last[parallelAt].content).toContain('Reading both files.')
    const [first, second] = [last[parallelAt + 1], last[parallelAt + 2]]
    expect([first.role, second.role]).toEqual(['tool', 'tool'])
    expect([first.tool_call_id, second.tool_call_id]).toEqual(['call_read_d4', 'call_read_e5'])
    expect(toolContent(last, 'call_read_d4')).toContain('beta')
    expect(toolContent(last, 'call_read_d4')).not.toContain('alpha')
    expect(toolContent(last, 'call_read_e5')).toContain(OTHER_CONTENT.trim())

    // What the CLI itself reports: the same tool uses, none failed.
    const uses = run.events.filter((e) => e.type === 'assistant').flatMap((e) => e.message.content).filter((b: any) => b.type === 'tool_use')
    expect(uses.map((u: any) => u.id)).toEqual(model.plan.flatMap((p) => p.calls.map((c) => c.id)))
    const results = run.events.filter((e) => e.type === 'user').flatMap((e) => (Array.isArray(e.message?.content) ? e.message.content : [])).filter((b: any) => b.type === 'tool_result')
    expect(results.map((r: any) => r.tool_use_id).sort()).toEqual(uses.map((u: any) => u.id).sort())
    for (const r of results) expect(r.is_error ?? false).toBe(false)

    // The proxy logged every request as complete.
    const logged = proxy.stderr().split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l))
    const mine = logged.filter((l) => l.path === '/v1/messages' && l.model === claudeModel)
    expect(mine.length).toBeGreaterThanOrEqual(model.main.length)
    for (const l of mine) {
      expect(l.upstream_model).toBe('fake-big')
      expect(l.outcome).toBe('complete')
    }
  }, 120_000)
})
