import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Metric, MetricBoundaries } from "effect"
import { effectMetrics } from "../../src/instrumentation/Instrumentation.js"
import type { Metric as OtlpMetric } from "../../src/transports/otlp/Model.js"

// The registry is process-wide: names unique to this file.
const requests = Metric.counter("im_test_requests", { description: "requests served", incremental: true })
const inFlight = Metric.counter("im_test_in_flight")
const bytes = Metric.counter("im_test_bytes", { bigint: true, incremental: true })
const queueDepth = Metric.gauge("im_test_queue_depth")
const latency = Metric.histogram("im_test_latency", MetricBoundaries.fromIterable([10, 100]))
const sizes = Metric.summary({ name: "im_test_sizes", maxAge: Duration.minutes(1), maxSize: 100, error: 0.01, quantiles: [0.5, 0.99] })
const statuses = Metric.frequency("im_test_status")

const find = (metrics: ReadonlyArray<OtlpMetric>, name: string) => metrics.find((m) => m.name === name)

describe("Instrumentation.effectMetrics", () => {
  it.effect("maps every kind of Effect metric to its OTLP shape, tags as point attributes", () =>
    Effect.gen(function*() {
      yield* Metric.update(requests.pipe(Metric.tagged("route", "/a")), 1)
      yield* Metric.update(requests.pipe(Metric.tagged("route", "/b")), 2)
      yield* Metric.incrementBy(inFlight, 1.5)
      yield* Metric.incrementBy(bytes, 10n)
      yield* Metric.set(queueDepth, 7)
      for (const v of [5, 50, 60, 500]) yield* Metric.update(latency, v)
      for (const v of [1, 2, 3]) yield* Metric.update(sizes, v)
      for (const s of ["ok", "ok", "error"]) yield* Metric.update(statuses, s)
      const metrics = effectMetrics(1n, 2n)

      const req = find(metrics, "im_test_requests")
      expect(req?.description).toBe("requests served")
      expect(req?.data).toMatchObject({ _tag: "Sum", monotonic: true })
      expect(req?.data.points.map((p) => [p.attributes, (p as { value: number }).value])).toEqual(
        expect.arrayContaining([[{ route: "/a" }, 1], [{ route: "/b" }, 2]])
      )
      expect(req?.data.points[0]).toMatchObject({ startTimeUnixNano: 1n, timeUnixNano: 2n, integer: true })
      expect(find(metrics, "im_test_in_flight")?.data).toMatchObject({
        _tag: "Sum",
        monotonic: false,
        points: [{ value: 1.5, integer: false }]
      })
      expect(find(metrics, "im_test_bytes")?.data).toMatchObject({ points: [{ value: 10, integer: true }] })
      expect(find(metrics, "im_test_queue_depth")?.data).toMatchObject({ _tag: "Gauge", points: [{ value: 7 }] })
      expect(find(metrics, "im_test_latency")?.data).toMatchObject({
        _tag: "Histogram",
        points: [{ count: 4, sum: 615, min: 5, max: 500, bounds: [10, 100], bucketCounts: [1, 2, 1] }]
      })
      const summary = find(metrics, "im_test_sizes")?.data
      expect(summary).toMatchObject({ _tag: "Summary", points: [{ count: 3, sum: 6 }] })
      expect(summary?._tag === "Summary" && summary.points[0]!.quantiles.map((q) => q.quantile)).toEqual([0.5, 0.99])
      expect(find(metrics, "im_test_status")?.data).toMatchObject({ _tag: "Sum", monotonic: true })
      expect(find(metrics, "im_test_status")?.data.points.map((p) => [p.attributes, (p as { value: number }).value]))
        .toEqual(expect.arrayContaining([[{ key: "ok" }, 2], [{ key: "error" }, 1]]))
    }))

  it.effect("leaves out this library's own metrics", () =>
    Effect.gen(function*() {
      yield* Metric.set(Metric.gauge("effect_telemetry_events_sent"), 3)
      expect(effectMetrics(0n, 1n).some((m) => m.name.startsWith("effect_telemetry_"))).toBe(false)
    }))
})
