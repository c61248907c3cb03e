import { describe, expect, it } from "@effect/vitest"
import { ValueType } from "@opentelemetry/api"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { AggregationType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import type { DataPoint, ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer"
import * as Effect from "effect/Effect"
import { metricsJson } from "../../src/transports/otlp/Json.js"
import type { Metric, PointBase, ScopeMetrics } from "../../src/transports/otlp/Model.js"
import { metricsProtobuf } from "../../src/transports/otlp/Protobuf.js"
import { makeResource, scope } from "../../src/transports/otlp/Resource.js"
import { decodeJson, decodeProtobuf, nanos } from "./wire-support.js"

const resource = makeResource({ serviceName: "assistant", language: "webjs" })
const chat = { route: "/chat" }
const admin = { route: "/admin", cached: true }

class CollectingReader extends MetricReader {
  protected override onForceFlush() {
    return Promise.resolve()
  }
  protected override onShutdown() {
    return Promise.resolve()
  }
}

/** One instrument of each kind, recorded through OpenTelemetry JS's SDK and collected once (cumulative). */
const collectOtel = Effect.promise(async () => {
  const reader = new CollectingReader()
  const provider = new MeterProvider({
    resource: resourceFromAttributes(resource.attributes as Record<string, string>),
    readers: [reader],
    views: [{
      instrumentName: "latency.exp",
      // maxSize large enough that 1, 2 and 4 land at scale 6, the scale our point states
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160, recordMinMax: true } }
    }]
  })
  const meter = provider.getMeter(scope.name, scope.version)
  const requests = meter.createCounter("requests", { valueType: ValueType.INT, unit: "{request}", description: "served" })
  requests.add(3, chat)
  requests.add(4, chat)
  requests.add(1, admin)
  meter.createCounter("cost", { valueType: ValueType.DOUBLE, unit: "USD" }).add(0.25)
  meter.createUpDownCounter("inflight", { valueType: ValueType.INT }).add(-3)
  const queue = meter.createUpDownCounter("queue.seconds", { valueType: ValueType.DOUBLE, unit: "s" })
  queue.add(2.5)
  queue.add(-1)
  meter.createGauge("temperature", { valueType: ValueType.DOUBLE }).record(21.5, chat)
  meter.createGauge("tokens.left", { valueType: ValueType.INT }).record(42)
  const latency = meter.createHistogram("latency", { unit: "ms", advice: { explicitBucketBoundaries: [10, 100, 1000] } })
  for (const value of [5, 50, 500, 5000]) latency.record(value, chat)
  const exp = meter.createHistogram("latency.exp", { unit: "s" })
  for (const value of [1, 2, 4]) exp.record(value)
  const { resourceMetrics } = await reader.collect()
  return resourceMetrics
})

/** The times OpenTelemetry stamped on the point of `name` with `attributes`, so both sides agree on them. */
const timesOf = (otel: ResourceMetrics, name: string, attributes: PointBase["attributes"] = {}): PointBase => {
  const metric = otel.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === name)!
  const point = (metric.dataPoints as ReadonlyArray<DataPoint<unknown>>).find((p) =>
    JSON.stringify(p.attributes) === JSON.stringify(attributes)
  )!
  return { attributes, startTimeUnixNano: nanos(point.startTime), timeUnixNano: nanos(point.endTime) }
}

/** Our model of what was recorded above, values worked out by hand. */
const ourMetrics = (otel: ResourceMetrics): ScopeMetrics => {
  const at = (name: string, attributes?: PointBase["attributes"]) => timesOf(otel, name, attributes)
  const metrics: Array<Metric> = [
    {
      name: "requests",
      description: "served",
      unit: "{request}",
      data: {
        _tag: "Sum",
        monotonic: true,
        points: [{ ...at("requests", chat), value: 7, integer: true }, { ...at("requests", admin), value: 1, integer: true }]
      }
    },
    { name: "cost", unit: "USD", data: { _tag: "Sum", monotonic: true, points: [{ ...at("cost"), value: 0.25, integer: false }] } },
    { name: "inflight", data: { _tag: "Sum", monotonic: false, points: [{ ...at("inflight"), value: -3, integer: true }] } },
    {
      name: "queue.seconds",
      unit: "s",
      data: { _tag: "Sum", monotonic: false, points: [{ ...at("queue.seconds"), value: 1.5, integer: false }] }
    },
    { name: "temperature", data: { _tag: "Gauge", points: [{ ...at("temperature", chat), value: 21.5, integer: false }] } },
    { name: "tokens.left", data: { _tag: "Gauge", points: [{ ...at("tokens.left"), value: 42, integer: true }] } },
    {
      name: "latency",
      unit: "ms",
      data: {
        _tag: "Histogram",
        points: [{
          ...at("latency", chat),
          count: 4,
          sum: 5555,
          min: 5,
          max: 5000,
          bounds: [10, 100, 1000],
          bucketCounts: [1, 1, 1, 1]
        }]
      }
    },
    {
      name: "latency.exp",
      unit: "s",
      data: {
        _tag: "ExponentialHistogram",
        points: [{
          ...at("latency.exp"),
          count: 3,
          sum: 7,
          min: 1,
          max: 4,
          scale: 6,
          zeroCount: 0,
          // at scale 6, 2^k falls in bucket 64k − 1: 1, 2 and 4 in −1, 63 and 127
          positive: { offset: -1, bucketCounts: Array.from({ length: 129 }, (_, i) => i % 64 === 0 ? 1 : 0) }
        }]
      }
    }
  ]
  return { scope, metrics }
}

