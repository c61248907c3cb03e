/**
 * OTLP/protobuf metrics: `ExportMetricsServiceRequest` with every kind of point we export.
 *
 * @internal
 */
import type {
  ExponentialHistogramPoint,
  HistogramPoint,
  Metric,
  NumberPoint,
  PointBase,
  Resource,
  ScopeMetrics,
  SummaryPoint
} from "./Model.js"
import type { ProtoWriter } from "./ProtoWriter.js"
import { fixed64, len, request, varint, writeKeyValues, writeScope } from "./ProtobufCommon.js"
import { asInt, count, cumulative } from "./Scalars.js"

/** A data point's attributes (in `attributesField`), start and time (fields 2 and 3). */
const writePointBase = (w: ProtoWriter, point: PointBase, attributesField: number): void => {
  writeKeyValues(w, attributesField, point.attributes)
  w.varint32(fixed64(2))
  w.fixed64(point.startTimeUnixNano)
  w.varint32(fixed64(3))
  w.fixed64(point.timeUnixNano)
}

/** `count` (field 4, fixed64) and `sum` (field 5, double). */
const writeCountSum = (w: ProtoWriter, point: { readonly count: number; readonly sum: number }): void => {
  w.varint32(fixed64(4))
  w.fixed64Number(count(point.count))
  w.varint32(fixed64(5))
  w.double(point.sum)
}

const writeDouble = (w: ProtoWriter, field: number, value: number | undefined): void => {
  if (value === undefined) return
  w.varint32(fixed64(field))
  w.double(value)
}

const writeNumberPoint = (w: ProtoWriter, point: NumberPoint): void => {
  writePointBase(w, point, 7)
  const integer = asInt(point)
  if (integer === undefined) {
    writeDouble(w, 4, point.value)
  } else {
    w.varint32(fixed64(6))
    w.fixed64(integer)
  }
}

const writeHistogramPoint = (w: ProtoWriter, point: HistogramPoint): void => {
  writePointBase(w, point, 9)
  writeCountSum(w, point)
  if (point.bucketCounts.length > 0) {
    w.varint32(len(6))
    w.varint32(point.bucketCounts.length * 8)
    for (const n of point.bucketCounts) w.fixed64Number(count(n))
  }
  if (point.bounds.length > 0) {
    w.varint32(len(7))
    w.varint32(point.bounds.length * 8)
    for (const bound of point.bounds) w.double(bound)
  }
  writeDouble(w, 11, point.min)
  writeDouble(w, 12, point.max)
}

const writeExponentialPoint = (w: ProtoWriter, point: ExponentialHistogramPoint): void => {
  writePointBase(w, point, 1)
  writeCountSum(w, point)
  w.varint32(varint(6))
  w.sint32(point.scale)
  w.varint32(fixed64(7))
  w.fixed64Number(count(point.zeroCount))
  w.varint32(len(8))
  const positive = w.begin()
  w.varint32(varint(1))
  w.sint32(point.positive.offset)
  if (point.positive.bucketCounts.length > 0) {
    w.varint32(len(2))
    const packed = w.begin()
    for (const n of point.positive.bucketCounts) w.int64(count(n))
    w.end(packed)
  }
  w.end(positive)
  writeDouble(w, 12, point.min)
  writeDouble(w, 13, point.max)
}

const writeSummaryPoint = (w: ProtoWriter, point: SummaryPoint): void => {
  writePointBase(w, point, 7)
  writeCountSum(w, point)
  for (const { quantile, value } of point.quantiles) {
    w.varint32(len(6))
    const start = w.begin()
    writeDouble(w, 1, quantile)
    writeDouble(w, 2, value)
    w.end(start)
  }
}

/** The points of one metric kind (field 1 of `Gauge`, `Sum`, …), each a submessage. */
const writePoints = <P>(w: ProtoWriter, points: ReadonlyArray<P>, write: (w: ProtoWriter, point: P) => void) => {
  for (const point of points) {
    w.varint32(len(1))
    const start = w.begin()
    write(w, point)
    w.end(start)
  }
}

const writeMetricData = (w: ProtoWriter, data: Metric["data"]): void => {
  const field = { Gauge: 5, Sum: 7, Histogram: 9, ExponentialHistogram: 10, Summary: 11 }[data._tag]
  w.varint32(len(field))
  const start = w.begin()
  switch (data._tag) {
    case "Sum":
      writePoints(w, data.points, writeNumberPoint)
      w.varint32(varint(2))
      w.varint32(cumulative)
      w.varint32(varint(3))
      w.varint32(data.monotonic ? 1 : 0)
      break
    case "Gauge":
      writePoints(w, data.points, writeNumberPoint)
      break
    case "Histogram":
      writePoints(w, data.points, writeHistogramPoint)
      w.varint32(varint(2))
      w.varint32(cumulative)
      break
    case "ExponentialHistogram":
      writePoints(w, data.points, writeExponentialPoint)
      w.varint32(varint(2))
      w.varint32(cumulative)
      break
    case "Summary":
      writePoints(w, data.points, writeSummaryPoint)
  }
  w.end(start)
}

const writeMetric = (w: ProtoWriter, metric: Metric): void => {
  w.varint32(len(1))
  w.string(metric.name)
  if (metric.description !== undefined) {
    w.varint32(len(2))
    w.string(metric.description)
  }
  if (metric.unit !== undefined) {
    w.varint32(len(3))
    w.string(metric.unit)
  }
  writeMetricData(w, metric.data)
}

/** An `ExportMetricsServiceRequest` holding each scope's metrics under one resource. */
export const metricsProtobuf = (resource: Resource, scopes: ReadonlyArray<ScopeMetrics>): Uint8Array =>
  request(resource, scopes.length, (w, i) => {
    const { metrics, scope } = scopes[i]!
    writeScope(w, scope)
    for (const metric of metrics) {
      w.varint32(len(2))
      const start = w.begin()
      writeMetric(w, metric)
      w.end(start)
    }
  })
