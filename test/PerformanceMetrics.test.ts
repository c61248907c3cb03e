import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Either, Exit, Fiber, Layer, Option, ParseResult, Scope, TestClock } from "effect"
import * as FastCheck from "fast-check"
import { fastAIOperation, fastAttributes } from "../src/services/performance/fastChecks.js"
import { deliveredEvents, TelemetryTest } from "../src/layers/TelemetryTest.js"
import * as WebVitals from "../src/layers/WebVitals.js"
import {
  AIOperation,
  InvalidMetricError,
  MarkNotFoundError,
  MetricAttributes,
  MetricNotFoundError,
  rateWebVital,
  type WebVitalName
} from "../src/schemas/PerformanceEvents.js"
import { PerformanceMetrics } from "../src/services/PerformanceMetrics.js"
import type { EventLoopDelayHistogram, ResourceSources } from "../src/services/performance/resources.js"
import { EventSink } from "../src/services/EventSink.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

/**
 * The `EventSink` of the collector in context. `TelemetryTest` provides one at run time, but its type
 * (`TelemetryServices`) does not say so yet.
 */
const sinkOfCollector = Layer.effect(
  EventSink,
  Effect.map(TelemetryCollector, (collector) => ({ track: collector.track, currentSession: collector.currentSession }))
)

/** The R-7 quantile of sorted values (numpy's default), the definition `percentiles` reads. */
const exactQuantile = (sorted: ReadonlyArray<number>, q: number) => {
  const h = q * (sorted.length - 1)
  const k = Math.floor(h)
  return k + 1 < sorted.length ? sorted[k]! + (h - k) * (sorted[k + 1]! - sorted[k]!) : sorted[k]!
}

/** Lets forked fibers (the web-vitals consumer) run what they were woken for. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** The service over a recording collector, in the test's scope. */
const start = (options: PerformanceMetrics.Options = {}, track?: TelemetryCollector["Type"]["track"]) =>
  Effect.gen(function*() {
    const { context, ofType, tracked } = yield* makeRecordingCollector({ track })
    const metrics = yield* PerformanceMetrics.make({ resourceSources: {}, ...options }).pipe(Effect.provide(context))
    return { metrics, tracked, ofType }
  })

