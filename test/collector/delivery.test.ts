import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, TestClock } from "effect"
import * as Accounting from "../../src/internal/collector/accounting.js"
import * as Delivery from "../../src/internal/collector/delivery.js"
import * as Pending from "../../src/internal/collector/pending.js"
import * as Outbox from "../../src/services/Outbox.js"
import { Transport } from "../../src/transports/Transport.js"
import { delay, fail, hang, makeScripted, ok } from "../support/ScriptedTransport.js"

const defaults: Delivery.DeliveryOptions = {
  maxBatchSize: 4,
  maxBufferSize: 8,
  flushInterval: Duration.seconds(30),
  shutdownTimeout: Duration.seconds(1),
  flushTimeout: Duration.minutes(5),
  maxAttempts: 3,
  retryBaseDelay: Duration.seconds(1),
  retryMaxDelay: Duration.seconds(4)
}

const setup = (overrides: Partial<Delivery.DeliveryOptions> = {}) => Effect.gen(function*() {
  const options: Delivery.DeliveryOptions = { ...defaults, ...overrides }
  const scripted = yield* makeScripted
  const transport = yield* Effect.provide(Transport, scripted.layer)
  const outbox = yield* Outbox.make(Outbox.defaultOptions).pipe(Effect.provide(KeyValueStore.layerMemory))
  const pending = Pending.make(options.maxBufferSize)
  const accounting = Accounting.make(outbox, 0)
  const clock = yield* Effect.clock
  const delivery = yield* Delivery.make(options, { clock, transport, outbox, pending, accounting })
  const push = (n: number) => {
    for (let i = 0; i < n; i++) {
      const seq = pending.nextSeq()
      pending.buffer.push({ seq, type: "chat.message", timestamp: seq, sessionId: "s", userId: undefined, data: { n: seq }, tags: undefined })
      accounting.counters.accepted++
      delivery.buffered(pending.buffer.length)
    }
  }
  const stats = Effect.map(delivery.offline, (offline) => accounting.snapshot(pending.count(), offline))
  return { ...scripted, delivery, outbox, push, stats }
})

const balanced = (s: Accounting.Stats) => expect(s.accepted).toBe(s.sent + s.buffered + s.outboxed + s.dropped.total)

