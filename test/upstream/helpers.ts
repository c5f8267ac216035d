import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A small Messages request. */
export const ask = (extra: object = {}) => ({ model: 'claude-opus-5-5', max_tokens: 256, messages: [{ role: 'user', content: 'hello' }], ...extra })

/** An Anthropic error body. */
export type ErrorBody = { type: string; error: { type: string; message: string }; request_id: string }

/** A loopback port that was bound and then closed: connecting to it is refused. */
export async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

/** Polls `check` every 10 ms until it is true; fails after `limitMs` (a bound, not a timing assertion). */
export async function until(check: () => boolean, limitMs = 3000): Promise<void> {
  const end = Date.now() + limitMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await Bun.sleep(10)
  }
}
