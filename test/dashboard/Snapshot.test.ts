import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, TestClock } from "effect"
import * as Aggregate from "../../src/dashboard/EventAggregate.js"
import * as Recorder from "../../src/dashboard/Recorder.js"
import * as Snapshot from "../../src/dashboard/Snapshot.js"
import { QuantileSketch } from "../../src/internal/QuantileSketch.js"
import { TelemetryTest } from "../../src/layers/TelemetryTest.js"
import type { TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { UsageAnalytics } from "../../src/services/UsageAnalytics.js"

const services = Layer.orDie(TelemetryTest)

/** The values in a JSON tree. */
const nodes = (json: unknown): number =>
  typeof json === "object" && json !== null ? 1 + Object.values(json).reduce((n: number, v) => n + nodes(v), 0) : 1

/** `n` timings of `ai.chat` (1…n ms), `groups` distinct errors, and a provider request. */
const recordSome = (n: number, groups: number, clocked = true) =>
  Effect.gen(function*() {
    const performance = yield* PerformanceMetrics
    const errors = yield* ErrorTracking
    const usage = yield* UsageAnalytics
    for (let i = 1; i <= n; i++) yield* performance.timed("ai.chat")(clocked ? TestClock.adjust(`${i} millis`) : Effect.void)
    for (let g = 0; g < groups; g++) yield* errors.captureError(new TypeError(`failure kind ${"abcdefghij"[g]}`))
    yield* usage.trackProviderRequest({ provider: "openai", model: "gpt-4o", durationMs: 900, success: true })
  }).pipe(Effect.orDie)

describe("Snapshot", () => {
  it.effect("reads the services' own numbers: percentiles, error groups, providers, the collector's books", () =>
    Effect.gen(function*() {
      yield* recordSome(200, 3)
      const snapshot = yield* Snapshot.read()
      const chat = yield* (yield* PerformanceMetrics).percentiles("ai.chat")
      expect(snapshot.metrics.find((m) => m.name === "ai.chat")).toEqual({ name: "ai.chat", ...chat })
      expect(snapshot.errors.groups.map((g) => g.fingerprint).sort()).toEqual((yield* (yield* ErrorTracking).groups).map((g) => g.fingerprint).sort())
      expect(snapshot.errors.groupCount).toBe(3)
      expect(snapshot.usage.providers).toEqual(yield* (yield* UsageAnalytics).providerStats)
      expect(snapshot.collector).toEqual(yield* (yield* TelemetryCollector).stats)
    }).pipe(Effect.provide(services)))

  it.effect("costs O(metrics + groups), not O(events): 250× the events give a snapshot of the same size", () =>
    Effect.gen(function*() {
      const sizeAfter = (n: number) =>
        Effect.gen(function*() {
          yield* recordSome(n, 2, false)
          const snapshot = yield* Snapshot.read()
          // The values differ; the number of values held is what must not grow.
          return nodes(JSON.parse(JSON.stringify(snapshot)))
        }).pipe(Effect.provide(services))
      const small = yield* sizeAfter(20)
      const large = yield* sizeAfter(5_000)
      expect(large).toBe(small)
    }))

  it.scoped("the recorder samples on its schedule and keeps at most historySize points, oldest dropped", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Recorder.layer({ sampleInterval: "1 second", historySize: 3 }).pipe(Layer.provideMerge(services)))
      const recorder = Context.get(context, Recorder.Recorder)
      yield* Effect.yieldNow()
      expect((yield* recorder.snapshot).history).toHaveLength(1)
      yield* recordSome(10, 0).pipe(Effect.provide(context))
      yield* TestClock.adjust("1 second")
      const two = (yield* recorder.snapshot).history
      expect(two).toHaveLength(2)
      expect(two[1]!.accounting!["tracked"]).toBeGreaterThan(two[0]!.accounting!["tracked"]!)
      expect(two[1]!.metrics["ai.chat"]).toBeDefined()
      yield* TestClock.adjust("5 seconds")
      const kept = (yield* recorder.snapshot).history
      expect(kept).toHaveLength(3)
      expect(kept.map((p) => p.t - kept[0]!.t)).toEqual([0, 1_000, 2_000])
    }))
})

