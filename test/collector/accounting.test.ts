import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import * as Accounting from "../../src/internal/collector/accounting.js"

/** An outbox whose size the test sets. */
const sizedOutbox = (events: Ref.Ref<number>) => ({
  size: Effect.map(Ref.get(events), (n) => ({ batches: n === 0 ? 0 : 1, events: n, bytes: n * 100 }))
})

describe("accounting", () => {
  it("starts with the restored events accepted and outboxed", () => {
    const books = Accounting.make(sizedOutbox(Ref.unsafeMake(7)), 7)
    const stats = books.snapshot(0, false)
    expect(stats).toMatchObject({ accepted: 7, restored: 7, outboxed: 7, sent: 0, buffered: 0, tracked: 0 })
    expect(stats.dropped.total).toBe(0)
  })

  it.effect("commit applies the change and reads the outbox's size in the same step", () =>
    Effect.gen(function*() {
      const stored = yield* Ref.make(0)
      const books = Accounting.make(sizedOutbox(stored), 0)
      books.counters.accepted = 5
      yield* Ref.set(stored, 3)
      // before the commit the books still show the last committed size
      expect(books.snapshot(5, false).outboxed).toBe(0)
      yield* books.commit(() => {
        books.counters.sent += 2
      })
      const stats = books.snapshot(0, false)
      expect(stats).toMatchObject({ sent: 2, outboxed: 3, accepted: 5 })
      expect(stats.accepted).toBe(stats.sent + stats.buffered + stats.outboxed + stats.dropped.total)
    }))

  it("countPut counts evicted events as outboxFull and refused ones as sendFailed", () => {
    const books = Accounting.make(sizedOutbox(Ref.unsafeMake(0)), 0)
    books.countPut({ stored: false, evicted: 4, refused: 2 })
    books.countPut({ stored: true, evicted: 1, refused: 0 })
    const { dropped } = books.snapshot(0, false)
    expect(dropped).toMatchObject({ outboxFull: 5, sendFailed: 2, total: 7 })
  })

  it("dropped.total sums every reason and offline is passed through", () => {
    const books = Accounting.make(sizedOutbox(Ref.unsafeMake(0)), 0)
    const c = books.counters
    c.bufferOverflow = 1
    c.rejected = 2
    c.outboxFull = 3
    c.corrupted = 4
    c.sendFailed = 5
    c.unencodable = 6
    c.erased = 7
    const stats = books.snapshot(0, true)
    expect(stats.dropped.total).toBe(28)
    expect(stats.offline).toBe(true)
  })
})
