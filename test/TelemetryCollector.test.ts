import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Either, Exit, Fiber, Layer, Option, Random, Schema, Scope, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import { type TelemetryOptions, fromOptions } from "../src/schemas/TelemetryConfig.js"
import { InvalidEventError } from "../src/schemas/errors.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { layerWithTransport } from "../src/layers/TelemetryLayers.js"
import { type TelemetryEvent, TelemetryEvent as TelemetryEventSchema } from "../src/schemas/TelemetryEvent.js"
import { TransportError } from "../src/schemas/errors.js"
import * as Outbox from "../src/services/Outbox.js"
import { Transport } from "../src/transports/Transport.js"
import { Redactor } from "../src/services/Redactor.js"
import { Sampler } from "../src/services/Sampler.js"
import * as fixtures from "./collector/fixtures.js"
import { type Answer, delay, fail, hang, makeScripted, ok } from "./support/ScriptedTransport.js"
import { capturingWarnings } from "./support/Logs.js"

/** Builds the collector over a scripted transport (and an outbox in memory, unless given) in the test's scope. */
const start = (options: TelemetryOptions = {}, outbox?: Layer.Layer<Outbox.Outbox>) =>
  Effect.gen(function*() {
    const scripted = yield* makeScripted
    const config = yield* Effect.orDie(fromOptions({ retryBaseDelay: "1 second", ...options }))
    const context = yield* Layer.build(layerWithTransport(config, scripted.layer, outbox))
    return { collector: Context.get(context, TelemetryCollector), ...scripted }
  })

/** An outbox in memory whose every write and removal takes `latency` of (test) time, like a slow disk. */
const slowOutbox = (latency: Duration.DurationInput) =>
  Outbox.layer().pipe(
    Layer.provide(Layer.effect(
      KeyValueStore.KeyValueStore,
      Effect.map(KeyValueStore.KeyValueStore, (store) =>
        KeyValueStore.make({
          get: store.get,
          getUint8Array: store.getUint8Array,
          set: (key, value) => Effect.zipRight(Effect.sleep(latency), store.set(key, value)),
          remove: (key) => Effect.zipRight(Effect.sleep(latency), store.remove(key)),
          clear: store.clear,
          size: store.size
        }))
    )),
    Layer.provide(KeyValueStore.layerMemory)
  )

/** Lets forked fibers (the flush loop) run what they were woken for. */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

const balanced = (s: TelemetryCollector.Stats) => {
  expect(s.accepted).toBe(s.sent + s.buffered + s.outboxed + s.dropped.total)
  expect(s.tracked).toBe(s.accepted - s.restored + s.sampledOut + s.disabled)
}

const chat = (n: number) => ({ type: "chat.message", data: { n } })

