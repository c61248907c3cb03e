import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as fc from "fast-check"
import { MetricNotFoundError } from "../src/schemas/PerformanceEvents.js"
import { PerformanceMetrics } from "../src/services/PerformanceMetrics.js"
import type { ExponentialHistogramPoint, Metric, NumberPoint } from "../src/transports/otlp/Model.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

/** The service over a recording collector, in the test's scope. */
const start = (options: PerformanceMetrics.Options = {}) =>
  Effect.gen(function*() {
    const { context, tracked } = yield* makeRecordingCollector()
    const metrics = yield* PerformanceMetrics.make({ resourceSources: {}, ...options }).pipe(Effect.provide(context))
    return { metrics, tracked }
  })

const metricNamed = (snapshot: ReadonlyArray<Metric>, name: string): Metric => {
  const found = snapshot.find((m) => m.name === name)
  if (found === undefined) throw new Error(`no metric ${name} in ${snapshot.map((m) => m.name).join(", ")}`)
  return found
}

const histogramPoints = (metric: Metric): ReadonlyArray<ExponentialHistogramPoint> => {
  if (metric.data._tag !== "ExponentialHistogram") throw new Error(`${metric.name} is a ${metric.data._tag}`)
  return metric.data.points
}

const numberPoints = (metric: Metric): ReadonlyArray<NumberPoint> => {
  if (metric.data._tag !== "Sum" && metric.data._tag !== "Gauge") throw new Error(`${metric.name} is a ${metric.data._tag}`)
  return metric.data.points
}

/**
 * The counts OTLP's definition gives the values: positive bucket `index` holds the values in
 * `(base^index, base^(index+1)]`, `base = 2^(2^-scale)`; zeros are counted apart.
 */
const otlpCounts = (point: ExponentialHistogramPoint, values: ReadonlyArray<number>) => {
  const { offset, bucketCounts } = point.positive
  const counts = bucketCounts.map(() => 0)
  let zeros = 0
  let outside = 0
  for (const v of values) {
    if (v === 0) {
      zeros++
      continue
    }
    const k = counts.findIndex((_, i) =>
      Math.pow(2, (offset + i) / 2 ** point.scale) < v && v <= Math.pow(2, (offset + i + 1) / 2 ** point.scale)
    )
    if (k < 0) outside++
    else counts[k]!++
  }
  return { counts, zeros, outside }
}

