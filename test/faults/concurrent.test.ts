/**
 * Fault suite: several requests in flight. With the buffer holding more than one batch, the collector sends
 * up to eight consecutive batches at once; a receiver that hangs on some and fails others must still get
 * every event exactly once, each failing batch must take its own retry (or outbox) path, and the books and
 * the outbox must see the batches in the order they were taken. Real HTTP transport and loopback server,
 * simulated time (see `support/Loopback.ts`); jitter fixed at ×1, so retries wait 0.5, 1, 2 s.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Logger, LogLevel, Random } from "effect"
import * as TestServer from "../support/TestServer.js"
import * as Loopback from "./support/Loopback.js"
import { faultTestTimeout } from "./support/Timeouts.js"

const quietLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(Effect.withRandom(Random.fixed([0.5])), Logger.withMinimumLogLevel(LogLevel.Error))

/** Batches of 10, sent only when full (or flushed), a buffer large enough for the whole test. */
const startRig = (options: Loopback.RigOptions = {}) =>
  Loopback.start({ maxBatchSize: 10, maxBufferSize: 1_000, flushInterval: "1 hour", ...options })

const track = (rig: Loopback.Rig, count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, n) => n),
    (n) => rig.collector.track({ type: "chat.message", data: { n } }),
    { discard: true }
  )

const numbers = (payloads: ReadonlyArray<Loopback.Attempt | { readonly events: ReadonlyArray<{ readonly data: unknown }> }>) =>
  payloads.flatMap((p) => p.events.map((e) => (e.data as { readonly n: number }).n))

describe("fault: concurrent sends", () => {
  it.scoped("a hung and two failing requests among six in flight: each retried on its own, every event delivered once", () =>
    quietLogs(Effect.gen(function*() {
      const rig = yield* startRig()
      // Answers in the order requests arrive: the first batch goes alone and is accepted; of the six then
      // sent at once (the window holds eight) the first hangs (until the 10 s request timeout), the second
      // and fourth fail.
      yield* rig.server.script(
        TestServer.respond(200),
        TestServer.hang,
        TestServer.respond(503),
        TestServer.respond(200),
        TestServer.respond(503)
      )
      const t0 = yield* Clock.currentTimeMillis
      yield* track(rig, 70)
      yield* rig.advanceUntil(Effect.map(rig.stats, (s) => s.buffered === 0 && s.outboxed === 0))

      const attempts = yield* rig.attempts
      // The first batch, then the six others at once, before any of those answered.
      expect(attempts.filter((a) => a.sentAt === t0)).toHaveLength(7)
      const tries = new Map<string, number>()
      for (const a of attempts) tries.set(a.batchId, (tries.get(a.batchId) ?? 0) + 1)
      expect([...tries.values()].sort()).toEqual([1, 1, 1, 1, 2, 2, 2])
      const delivered = numbers(yield* rig.delivered)
      expect(delivered).toHaveLength(70)
      expect(new Set(delivered).size).toBe(70)
      const s = yield* rig.stats
      expect(s).toMatchObject({ accepted: 70, sent: 70, batches: 7, buffered: 0, outboxed: 0, offline: false })
      expect(s.dropped.total).toBe(0)
      expect(Loopback.balanced(s)).toBe(true)
    })), faultTestTimeout)

  it.scoped("a receiver failing every request in flight: the batches reach the outbox in order and leave it in order, once", () =>
    quietLogs(Effect.gen(function*() {
      const rig = yield* startRig({ maxAttempts: 2 })
      yield* rig.server.script(TestServer.respond(200)) // the first batch, alone; then the five others at once
      yield* rig.server.always(TestServer.respond(503))
      yield* track(rig, 60)
      yield* rig.advanceUntil(Effect.map(rig.stats, (s) => s.offline && s.buffered === 0))
      const down = yield* rig.stats
      expect(down).toMatchObject({ sent: 10, outboxed: 50 })
      expect(Loopback.balanced(down)).toBe(true)
      // Each of the five batches in flight was tried twice, under one id; none was sent after the outage began.
      const failed = (yield* rig.attempts).filter((a) => a.status === 503)
      expect(failed).toHaveLength(10)
      expect(new Set(failed.map((a) => a.batchId)).size).toBe(5)

      yield* rig.server.always(TestServer.respond(200))
      yield* rig.advanceUntil(Effect.map(rig.stats, (s) => !s.offline && s.outboxed === 0))
      const delivered = numbers(yield* rig.delivered)
      expect(delivered).toEqual(Array.from({ length: 60 }, (_, n) => n))
      const s = yield* rig.stats
      expect(s).toMatchObject({ accepted: 60, sent: 60, buffered: 0, outboxed: 0 })
      expect(Loopback.balanced(s)).toBe(true)
    })), faultTestTimeout)
})