describe("TelemetryCollector", () => {
  it.scoped("enriches an event with id, Clock time, session and kind, and redacts it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const { collector, events } = yield* start()
      yield* collector.track({ type: "error.timeout", data: { note: "mail me at ann@example.com", n: 1 } })
      yield* collector.flush
      const [event] = yield* events
      const session = yield* collector.currentSession
      expect(event).toMatchObject({
        type: "error.timeout",
        kind: "error",
        timestamp: 1_700_000_000_000,
        sessionId: session.id,
        data: { note: "mail me at [REDACTED]", n: 1 }
      })
      expect(event!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    }))

  it.scoped("a caller-given timestamp and user are kept", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      yield* collector.track({ type: "chat.message", timestamp: 42, userId: "u1", tags: { plan: "pro" } })
      yield* collector.flush
      expect(yield* events).toMatchObject([{ timestamp: 42, userId: "u1", tags: { plan: "pro" }, kind: "custom" }])
    }))

  it.scoped("a full batch is sent at once, the rest after flushInterval", () =>
    Effect.gen(function*() {
      const { collector, batches } = yield* start({ maxBatchSize: 10, flushInterval: "30 seconds" })
      for (let i = 0; i < 25; i++) yield* collector.track(chat(i))
      yield* settle
      expect((yield* batches).map((b) => b.events.length)).toEqual([10, 10])
      yield* TestClock.adjust("29 seconds")
      expect((yield* batches).length).toBe(2)
      yield* TestClock.adjust("1 second")
      yield* settle
      const delivered = yield* batches
      expect(delivered.map((b) => b.events.length)).toEqual([10, 10, 5])
      expect(delivered.flatMap((b) => b.events.map((e) => e.data.n))).toEqual([...Array(25).keys()])
    }))

  it.scoped("a full buffer evicts the oldest events and counts them", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start({ maxBatchSize: 100, maxBufferSize: 5 })
      for (let i = 0; i < 8; i++) yield* collector.track(chat(i))
      const before = yield* collector.stats
      expect(before.dropped.bufferOverflow).toBe(3)
      expect(before.buffered).toBe(5)
      balanced(before)
      yield* collector.flush
      expect((yield* events).map((e) => e.data.n)).toEqual([3, 4, 5, 6, 7])
      balanced(yield* collector.stats)
    }))

  it.scoped("a transient failure is retried with backoff, keeping the batch id", () =>
    Effect.gen(function*() {
      const { attempts, collector, events, script } = yield* start({ retryBaseDelay: "1 second" })
      yield* script(fail(), fail(), ok)
      yield* collector.track(chat(1))
      const flushing = yield* Effect.fork(collector.flush)
      yield* settle
      expect((yield* attempts).length).toBe(1)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(flushing)
      const tries = yield* attempts
      expect(tries.map((a) => a.outcome)).toEqual(["fail", "fail", "ok"])
      expect(new Set(tries.map((a) => a.batchId)).size).toBe(1)
      expect(new Set(tries.map((a) => a.ids.join())).size).toBe(1)
      // exponential with jitter (0.8–1.2×): ~1 s then ~2 s
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(800)
      expect(tries[1]!.at - tries[0]!.at).toBeLessThanOrEqual(1200)
      expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(1600)
      expect(yield* events).toHaveLength(1)
      expect((yield* collector.stats).sent).toBe(1)
    }))

  it.scoped("Retry-After is waited out before the next attempt", () =>
    Effect.gen(function*() {
      const { attempts, collector, script } = yield* start({ retryBaseDelay: "100 millis", flushTimeout: "1 minute" })
      yield* script(fail({ status: 429, retryAfterMillis: 7_000 }), ok)
      yield* collector.track(chat(1))
      const flushing = yield* Effect.fork(collector.flush)
      yield* TestClock.adjust("6999 millis")
      expect((yield* attempts).length).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(flushing)
      const tries = yield* attempts
      expect(tries.map((a) => a.at)).toEqual([0, 7_000])
    }))

  it.scoped("a permanent rejection is counted and never retried", () =>
    Effect.gen(function*() {
      const { attempts, collector, script } = yield* start()
      yield* script(fail({ status: 400, retryable: false }))
      yield* collector.track(chat(1))
      yield* collector.track(chat(2))
      yield* collector.flush
      expect(yield* attempts).toHaveLength(1)
      const s = yield* collector.stats
      expect(s.dropped.rejected).toBe(2)
      balanced(s)
    }))

  it.scoped("a batch still failing after maxAttempts goes to the outbox; offline, later batches are stored unsent", () =>
    Effect.gen(function*() {
      const { always, attempts, collector, events } = yield* start({
        maxAttempts: 3,
        maxBatchSize: 2,
        flushInterval: "1 hour",
        retryBaseDelay: "1 second",
        retryMaxDelay: "8 seconds"
      })
      yield* always(fail())
      for (let i = 0; i < 5; i++) yield* collector.track(chat(i))
      yield* TestClock.adjust("3500 millis") // attempts at 0, 1 s, 3 s (jitter fixed at 1×)
      yield* settle
      const tries = yield* attempts
      expect(tries).toHaveLength(3)
      expect(new Set(tries.map((t) => t.batchId)).size).toBe(1)
      yield* collector.flush // offline: stores the rest without sending
      expect(yield* attempts).toHaveLength(3)
      const offline = yield* collector.stats
      expect(offline).toMatchObject({ offline: true, outboxed: 5, buffered: 0, sent: 0 })
      balanced(offline)
      // probes back off 1 s, 2 s, 4 s, 8 s (capped) while the receiver stays down
      yield* TestClock.adjust("15 seconds")
      const probes = (yield* attempts).slice(3).map((t) => t.at)
      expect(probes.length).toBeGreaterThanOrEqual(3)
      expect(probes.slice(1).map((at, i) => Math.round(at - probes[i]!))).toEqual(
        [2_000, 4_000, 8_000].slice(0, probes.length - 1)
      )
      // the receiver is back: the next probe succeeds and the outbox drains oldest first
      yield* always(ok)
      yield* TestClock.adjust("8 seconds")
      expect((yield* events).map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4])
      const recovered = yield* collector.stats
      expect(recovered).toMatchObject({ offline: false, outboxed: 0, sent: 5 })
      balanced(recovered)
    }).pipe(Effect.withRandom(Random.fixed([0.5]))))

  it.scoped("a healthy but slow receiver is never taken for a dead one, however full the buffer gets", () => {
    const warnings: Array<string> = []
    return Effect.gen(function*() {
      const { always, attempts, collector } = yield* start({ maxBatchSize: 10, maxBufferSize: 40, flushInterval: "1 hour" })
      yield* always(delay(500)) // every attempt answers 200, after 0.5 s
      // Should an assertion fail, the final flush answers at once instead of waiting on the test clock.
      yield* Effect.addFinalizer(() => always(ok))
      let n = 0
      const burst = (count: number) => Effect.forEach(Array.from({ length: count }, () => n++), (i) => collector.track(chat(i)))
      yield* burst(40) // the whole buffer: the flush loop wakes for full batches
      for (let k = 1; k <= 12; k++) {
        // The k-th batch's first attempt is under way (waited for, not timed; a collector gone offline makes
        // no more attempts, and the assertions below then fail) ...
        while ((yield* attempts).length < k && (yield* collector.stats).outboxed === 0) yield* Effect.yieldNow()
        // ... while the buffer is refilled past 3/4 (30 of 40); then the receiver answers.
        if (n < 120) yield* burst(10)
        const s = yield* collector.stats
        expect(s).toMatchObject({ offline: false, outboxed: 0 })
        balanced(s)
        yield* TestClock.adjust("500 millis")
      }
      yield* settle
      const tries = yield* attempts
      expect(tries.every((a) => a.outcome === "delay")).toBe(true)
      expect(new Set(tries.map((a) => a.batchId)).size).toBe(tries.length) // each batch sent once
      expect(new Set(tries.flatMap((a) => a.ids)).size).toBe(120)
      const s = yield* collector.stats
      expect(s).toMatchObject({ offline: false, sent: 120, buffered: 0, outboxed: 0 })
      expect(s.dropped.total).toBe(0)
      expect(warnings.filter((w) => w.includes("unreachable"))).toEqual([])
    }).pipe(Effect.provide(capturingWarnings(warnings)))
  })

  it.scoped("a batch the server finds too large is split in halves with derived batch ids", () =>
    Effect.gen(function*() {
      const { attempts, batches, collector, script } = yield* start({ maxBatchSize: 4 })
      yield* script(fail({ reason: "tooLarge", status: 413, retryable: false }))
      for (let i = 0; i < 4; i++) yield* collector.track(chat(i))
      yield* collector.flush
      const [first] = yield* attempts
      expect((yield* batches).map((b) => b.batchId)).toEqual([`${first!.batchId}.0`, `${first!.batchId}.1`])
      expect((yield* batches).map((b) => b.events.length)).toEqual([2, 2])
      expect((yield* collector.stats).sent).toBe(4)
    }))

  it.scoped("concurrent flush triggers send each event once, batches started in the order tracked", () =>
    Effect.gen(function*() {
      const { always, attempts, batches, collector } = yield* start({ maxBatchSize: 5 })
      yield* always({ _tag: "delay", millis: 1_000 } satisfies Answer)
      const flushes: Array<Fiber.RuntimeFiber<void>> = []
      for (let i = 0; i < 23; i++) {
        yield* collector.track(chat(i))
        if (i % 4 === 0) flushes.push(yield* Effect.fork(collector.flush))
      }
      yield* TestClock.adjust("1 minute")
      yield* Fiber.joinAll(flushes)
      const delivered = (yield* batches).flatMap((b) => b.events)
      const byN = [...delivered].sort((a, b) => Number(a.data.n) - Number(b.data.n))
      expect(byN.map((e) => e.data.n)).toEqual([...Array(23).keys()])
      // Up to eight requests are in flight: they start in order, and may complete in any (as on a network).
      expect((yield* attempts).flatMap((a) => a.ids)).toEqual(byN.map((e) => e.id))
    }))

  it.scoped("the scope's close runs a final flush", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { collector, events } = yield* Scope.extend(start(), scope)
      yield* collector.track(chat(1))
      expect(yield* events).toHaveLength(0)
      yield* Scope.close(scope, Exit.void)
      expect(yield* events).toHaveLength(1)
    }))

  it.scoped("flushSync hands batches to a synchronous channel; what it refuses goes to the outbox", () =>
    Effect.gen(function*() {
      const { attempts, collector } = yield* start({ maxBatchSize: 3 })
      for (let i = 0; i < 7; i++) yield* collector.track(chat(i))
      const beacons: Array<ReadonlyArray<unknown>> = []
      yield* collector.flushSync((batch) => {
        beacons.push(batch.events.map((e) => e.data.n))
        return beacons.length !== 2
      })
      expect(beacons).toEqual([[0, 1, 2], [3, 4, 5], [6]])
      expect(yield* attempts).toHaveLength(0)
      const s = yield* collector.stats
      expect(s).toMatchObject({ sent: 4, outboxed: 3, buffered: 0 })
      balanced(s)
    }))

  it.scoped("a hung transport cannot hold the close past shutdownTimeout; the batch is kept in the outbox", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { always, collector } = yield* Scope.extend(start({ shutdownTimeout: "5 seconds" }), scope)
      yield* always(hang)
      yield* collector.track(chat(1))
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(closing)
      const s = yield* collector.stats
      expect(s.buffered).toBe(0)
      expect(s.outboxed).toBe(1)
      balanced(s)
    }))

  it.scoped("invalid input fails with a typed error naming the path, and the collector keeps working", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      const cyclic: Record<string, unknown> = { a: 1 }
      cyclic.self = cyclic
      let deep: Record<string, unknown> = {}
      for (let i = 0; i < 100; i++) deep = { d: deep }
      const cases: ReadonlyArray<readonly [unknown, ReadonlyArray<string | number>]> = [
        [null, []],
        [42, []],
        ["chat", []],
        [{}, ["type"]],
        [{ type: "" }, ["type"]],
        [{ type: "a".repeat(200) }, ["type"]],
        [{ type: "has spaces" }, ["type"]],
        [{ type: "x", data: { f: () => 1 } }, ["data", "f"]],
        [{ type: "x", data: { n: Number.NaN } }, ["data", "n"]],
        [{ type: "x", data: { list: [1, Infinity] } }, ["data", "list", 1]],
        [{ type: "x", data: cyclic }, ["data", "self"]],
        [{ type: "x", data: deep }, ["data", ...Array(32).fill("d")]],
        [{ type: "x", data: { big: "x".repeat(1_000_000) } }, ["data"]],
        [{ type: "x", data: { when: new Date() } }, ["data", "when"]],
        [{ type: "x", data: [1, 2] }, ["data"]],
        [{ type: "x", timestamp: Number.NaN }, ["timestamp"]],
        [{ type: "x", props: {} }, ["props"]]
      ]
      yield* collector.track(chat(0))
      for (const [input, path] of cases) {
        const error = yield* Effect.flip(collector.trackUnknown(input))
        expect(error).toBeInstanceOf(InvalidEventError)
        expect(error.issues.map((i) => i.path)).toContainEqual(path)
        yield* collector.track(chat(1))
      }
      yield* collector.flush
      expect(yield* events).toHaveLength(cases.length + 1)
      const s = yield* collector.stats
      expect(s.invalid).toBe(cases.length)
      balanced(s)
    }))

  it.scoped("opted-out events are counted as disabled; opting in resumes", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      yield* collector.optOut
      expect(yield* collector.isEnabled).toBe(false)
      yield* collector.track(chat(1))
      yield* collector.optIn
      yield* collector.track(chat(2))
      yield* collector.flush
      expect((yield* events).map((e) => e.data.n)).toEqual([2])
      expect((yield* collector.stats).disabled).toBe(1)
    }))

  it.scoped("TELEMETRY_ENABLED=false starts disabled", () =>
    Effect.gen(function*() {
      const { collector } = yield* start({ enabled: false })
      expect(yield* collector.isEnabled).toBe(false)
    }))

  it.scoped("sampled-out events are counted; error and session events are always kept", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start({ sampling: "probabilistic", samplingRate: 0.5 })
      for (let i = 0; i < 1_000; i++) yield* collector.track(chat(i))
      yield* collector.track({ type: "error.crash" })
      yield* collector.flush
      const delivered = yield* events
      const s = yield* collector.stats
      expect(s.sampledOut).toBeGreaterThan(400)
      expect(s.sampledOut).toBeLessThan(600)
      expect(delivered.filter((e) => e.type === "chat.message")).toHaveLength(1_000 - s.sampledOut)
      expect(delivered.at(-1)!.type).toBe("error.crash")
      balanced(s)
    }).pipe(Effect.withRandom(Random.make("collector"))))

  it.scoped("sessions: events carry the session and its user; session.end measures the duration", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      const session = yield* collector.startSession({ userId: "u-7" })
      yield* collector.track(chat(1))
      yield* TestClock.adjust("90 seconds")
      const ended = yield* collector.endSession
      expect(ended.id).toBe(session.id)
      expect((yield* collector.currentSession).id).not.toBe(session.id)
      yield* collector.flush
      const delivered = yield* events
      expect(delivered.map((e) => e.type)).toEqual(["session.start", "chat.message", "session.end"])
      expect(delivered[1]).toMatchObject({ sessionId: session.id, userId: "u-7" })
      expect(delivered[2]!.data).toMatchObject({ sessionId: session.id, durationMs: 90_000 })
    }))

  it.scoped("exportUserData returns the user's held events; eraseUserData removes and counts them", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      yield* collector.track({ type: "chat.message", userId: "alice", data: { n: 1 } })
      yield* collector.track({ type: "chat.message", userId: "bob", data: { n: 2 } })
      yield* collector.track({ type: "chat.message", userId: "alice", data: { n: 3 } })
      const exported = yield* collector.exportUserData("alice")
      expect(exported.events.map((e) => e.data.n)).toEqual([1, 3])
      expect(yield* collector.eraseUserData("alice")).toEqual({ erased: 2 })
      yield* collector.flush
      expect((yield* events).map((e) => e.userId)).toEqual(["bob"])
      const s = yield* collector.stats
      expect(s.dropped.erased).toBe(2)
      balanced(s)
    }))

  it.effect("accounting holds under any interleaving of track, flush, failures and time", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.record({ op: fc.constant("track" as const), n: fc.integer({ min: 1, max: 30 }) }),
              fc.record({ op: fc.constant("invalid" as const) }),
              fc.record({ op: fc.constant("flush" as const) }),
              fc.record({ op: fc.constant("answer" as const), answer: fc.constantFrom<Answer>(ok, fail(), fail({ retryable: false }), fail({ reason: "tooLarge", retryable: false })) }),
              fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 0, max: 40 }) })
            ),
            { maxLength: 25 }
          ),
          (steps) =>
            Effect.gen(function*() {
              const scope = yield* Scope.make()
              const { always, collector, events } = yield* Scope.extend(
                start({ maxBatchSize: 7, maxBufferSize: 20, maxAttempts: 2 }),
                scope
              )
              let n = 0
              for (const step of steps) {
                switch (step.op) {
                  case "track":
                    for (let i = 0; i < step.n; i++) yield* collector.track(chat(n++))
                    break
                  case "invalid":
                    yield* Effect.flip(collector.trackUnknown({ type: 7 }))
                    break
                  case "flush":
                    yield* Effect.fork(collector.flush)
                    break
                  case "answer":
                    yield* always(step.answer)
                    break
                  case "wait":
                    yield* TestClock.adjust(`${step.seconds} seconds`)
                    break
                }
                yield* settle
                balanced(yield* collector.stats)
              }
              // the receiver recovers: everything held is delivered, then the scope closes
              yield* always(ok)
              yield* TestClock.adjust("10 minutes")
              yield* settle
              const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
              yield* TestClock.adjust("10 minutes")
              yield* Fiber.join(closing)
              const final = yield* collector.stats
              balanced(final)
              expect(final.buffered).toBe(0)
              expect(final.outboxed).toBe(0)
              const delivered = (yield* events).map((e) => e.id)
              expect(new Set(delivered).size).toBe(delivered.length)
              expect(final.sent).toBe(delivered.length)
            }).pipe(Effect.provide(TestContext.TestContext), Effect.runPromise)
        ),
        { numRuns: 60 }
      )
    ))
})

