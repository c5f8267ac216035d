import { expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, parseDotEnv } from '../../src/config/load'
import { resolveProfile } from '../../src/translate/providers'

const dir = join(import.meta.dir, '..', '..', 'examples')
const EXPECTED: Record<string, string> = { openai: 'openai', openrouter: 'openrouter', deepseek: 'deepseek', xai: 'xai', groq: 'groq', gemini: 'gemini', azure: 'azure', ollama: 'ollama', vllm: 'generic' }

test('there is a ready .env for every documented provider', () => {
  expect(readdirSync(dir).filter((f) => f.endsWith('.env')).map((f) => f.slice(0, -4)).sort()).toEqual(Object.keys(EXPECTED).sort())
})

test.each(Object.entries(EXPECTED))('examples/%s.env loads and picks the %s profile', (name, profile) => {
  const r = loadConfig({ dotenv: parseDotEnv(readFileSync(join(dir, `${name}.env`), 'utf8')) })
  if (!r.ok) throw new Error(r.errors.join('\n'))
  expect(String(resolveProfile(r.config.UPSTREAM_PROVIDER, r.config.OPENAI_BASE_URL[0]).name)).toBe(profile)
})