describe("Recorder history since", () => {
  it.scoped("snapshotSince answers the points after a time and the oldest point held; the page's merge rebuilds the ring", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Recorder.layer({ sampleInterval: "1 second", historySize: 4 }).pipe(Layer.provideMerge(services)))
      const recorder = Context.get(context, Recorder.Recorder)
      yield* Effect.yieldNow()
      yield* TestClock.adjust("2 seconds")
      const all = (yield* recorder.snapshot).history
      expect(all).toHaveLength(3)
      const since = yield* recorder.snapshotSince(all[1]!.t)
      expect(since.history).toEqual([all[2]])
      expect(since.historyStart).toBe(all[0]!.t)
      expect((yield* recorder.snapshotSince(all[2]!.t)).history).toEqual([])
      // Three more ticks push the two oldest points out of the ring of four.
      yield* TestClock.adjust("3 seconds")
      const later = yield* recorder.snapshotSince(all[2]!.t)
      const ring = (yield* recorder.snapshot).history
      expect(later.history).toEqual(ring.slice(1))
      expect(later.historyStart).toBe(ring[0]!.t)
      const merged = [...all.filter((p) => p.t >= later.historyStart!), ...later.history]
      expect(merged).toEqual(ring)
    }))
})

describe("Recorder events per second", () => {
  it.scoped("each tick records the events accepted during its interval per second, by kind", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Recorder.layer({ sampleInterval: "2 seconds", historySize: 10 }).pipe(Layer.provideMerge(services)))
      const recorder = Context.get(context, Recorder.Recorder)
      const collector = Context.get(context, TelemetryCollector)
      yield* Effect.yieldNow()
      const track = (type: string, n: number) => Effect.orDie(Effect.forEach(Array.from({ length: n }), () => collector.track({ type }), { discard: true }))
      yield* track("chat.message", 10)
      yield* track("error.timeout", 4)
      yield* TestClock.adjust("2 seconds")
      const first = (yield* recorder.snapshot).history.at(-1)!
      // The session the test layer starts is a `session` event of the same interval.
      expect(first.rates).toMatchObject({ custom: 5, error: 2 })
      yield* track("usage.feature", 6)
      yield* TestClock.adjust("2 seconds")
      const second = (yield* recorder.snapshot).history.at(-1)!
      expect(second.rates).toMatchObject({ custom: 0, error: 0, usage: 3 })
      expect(second.acceptedByKind).toEqual((yield* collector.stats).acceptedByKind)
    }))
})

describe("Recorder percentiles over time", () => {
  it.scoped("each tick records p50/p95/p99 of the samples of its interval per metric and per provider/model, bounded", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(Recorder.layer({ sampleInterval: "1 second", historySize: 10 }).pipe(Layer.provideMerge(services)))
      const recorder = Context.get(context, Recorder.Recorder)
      const performance = Context.get(context, PerformanceMetrics)
      yield* Effect.yieldNow()
      // Interval 1: 200 calls of 1…200 ms; interval 2: 150 calls of 4…153 ms.
      for (const [n, plus] of [[200, 0], [150, 3]] as const) {
        yield* performance.recordTimings(Array.from({ length: n }, (_, i) => ({ name: "ai.chat", durationMs: i + 1 + plus, outcome: "success" as const })))
        yield* TestClock.adjust("1 second")
        const sketch = new QuantileSketch({ exactThreshold: 0 })
        for (let i = 1; i <= n; i++) sketch.add(i + plus)
        const last = (yield* recorder.snapshot).history.at(-1)!
        expect(last.counts!["ai.chat"]).toBe(n)
        expect(last.metrics["ai.chat"]).toEqual([sketch.quantile(0.5), sketch.quantile(0.95), sketch.quantile(0.99)])
      }
      // The tables keep the distribution since start.
      const chat = yield* Effect.orDie(performance.percentiles("ai.chat"))
      expect((yield* recorder.snapshot).metrics.find((m) => m.name === "ai.chat")).toMatchObject({ count: 350, p95: chat.p95 })

      // A tick with no sample: a gap (no percentiles), a count of 0.
      yield* TestClock.adjust("1 second")
      const quiet = (yield* recorder.snapshot).history.at(-1)!
      expect(quiet.metrics["ai.chat"]).toBeUndefined()
      expect(quiet.counts!["ai.chat"]).toBe(0)

      // Per provider/model: the AI operation series with those dimensions.
      yield* Effect.orDie(performance.trackAIOperation({ operation: "chat", provider: "openai", model: "gpt-4o", totalMs: 840 }))
      yield* TestClock.adjust("1 second")
      expect((yield* recorder.snapshot).history.at(-1)!.providers).toEqual({ "ai.total openai/gpt-4o": 840 })

      // More metrics and series than drawn: each point holds at most `maxHistoryMetrics` of each.
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => `m${i}`), (name) => performance.timed(name)(TestClock.adjust("2 millis")))
      yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => `p${i}`), (provider) =>
        Effect.orDie(performance.trackAIOperation({ operation: "chat", provider, model: "m", totalMs: 10 })))
      yield* TestClock.adjust("1 second")
      const last = (yield* recorder.snapshot).history.at(-1)!
      expect(Object.keys(last.counts!)).toHaveLength(Snapshot.maxHistoryMetrics)
      // The first six series by name are drawn; openai/gpt-4o had no sample this interval: a gap.
      expect(Object.keys(last.providers!).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"].map((p) => `ai.total ${p}/m`))
    }))
})