/** A transport delivering to memory that dies on events whose data says `explode` (as a throwing encoder would). */
const explodingTransport = (delivered: Array<TelemetryEvent>, failure: "die" | "encode") =>
  Layer.succeed(Transport, {
    send: (batch) =>
      Effect.suspend(() => {
        if (batch.events.some((e) => e.data.explode === true)) {
          return failure === "die"
            ? Effect.die(new RangeError("The number 1e+306 cannot be converted to a BigInt"))
            : Effect.fail(new TransportError({ reason: "encode", retryable: false, message: "cannot encode" }))
        }
        return Effect.sync(() => {
          delivered.push(...batch.events)
        })
      })
  })


describe("TelemetryCollector under faults", () => {
  for (const failure of ["die", "encode"] as const) {
    it.scoped(`a transport that ${failure === "die" ? "dies on" : "cannot encode"} one event drops only that event, counted as unencodable`, () =>
      Effect.gen(function*() {
        const delivered: Array<TelemetryEvent> = []
        const config = yield* Effect.orDie(fromOptions({ maxBatchSize: 8, flushInterval: "1 hour" }))
        const context = yield* Layer.build(layerWithTransport(config, explodingTransport(delivered, failure)))
        const collector = Context.get(context, TelemetryCollector)
        for (let n = 0; n < 8; n++) yield* collector.track({ type: "chat.message", data: { n, explode: n === 5 } })
        yield* collector.flush
        expect(delivered.map((e) => e.data.n).sort()).toEqual([0, 1, 2, 3, 4, 6, 7])
        const s = yield* collector.stats
        expect(s).toMatchObject({ sent: 7, buffered: 0, outboxed: 0, offline: false })
        expect(s.dropped).toMatchObject({ unencodable: 1, rejected: 0, total: 1 })
        balanced(s)
      }))
  }

  it.scoped("a 413 split interrupted by the scope closing stores each event once", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { collector, script } = yield* Scope.extend(start({ maxBatchSize: 8 }, slowOutbox("1 second")), scope)
      yield* script(fail({ reason: "tooLarge", status: 413, retryable: false }), { _tag: "hang" })
      for (let n = 0; n < 8; n++) yield* collector.track(chat(n))
      // The flush fiber is writing the halves to the (slow) outbox when the scope starts closing.
      const flushing = yield* Effect.fork(collector.flush)
      yield* TestClock.adjust("500 millis")
      const closing = yield* Effect.fork(Fiber.interrupt(flushing))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(closing)
      const s = yield* collector.stats
      expect(s.outboxed).toBe(8)
      expect(s.buffered).toBe(0)
      balanced(s)
    }))

  it.scoped("stats read from another fiber while batches settle always balance", () =>
    Effect.gen(function*() {
      const { always, collector } = yield* start(
        { maxBatchSize: 5, flushInterval: "1 hour", maxAttempts: 1, retryBaseDelay: "1 second" },
        slowOutbox("100 millis")
      )
      const snapshots: Array<TelemetryCollector.Stats> = []
      /**
       * Reads the books from another fiber while time moves in small steps (a read may wait for a step
       * under way to end), checking each snapshot, until `done`.
       */
      const readUntil = (done: (s: TelemetryCollector.Stats) => boolean) =>
        Effect.gen(function*() {
          for (let reads = 1; reads <= 1_000; reads++) {
            const reading = yield* Effect.fork(collector.stats)
            let s = yield* Fiber.poll(reading)
            while (Option.isNone(s)) {
              yield* TestClock.adjust("10 millis")
              s = yield* Fiber.poll(reading)
            }
            const snapshot = yield* s.value
            snapshots.push(snapshot)
            balanced(snapshot)
            if (done(snapshot)) return
            yield* TestClock.adjust("10 millis")
          }
          return yield* Effect.dieMessage("not done after 1,000 reads")
        })
      yield* always(fail())
      for (let n = 0; n < 20; n++) yield* collector.track(chat(n))
      yield* Effect.fork(collector.flush)
      // the receiver is down: batches are written to the outbox, one slow write after another
      yield* readUntil((s) => s.outboxed === 20)
      // it is back: the next probe succeeds and the outbox drains, one slow removal after another
      yield* always(ok)
      yield* readUntil((s) => s.sent === 20)
      expect(yield* collector.stats).toMatchObject({ sent: 20, outboxed: 0, buffered: 0 })
      // the reads saw the work half done, in both directions
      expect(snapshots.some((s) => s.outboxed > 0 && s.buffered > 0)).toBe(true)
      expect(snapshots.some((s) => s.outboxed > 0 && s.sent > 0)).toBe(true)
    }))

  it.scoped("flush returns within flushTimeout against a receiver that never answers; the batch is kept", () =>
    Effect.gen(function*() {
      const { always, collector } = yield* start({ flushTimeout: "3 seconds", requestTimeout: "1 minute" })
      yield* always({ _tag: "hang" })
      yield* collector.track(chat(1))
      const flushing = yield* Effect.fork(collector.flush)
      yield* TestClock.adjust("2999 millis")
      expect(Option.isNone(yield* Fiber.poll(flushing))).toBe(true)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(Option.isSome(yield* Fiber.poll(flushing))).toBe(true)
      const s = yield* collector.stats
      expect(s).toMatchObject({ buffered: 0, outboxed: 1, sent: 0 })
      balanced(s)
      yield* always(ok) // so that closing the scope is not held by the hung receiver
    }))

  it.scoped("refused credentials keep batches in the outbox, warn once, and deliver everything once accepted", () => {
    const warnings: Array<string> = []
    return Effect.gen(function*() {
      const { always, attempts, collector, events } = yield* start({
        maxBatchSize: 2,
        flushInterval: "1 hour",
        retryBaseDelay: "1 second",
        retryMaxDelay: "4 seconds"
      })
      yield* always(fail({ reason: "unauthorized", status: 401, retryable: true }))
      for (let n = 0; n < 6; n++) yield* collector.track(chat(n))
      yield* collector.flush
      // no immediate retries of a refused credential: one attempt, then offline
      expect(yield* attempts).toHaveLength(1)
      const refused = yield* collector.stats
      expect(refused).toMatchObject({ offline: true, outboxed: 6, sent: 0 })
      expect(refused.dropped.total).toBe(0)
      yield* TestClock.adjust("20 seconds") // probes at 1, 3, 7, 11, 15, 19 s
      expect((yield* attempts).length).toBeGreaterThanOrEqual(5)
      expect(warnings.filter((m) => m.includes("credentials"))).toHaveLength(1)
      // the token is fixed: the next probe succeeds and everything is delivered
      yield* always(ok)
      yield* TestClock.adjust("4 seconds")
      expect((yield* events).map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4, 5])
      const recovered = yield* collector.stats
      expect(recovered).toMatchObject({ offline: false, outboxed: 0, sent: 6 })
      balanced(recovered)
    }).pipe(Effect.withRandom(Random.fixed([0.5])), Effect.provide(capturingWarnings(warnings)))
  })
})

