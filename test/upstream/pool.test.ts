import { expect, test } from 'bun:test'
import { ConnectionSlots, PoolTimeout } from '../../src/upstream/pool'

const never = new AbortController().signal

test('slots are granted up to the limit, then in arrival order as they are released', async () => {
  const slots = new ConnectionSlots(2)
  const a = await slots.acquire(1000, never)
  const b = await slots.acquire(1000, never)
  const order: string[] = []
  const c = slots.acquire(1000, never).then((r) => (order.push('c'), r))
  const d = slots.acquire(1000, never).then((r) => (order.push('d'), r))
  expect(slots.waiting).toBe(2)
  a()
  a() // a second release of the same slot does nothing
  const releaseC = await c
  expect(slots.waiting).toBe(1)
  b()
  const releaseD = await d
  expect(order).toEqual(['c', 'd'])
  expect(slots.inFlight).toBe(2)
  releaseC()
  releaseD()
  expect(slots.inFlight).toBe(0)
})

test('a waiter gives up after its timeout; timeout 0 never waits', async () => {
  const slots = new ConnectionSlots(1)
  const held = await slots.acquire(0, never)
  expect(await slots.acquire(20, never).catch((e) => e)).toBeInstanceOf(PoolTimeout)
  expect(await slots.acquire(0, never).catch((e) => e)).toBeInstanceOf(PoolTimeout)
  expect(slots.waiting).toBe(0)
  held()
  expect(slots.inFlight).toBe(0)
})

test('a waiter whose client leaves is dropped from the line', async () => {
  const slots = new ConnectionSlots(1)
  const held = await slots.acquire(0, never)
  const ctrl = new AbortController()
  const waiting = slots.acquire(1000, ctrl.signal).catch((e) => e)
  ctrl.abort(new Error('client left'))
  expect(((await waiting) as Error).message).toBe('client left')
  expect(slots.waiting).toBe(0)
  held()
  expect(slots.inFlight).toBe(0)
})