/**
 * Normalised, with why:
 * - metrics sorted by name: their order in a scope carries no meaning;
 * - an exponential histogram's empty `negative` buckets dropped: OpenTelemetry writes them empty, we
 *   leave them out (we record no negative values), and OTLP reads both as no negative buckets.
 */
const normalise = (request: any) => {
  for (const resourceMetrics of request.resourceMetrics) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      scopeMetrics.metrics.sort((a: any, b: any) => a.name < b.name ? -1 : 1)
      for (const metric of scopeMetrics.metrics) {
        for (const point of metric.exponentialHistogram?.dataPoints ?? []) {
          if (point.negative?.bucketCounts.length === 0) point.negative = null
        }
      }
    }
  }
  return request
}

describe("OTLP metrics on the wire", () => {
  it.effect("our protobuf and JSON decode to the same request as OpenTelemetry JS's serializers for the same points", () =>
    Effect.gen(function*() {
      const otel = yield* collectOtel
      const ours = [ourMetrics(otel)]
      const fromProtobuf = normalise(decodeProtobuf("metrics", metricsProtobuf(resource, ours)))
      expect(normalise(decodeJson("metrics", metricsJson(resource, ours)))).toEqual(fromProtobuf)
      expect(normalise(decodeProtobuf("metrics", ProtobufMetricsSerializer.serializeRequest(otel)!))).toEqual(fromProtobuf)
      const otelJson = new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(otel))
      expect(normalise(decodeJson("metrics", otelJson))).toEqual(fromProtobuf)
    }))

  it.effect("each kind has its OTLP shape: cumulative sums and histograms, monotonic flags, int or double values", () =>
    Effect.gen(function*() {
      const otel = yield* collectOtel
      const request = decodeProtobuf("metrics", metricsProtobuf(resource, [ourMetrics(otel)])) as any
      const byName = Object.fromEntries(request.resourceMetrics[0].scopeMetrics[0].metrics.map((m: any) => [m.name, m]))
      expect(byName.requests.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true })
      expect(byName.requests.sum.dataPoints[0]).toMatchObject({ asInt: "7" })
      expect(byName.inflight.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: false })
      expect(byName.inflight.sum.dataPoints[0]).toMatchObject({ asInt: "-3" })
      expect(byName["queue.seconds"].sum.dataPoints[0]).toMatchObject({ asDouble: 1.5 })
      expect(byName.temperature.gauge.dataPoints[0]).toMatchObject({ asDouble: 21.5 })
      expect(byName.latency.histogram).toMatchObject({ aggregationTemporality: 2 })
      expect(byName.latency.histogram.dataPoints[0]).toMatchObject({
        count: "4",
        sum: 5555,
        bucketCounts: ["1", "1", "1", "1"],
        explicitBounds: [10, 100, 1000],
        min: 5,
        max: 5000
      })
      expect(byName["latency.exp"].exponentialHistogram.dataPoints[0]).toMatchObject({
        scale: 6,
        zeroCount: "0",
        positive: { offset: -1 }
      })
    }))

  it("summaries, negative scales and non-finite doubles decode alike from protobuf and JSON", () => {
    const base = { attributes: { q: "x" }, startTimeUnixNano: 1n, timeUnixNano: 2_000_000_000_000_000_000n }
    const scopes: ReadonlyArray<ScopeMetrics> = [{
      scope: { name: "effect" },
      metrics: [
        {
          name: "rtt",
          data: {
            _tag: "Summary",
            points: [{
              ...base,
              count: 10,
              sum: 12.5,
              quantiles: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: NaN }]
            }]
          }
        },
        {
          name: "wide",
          data: {
            _tag: "ExponentialHistogram",
            points: [{
              ...base,
              count: 2,
              sum: Infinity,
              scale: -3,
              zeroCount: 1,
              positive: { offset: -70_000, bucketCounts: [300, 0, 2 ** 40] }
            }]
          }
        },
        { name: "g", data: { _tag: "Gauge", points: [{ ...base, value: -Infinity, integer: true }] } },
        { name: "empty", data: { _tag: "Histogram", points: [{ ...base, count: 0, sum: 0, bounds: [], bucketCounts: [0] }] } }
      ]
    }, { scope: { name: "second", version: "2" }, metrics: [] }]
    const fromProtobuf = decodeProtobuf("metrics", metricsProtobuf(resource, scopes)) as any
    expect(decodeJson("metrics", metricsJson(resource, scopes))).toEqual(fromProtobuf)
    const [summary, wide, gauge] = fromProtobuf.resourceMetrics[0].scopeMetrics[0].metrics
    expect(summary.summary.dataPoints[0]).toMatchObject({
      count: "10",
      sum: 12.5,
      timeUnixNano: "2000000000000000000",
      quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 0.99, value: NaN }]
    })
    expect(wide.exponentialHistogram.dataPoints[0]).toMatchObject({
      scale: -3,
      zeroCount: "1",
      sum: Infinity,
      positive: { offset: -70_000, bucketCounts: ["300", "0", String(2 ** 40)] }
    })
    expect(gauge.gauge.dataPoints[0]).toMatchObject({ asDouble: -Infinity })
    expect(fromProtobuf.resourceMetrics[0].scopeMetrics[1].scope).toMatchObject({ name: "second", version: "2" })
  })
})
