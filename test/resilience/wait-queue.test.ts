import { describe, expect, test } from 'bun:test'
import { WaitQueue, type Admission } from '../../src/resilience/wait-queue.ts'
import { RateLimiter, type Permit } from '../../src/resilience/rate-limiter.ts'

const yes = (item: string): Admission<string> => ({ ok: true, permit: `permit-${item}` })

describe('WaitQueue', () => {
  test('admits in FIFO order', () => {
    const queue = new WaitQueue<string>()
    for (const name of ['a', 'b', 'c']) queue.enqueue(name, 10_000)
    expect(queue.next(0, yes)).toEqual([
      { item: 'a', permit: 'permit-a' }, { item: 'b', permit: 'permit-b' }, { item: 'c', permit: 'permit-c' },
    ])
    expect(queue.size).toBe(0)
    expect(queue.nextWakeMs()).toBeNull()
  })

  test('stops at the first waiter that cannot be admitted, even if later ones could (strict FIFO)', () => {
    const queue = new WaitQueue<{ name: string; tokens: number }>()
    queue.enqueue({ name: 'small', tokens: 1 }, 50_000)
    queue.enqueue({ name: 'big', tokens: 100 }, 50_000)
    queue.enqueue({ name: 'tiny', tokens: 1 }, 50_000)
    const asked: string[] = []
    const admitted = queue.next(1_000, (w) => {
      asked.push(w.name)
      return w.tokens > 10 ? { ok: false, waitMs: 2_500 } : { ok: true, permit: w.name }
    })
    expect(admitted.map((a) => a.item.name)).toEqual(['small'])
    expect(asked).toEqual(['small', 'big'])
    expect(queue.size).toBe(2)
    expect(queue.nextWakeMs()).toBe(3_500)
  })

  test('expired() removes waiters past their deadline, in order, wherever they are', () => {
    const queue = new WaitQueue<string>()
    queue.enqueue('a', 5_000)
    queue.enqueue('b', 1_000)
    queue.enqueue('c', 9_000)
    queue.enqueue('d', 2_000)
    expect(queue.next(0, () => ({ ok: false, waitMs: 10_000 }))).toEqual([])
    expect(queue.nextWakeMs()).toBe(1_000)
    expect(queue.expired(1_999)).toEqual(['b'])
    expect(queue.nextWakeMs()).toBe(2_000)
    expect(queue.expired(5_000)).toEqual(['a', 'd'])
    expect(queue.size).toBe(1)
    expect(queue.nextWakeMs()).toBeLessThanOrEqual(5_000)
    expect(queue.next(5_000, yes).map((a) => a.item)).toEqual(['c'])
  })

  test('remove() drops a waiter; removing the front one asks for an immediate wake', () => {
    const queue = new WaitQueue<string>()
    const a = queue.enqueue('a', 60_000)
    const b = queue.enqueue('b', 60_000)
    queue.enqueue('c', 60_000)
    queue.next(0, () => ({ ok: false, waitMs: 30_000 }))
    expect(queue.nextWakeMs()).toBe(30_000)
    expect(queue.remove(b)).toBe(true)
    expect(queue.remove(b)).toBe(false)
    expect(queue.nextWakeMs()).toBe(30_000)
    expect(queue.remove(a)).toBe(true)
    expect(queue.nextWakeMs()).toBeLessThanOrEqual(0)
    expect(queue.next(1, yes).map((x) => x.item)).toEqual(['c'])
  })

  test('a waiter enqueued into an empty queue asks for an immediate wake', () => {
    const queue = new WaitQueue<string>()
    queue.enqueue('a', 60_000)
    expect(queue.nextWakeMs()).toBeLessThanOrEqual(0)
  })

  test('drives a RateLimiter: waiters get permits in order as time passes', () => {
    const clock = { t: 0 }
    const limiter = new RateLimiter({ rpm: 60, tpm: 1_000_000, burst: 2, now: () => clock.t })
    const queue = new WaitQueue<number>()
    for (let i = 0; i < 6; i++) queue.enqueue(i, 3_500)
    const order: Array<[number, number]> = []
    const dropped: number[] = []
    for (let guard = 0; guard < 20 && queue.size > 0; guard++) {
      dropped.push(...queue.expired(clock.t))
      for (const { item } of queue.next<Permit>(clock.t, () => limiter.tryAcquire(10))) order.push([item, clock.t])
      const wake = queue.nextWakeMs()
      if (wake !== null) clock.t = Math.max(clock.t, wake)
    }
    expect(order).toEqual([[0, 0], [1, 0], [2, 1_000], [3, 2_000], [4, 3_000]])
    expect(dropped).toEqual([5])
  })

  test('stays compact over many waiters', () => {
    const queue = new WaitQueue<number>()
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) queue.enqueue(i, 1e12)
      expect(queue.next(round, (x) => ({ ok: true, permit: x })).length).toBe(100)
    }
    expect(queue.size).toBe(0)
  })
})