describe("PerformanceMetrics series by dimension", () => {
  it.scoped("a timed sample with dimension attributes is in its name's series and in its dimensions' series", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      yield* TestClock.adjust("300 millis").pipe(metrics.timed("ai.chat", { provider: "anthropic", model: "claude-sonnet", stream: true }))
      yield* TestClock.adjust("100 millis").pipe(metrics.timed("ai.chat", { provider: "openai" }))
      yield* TestClock.adjust("200 millis").pipe(metrics.timed("ai.chat"))
      expect((yield* metrics.percentiles("ai.chat")).count).toBe(3)
      expect(yield* metrics.percentiles("ai.chat", {})).toEqual(yield* metrics.percentiles("ai.chat"))
      expect(yield* metrics.percentiles("ai.chat", { model: "claude-sonnet", provider: "anthropic" })).toEqual({
        count: 1, min: 300, max: 300, mean: 300, p50: 300, p95: 300, p99: 300
      })
      expect((yield* metrics.percentiles("ai.chat", { provider: "openai" })).max).toBe(100)
      // Only exactly the dimensions a series has find it; a key that is no dimension finds nothing.
      for (const asked of [{ provider: "anthropic" }, { provider: "openai", stream: "true" }, { stream: "true" }]) {
        expect(yield* Effect.flip(metrics.percentiles("ai.chat", asked))).toEqual(new MetricNotFoundError({ metric: "ai.chat" }))
      }
      const listed = yield* metrics.timings("ai.*")
      expect(listed.map((t) => [t.name, t.dimensions, t.count])).toEqual([
        ["ai.chat", undefined, 3],
        ["ai.chat", { provider: "anthropic", model: "claude-sonnet" }, 1],
        ["ai.chat", { provider: "openai" }, 1]
      ])
      const summary = yield* metrics.getSummary
      expect(summary.metrics["ai.chat"]!.count).toBe(3)
      expect(summary.timings["ai.chat"]).toEqual({ success: 3, failure: 0, interrupted: 0 })
      expect(summary.series?.map((s) => s.dimensions)).toEqual([{ provider: "anthropic", model: "claude-sonnet" }, { provider: "openai" }])
    }))

  it.scoped("samples without dimension attributes make no series", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      yield* Effect.void.pipe(metrics.timed("render", { stream: true }))
      yield* metrics.trackAIOperation({ totalMs: 5, operation: "chat" })
      expect((yield* metrics.getSummary).series).toBeUndefined()
    }))

  it.scoped("an AI operation's provider and model split ai.* by dimension; option dimensions picks the keys", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start({ dimensions: ["tenant", "provider"] })
      yield* metrics.trackAIOperation({ totalMs: 900, apiCallMs: 800, provider: "anthropic", model: "claude", attributes: { tenant: "acme" } })
      yield* metrics.trackAIOperation({ totalMs: 100, provider: "openai", attributes: { provider: "ignored" } })
      expect((yield* metrics.percentiles("ai.total", { tenant: "acme", provider: "anthropic" })).max).toBe(900)
      expect((yield* metrics.percentiles("ai.api_call", { tenant: "acme", provider: "anthropic" })).max).toBe(800)
      // The field wins over an attribute of the same key; model is no dimension here.
      expect((yield* metrics.percentiles("ai.total", { provider: "openai" })).max).toBe(100)
      expect(yield* Effect.flip(metrics.percentiles("ai.total", { provider: "anthropic", model: "claude" }))).toBeInstanceOf(
        MetricNotFoundError
      )
      expect((yield* metrics.percentiles("ai.total")).count).toBe(2)
    }))

  it.scoped("past maxSeries a sample stays in its name's series, is counted dropped, and is exported as overflow", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start({ maxSeries: 1 })
      for (const provider of ["a", "b", "b"]) yield* Effect.void.pipe(metrics.timed("call", { provider }))
      yield* Effect.void.pipe(metrics.timed("call"))
      expect((yield* metrics.percentiles("call")).count).toBe(4)
      expect((yield* metrics.percentiles("call", { provider: "a" })).count).toBe(1)
      expect(yield* Effect.flip(metrics.percentiles("call", { provider: "b" }))).toBeInstanceOf(MetricNotFoundError)
      expect((yield* metrics.getSummary).droppedSamples).toBe(2)
      const points = histogramPoints(metricNamed(yield* metrics.snapshot, "call"))
      // The points partition the samples: none without dimensions, provider a, the overflow.
      expect(points.map((p) => [p.attributes, p.count])).toEqual([
        [{}, 1],
        [{ provider: "a" }, 1],
        [{ "otel.metric.overflow": true }, 2]
      ])
    }))

  it.scoped("a dimension's value is its string: 1 and \"1\" are one series, however many other sets came between", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start({ maxSeries: 2_000 })
      yield* Effect.void.pipe(metrics.timed("call", { provider: 1 }))
      // More distinct sets than the reader remembers: the first one is found again after its memory restarts.
      for (let i = 0; i < 1_100; i++) yield* Effect.void.pipe(metrics.timed("call", { provider: `p${i}` }))
      yield* Effect.void.pipe(metrics.timed("call", { provider: "1", stream: true }))
      yield* Effect.void.pipe(metrics.timed("call", { provider: "p0" }))
      expect((yield* metrics.percentiles("call", { provider: "1" })).count).toBe(2)
      expect((yield* metrics.percentiles("call", { provider: "p0" })).count).toBe(2)
      expect((yield* metrics.getSummary).droppedSamples).toBe(0)
    }))

  it.scoped("GenAI attribute sets past maxSeries are counted dropped; a failure is a set of its own; clear makes room", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start({ maxSeries: 2 })
      yield* metrics.trackAIOperation({ operation: "chat", provider: "a", totalMs: 100 })
      yield* metrics.trackAIOperation({ operation: "chat", provider: "a", totalMs: 300, success: false })
      yield* metrics.trackAIOperation({ operation: "chat", provider: "b", totalMs: 200 })
      yield* metrics.trackAIOperation({ operation: "chat", provider: "a", totalMs: 500 })
      const points = (snapshot: ReadonlyArray<Metric>) =>
        histogramPoints(metricNamed(snapshot, "gen_ai.client.operation.duration")).map((p) =>
          [p.attributes["gen_ai.provider.name"], p.attributes["error.type"], p.count]
        )
      expect(points(yield* metrics.snapshot)).toEqual([["a", undefined, 2], ["a", "_OTHER", 1]])
      // b found no GenAI set; its ai.total series (the second set of dimensions) did.
      expect((yield* metrics.getSummary).droppedSamples).toBe(1)
      expect((yield* metrics.percentiles("ai.total", { provider: "b" })).count).toBe(1)
      yield* metrics.clear
      yield* metrics.trackAIOperation({ operation: "chat", provider: "b", totalMs: 200 })
      expect(points(yield* metrics.snapshot)).toEqual([["b", undefined, 1]])
    }))

  it.scoped("a series begun after samples without dimensions leaves them in the series without dimensions", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      yield* Effect.fail("x").pipe(metrics.timed("call"), Effect.ignore)
      yield* Effect.void.pipe(metrics.timed("call", { model: "m" }))
      yield* Effect.void.pipe(metrics.timed("call"))
      const snapshot = yield* metrics.snapshot
      expect(histogramPoints(metricNamed(snapshot, "call")).map((p) => [p.attributes, p.count])).toEqual([[{}, 2], [{ model: "m" }, 1]])
      const outcomes = numberPoints(metricNamed(snapshot, "effect_telemetry.timing.count"))
        .filter((p) => p.value > 0)
        .map((p) => [p.attributes, p.value])
      expect(outcomes).toEqual([
        [{ metric: "call", outcome: "success" }, 1],
        [{ metric: "call", outcome: "failure" }, 1],
        [{ metric: "call", outcome: "success", model: "m" }, 1]
      ])
    }))
})

