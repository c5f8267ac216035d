import { describe, expect, test } from 'bun:test'
import { IdleWork } from '../../src/proxy/idle-work'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('IdleWork', () => {
  test('warms once after start-up, and collects only once nothing has been in flight for idleMs', async () => {
    let inFlight = 0
    let warmed = 0
    let collected = 0
    const idle = new IdleWork({ inFlight: () => inFlight, warm: () => warmed++, collect: () => collected++, warmAfterMs: 5, idleMs: 40, minGapMs: 0 })
    try {
      await sleep(20)
      expect(warmed).toBe(1)
      expect(collected).toBe(0)
      inFlight = 1
      idle.requestDone()
      await sleep(80)
      expect(collected).toBe(0) // a request was still in flight when the timer fired
      inFlight = 0
      idle.requestDone()
      await sleep(15)
      idle.requestDone() // more traffic pushes the collection back
      await sleep(30)
      expect(collected).toBe(0)
      await sleep(60)
      expect(collected).toBe(1)
      await sleep(60)
      expect(collected).toBe(1) // nothing happened since: no second collection
      expect(warmed).toBe(1)
    } finally {
      idle.close()
    }
  })

  test('the warm-up waits for a moment with nothing in flight', async () => {
    let inFlight = 2
    let warmed = 0
    const idle = new IdleWork({ inFlight: () => inFlight, warm: () => warmed++, collect: () => {}, warmAfterMs: 5, idleMs: 1_000, minGapMs: 0 })
    try {
      await sleep(40)
      expect(warmed).toBe(0)
      inFlight = 0
      await sleep(40)
      expect(warmed).toBe(1)
      await sleep(20)
      expect(warmed).toBe(1)
    } finally {
      idle.close()
    }
  })

  test('collections are at least minGapMs apart; close stops everything', async () => {
    let collected = 0
    let warmed = 0
    const idle = new IdleWork({ inFlight: () => 0, warm: () => warmed++, collect: () => collected++, warmAfterMs: 1_000, idleMs: 5, minGapMs: 150 })
    idle.requestDone()
    await sleep(40)
    expect(collected).toBe(1)
    idle.requestDone()
    await sleep(40)
    expect(collected).toBe(1)
    idle.close()
    await sleep(150)
    expect(collected).toBe(1)
    expect(warmed).toBe(0)
  })
})
