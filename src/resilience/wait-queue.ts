/**
 * Strict FIFO queue of requests waiting for a rate-limit permit, with deadlines. Pure: the caller passes the
 * time and arms one timer for nextWakeMs(). A typical wake:
 *
 *   for (const w of queue.expired(now)) reject(w)
 *   for (const { item, permit } of queue.next(now, (w) => limiter.tryAcquire(w.tokens))) resolve(item, permit)
 *   arm(queue.nextWakeMs())
 */

/** What the admit function answers for one waiter (the shape of RateLimiter.tryAcquire). */
export type Admission<P> = { ok: true; permit: P } | { ok: false; waitMs: number }

interface Entry<T> { ticket: number; item: T; deadline: number; live: boolean }

/** FIFO of waiters: admitted strictly in order, dropped at their deadline or on remove(). */
export class WaitQueue<T> {
  #entries: Entry<T>[] = []
  #head = 0
  #live = 0
  #nextTicket = 1
  readonly #byTicket = new Map<number, Entry<T>>()
  #retryAt: number | null = null

  /** Waiters still queued. */
  get size(): number {
    return this.#live
  }

  /** Queues `item` until `deadlineMs` (absolute, same clock as `now`); returns a ticket for remove(). */
  enqueue(item: T, deadlineMs: number): number {
    const entry = { ticket: this.#nextTicket++, item, deadline: deadlineMs, live: true }
    this.#entries.push(entry)
    this.#byTicket.set(entry.ticket, entry)
    if (this.#live++ === 0) this.#retryAt = Number.NEGATIVE_INFINITY
    return entry.ticket
  }

  /** Drops a waiter (e.g. its client went away); false if it was no longer queued. */
  remove(ticket: number): boolean {
    const entry = this.#byTicket.get(ticket)
    if (entry === undefined) return false
    const wasHead = entry === this.#first()
    this.#drop(entry)
    if (wasHead && this.#live > 0) this.#retryAt = Number.NEGATIVE_INFINITY
    this.#first()
    return true
  }

  /**
   * Admits waiters from the front while `admit` says ok, stopping at the first it refuses (strict FIFO, so a
   * large request is never overtaken). Deadlines are not checked here: call expired(now) first.
   */
  next<P>(now: number, admit: (item: T) => Admission<P>): Array<{ item: T; permit: P }> {
    const admitted: Array<{ item: T; permit: P }> = []
    for (let entry = this.#first(); entry !== undefined; entry = this.#first()) {
      const answer = admit(entry.item)
      if (!answer.ok) {
        this.#retryAt = now + Math.max(0, answer.waitMs)
        return admitted
      }
      this.#drop(entry)
      admitted.push({ item: entry.item, permit: answer.permit })
    }
    this.#retryAt = null
    return admitted
  }

  /** Removes and returns, in queue order, every waiter whose deadline is at or before `now`. */
  expired(now: number): T[] {
    const out: T[] = []
    const head = this.#first()
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]
      if (entry.live && entry.deadline <= now) {
        out.push(entry.item)
        this.#drop(entry)
      }
    }
    if (head !== undefined && !head.live && this.#live > 0) this.#retryAt = Number.NEGATIVE_INFINITY
    this.#first()
    return out
  }

  /**
   * When to wake next: the earlier of the front waiter's retry time and the nearest deadline; null when the
   * queue is empty. A time at or before now means: call next() now.
   */
  nextWakeMs(): number | null {
    if (this.#live === 0) return null
    let wake = this.#retryAt ?? Number.POSITIVE_INFINITY
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]
      if (entry.live && entry.deadline < wake) wake = entry.deadline
    }
    return wake
  }

  #first(): Entry<T> | undefined {
    while (this.#head < this.#entries.length && !this.#entries[this.#head].live) this.#head++
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    }
    return this.#entries[this.#head]
  }

  #drop(entry: Entry<T>): void {
    entry.live = false
    this.#byTicket.delete(entry.ticket)
    this.#live--
  }
}
