import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as IntervalPercentiles from "../../src/dashboard/IntervalPercentiles.js"
import { QuantileSketch } from "../../src/internal/QuantileSketch.js"
import { TelemetryTest } from "../../src/layers/TelemetryTest.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"

const services = Layer.orDie(TelemetryTest)

/** Records `durations` of `name` (with `attributes`) through the service, as spans would. */
const record = (name: string, durations: ReadonlyArray<number>, attributes?: Record<string, string>) =>
  Effect.flatMap(PerformanceMetrics, (p) =>
    p.recordTimings(durations.map((durationMs) => ({ name, durationMs, outcome: "success" as const, ...(attributes === undefined ? {} : { attributes }) }))))

/** One differ over the service's snapshots, for every metric. */
const differ = Effect.gen(function*() {
  const performance = yield* PerformanceMetrics
  const intervals = IntervalPercentiles.make()
  return Effect.map(performance.snapshot, (metrics) => intervals.step(metrics, () => true))
})

/** What a sketch of only these samples says, bucketed as the service's sketches are past 128 samples. */
const sketchOf = (values: ReadonlyArray<number>, exactThreshold = 0) => {
  const sketch = new QuantileSketch({ exactThreshold })
  for (const v of values) sketch.add(v)
  return sketch
}

/** A seeded spread of latencies (a linear congruential generator: deterministic, no real randomness). */
const latencies = (n: number, seed: number, scale: number) => {
  let x = seed
  return Array.from({ length: n }, () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
    return scale * (1 + (x / 2_147_483_648) * 9)
  })
}

describe("IntervalPercentiles", () => {
  it.effect("an interval's p50/p95/p99 are those of a sketch of only its samples, whatever came before", () =>
    Effect.gen(function*() {
      const step = yield* differ
      yield* record("ai.chat", latencies(500, 1, 10))
      const first = (yield* step).metrics.get("ai.chat")!
      expect(first.count).toBe(500)
      // A regression: the next interval's calls are ten times slower; the cumulative p50 would barely move.
      const slow = latencies(300, 2, 100)
      yield* record("ai.chat", slow)
      const second = (yield* step).metrics.get("ai.chat")!
      expect(second.count).toBe(300)
      const bucketed = sketchOf(slow)
      const exact = sketchOf(slow, 1_000)
      const [p50, p95, p99] = second.percentiles!
      expect(p95).toBe(bucketed.quantile(0.95))
      expect(p50).toBe(bucketed.quantile(0.5))
      expect(p99).toBe(bucketed.quantile(0.99))
      for (const [q, v] of [[0.5, p50], [0.95, p95], [0.99, p99]] as const) {
        expect(Math.abs(v - exact.quantile(q)) / exact.quantile(q)).toBeLessThanOrEqual(0.01)
      }
      const cumulative = yield* Effect.orDie((yield* PerformanceMetrics).percentiles("ai.chat"))
      expect(p50 / cumulative.p50).toBeGreaterThan(3)
    }).pipe(Effect.provide(services)))

  it.effect("an interval with no samples has a count of 0 and no percentiles (a gap, not a zero)", () =>
    Effect.gen(function*() {
      const step = yield* differ
      yield* record("db.query", [1, 2, 3])
      expect((yield* step).metrics.get("db.query")).toMatchObject({ count: 3 })
      expect((yield* step).metrics.get("db.query")).toEqual({ count: 0 })
    }).pipe(Effect.provide(services)))

  it.effect("after clear, the next interval restarts from the new cumulative", () =>
    Effect.gen(function*() {
      const performance = yield* PerformanceMetrics
      const step = yield* differ
      yield* record("db.query", latencies(200, 3, 5))
      yield* step
      yield* performance.clear
      // More samples than before the clear: the count alone could not tell.
      const after = latencies(250, 4, 50)
      yield* record("db.query", after)
      const interval = (yield* step).metrics.get("db.query")!
      expect(interval.count).toBe(250)
      expect(interval.percentiles![1]).toBe(sketchOf(after).quantile(0.95))
    }).pipe(Effect.provide(services)))

  it.effect("each series with dimensions has its own interval, and the metric's merges them all", () =>
    Effect.gen(function*() {
      const step = yield* differ
      yield* record("ai.total", latencies(150, 5, 10), { provider: "openai", model: "gpt-4o" })
      yield* record("ai.total", latencies(150, 6, 30), { provider: "anthropic", model: "claude" })
      yield* step
      const openai = latencies(200, 7, 20)
      yield* record("ai.total", openai, { provider: "openai", model: "gpt-4o" })
      yield* record("ai.total", [5, 6, 7])
      const tick = yield* step
      expect(tick.series.get("ai.total openai/gpt-4o")!.percentiles![1]).toBe(sketchOf(openai).quantile(0.95))
      expect(tick.series.get("ai.total anthropic/claude")).toEqual({ count: 0 })
      const all = tick.metrics.get("ai.total")!
      expect(all.count).toBe(203)
      expect(all.percentiles![1]).toBe(sketchOf([...openai, 5, 6, 7]).quantile(0.95))
    }).pipe(Effect.provide(services)))
})