describe("delivery", () => {
  it.effect("a batch the receiver finds too large is split in halves, sent first, under derived ids", () =>
    Effect.gen(function*() {
      const { batches, delivery, push, script, stats } = yield* setup()
      yield* script(fail({ reason: "tooLarge", retryable: false, status: 413 }))
      push(4)
      yield* delivery.flush
      const sent = yield* batches
      expect(sent.map((b) => b.events.length)).toEqual([2, 2])
      expect(sent[0]!.batchId.endsWith(".0") && sent[1]!.batchId.endsWith(".1")).toBe(true)
      const s = yield* stats
      expect(s).toMatchObject({ sent: 4, outboxed: 0 })
      balanced(s)
    }))

  it.effect("an event the transport cannot encode is isolated by bisection: only it is dropped", () =>
    Effect.gen(function*() {
      const { delivery, events, push, script, stats } = yield* setup()
      const encode = fail({ reason: "encode", retryable: false })
      // the batch of 4, then its first half, then the event n=0 alone
      yield* script(encode, encode, encode)
      push(4)
      yield* delivery.flush
      expect((yield* events).map((e) => e.data.n)).toEqual([1, 2, 3])
      const s = yield* stats
      expect(s.dropped.unencodable).toBe(1)
      balanced(s)
    }))

  it.effect("a batch failing every attempt goes to the outbox; offline, later batches go there without a send", () =>
    Effect.gen(function*() {
      const { always, attempts, delivery, push, stats } = yield* setup()
      yield* always(fail())
      push(1)
      const flushing = yield* Effect.fork(delivery.flush)
      // small steps, so the flush ends before the offline probe falls due
      while ((yield* Fiber.poll(flushing))._tag === "None") yield* TestClock.adjust("100 millis")
      expect((yield* attempts).length).toBe(3)
      push(2)
      yield* delivery.flush
      expect((yield* attempts).length).toBe(3)
      const s = yield* stats
      expect(s).toMatchObject({ offline: true, outboxed: 3, buffered: 0 })
      balanced(s)
    }))

  it.effect("the buffer filling up while a batch is retried abandons the retries: the batch is stored", () =>
    Effect.gen(function*() {
      const { always, attempts, delivery, push, stats } = yield* setup()
      yield* always(fail())
      push(4)
      const flushing = yield* Effect.fork(delivery.flush)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect((yield* attempts).length).toBe(1)
      push(6) // past 3/4 of the buffer's 8
      yield* Fiber.join(flushing)
      expect((yield* attempts).length).toBe(1)
      const s = yield* stats
      expect(s.offline).toBe(true)
      expect(s.outboxed).toBe(10)
      balanced(s)
    }))

  it.effect("a slow receiver is never abandoned on a first attempt, however full the buffer: never offline, nothing stored", () =>
    Effect.gen(function*() {
      const { always, attempts, delivery, push, stats } = yield* setup()
      yield* always(delay(1_000)) // every attempt answers, after 1 s
      push(4)
      const flushing = yield* Effect.fork(delivery.flush)
      // Waits for an event, not a margin: the n-th attempt under way, or the flush over (it never is early here).
      const attemptStarted = (n: number) =>
        Effect.gen(function*() {
          while ((yield* attempts).length < n && (yield* Fiber.poll(flushing))._tag === "None") yield* Effect.yieldNow()
        })
      yield* attemptStarted(1)
      push(7) // past 3/4 of the buffer's 8 while the first batch is in flight
      const during = yield* stats
      expect(during).toMatchObject({ offline: false, outboxed: 0 })
      for (let n = 2; (yield* Fiber.poll(flushing))._tag === "None"; n++) {
        yield* TestClock.adjust("1 second") // the attempt under way answers; the drain takes the next batch
        yield* attemptStarted(Math.min(n, 4))
        if (n === 2) push(3) // the buffer is past 3/4 again, during this batch's first attempt
        const s = yield* stats
        expect(s).toMatchObject({ offline: false, outboxed: 0 })
        balanced(s)
      }
      const tries = yield* attempts
      expect(tries.map((a) => a.outcome)).toEqual(["delay", "delay", "delay", "delay"])
      expect(new Set(tries.map((a) => a.batchId)).size).toBe(4) // each batch sent once
      expect(tries.flatMap((a) => a.ids)).toHaveLength(14)
      const s = yield* stats
      expect(s).toMatchObject({ offline: false, sent: 14, buffered: 0, outboxed: 0 })
      expect(s.dropped.total).toBe(0)
      balanced(s)
    }))

  it.effect("a first attempt failing while the buffer is past 3/4 is not retried: the batch is stored", () =>
    Effect.gen(function*() {
      const { always, attempts, delivery, push, stats } = yield* setup({ maxBatchSize: 2 })
      yield* always(fail())
      push(8) // the flush takes 2, leaving 6: 3/4 of the buffer
      const flushing = yield* Effect.fork(delivery.flush)
      while ((yield* Fiber.poll(flushing))._tag === "None") yield* TestClock.adjust("100 millis")
      expect((yield* attempts).length).toBe(1)
      const s = yield* stats
      expect(s).toMatchObject({ offline: true, outboxed: 8, buffered: 0 })
      balanced(s)
    }))

  it.effect("sends cut short while several are in flight go to the front of the outbox, oldest first", () =>
    Effect.gen(function*() {
      const { always, attempts, delivery, events, push, script, stats } = yield* setup({
        maxBufferSize: 12,
        flushTimeout: Duration.seconds(1)
      })
      yield* script(ok) // the first batch goes alone; its answer lets the next two leave together
      yield* always(hang)
      push(12)
      const flushing = yield* Effect.fork(delivery.flush)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(flushing)
      expect((yield* attempts).length).toBe(3) // the last two were under way at once
      expect(yield* stats).toMatchObject({ sent: 4, buffered: 0, outboxed: 8, offline: false })
      yield* always(ok)
      yield* delivery.flush
      expect((yield* events).map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
      const s = yield* stats
      expect(s).toMatchObject({ sent: 12, outboxed: 0 })
      balanced(s)
    }))

  it.effect("with several batches in flight, a later one answering first is still settled after the earlier ones", () =>
    Effect.gen(function*() {
      const { delivery, push, script, stats } = yield* setup({ maxBufferSize: 16 })
      yield* script(ok, delay(2_000), ok, ok)
      push(16)
      const flushing = yield* Effect.fork(delivery.flush)
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      // the third and fourth answered, but the second has not: only the first is counted sent
      expect(yield* stats).toMatchObject({ sent: 4, buffered: 12 })
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(flushing)
      const s = yield* stats
      expect(s).toMatchObject({ sent: 16, batches: 4, buffered: 0 })
      balanced(s)
    }))

  it.effect("flushSync hands batches to a synchronous channel; what it refuses is stored", () =>
    Effect.gen(function*() {
      const { delivery, push, stats } = yield* setup()
      push(6)
      const seen: Array<number> = []
      yield* delivery.flushSync((batch) => (seen.push(batch.events.length), seen.length === 1))
      expect(seen).toEqual([4, 2])
      const s = yield* stats
      expect(s).toMatchObject({ sent: 4, batches: 1, outboxed: 2, buffered: 0 })
      balanced(s)
    }))

  it.effect("shutdown gives up a hung send at shutdownTimeout and stores the batch and the rest", () =>
    Effect.gen(function*() {
      const { always, delivery, push, stats } = yield* setup()
      yield* always(hang)
      push(6)
      const closing = yield* Effect.fork(delivery.shutdown)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(closing)
      const s = yield* stats
      expect(s).toMatchObject({ sent: 0, buffered: 0, outboxed: 6 })
      balanced(s)
    }))
})