const at = (i: number, type: string, data: Record<string, unknown>, userId?: string): TelemetryEvent =>
  ({
    id: `e${i}`,
    type,
    kind: type.split(".")[0],
    timestamp: 1_700_000_000_000 + i * 1_000,
    sessionId: "s",
    data,
    ...(userId === undefined ? {} : { userId })
  }) as TelemetryEvent

describe("EventAggregate", () => {
  it("folds events into the services' views: metrics, error groups with their latest in-app frames, usage, health", () => {
    const aggregate = Aggregate.make()
    for (let i = 1; i <= 100; i++) aggregate.add(at(i, "performance.timing", { name: "ai.chat", durationMs: i, outcome: "success" }))
    const frames = [{ inApp: true, file: "/app/a.ts", line: 1 }, { inApp: false, file: "node:internal" }]
    aggregate.add(at(101, "error.captured", { fingerprint: "f1", type: "TypeError", message: "boom", severity: "WARNING", category: "runtime", frames, breadcrumbs: [] }, "u1"))
    aggregate.add(at(102, "error.captured", { fingerprint: "f1", type: "TypeError", message: "boom again", severity: "ERROR", category: "runtime", frames, breadcrumbs: [] }, "u2"))
    aggregate.add(at(103, "error.repeated", { fingerprint: "f1", count: 5 }))
    aggregate.add(at(104, "usage.feature", { feature: "chat", action: "open" }, "u1"))
    aggregate.add(at(105, "usage.provider.request", { provider: "openai", model: "gpt-4o", durationMs: 800, success: false, errorType: "timeout" }, "u2"))
    aggregate.add(at(106, "health.status_changed", { service: "db", from: "UNKNOWN", to: "UNHEALTHY", reason: "3 failures", critical: true, lastError: "refused" }))
    const s = aggregate.snapshot({ file: "x", bytes: 0, lines: 106, malformed: 0, malformedByReason: {} }, 0)
    const chat = s.metrics.find((m) => m.name === "ai.chat")!
    expect(chat).toMatchObject({ count: 100, min: 1, max: 100, mean: 50.5 })
    expect(chat.p95).toBeCloseTo(95.05, 6)
    expect(s.errors.groups).toHaveLength(1)
    expect(s.errors.groups[0]).toMatchObject({ count: 7, severity: "ERROR", affectedUsers: 2, message: "boom again" })
    expect(s.errors.groups[0]!.sample!.frames).toEqual([frames[0]])
    expect(s.usage.features[0]).toMatchObject({ feature: "chat", uses: 1, adoptionRate: 0.5 })
    expect(s.usage.providers[0]).toMatchObject({ requests: 1, failures: 1, errorsByType: { timeout: 1 } })
    expect(s.health).toMatchObject({ status: "UNHEALTHY", services: [{ name: "db", status: "UNHEALTHY", lastError: "refused" }] })
    expect(s.events!.byKind).toMatchObject({ performance: 100, error: 3, usage: 2, health: 1 })
  })

  it("holds a bounded amount however many events, groups and hours come in", () => {
    const aggregate = Aggregate.make()
    // Two days of events, one a second, each its own error group and metric name.
    for (let i = 0; i < 172_800; i += 7) {
      aggregate.add(at(i, "error.captured", { fingerprint: `f${i}`, type: "E", message: "m", severity: "ERROR", category: "api" }))
      aggregate.add(at(i, "performance.timing", { name: `metric.${i}`, durationMs: 1 }))
    }
    const s = aggregate.snapshot({ file: "x", bytes: 0, lines: 0, malformed: 0, malformedByReason: {} }, 0)
    expect(s.history.length).toBeLessThanOrEqual(Aggregate.limits.buckets)
    expect(s.metrics).toHaveLength(Aggregate.limits.metrics)
    expect(s.errors.groups).toHaveLength(Snapshot.maxGroupsShown)
    expect(aggregate.omitted().groups).toBe(Math.ceil(172_800 / 7) - Aggregate.limits.groups)
    expect(s.errors.groupCount).toBe(Math.ceil(172_800 / 7))
  })
})