describe("PerformanceMetrics", () => {
  describe("timed", () => {
    it.scoped("returns the effect's value and records its Clock duration with outcome success", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const fiber = yield* Effect.fork(
          Effect.sleep("250 millis").pipe(Effect.as(42), metrics.timed("ai.chat", { provider: "openai", stream: true }))
        )
        yield* TestClock.adjust("250 millis")
        expect(yield* Fiber.join(fiber)).toBe(42)
        expect(yield* metrics.percentiles("ai.chat")).toEqual({
          count: 1,
          min: 250,
          max: 250,
          mean: 250,
          p50: 250,
          p95: 250,
          p99: 250
        })
        expect(yield* ofType("performance.timing")).toEqual([{
          type: "performance.timing",
          data: { name: "ai.chat", durationMs: 250, outcome: "success", attributes: { provider: "openai", stream: true } }
        }])
      }))

    it.scoped("a failure passes through unchanged and is recorded as a failure", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const fiber = yield* Effect.fork(
          Effect.exit(Effect.sleep("2 seconds").pipe(Effect.zipRight(Effect.fail("rate limited" as const)), metrics.timed("ai.chat")))
        )
        yield* TestClock.adjust("2 seconds")
        const exit = yield* Fiber.join(fiber)
        expect(exit).toEqual(Exit.fail("rate limited"))
        const [event] = yield* ofType("performance.timing")
        expect(event?.data).toEqual({ name: "ai.chat", durationMs: 2000, outcome: "failure" })
        const summary = yield* metrics.getSummary
        expect(summary.timings["ai.chat"]).toEqual({ success: 0, failure: 1, interrupted: 0 })
      }))

    it.scoped("a defect passes through unchanged and is recorded as a failure", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const exit = yield* Effect.exit(Effect.dieMessage("boom").pipe(metrics.timed("step")))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        expect((yield* metrics.getSummary).timings["step"]).toEqual({ success: 0, failure: 1, interrupted: 0 })
      }))

    it.scoped("an interruption is propagated and recorded as interrupted, with the time until then", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const fiber = yield* Effect.fork(Effect.never.pipe(metrics.timed("ai.stream")))
        yield* TestClock.adjust("300 millis")
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        const [event] = yield* ofType("performance.timing")
        expect(event?.data).toEqual({ name: "ai.stream", durationMs: 300, outcome: "interrupted" })
        expect((yield* metrics.getSummary).timings["ai.stream"]).toEqual({ success: 0, failure: 0, interrupted: 1 })
      }))

    it.scoped("an interruption under a non-tracking sink is still recorded, and the run ends interrupted", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({}, () => Effect.dieMessage("collector broke"))
        const fiber = yield* Effect.fork(Effect.never.pipe(metrics.timed("ai.stream", { provider: "openai" })))
        yield* TestClock.adjust("40 millis")
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        expect((yield* metrics.getSummary).timings["ai.stream"]).toEqual({ success: 0, failure: 0, interrupted: 1 })
        expect((yield* metrics.percentiles("ai.stream", { provider: "openai" })).max).toBe(40)
      }))

    it.scoped("under an uninterruptible caller the run stays uninterruptible: an interruption waits for it", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const fiber = yield* Effect.fork(
          Effect.uninterruptible(Effect.sleep("100 millis").pipe(Effect.as(1), metrics.timed("guarded")))
        )
        yield* TestClock.adjust("50 millis")
        const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
        yield* TestClock.adjust("50 millis")
        yield* Fiber.join(interrupting)
        const [event] = yield* ofType("performance.timing")
        expect(event?.data).toEqual({ name: "guarded", durationMs: 100, outcome: "success" })
      }))

    it.scoped("inside uninterruptibleMask, a restored timed run is interruptible and recorded as interrupted", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const fiber = yield* Effect.fork(
          Effect.uninterruptibleMask((restore) => restore(Effect.never.pipe(metrics.timed("restored"))))
        )
        yield* TestClock.adjust("30 millis")
        expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
        const [event] = yield* ofType("performance.timing")
        expect(event?.data).toEqual({ name: "restored", durationMs: 30, outcome: "interrupted" })
      }))

    it.scoped("a collector that fails or dies never changes the timed effect's result", () =>
      Effect.gen(function*() {
        const dies = yield* start({}, () => Effect.dieMessage("collector broke"))
        expect(yield* Effect.succeed("ok").pipe(dies.metrics.timed("x"))).toBe("ok")
        expect(yield* Effect.exit(Effect.fail(7).pipe(dies.metrics.timed("x")))).toEqual(Exit.fail(7))
        // The metric is still kept locally.
        expect((yield* dies.metrics.percentiles("x")).count).toBe(2)
      }))

    it.scoped("an invalid name or attribute is not recorded and does not affect the effect", () =>
      Effect.gen(function*() {
        const { metrics, tracked } = yield* start()
        expect(yield* Effect.succeed(1).pipe(metrics.timed("has spaces"))).toBe(1)
        expect(yield* Effect.succeed(2).pipe(metrics.timed("ok", { bad: Number.NaN }))).toBe(2)
        expect(yield* tracked).toEqual([])
        expect(Object.keys((yield* metrics.getSummary).metrics)).toEqual([])
      }))

    it.scoped("times each run separately, so one timed effect can be reused", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const call = Effect.sleep("100 millis").pipe(metrics.timed("call"))
        for (const _ of [1, 2, 3]) {
          const fiber = yield* Effect.fork(call)
          yield* TestClock.adjust("100 millis")
          yield* Fiber.join(fiber)
        }
        const p = yield* metrics.percentiles("call")
        expect(p.count).toBe(3)
        expect(p.max).toBe(100)
      }))
  })

  describe("trackAIOperation", () => {
    it.scoped("records phases, total and tokens, and tracks performance.ai_operation", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const op = {
          operation: "chat",
          provider: "anthropic",
          model: "claude",
          totalMs: 1200,
          contextGatheringMs: 150,
          compressionMs: 50,
          apiCallMs: 1000,
          promptTokens: 900,
          completionTokens: 300,
          contextSize: 4000
        }
        yield* metrics.trackAIOperation(op)
        yield* metrics.trackAIOperation({ totalMs: 800, success: false, promptTokens: 100 })
        expect(yield* ofType("performance.ai_operation")).toEqual([
          { type: "performance.ai_operation", data: op },
          { type: "performance.ai_operation", data: { totalMs: 800, success: false, promptTokens: 100 } }
        ])
        const summary = yield* metrics.getSummary
        expect(summary.ai).toEqual({
          operations: 2,
          failures: 1,
          totalMs: 2000,
          promptTokens: 1000,
          completionTokens: 300
        })
        expect(summary.metrics["ai.total"]).toMatchObject({ count: 2, min: 800, max: 1200, mean: 1000 })
        expect(summary.metrics["ai.api_call"]).toMatchObject({ count: 1, min: 1000 })
        expect(summary.metrics["ai.context_gathering"]).toMatchObject({ count: 1, min: 150 })
        expect(summary.metrics["ai.compression"]).toMatchObject({ count: 1, min: 50 })
      }))

    it.scoped("invalid input fails with an InvalidMetricError naming the field, recording nothing", () =>
      Effect.gen(function*() {
        const { metrics, tracked } = yield* start()
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [{ totalMs: -1 }, "totalMs"],
          [{ totalMs: Number.POSITIVE_INFINITY }, "totalMs"],
          [{ totalMs: 10, promptTokens: 1.5 }, "promptTokens"],
          [{ totalMs: 10, provider: "" }, "provider"],
          [{}, "totalMs"],
          [{ totalMs: 10, tokens: 5 }, "tokens"],
          [{ totalMs: 10, attributes: { n: Number.NaN } }, "attributes.n"],
          ["fast", "input"]
        ]
        for (const [input, field] of cases) {
          const error = yield* Effect.flip(metrics.trackAIOperation(input as never))
          expect(error).toBeInstanceOf(InvalidMetricError)
          expect(error.field).toBe(field)
        }
        expect(yield* tracked).toEqual([])
        expect((yield* metrics.getSummary).ai.operations).toBe(0)
      }))
  })

  describe("marks and measures", () => {
    it.scoped("measures between two marks, and from a mark to now", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        yield* metrics.mark("render:start")
        yield* TestClock.adjust("120 millis")
        yield* metrics.mark("render:end")
        yield* TestClock.adjust("30 millis")
        expect(yield* metrics.measure("render", { start: "render:start", end: "render:end" })).toBe(120)
        expect(yield* metrics.measure("render.total", { start: "render:start" })).toBe(150)
        expect(yield* ofType("performance.measure")).toEqual([
          {
            type: "performance.measure",
            data: { name: "render", start: "render:start", end: "render:end", durationMs: 120 }
          },
          { type: "performance.measure", data: { name: "render.total", start: "render:start", durationMs: 150 } }
        ])
        expect((yield* metrics.percentiles("render")).count).toBe(1)
      }))

    it.scoped("a missing mark fails with MarkNotFoundError naming it", () =>
      Effect.gen(function*() {
        const { metrics, tracked } = yield* start()
        yield* metrics.mark("a")
        expect(yield* Effect.flip(metrics.measure("m", { start: "nope" }))).toEqual(new MarkNotFoundError({ mark: "nope" }))
        expect(yield* Effect.flip(metrics.measure("m", { start: "a", end: "later" }))).toEqual(
          new MarkNotFoundError({ mark: "later" })
        )
        yield* metrics.clearMarks("a")
        expect(yield* Effect.flip(metrics.measure("m", { start: "a" }))).toEqual(new MarkNotFoundError({ mark: "a" }))
        expect(yield* tracked).toEqual([])
      }))

    it.scoped("an end mark set before the start mark is an InvalidMetricError on range.end", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        yield* metrics.mark("b")
        yield* TestClock.adjust("10 millis")
        yield* metrics.mark("a")
        const error = yield* Effect.flip(metrics.measure("m", { start: "a", end: "b" }))
        expect(error).toBeInstanceOf(InvalidMetricError)
        expect((error as InvalidMetricError).field).toBe("range.end")
      }))

    it.scoped("invalid names are refused with the field named", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        expect((yield* Effect.flip(metrics.mark(""))).field).toBe("name")
        yield* metrics.mark("ok")
        expect(((yield* Effect.flip(metrics.measure("bad name", { start: "ok" }))) as InvalidMetricError).field).toBe(
          "name"
        )
        expect(((yield* Effect.flip(metrics.measure("m", { start: "ok", end: "x y" }))) as InvalidMetricError).field)
          .toBe("range.end")
      }))

    it.scoped("at most maxMarks marks are kept, the least recently set forgotten first", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({ maxMarks: 2 })
        yield* metrics.mark("a")
        yield* metrics.mark("b")
        yield* metrics.mark("a") // refreshes a
        yield* metrics.mark("c") // forgets b
        expect(yield* metrics.measure("ok", { start: "a" })).toBe(0)
        expect(yield* Effect.flip(metrics.measure("m", { start: "b" }))).toEqual(new MarkNotFoundError({ mark: "b" }))
      }))
  })

  describe("web vitals", () => {
    const boundaries: ReadonlyArray<readonly [WebVitalName, number, string]> = [
      ["LCP", 2500, "good"],
      ["LCP", 2501, "needs-improvement"],
      ["LCP", 4000, "needs-improvement"],
      ["LCP", 4001, "poor"],
      ["INP", 200, "good"],
      ["INP", 201, "needs-improvement"],
      ["INP", 500, "needs-improvement"],
      ["INP", 501, "poor"],
      ["CLS", 0.1, "good"],
      ["CLS", 0.11, "needs-improvement"],
      ["CLS", 0.25, "needs-improvement"],
      ["CLS", 0.26, "poor"],
      ["FCP", 1800, "good"],
      ["FCP", 3000, "needs-improvement"],
      ["FCP", 3001, "poor"],
      ["TTFB", 800, "good"],
      ["TTFB", 1800, "needs-improvement"],
      ["TTFB", 1801, "poor"],
      ["FID", 100, "good"],
      ["FID", 300, "needs-improvement"],
      ["FID", 301, "poor"]
    ]

    it("rates values with Google's thresholds", () => {
      for (const [name, value, rating] of boundaries) expect([name, value, rateWebVital(name, value)]).toEqual([name, value, rating])
    })

    it.scoped("computes the rating when none is given, keeps the caller's, and tracks performance.web_vital", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        const lcp = yield* metrics.recordWebVital({ name: "LCP", value: 3100, id: "v5-1", delta: 3100, navigationType: "navigate" })
        expect(lcp.rating).toBe("needs-improvement")
        const inp = yield* metrics.recordWebVital({ name: "INP", value: 90, rating: "poor" })
        expect(inp.rating).toBe("poor")
        expect((yield* ofType("performance.web_vital")).map((e) => e.data)).toEqual([
          { name: "LCP", value: 3100, rating: "needs-improvement", id: "v5-1", delta: 3100, navigationType: "navigate" },
          { name: "INP", value: 90, rating: "poor" }
        ])
        const summary = yield* metrics.getSummary
        expect(summary.webVitals["LCP"]).toEqual(lcp)
        expect(summary.metrics["web_vital.LCP"]).toMatchObject({ count: 1, min: 3100 })
      }))

    it.scoped("a repeated report of one id replaces its value instead of adding a sample", () =>
      Effect.gen(function*() {
        const { metrics, ofType } = yield* start()
        yield* metrics.recordWebVital({ name: "CLS", value: 0.05, id: "v5-a", delta: 0.05 })
        yield* metrics.recordWebVital({ name: "CLS", value: 0.3, id: "v5-a", delta: 0.25 })
        let cls = yield* metrics.percentiles("web_vital.CLS")
        expect(cls.count).toBe(1)
        expect(cls.min).toBeGreaterThan(0.29)
        expect(cls.mean).toBeCloseTo(0.3, 9)
        yield* metrics.recordWebVital({ name: "CLS", value: 0.02, id: "v5-b", delta: 0.02 })
        cls = yield* metrics.percentiles("web_vital.CLS")
        expect(cls.count).toBe(2)
        expect(cls.mean).toBeCloseTo(0.16, 9)
        const latest = (yield* metrics.getSummary).webVitals["CLS"]
        expect(latest).toMatchObject({ id: "v5-b", value: 0.02, rating: "good" })
        // Every report still goes out, with its id and delta, for the receiver to de-duplicate.
        expect((yield* ofType("performance.web_vital")).map((e) => e.data?.delta)).toEqual([0.05, 0.25, 0.02])
      }))

    it.scoped("reports without an id each count", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        yield* metrics.recordWebVital({ name: "TTFB", value: 100 })
        yield* metrics.recordWebVital({ name: "TTFB", value: 100 })
        expect((yield* metrics.percentiles("web_vital.TTFB")).count).toBe(2)
      }))

    it.scoped("an invalid report names its field", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const field = (input: unknown) => Effect.map(Effect.flip(metrics.recordWebVital(input as never)), (e) => e.field)
        expect(yield* field({ name: "FOO", value: 1 })).toBe("name")
        expect(yield* field({ name: "LCP", value: -1 })).toBe("value")
        expect(yield* field({ name: "LCP", value: 1, rating: "great" })).toBe("rating")
        expect(yield* field({ name: "LCP", value: 1, delta: Number.NaN })).toBe("delta")
      }))

    const fakeWebVitals = Effect.gen(function*() {
      const callbacks = new Map<string, (metric: WebVitals.Metric) => void>()
      const options = new Map<string, unknown>()
      const subscribe = (name: string) => (report: (metric: WebVitals.Metric) => void, opts?: unknown) => {
        callbacks.set(name, report)
        options.set(name, opts)
      }
      const subscribers: WebVitals.Subscribers = {
        onLCP: subscribe("LCP"),
        onINP: subscribe("INP"),
        onCLS: subscribe("CLS"),
        onFCP: subscribe("FCP"),
        onTTFB: subscribe("TTFB")
      }
      const emit = (metric: WebVitals.Metric) => callbacks.get(metric.name)!(metric)
      return { subscribers, emit, callbacks, options }
    })

    it.scoped("the web-vitals layer records what the library reports while its scope is open", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const fake = yield* fakeWebVitals
        const scope = yield* Scope.make()
        yield* WebVitals.layer({ subscribers: fake.subscribers, reportAllChanges: true }).pipe(
          Layer.buildWithScope(scope),
          Effect.provideService(PerformanceMetrics, metrics)
        )
        expect([...fake.callbacks.keys()].sort()).toEqual(["CLS", "FCP", "INP", "LCP", "TTFB"])
        expect(fake.options.get("LCP")).toEqual({ reportAllChanges: true })

        const report = { rating: "good", navigationType: "navigate" }
        fake.emit({ name: "LCP", value: 1800, delta: 1800, id: "v5-lcp", ...report })
        fake.emit({ name: "CLS", value: 0.01, delta: 0.01, id: "v5-cls", ...report })
        fake.emit({ name: "CLS", value: 0.04, delta: 0.03, id: "v5-cls", ...report })
        fake.emit({ name: "INP", value: 650, delta: 650, id: "v5-inp", rating: "poor", navigationType: "navigate" })
        yield* settle
        const summary = yield* metrics.getSummary
        expect(summary.webVitals["LCP"]).toMatchObject({ value: 1800, rating: "good", id: "v5-lcp" })
        expect(summary.webVitals["INP"]).toMatchObject({ value: 650, rating: "poor" })
        expect(summary.metrics["web_vital.CLS"]).toMatchObject({ count: 1 })
        expect(summary.metrics["web_vital.CLS"]!.mean).toBeCloseTo(0.04, 9)

        // Queued reports are recorded when the scope closes; later ones are ignored.
        fake.emit({ name: "FCP", value: 900, delta: 900, id: "v5-fcp", ...report })
        yield* Scope.close(scope, Exit.void)
        fake.emit({ name: "TTFB", value: 100, delta: 100, id: "v5-ttfb", ...report })
        yield* settle
        const after = yield* metrics.getSummary
        expect(after.webVitals["FCP"]).toMatchObject({ value: 900 })
        expect(after.webVitals["TTFB"]).toBeUndefined()
      }))

    it.scoped("a report the library sends that is not valid is logged and skipped, the layer keeps going", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const fake = yield* fakeWebVitals
        yield* Layer.build(WebVitals.layer({ subscribers: fake.subscribers })).pipe(
          Effect.provideService(PerformanceMetrics, metrics)
        )
        fake.emit({ name: "LCP", value: Number.NaN, id: "v5-x" })
        fake.emit({ name: "LCP", value: 1000, id: "v5-y" })
        yield* settle
        expect((yield* metrics.getSummary).webVitals["LCP"]).toMatchObject({ value: 1000, id: "v5-y" })
      }))

    it.scoped("without a browser, subscribing fails quietly and the layer still builds", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        const throwing = () => {
          throw new ReferenceError("document is not defined")
        }
        yield* Layer.build(WebVitals.layer({
          subscribers: { onLCP: throwing, onINP: throwing, onCLS: throwing, onFCP: throwing, onTTFB: throwing }
        })).pipe(Effect.provideService(PerformanceMetrics, metrics))
        // And the real library, which cannot subscribe under Node.
        yield* Layer.build(WebVitals.layer()).pipe(Effect.provideService(PerformanceMetrics, metrics))
        expect((yield* metrics.getSummary).webVitals).toEqual({})
      }))
  })

  describe("resources", () => {
    const fakeHistogram = () => {
      const calls: Array<string> = []
      const histogram: EventLoopDelayHistogram = {
        enable: () => (calls.push("enable"), true),
        disable: () => (calls.push("disable"), true),
        reset: () => void calls.push("reset"),
        mean: 12e6,
        max: 40e6,
        count: 5,
        percentile: (p) => (p === 50 ? 10e6 : 35e6)
      }
      return { histogram, calls }
    }

    it.scoped("on Node: heap, RSS, event-loop delay and utilization; absent browser fields stay absent", () =>
      Effect.gen(function*() {
        const { calls, histogram } = fakeHistogram()
        let utilizationCalls = 0
        const sources: ResourceSources = {
          memoryUsage: () => ({ heapUsed: 10, heapTotal: 20, rss: 30, external: 4, arrayBuffers: 5 }),
          eventLoopUtilization: (current, previous) => {
            utilizationCalls++
            return current !== undefined && previous !== undefined
              ? { idle: 1, active: 1, utilization: 0.25 }
              : { idle: 0, active: 0, utilization: 0.9 }
          },
          monitorEventLoopDelay: () => histogram
        }
        const scope = yield* Scope.make()
        const { metrics, ofType } = yield* start({ resourceSources: sources }).pipe(Scope.extend(scope))
        expect(calls).toEqual(["enable"])
        const snapshot = yield* metrics.snapshotResources
        expect(snapshot).toEqual({
          memory: { heapUsed: 10, heapTotal: 20, rss: 30, external: 4, arrayBuffers: 5 },
          eventLoop: { delayMeanMs: 12, delayP50Ms: 10, delayP99Ms: 35, delayMaxMs: 40, utilization: 0.25 }
        })
        expect(utilizationCalls).toBeGreaterThan(1)
        expect(calls).toEqual(["enable", "reset"])
        expect((yield* ofType("performance.resource")).map((e) => e.data)).toEqual([snapshot])
        expect((yield* metrics.getSummary).resources).toEqual(snapshot)
        yield* Scope.close(scope, Exit.void)
        expect(calls).toEqual(["enable", "reset", "disable"])
      }))

    it.scoped("in a browser: performance.memory and navigator.connection", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({
          resourceSources: {
            browserMemory: () => ({ usedJSHeapSize: 1e6, totalJSHeapSize: 2e6, jsHeapSizeLimit: 4e9 }),
            connection: () => ({ effectiveType: "4g", downlink: 10, rtt: 50 })
          }
        })
        expect(yield* metrics.snapshotResources).toEqual({
          memory: { heapUsed: 1e6, heapTotal: 2e6, heapLimit: 4e9 },
          connection: { effectiveType: "4g", downlinkMbps: 10, rttMs: 50 }
        })
      }))

    it.scoped("a runtime that reports nothing gives an empty snapshot, not zeros", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({
          resourceSources: {
            browserMemory: () => undefined,
            connection: () => {
              throw new Error("detached")
            }
          }
        })
        expect(yield* metrics.snapshotResources).toEqual({})
      }))

    it.scoped("the running Node process reports its heap and no connection", () =>
      Effect.gen(function*() {
        const { globalResourceSources } = yield* Effect.promise(() => import("../src/services/performance/resources.js"))
        const { metrics } = yield* start({ resourceSources: globalResourceSources() })
        const snapshot = yield* metrics.snapshotResources
        expect(snapshot.memory?.heapUsed).toBeGreaterThan(0)
        expect(snapshot.memory?.rss).toBeGreaterThan(0)
        expect(snapshot.memory?.heapLimit).toBeUndefined()
        expect(snapshot.connection).toBeUndefined()
      }))

    it.scoped("with resourceInterval, snapshots are taken on that schedule in the layer's scope", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const { ofType } = yield* start({
          resourceInterval: "1 minute",
          resourceSources: { memoryUsage: () => ({ heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 }) }
        }).pipe(Scope.extend(scope))
        yield* TestClock.adjust("59 seconds")
        expect(yield* ofType("performance.resource")).toHaveLength(0)
        yield* TestClock.adjust("121 seconds")
        expect(yield* ofType("performance.resource")).toHaveLength(3)
        yield* Scope.close(scope, Exit.void)
        yield* TestClock.adjust("5 minutes")
        expect(yield* ofType("performance.resource")).toHaveLength(3)
      }))
  })

  describe("percentiles and summary", () => {
    it.scoped("an unknown metric fails with MetricNotFoundError", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        expect(yield* Effect.flip(metrics.percentiles("nothing"))).toEqual(new MetricNotFoundError({ metric: "nothing" }))
      }))

    it.scoped("timed runs give percentiles within 1 % of the exact ones", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        // (Each TestClock.adjust costs a few real milliseconds, so 300 runs: the sketch's own suite does 100k.)
        const durations = Array.from({ length: 300 }, (_, i) => 1 + ((i * 7919) % 5000))
        // Each run moves the TestClock by its duration.
        for (const ms of durations) yield* TestClock.adjust(ms).pipe(metrics.timed("op"))
        const sorted = durations.sort((a, b) => a - b)
        const p = yield* metrics.percentiles("op")
        for (const [q, value] of [[0.5, p.p50], [0.95, p.p95], [0.99, p.p99]] as const) {
          const exact = exactQuantile(sorted, q)
          expect(Math.abs(value - exact) / exact).toBeLessThanOrEqual(0.01)
        }
        expect([p.count, p.min, p.max]).toEqual([300, Math.min(...durations), Math.max(...durations)])
      }))

    it.scoped("past maxMetrics names, samples are counted as dropped, not kept", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({ maxMetrics: 2 })
        for (const name of ["a", "b", "c", "c"]) yield* Effect.void.pipe(metrics.timed(name))
        const summary = yield* metrics.getSummary
        expect(Object.keys(summary.metrics).sort()).toEqual(["a", "b"])
        expect(summary.droppedSamples).toBe(2)
        expect(Object.keys(summary.timings).sort()).toEqual(["a", "b"])
      }))

    it.effect("options out of range fail the layer with a PerformanceMetricsOptionsError naming the option", () =>
      Effect.gen(function*() {
        const { context } = yield* makeRecordingCollector()
        for (
          const [options, field] of [
            [{ maxMetrics: 0 }, "maxMetrics"],
            [{ relativeAccuracy: 2 }, "relativeAccuracy"],
            [{ resourceInterval: "0 seconds" }, "resourceInterval"],
            [{ trackWebVitals: "no" as never }, "trackWebVitals"],
            [{ trackResources: 0 as never }, "trackResources"]
          ] as const
        ) {
          const error = yield* Layer.build(PerformanceMetrics.layer(options)).pipe(
            Effect.provide(context),
            Effect.scoped,
            Effect.flip
          )
          expect(error).toBeInstanceOf(PerformanceMetrics.OptionsError)
          expect(error._tag).toBe("PerformanceMetricsOptionsError")
          expect(error.option).toBe(field)
        }
      }))

    it.effect("a misspelt option is refused, named, and shown with the tag", () =>
      Effect.gen(function*() {
        const { context } = yield* makeRecordingCollector()
        const error = yield* PerformanceMetrics.make({ maxMetric: 5 } as PerformanceMetrics.Options).pipe(
          Effect.provide(context),
          Effect.scoped,
          Effect.flip
        )
        expect(error.option).toBe("maxMetric")
        expect(String(error)).toContain("PerformanceMetricsOptionsError")
        expect(error.message).toContain("option maxMetric")
      }))

    it.effect("resourceInterval takes any Duration input, and defaults fill the rest", () =>
      Effect.gen(function*() {
        const { context, ofType } = yield* makeRecordingCollector()
        const metrics = yield* PerformanceMetrics.make({
          resourceInterval: 60_000,
          resourceSources: { memoryUsage: () => ({ heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 }) }
        }).pipe(Effect.provide(context))
        expect(metrics.tracking).toEqual({ webVitals: true, resources: true })
        yield* TestClock.adjust("1 minute")
        expect(yield* ofType("performance.resource")).toHaveLength(1)
      }).pipe(Effect.scoped))
  })

  describe("small-sample percentiles", () => {
    // Hand-computed R-7 quantiles (h = (n − 1)·q, interpolated): exact while a metric holds ≤ 128 samples.
    const table: ReadonlyArray<readonly [ReadonlyArray<number>, { p50: number; p95: number; p99: number }]> = [
      [[800, 30], { p50: 415, p95: 761.5, p99: 792.3 }],
      [[150], { p50: 150, p95: 150, p99: 150 }],
      [[100, 300, 200], { p50: 200, p95: 290, p99: 298 }],
      [[100, 150, 200, 250, 300, 350, 400, 450, 500], { p50: 300, p95: 480, p99: 496 }]
    ]
    for (const [durations, expected] of table) {
      it.scoped(`timed runs of ${durations.join(", ")} ms give p50 ${expected.p50}, p95 ${expected.p95}, p99 ${expected.p99}`, () =>
        Effect.gen(function*() {
          const { metrics } = yield* start()
          for (const ms of durations) yield* TestClock.adjust(ms).pipe(metrics.timed("provider.call"))
          const p = yield* metrics.percentiles("provider.call")
          expect(p.count).toBe(durations.length)
          expect(p.mean).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / durations.length, 9)
          expect(p.p50).toBeCloseTo(expected.p50, 9)
          expect(p.p95).toBeCloseTo(expected.p95, 9)
          expect(p.p99).toBeCloseTo(expected.p99, 9)
        }))
    }

    it.scoped("exact at 128 samples of a metric, within 0.54 % (scale 6) of the exact quantile past them", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        // A spread the sketch's buckets cannot hold exactly: 128 distinct totals from 37 to 9,997 ms.
        const totals = Array.from({ length: 200 }, (_, i) => 37 + ((i * 7919) % 9961))
        for (const totalMs of totals.slice(0, 128)) yield* metrics.trackAIOperation({ totalMs })
        const first = totals.slice(0, 128).sort((a, b) => a - b)
        const exact = yield* metrics.percentiles("ai.total")
        expect([exact.p50, exact.p95, exact.p99]).toEqual([0.5, 0.95, 0.99].map((q) => exactQuantile(first, q)))

        for (const totalMs of totals.slice(128)) yield* metrics.trackAIOperation({ totalMs })
        const all = [...totals].sort((a, b) => a - b)
        const past = yield* metrics.percentiles("ai.total")
        expect([past.count, past.min, past.max]).toEqual([200, all[0], all[199]])
        for (const [q, value] of [[0.5, past.p50], [0.95, past.p95], [0.99, past.p99]] as const) {
          expect(Math.abs(value - exactQuantile(all, q)) / exactQuantile(all, q)).toBeLessThanOrEqual(0.005416)
        }
      }))
  })

  describe("timings", () => {
    /** Metrics named ai.total, ai.api_call, ai.chat, ai_total, render, web_vital.FCP and web_vital.LCP. */
    const recordSome = (metrics: PerformanceMetrics["Type"]) =>
      Effect.gen(function*() {
        yield* metrics.trackAIOperation({ totalMs: 1200, apiCallMs: 1000 })
        yield* metrics.trackAIOperation({ totalMs: 400, apiCallMs: 300 })
        yield* TestClock.adjust("250 millis").pipe(metrics.timed("ai.chat"))
        yield* Effect.void.pipe(metrics.timed("ai_total"))
        yield* metrics.mark("r")
        yield* TestClock.adjust("40 millis")
        yield* metrics.measure("render", { start: "r" })
        yield* metrics.recordWebVital({ name: "LCP", value: 2000 })
        yield* metrics.recordWebVital({ name: "FCP", value: 900 })
      })

    const globs: ReadonlyArray<readonly [string | RegExp | undefined, ReadonlyArray<string>]> = [
      ["ai.*", ["ai.api_call", "ai.chat", "ai.total"]],
      // `.` is itself, not any character: ai_total is not ai.total.
      ["ai.total", ["ai.total"]],
      ["ai?total", ["ai.total", "ai_total"]],
      // The whole name must match.
      ["chat", []],
      ["*chat", ["ai.chat"]],
      ["web_vital.?CP", ["web_vital.FCP", "web_vital.LCP"]],
      ["*", ["ai.api_call", "ai.chat", "ai.total", "ai_total", "render", "web_vital.FCP", "web_vital.LCP"]],
      [undefined, ["ai.api_call", "ai.chat", "ai.total", "ai_total", "render", "web_vital.FCP", "web_vital.LCP"]],
      ["nothing.*", []],
      // A RegExp is tested as given (not anchored unless it says so); g and y flags do not skip names.
      [/^ai\.(total|chat)$/, ["ai.chat", "ai.total"]],
      [/total/gy, []],
      [/total/g, ["ai.total", "ai_total"]],
      [/vital/i, ["web_vital.FCP", "web_vital.LCP"]]
    ]
    for (const [pattern, names] of globs) {
      it.scoped(`timings(${String(pattern)}) lists ${names.length === 0 ? "nothing" : names.join(", ")}`, () =>
        Effect.gen(function*() {
          const { metrics } = yield* start()
          yield* recordSome(metrics)
          expect((yield* metrics.timings(pattern)).map((t) => t.name)).toEqual(names)
        }))
    }

    it.scoped("each entry carries the metric's name and percentiles, as percentiles(name) reports them", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        yield* recordSome(metrics)
        const listed = yield* metrics.timings("ai.*")
        expect(listed[2]).toEqual({ name: "ai.total", count: 2, min: 400, max: 1200, mean: 800, p50: 800, p95: 1160, p99: 1192 })
        for (const entry of listed) {
          const { name, ...percentiles } = entry
          expect(percentiles).toEqual(yield* metrics.percentiles(name))
        }
      }))

    it.scoped("a global RegExp matches every name, however they follow each other, and is left unchanged", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        for (const name of ["x.total", "y.total", "z.total"]) yield* Effect.void.pipe(metrics.timed(name))
        const global = /total/g
        expect((yield* metrics.timings(global)).map((t) => t.name)).toEqual(["x.total", "y.total", "z.total"])
        expect(global.lastIndex).toBe(0)
      }))

    it.scoped("a glob with characters no metric name can hold fails with InvalidMetricError on pattern", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        for (const pattern of ["ai chat", "", "ai.[ct]*", "x".repeat(129), 42 as never]) {
          const error = yield* Effect.flip(metrics.timings(pattern))
          expect(error).toBeInstanceOf(InvalidMetricError)
          expect(error.field).toBe("pattern")
        }
      }))
  })

  describe("clear and reset", () => {
    const countingSources = () => {
      let reads = 0
      const sources: ResourceSources = {
        memoryUsage: () => {
          reads++
          return { heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 }
        }
      }
      return { sources, reads: () => reads }
    }

    /** Records in every area: metrics, outcomes, a web vital with an id, AI totals, resources, a dropped sample, a mark. */
    const recordEverything = (metrics: PerformanceMetrics["Type"]) =>
      Effect.gen(function*() {
        yield* Effect.fail("x").pipe(metrics.timed("a"), Effect.ignore)
        yield* metrics.trackAIOperation({ totalMs: 10, promptTokens: 5 })
        yield* metrics.recordWebVital({ name: "CLS", value: 0.2, id: "v5-1" })
        yield* metrics.snapshotResources
        yield* Effect.void.pipe(metrics.timed("one.too.many"))
        yield* metrics.mark("start")
      })

    it.scoped("clear forgets metrics, outcomes, web vitals, AI totals, resources and drops, keeps marks, tracks nothing", () =>
      Effect.gen(function*() {
        const { sources } = countingSources()
        const { metrics, tracked } = yield* start({ maxMetrics: 3, resourceSources: sources })
        yield* recordEverything(metrics)
        const before = yield* metrics.getSummary
        expect(before.droppedSamples).toBe(1)
        expect(Object.keys(before.metrics).length).toBe(3)
        const events = (yield* tracked).length

        yield* metrics.clear
        expect(yield* metrics.getSummary).toEqual({
          metrics: {},
          timings: {},
          webVitals: {},
          ai: { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 },
          droppedSamples: 0,
          tracking: { webVitals: true, resources: true }
        })
        expect(yield* Effect.flip(metrics.percentiles("a"))).toEqual(new MetricNotFoundError({ metric: "a" }))
        expect(yield* metrics.timings()).toEqual([])
        // Nothing is tracked by clearing, and nothing tracked before is taken back.
        expect((yield* tracked).length).toBe(events)
        // Marks survive: a measure begun before the clear ends after it.
        yield* TestClock.adjust("70 millis")
        expect(yield* metrics.measure("span", { start: "start" })).toBe(70)
        // The web-vital id was forgotten with its sample: a new report of it is a new sample, and takes
        // nothing away from another instance that happens to share the old value.
        yield* metrics.recordWebVital({ name: "CLS", value: 0.2, id: "v5-2" })
        yield* metrics.recordWebVital({ name: "CLS", value: 0.05, id: "v5-1" })
        expect(yield* metrics.percentiles("web_vital.CLS")).toMatchObject({ count: 2, min: 0.05, max: 0.2 })
        // The maxMetrics room is back.
        yield* Effect.void.pipe(metrics.timed("one.too.many"))
        expect((yield* metrics.getSummary).droppedSamples).toBe(0)
      }))

    it.scoped("reset is clear plus the marks: the service is as newly built", () =>
      Effect.gen(function*() {
        const { metrics, tracked } = yield* start({ resourceSources: countingSources().sources })
        yield* recordEverything(metrics)
        const events = (yield* tracked).length
        yield* metrics.reset
        expect(yield* Effect.flip(metrics.measure("span", { start: "start" }))).toEqual(new MarkNotFoundError({ mark: "start" }))
        const { metrics: fresh } = yield* start({ resourceSources: countingSources().sources })
        expect(yield* metrics.getSummary).toEqual(yield* fresh.getSummary)
        expect((yield* tracked).length).toBe(events)
      }))

    it.scoped("over TelemetryTest, reset leaves the collector's accounting and what it already tracked alone", () =>
      Effect.gen(function*() {
        const metrics = yield* PerformanceMetrics
        const collector = yield* TelemetryCollector
        yield* Effect.succeed(1).pipe(metrics.timed("ai.chat"))
        yield* metrics.trackAIOperation({ totalMs: 10 })
        const stats = yield* collector.stats
        yield* metrics.reset
        expect(yield* collector.stats).toEqual(stats)
        yield* collector.flush
        expect((yield* deliveredEvents).map((e) => e.type)).toEqual(["performance.timing", "performance.ai_operation"])
        expect((yield* metrics.getSummary).ai.operations).toBe(0)
      }).pipe(
        Effect.provide(PerformanceMetrics.layer({ resourceSources: {} }).pipe(Layer.provide(sinkOfCollector))),
        Effect.provide(TelemetryTest)
      ))
  })

  describe("switching areas off", () => {
    it.scoped("by default every area records, and the summary says so", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start()
        expect(metrics.tracking).toEqual({ webVitals: true, resources: true })
        expect((yield* metrics.getSummary).tracking).toEqual({ webVitals: true, resources: true })
      }))

    it.scoped("trackWebVitals: false — recordWebVital validates and rates, records and tracks nothing", () =>
      Effect.gen(function*() {
        const { metrics, tracked } = yield* start({ trackWebVitals: false })
        const vital = yield* metrics.recordWebVital({ name: "LCP", value: 4200, id: "v5-1" })
        expect(vital).toEqual({ name: "LCP", value: 4200, id: "v5-1", rating: "poor" })
        expect((yield* Effect.flip(metrics.recordWebVital({ name: "LCP", value: -1 }))).field).toBe("value")
        const summary = yield* metrics.getSummary
        expect(summary.webVitals).toEqual({})
        expect(summary.metrics).toEqual({})
        expect(summary.tracking).toEqual({ webVitals: false, resources: true })
        expect(yield* tracked).toEqual([])
        // The other areas are untouched.
        yield* metrics.trackAIOperation({ totalMs: 5 })
        expect((yield* metrics.getSummary).ai.operations).toBe(1)
      }))

    it.scoped("trackWebVitals: false — WebVitals.layer does not subscribe", () =>
      Effect.gen(function*() {
        const { metrics } = yield* start({ trackWebVitals: false })
        const subscribed: Array<string> = []
        const subscribe = (name: string) => () => void subscribed.push(name)
        yield* Layer.build(WebVitals.layer({
          subscribers: {
            onLCP: subscribe("LCP"),
            onINP: subscribe("INP"),
            onCLS: subscribe("CLS"),
            onFCP: subscribe("FCP"),
            onTTFB: subscribe("TTFB")
          }
        })).pipe(Effect.provideService(PerformanceMetrics, metrics))
        expect(subscribed).toEqual([])
      }))

    it.scoped("trackResources: false — no snapshot is read, kept or tracked, even with resourceInterval", () =>
      Effect.gen(function*() {
        let reads = 0
        let monitors = 0
        const sources: ResourceSources = {
          memoryUsage: () => {
            reads++
            return { heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 }
          },
          eventLoopUtilization: () => {
            reads++
            return { idle: 1, active: 1, utilization: 0.5 }
          },
          monitorEventLoopDelay: () => {
            monitors++
            throw new Error("not expected")
          }
        }
        const { metrics, tracked } = yield* start({ trackResources: false, resourceInterval: "1 minute", resourceSources: sources })
        expect(yield* metrics.snapshotResources).toEqual({})
        yield* TestClock.adjust("5 minutes")
        expect([reads, monitors]).toEqual([0, 0])
        const summary = yield* metrics.getSummary
        expect(summary.resources).toBeUndefined()
        expect(summary.tracking).toEqual({ webVitals: true, resources: false })
        expect(yield* tracked).toEqual([])
      }))
  })

  it.scoped("over TelemetryTest, performance events are delivered with kind performance", () =>
    Effect.gen(function*() {
      const metrics = yield* PerformanceMetrics
      const collector = yield* TelemetryCollector
      yield* Effect.succeed(1).pipe(metrics.timed("ai.chat"))
      yield* metrics.trackAIOperation({ totalMs: 10 })
      yield* metrics.recordWebVital({ name: "FCP", value: 1000, id: "v5-1" })
      yield* collector.flush
      const delivered = yield* deliveredEvents
      expect(delivered.map((e) => [e.type, e.kind])).toEqual([
        ["performance.timing", "performance"],
        ["performance.ai_operation", "performance"],
        ["performance.web_vital", "performance"]
      ])
      expect(Option.some(delivered[2]?.data)).toEqual(Option.some({ name: "FCP", value: 1000, id: "v5-1", rating: "good" }))
    }).pipe(
      // Not `Layer.provideMerge(…, TelemetryTest)`: TelemetryTest is `Layer.fresh`, so that would build two collectors.
      Effect.provide(PerformanceMetrics.layer({ resourceSources: {} }).pipe(Layer.provide(sinkOfCollector))),
      Effect.provide(TelemetryTest)
    ))
})