describe("TelemetryCollector data as callers type it", () => {
  /** Shapes as application code declares them: interfaces, without index signatures, with optional fields. */
  interface Message {
    readonly role: string
    readonly text: string
    readonly note?: string
  }
  interface Turn {
    readonly messages: ReadonlyArray<Message>
    readonly model: string | undefined
  }

  it.scoped("undefined in data and tags is left out of the stored event, as JSON.stringify leaves it", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      const model: string | undefined = undefined
      yield* collector.track({
        type: "chat.message",
        data: { model, role: "user", nested: { gone: undefined, kept: 1 }, list: [1, undefined, 3] },
        tags: { plan: "pro", region: undefined }
      })
      yield* collector.track({ type: "chat.message", data: { maybe: undefined } })
      yield* collector.flush
      const [first, second] = yield* events
      expect(Object.keys(first!.data)).toEqual(["role", "nested", "list"])
      expect(first!.data).toEqual({ role: "user", nested: { kept: 1 }, list: [1, null, 3] })
      expect(Object.keys(first!.data["nested"]!)).toEqual(["kept"])
      expect(first!.tags).toEqual({ plan: "pro" })
      expect(Object.keys(first!.tags!)).toEqual(["plan"])
      expect(Object.keys(second!.data)).toEqual([])
      const s = yield* collector.stats
      expect(s.invalid).toBe(0)
      balanced(s)
    }))

  it.scoped("data typed by an interface, or with optional fields, compiles and is recorded", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      const turn: Turn = { messages: [{ role: "user", text: "hi" }, { role: "assistant", text: "hello", note: "short" }], model: undefined }
      const message: Message = turn.messages[0]!
      yield* collector.track({ type: "chat.turn", data: turn })
      yield* collector.track({ type: "chat.message", data: { message, length: message.text.length } })
      yield* collector.flush
      expect((yield* events).map((e) => e.data)).toEqual([
        { messages: [{ role: "user", text: "hi" }, { role: "assistant", text: "hello", note: "short" }] },
        { message: { role: "user", text: "hi" }, length: 2 }
      ])
    }))

  it.scoped("a function or a Date in data does not compile, and is refused at run time with its path", () =>
    Effect.gen(function*() {
      const { collector } = yield* start()
      // @ts-expect-error a function is not JSON data
      const fn = yield* Effect.flip(collector.track({ type: "x", data: { format: () => "x" } }))
      // @ts-expect-error a Date has methods: not JSON data (send `toISOString()`)
      const date = yield* Effect.flip(collector.track({ type: "x", data: { at: new Date(0) } }))
      expect(fn.issues.map((i) => i.path)).toContainEqual(["data", "format"])
      expect(date.issues.map((i) => i.path)).toContainEqual(["data", "at"])
      expect((yield* collector.stats).invalid).toBe(2)
    }))
})