describe("PerformanceMetrics.recordTimings", () => {
  it.scoped("records many samples as timed would, by series and outcome, tracking no event", () =>
    Effect.gen(function*() {
      const { metrics, tracked } = yield* start()
      yield* metrics.recordTimings([
        { name: "span.db", durationMs: 12, outcome: "success", attributes: { provider: "pg" } },
        { name: "span.db", durationMs: 30, outcome: "failure" },
        { name: "span.http", durationMs: 0, outcome: "interrupted" }
      ])
      expect(yield* metrics.percentiles("span.db")).toMatchObject({ count: 2, min: 12, max: 30 })
      expect((yield* metrics.percentiles("span.db", { provider: "pg" })).count).toBe(1)
      const summary = yield* metrics.getSummary
      expect(summary.timings).toEqual({
        "span.db": { success: 1, failure: 1, interrupted: 0 },
        "span.http": { success: 0, failure: 0, interrupted: 1 }
      })
      expect(yield* tracked).toEqual([])
    }))

  it.scoped("skips and counts invalid samples, records the valid ones around them, and never fails", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      const invalid = [
        { name: "bad name", durationMs: 1, outcome: "success" },
        { name: "", durationMs: 1, outcome: "success" },
        { name: "ok", durationMs: -1, outcome: "success" },
        { name: "ok", durationMs: Number.NaN, outcome: "success" },
        { name: "ok", durationMs: Number.POSITIVE_INFINITY, outcome: "success" },
        { name: "ok", durationMs: 1, outcome: "crashed" },
        { name: "ok", durationMs: 1, outcome: "success", attributes: { nested: { no: 1 } } },
        null,
        { name: 42, durationMs: 1, outcome: "success" }
      ] as unknown as ReadonlyArray<PerformanceMetrics.TimingSample>
      const exit = yield* Effect.exit(metrics.recordTimings([
        { name: "ok", durationMs: 5, outcome: "success" },
        ...invalid,
        { name: "ok", durationMs: 7, outcome: "success" }
      ]))
      expect(exit._tag).toBe("Success")
      expect((yield* metrics.percentiles("ok")).count).toBe(2)
      expect((yield* metrics.getSummary).droppedSamples).toBe(invalid.length)
    }))

  it.scoped("takes any iterable, read once", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      function* spans() {
        for (let i = 1; i <= 200; i++) yield { name: "span", durationMs: i, outcome: "success" as const }
      }
      yield* metrics.recordTimings(spans())
      expect(yield* metrics.percentiles("span")).toMatchObject({ count: 200, min: 1, max: 200 })
    }))
})