describe("MetricNotFoundError", () => {
  it("shows its tag as its name and names the metric in its message", () => {
    const error = new MetricNotFoundError({ metric: "ai.chat" })
    expect(error.name).toBe("MetricNotFoundError")
    expect(error.message).toContain("ai.chat")
    expect(String(error)).toContain("MetricNotFoundError")
  })
})

describe("fast input checks", () => {
  const fc = FastCheck
  const decodeAttributes = ParseResult.decodeUnknownEither(MetricAttributes, { onExcessProperty: "error" })
  const decodeOperation = ParseResult.decodeUnknownEither(AIOperation, { onExcessProperty: "error" })
  const value = fc.oneof(
    fc.string({ maxLength: 1_100 }),
    fc.double(),
    fc.integer({ min: -5, max: 5_000 }),
    fc.boolean(),
    fc.constant(undefined),
    fc.constant(null)
  )
  const key = fc.oneof(
    fc.constantFrom("operation", "provider", "model", "totalMs", "contextGatheringMs", "compressionMs", "apiCallMs"),
    fc.constantFrom("promptTokens", "completionTokens", "contextSize", "success", "attributes", "other"),
    fc.string({ maxLength: 140 })
  )
  const record = fc.dictionary(key, fc.oneof(value, fc.dictionary(fc.string({ maxLength: 140 }), value, { maxKeys: 40 })), {
    maxKeys: 12
  })

  it("never accept what the schema refuses, and accept as the schema decodes", () => {
    fc.assert(
      fc.property(record, (input) => {
        const attributes = fastAttributes(input)
        if (attributes !== undefined) expect(decodeAttributes(input)).toStrictEqual(Either.right(attributes))
        const operation = fastAIOperation(input)
        if (operation !== undefined) expect(decodeOperation(input)).toStrictEqual(Either.right(operation))
      }),
      { numRuns: 2_000 }
    )
  })

  it("accept the usual operation and attributes", () => {
    const attributes = { model: "gpt-4o", tokens: 52, cached: false }
    expect(fastAttributes(attributes)).toBe(attributes)
    const op = { operation: "chat", model: "gpt-4o", totalMs: 840, apiCallMs: 790, promptTokens: 52, success: true, attributes }
    expect(fastAIOperation(op)).toBe(op)
  })
})