describe("TelemetryCollector global context and identify", () => {
  const context = { release: "1.4.2", environment: "staging", globalTags: { team: "ai", region: "eu" } } as const
  const tagsOf = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "v"]))

  it.scoped("release, environment and global tags reach an event without tags of its own, as one shared frozen object", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start(context)
      yield* collector.track(chat(1))
      yield* collector.track(chat(2))
      yield* collector.flush
      const [first, second] = yield* events
      expect(first!.tags).toEqual({ release: "1.4.2", environment: "staging", team: "ai", region: "eu" })
      // No tags object per event on the hot path: the context is shared.
      expect(second!.tags).toBe(first!.tags)
      expect(Object.isFrozen(first!.tags)).toBe(true)
    }))

  it.scoped("an event's own tags are merged with the context, and win a clash", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start(context)
      yield* collector.track({ type: "chat.message", tags: { plan: "pro", team: "search", release: "canary" } })
      yield* collector.track(chat(1))
      yield* collector.flush
      const [own, plain] = yield* events
      expect(own!.tags).toEqual({ plan: "pro", team: "search", release: "canary", environment: "staging", region: "eu" })
      expect(plain!.tags).toEqual({ release: "1.4.2", environment: "staging", team: "ai", region: "eu" })
    }))

  it.scoped("merged tags never exceed 32: own tags first, then release and environment, then global tags while room remains", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start({ ...context, globalTags: tagsOf(16, "g") })
      yield* collector.track({ type: "chat.message", tags: tagsOf(29, "own") })
      yield* collector.track({ type: "chat.message", tags: tagsOf(32, "own") })
      yield* collector.track({ type: "chat.message", tags: tagsOf(31, "own") })
      yield* collector.flush
      const [room3, full, room1] = yield* events
      expect(Object.keys(room3!.tags!)).toEqual([...Object.keys(tagsOf(29, "own")), "release", "environment", "g0"])
      expect(full!.tags).toEqual(tagsOf(32, "own"))
      expect(Object.keys(room1!.tags!)).toEqual([...Object.keys(tagsOf(31, "own")), "release"])
      // The HTTP transport re-validates Tags when encoding: each event stays encodable.
      for (const event of [room3, full, room1]) {
        expect(Either.isRight(Schema.encodeUnknownEither(TelemetryEventSchema)(event))).toBe(true)
      }
    }))

  it.scoped("without a global context an event's tags are kept as given, and an event without tags has none", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      yield* collector.track({ type: "chat.message", tags: { plan: "pro" } })
      yield* collector.track(chat(1))
      yield* collector.flush
      const [tagged, plain] = yield* events
      expect(tagged!.tags).toEqual({ plan: "pro" })
      expect(plain!.tags).toBeUndefined()
    }))

  it.scoped("identify names the session's user for later events and tracks session.identify with the traits, without rotating", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_000)
      const { collector, events } = yield* start()
      const before = yield* collector.currentSession
      yield* collector.track(chat(0))
      const identified = yield* collector.identify("u-9", { plan: "pro", seats: 3 })
      expect(identified).toMatchObject({ id: before.id, userId: "u-9" })
      expect(yield* collector.currentSession).toEqual(identified)
      yield* collector.track(chat(1))
      yield* collector.track({ type: "chat.message", userId: "someone-else", data: { n: 2 } })
      yield* collector.flush
      const delivered = yield* events
      expect(delivered.map((e) => [e.type, e.sessionId, e.userId])).toEqual([
        ["chat.message", before.id, undefined],
        ["session.identify", before.id, "u-9"],
        ["chat.message", before.id, "u-9"],
        ["chat.message", before.id, "someone-else"]
      ])
      expect(delivered[1]).toMatchObject({ kind: "session", data: { traits: { plan: "pro", seats: 3 } } })
      expect((yield* collector.exportUserData("u-9")).sessions.map((s) => s.id)).toEqual([before.id])
    }))

  it.scoped("identify pseudonymises a PII-shaped user id, on the session and on its events", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      const session = yield* collector.identify("ann@example.com")
      expect(session.userId).toMatch(/^u_[0-9a-f]{32}$/)
      yield* collector.track(chat(1))
      yield* collector.flush
      expect((yield* events).map((e) => e.userId)).toEqual([session.userId, session.userId])
    }))

  it.scoped("identify with invalid traits fails with InvalidEventError and changes nothing", () =>
    Effect.gen(function*() {
      const { collector, events } = yield* start()
      yield* collector.identify("u-1")
      const before = yield* collector.currentSession
      const error = yield* Effect.flip(collector.identify("u-2", { score: NaN }))
      expect(error).toBeInstanceOf(InvalidEventError)
      expect(error.issues.map((i) => i.path)).toContainEqual(["data", "traits", "score"])
      // @ts-expect-error a function is not JSON data
      yield* Effect.flip(collector.identify("u-2", { format: () => "x" }))
      expect(yield* collector.currentSession).toEqual(before)
      yield* collector.track(chat(1))
      yield* collector.flush
      expect((yield* events).map((e) => [e.type, e.userId])).toEqual([["session.identify", "u-1"], ["chat.message", "u-1"]])
      expect((yield* collector.stats).invalid).toBe(2)
    }))
})