describe("PerformanceMetrics.snapshot", () => {
  it.effect("each histogram reproduces its samples under OTLP's bucket definition, powers of two included (property)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.double({ min: 2 ** -8, max: 2 ** 8, noNaN: true }),
              fc.integer({ min: -8, max: 8 }).map((k) => 2 ** k),
              fc.constant(0)
            ),
            { minLength: 1, maxLength: 400 }
          ),
          (values) =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              const { metrics } = yield* start()
              yield* metrics.recordTimings(values.map((durationMs) => ({ name: "op", durationMs, outcome: "success" as const })))
              const [point] = histogramPoints(metricNamed(yield* metrics.snapshot, "op"))
              const total = point!.positive.bucketCounts.reduce((a, b) => a + b, 0)
              expect(total + point!.zeroCount).toBe(values.length)
              expect(point!.count).toBe(values.length)
              const { counts, outside, zeros } = otlpCounts(point!, values)
              expect(outside).toBe(0)
              expect(zeros).toBe(point!.zeroCount)
              expect(counts).toEqual(point!.positive.bucketCounts)
              expect(point!.scale).toBe(6)
              expect([point!.min, point!.max]).toEqual([Math.min(...values), Math.max(...values)])
            })))
        ),
        { numRuns: 150, seed: 20261129 }
      )
    ))

  it.effect("a power of two lands in the bucket it closes: 2^k at scale 6 is index 64·k − 1", () =>
    Effect.scoped(Effect.gen(function*() {
      const { metrics } = yield* start()
      yield* metrics.recordTimings([{ name: "one", durationMs: 1, outcome: "success" }, { name: "eight", durationMs: 8, outcome: "success" }])
      const snapshot = yield* metrics.snapshot
      expect(histogramPoints(metricNamed(snapshot, "one"))[0]!.positive).toEqual({ offset: -1, bucketCounts: [1] })
      expect(histogramPoints(metricNamed(snapshot, "eight"))[0]!.positive).toEqual({ offset: 191, bucketCounts: [1] })
    })))

  it.scoped("is cumulative from the build or last clear to now, by Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 second")
      const { metrics } = yield* start()
      yield* TestClock.adjust("2 seconds")
      yield* Effect.void.pipe(metrics.timed("op"))
      const [point] = histogramPoints(metricNamed(yield* metrics.snapshot, "op"))
      expect([point!.startTimeUnixNano, point!.timeUnixNano]).toEqual([1_000_000_000n, 3_000_000_000n])
      expect(metricNamed(yield* metrics.snapshot, "op").unit).toBe("ms")
      yield* metrics.clear
      yield* TestClock.adjust("1 second")
      yield* Effect.void.pipe(metrics.timed("op"))
      const [after] = histogramPoints(metricNamed(yield* metrics.snapshot, "op"))
      expect([after!.startTimeUnixNano, after!.timeUnixNano, after!.count]).toEqual([3_000_000_000n, 4_000_000_000n, 1])
    }))

  it.scoped("AI operations follow the GenAI conventions: duration in seconds, tokens by type", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start()
      yield* metrics.trackAIOperation({ operation: "chat", provider: "anthropic", model: "claude-sonnet", totalMs: 1500, promptTokens: 52, completionTokens: 8 })
      yield* metrics.trackAIOperation({ operation: "chat", provider: "anthropic", model: "claude-sonnet", totalMs: 500, promptTokens: 10 })
      yield* metrics.trackAIOperation({ totalMs: 250, success: false })
      const snapshot = yield* metrics.snapshot
      const duration = metricNamed(snapshot, "gen_ai.client.operation.duration")
      expect(duration.unit).toBe("s")
      const chat = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet",
        "error.type": undefined
      }
      expect(histogramPoints(duration).map((p) => [p.attributes, p.count, p.sum, p.min, p.max])).toEqual([
        [chat, 2, 2, 0.5, 1.5],
        [{ "gen_ai.operation.name": undefined, "gen_ai.provider.name": undefined, "gen_ai.request.model": undefined, "error.type": "_OTHER" }, 1, 0.25, 0.25, 0.25]
      ])
      // 0.5 s = 2^-1 closes index 64·(−1) − 1 at scale 6.
      const [chatDuration] = histogramPoints(duration)
      expect(chatDuration!.positive.offset).toBe(-65)
      const tokens = metricNamed(snapshot, "gen_ai.client.token.usage")
      expect(tokens.unit).toBe("{token}")
      expect(histogramPoints(tokens).map((p) => [p.attributes["gen_ai.token.type"], p.count, p.sum])).toEqual([
        ["input", 2, 62],
        ["output", 1, 8]
      ])
      // The millisecond series stay as well, split by provider and model.
      expect(histogramPoints(metricNamed(snapshot, "ai.total")).map((p) => p.attributes)).toEqual([
        {},
        { provider: "anthropic", model: "claude-sonnet" }
      ])
    }))

  it.scoped("web vitals are gauges of the latest value; dropped samples a monotonic sum", () =>
    Effect.gen(function*() {
      const { metrics } = yield* start({ maxMetrics: 2 })
      yield* metrics.recordWebVital({ name: "LCP", value: 3000, id: "v1" })
      yield* metrics.recordWebVital({ name: "LCP", value: 1800, id: "v1" })
      yield* metrics.recordWebVital({ name: "CLS", value: 0.3 })
      yield* metrics.recordTimings([{ name: "third", durationMs: 1, outcome: "success" }])
      const fiber = yield* Effect.fork(metrics.snapshot)
      const snapshot = yield* Fiber.join(fiber)
      const lcp = metricNamed(snapshot, "web_vital.LCP.latest")
      expect(lcp.data._tag).toBe("Gauge")
      expect(numberPoints(lcp).map((p) => [p.value, p.attributes])).toEqual([[1800, { "web_vital.rating": "good" }]])
      expect(metricNamed(snapshot, "web_vital.CLS.latest").unit).toBe("1")
      expect(histogramPoints(metricNamed(snapshot, "web_vital.LCP"))[0]!.count).toBe(1)
      const dropped = metricNamed(snapshot, "effect_telemetry.performance.dropped_samples")
      expect(dropped.data).toMatchObject({ _tag: "Sum", monotonic: true })
      expect(numberPoints(dropped).map((p) => p.value)).toEqual([1])
    }))
})