describe("TelemetryCollector offline", () => {
  it.scoped("a probe answered with a rejection ends the outage, and an empty outbox never busy-loops the flush fiber", () =>
    Effect.gen(function*() {
      const { always, attempts, collector } = yield* start({
        maxAttempts: 1,
        maxBatchSize: 5,
        flushInterval: "30 seconds",
        retryBaseDelay: "1 second"
      })
      yield* always(fail())
      for (let n = 0; n < 3; n++) yield* collector.track(chat(n))
      yield* collector.flush
      expect(yield* collector.stats).toMatchObject({ offline: true, outboxed: 3 })
      // The receiver is back but refuses the stored batch for good: the probe empties the outbox.
      yield* always(fail({ status: 400, retryable: false }))
      // With the outbox empty and the probe still "due", the loop used to wake at once forever: this
      // adjust never returned.
      yield* TestClock.adjust("2 minutes")
      const s = yield* collector.stats
      expect(s).toMatchObject({ offline: false, outboxed: 0, buffered: 0 })
      expect(s.dropped.rejected).toBe(3)
      expect((yield* attempts).length).toBe(2) // the failed send, then the one probe
      balanced(s)
    }))
})

describe("TelemetryCollector statics", () => {
  const policies = (transport: Layer.Layer<Transport>) =>
    Layer.mergeAll(
      transport,
      Layer.succeed(Sampler, fixtures.sampler()),
      Layer.succeed(Redactor, fixtures.pseudonymizing),
      Outbox.Outbox.layerMemory().pipe(Layer.orDie)
    )

  it.scoped("TelemetryCollector.layer(options) takes partial options with the configuration's defaults", () =>
    Effect.gen(function*() {
      const scripted = yield* makeScripted
      const context = yield* Layer.build(
        TelemetryCollector.layer({ maxBatchSize: 2, release: "1.0.0" }).pipe(Layer.provide(policies(scripted.layer)))
      )
      const collector = Context.get(context, TelemetryCollector)
      const sink = Context.get(context, TelemetryCollector.EventSink)
      yield* sink.track({ type: "chat.message", data: { n: 1 } })
      yield* collector.track({ type: "chat.message", data: { n: 2 } })
      yield* settle
      // a batch of 2 is full: sent at once, with the release tag from the options
      const batches = yield* scripted.batches
      expect(batches.map((b) => b.events.length)).toEqual([2])
      expect(batches[0]!.events[0]!.tags).toEqual({ release: "1.0.0" })
      expect((yield* sink.currentSession).id).toBe((yield* collector.currentSession).id)
    }))

  it.scoped("TelemetryCollector.make builds the service in the scope; the final flush runs when it closes", () =>
    Effect.gen(function*() {
      const scripted = yield* makeScripted
      const scope = yield* Scope.make()
      const collector = yield* TelemetryCollector.make().pipe(
        Effect.provide(policies(scripted.layer)),
        Scope.extend(scope)
      )
      yield* collector.track(chat(1))
      expect(yield* scripted.batches).toEqual([])
      yield* Scope.close(scope, Exit.void)
      expect((yield* scripted.events).map((e) => e.data.n)).toEqual([1])
    }))

  it.effect("options that do not decode fail with TelemetryCollectorOptionsError naming the option", () =>
    Effect.gen(function*() {
      const build = (options: TelemetryCollector.Options) =>
        Effect.flip(Effect.scoped(Layer.build(TelemetryCollector.layer(options).pipe(Layer.provide(policies(Layer.succeed(Transport, Transport.of({ send: () => Effect.void }))))))))
      const outOfRange = yield* build({ maxBufferSize: 0 })
      expect(outOfRange).toBeInstanceOf(TelemetryCollector.OptionsError)
      expect(outOfRange).toMatchObject({ _tag: "TelemetryCollectorOptionsError", option: "maxBufferSize" })
      expect(outOfRange.message).toMatch(/^option maxBufferSize: Expected a number between 1 and 10000000/)
      expect(yield* build({ flushInterval: "-1 seconds" })).toMatchObject({ option: "flushInterval" })
      expect(yield* build({ maxBatchSise: 5 } as never)).toMatchObject({ option: "maxBatchSise" })
    }))

  it("TelemetryCollector.metrics are the collector's gauges", () => {
    expect(Object.keys(TelemetryCollector.metrics).sort()).toEqual(["accepted", "buffered", "dropped", "outboxed", "sent"])
  })
})
