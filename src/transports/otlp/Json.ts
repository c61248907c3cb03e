/**
 * OTLP/JSON: the proto3 JSON mapping the OTLP specification requires (camelCase names, trace and span
 * ids as lowercase hex, enums as integers, 64-bit integers as decimal strings, non-finite doubles as
 * `"NaN"`/`"Infinity"`/`"-Infinity"`, defaults left out). The strings are built directly, without an
 * intermediate object graph: logs are the hot path of delivery.
 *
 * @internal
 */
import type {
  AnyValue,
  Attributes,
  ExponentialHistogramPoint,
  HistogramPoint,
  LogRecord,
  Metric,
  NumberPoint,
  PointBase,
  Resource,
  Scope,
  ScopeMetrics,
  SpanRecord,
  SummaryPoint
} from "./Model.js"
import { asInt, count, cumulative, isInt64, spanKindNumber, statusCodeNumber } from "./Scalars.js"

/** What `JSON.stringify` may escape in a string: quotes, backslashes, controls, surrogates (it escapes lone ones). */
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/

/**
 * A string as JSON, exactly as `JSON.stringify` writes it. The usual string needs no escape and is only
 * wrapped in quotes: a `JSON.stringify` call per string cost ~1.7x the check (measured), over every
 * attribute and body value of every record.
 */
const quote = (value: string): string => needsEscape.test(value) ? JSON.stringify(value) : "\"" + value + "\""

/** A double: JSON has no NaN or Infinity, proto3 JSON spells them as strings. */
const double = (value: number): string =>
  Number.isFinite(value) ? String(value) : Number.isNaN(value) ? "\"NaN\"" : value > 0 ? "\"Infinity\"" : "\"-Infinity\""

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

/** Bytes as standard base64 (proto3 JSON's `bytes`), without `Buffer` or `btoa`: this runs in browsers too. */
const base64 = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = bytes[i + 1]
    const c = bytes[i + 2]
    out += base64Alphabet[a >> 2]! + base64Alphabet[((a & 3) << 4) | ((b ?? 0) >> 4)]!
    out += b === undefined ? "==" : base64Alphabet[((b & 15) << 2) | ((c ?? 0) >> 6)]! +
      (c === undefined ? "=" : base64Alphabet[c & 63]!)
  }
  return out
}

/** An `AnyValue` message. */
export const anyValue = (value: AnyValue): string => {
  switch (typeof value) {
    case "string":
      // Written whole rather than around `quote`: fewer pieces for the body's encoding to join.
      return needsEscape.test(value)
        ? `{"stringValue":${JSON.stringify(value)}}`
        : "{\"stringValue\":\"" + value + "\"}"
    case "boolean":
      return value ? "{\"boolValue\":true}" : "{\"boolValue\":false}"
    case "number":
      return Number.isSafeInteger(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${double(value)}}`
    case "bigint":
      return isInt64(value) ? `{"intValue":"${value}"}` : `{"doubleValue":${double(Number(value))}}`
    case "undefined":
      return "{}"
  }
  if (value === null) return "{}"
  if (value instanceof Uint8Array) return `{"bytesValue":"${base64(value)}"}`
  if (Array.isArray(value)) {
    let out = "{\"arrayValue\":{\"values\":["
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + anyValue(value[i] as AnyValue)
    return out + "]}}"
  }
  return `{"kvlistValue":{"values":${keyValues(value as Attributes)}}}`
}

/**
 * The text of a `KeyValue` up to its value, per key: alone, after a comma, and opening a string or an
 * integer value (`…{"stringValue":"`). A batch repeats the same few keys in every record; each entry is
 * then three pieces instead of eight, and the pieces of a body cost as much to join as to write (a
 * concatenated string is a rope that the UTF-8 encoding flattens).
 */
interface KeyTexts {
  readonly key: string
  readonly string: string
  readonly int: string
}

/**
 * `KeyTexts` of each key, first in a list and after a comma. Bounded, so that keys made of data (kvlists
 * keyed by ids) cannot grow it without end.
 */
const keyTexts = new Map<string, readonly [KeyTexts, KeyTexts]>()

const keyTextsOf = (key: string): readonly [KeyTexts, KeyTexts] => {
  let texts = keyTexts.get(key)
  if (texts === undefined) {
    const prefix = "{\"key\":" + quote(key) + ",\"value\":"
    const first = { key: prefix, string: prefix + "{\"stringValue\":\"", int: prefix + "{\"intValue\":\"" }
    texts = [first, { key: "," + first.key, string: "," + first.string, int: "," + first.int }]
    if (keyTexts.size >= 1024) keyTexts.clear()
    keyTexts.set(key, texts)
  }
  return texts
}

/** Attributes (or a kvlist) as a `KeyValue` array, in insertion order; `undefined` values left out. */
export const keyValues = (attributes: Attributes): string => {
  let out = "["
  for (const key of Object.keys(attributes)) {
    const value = attributes[key]
    if (value === undefined) continue
    const texts = keyTextsOf(key)[out.length === 1 ? 0 : 1]
    if (typeof value === "string" && !needsEscape.test(value)) out = out + texts.string + value + "\"}}"
    else if (typeof value === "number" && Number.isSafeInteger(value)) out = out + texts.int + value + "\"}}"
    else out = out + texts.key + anyValue(value) + "}"
  }
  return out + "]"
}

/** `,"attributes":[…]`, or nothing for none (an empty list is proto3's default, left out). */
const attributesField = (attributes: Attributes): string => {
  const list = keyValues(attributes)
  return list.length > 2 ? ",\"attributes\":" + list : ""
}

const resourceJson = (resource: Resource): string => `{"attributes":${keyValues(resource.attributes)}}`

const scopeJson = (scope: Scope): string =>
  scope.version === undefined
    ? `{"name":${quote(scope.name)}}`
    : `{"name":${quote(scope.name)},"version":${quote(scope.version)}}`

/** `,"severityNumber":<n>,"severityText":"<text>"` per severity, remembered (a batch has a handful). */
const severityTexts = new Map<number, readonly [string, string]>()

const severityText = (record: LogRecord): string => {
  const known = severityTexts.get(record.severityNumber)
  if (known !== undefined && known[0] === record.severityText) return known[1]
  const text = `","severityNumber":${record.severityNumber},"severityText":${quote(record.severityText)}`
  if (severityTexts.size < 64) severityTexts.set(record.severityNumber, [record.severityText, text])
  return text
}

/**
 * One record; `start` opens it (with the comma that follows the first), `observed` is
 * `","observedTimeUnixNano":"<nanos>`.
 */
const logRecord = (record: LogRecord, start: string, observed: string): string => {
  let out = start + record.timeUnixNano + observed + severityText(record)
  const name = record.eventName
  if (name !== undefined) {
    out = needsEscape.test(name)
      ? out + ",\"eventName\":" + JSON.stringify(name)
      : out + ",\"eventName\":\"" + name + "\""
  }
  if (record.body !== undefined) out = out + ",\"body\":" + anyValue(record.body)
  out += attributesField(record.attributes)
  if (record.traceId !== undefined) out += ",\"traceId\":" + quote(record.traceId)
  if (record.spanId !== undefined) out += ",\"spanId\":" + quote(record.spanId)
  return out + "}"
}

/** An `ExportLogsServiceRequest` holding `records` under one resource and scope. */
export const logsJson = (resource: Resource, scope: Scope, records: ReadonlyArray<LogRecord>): string => {
  let out = `{"resourceLogs":[{"resource":${resourceJson(resource)},"scopeLogs":[{"scope":${scopeJson(scope)},"logRecords":[`
  // A batch shares one observed time: its decimal text is worked out once.
  let observed: bigint | undefined
  let observedText = ""
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    if (record.observedTimeUnixNano !== observed) {
      observed = record.observedTimeUnixNano
      observedText = `","observedTimeUnixNano":"${observed}`
    }
    out += logRecord(record, i === 0 ? "{\"timeUnixNano\":\"" : ",{\"timeUnixNano\":\"", observedText)
  }
  return out + "]}]}]}"
}

const span = (record: SpanRecord): string => {
  let out = `{"traceId":${quote(record.traceId)},"spanId":${quote(record.spanId)}`
  if (record.parentSpanId !== undefined) out += ",\"parentSpanId\":" + quote(record.parentSpanId)
  out += `,"name":${quote(record.name)},"kind":${spanKindNumber[record.kind]}` +
    `,"startTimeUnixNano":"${record.startTimeUnixNano}","endTimeUnixNano":"${record.endTimeUnixNano}"` +
    attributesField(record.attributes)
  if (record.events.length > 0) {
    out += ",\"events\":[" + record.events.map((event) =>
      `{"timeUnixNano":"${event.timeUnixNano}","name":${quote(event.name)}${attributesField(event.attributes)}}`
    ).join(",") + "]"
  }
  if (record.links.length > 0) {
    out += ",\"links\":[" + record.links.map((link) =>
      `{"traceId":${quote(link.traceId)},"spanId":${quote(link.spanId)}${attributesField(link.attributes)}}`
    ).join(",") + "]"
  }
  const { code, message } = record.status
  out += `,"status":{"code":${statusCodeNumber[code]}`
  return out + (message === undefined ? "}}" : `,"message":${quote(message)}}}`)
}

/** An `ExportTraceServiceRequest` holding `spans` under one resource and scope. */
export const tracesJson = (resource: Resource, scope: Scope, spans: ReadonlyArray<SpanRecord>): string =>
  `{"resourceSpans":[{"resource":${resourceJson(resource)},"scopeSpans":[{"scope":${scopeJson(scope)}` +
  `,"spans":[${spans.map(span).join(",")}]}]}]}`

const pointBase = (point: PointBase): string =>
  `{"startTimeUnixNano":"${point.startTimeUnixNano}","timeUnixNano":"${point.timeUnixNano}"` +
  attributesField(point.attributes)

const numberPoint = (point: NumberPoint): string => {
  const integer = asInt(point)
  return pointBase(point) + (integer === undefined ? `,"asDouble":${double(point.value)}}` : `,"asInt":"${integer}"}`)
}

const minMax = (point: { readonly min?: number; readonly max?: number }): string =>
  (point.min === undefined ? "" : `,"min":${double(point.min)}`) +
  (point.max === undefined ? "" : `,"max":${double(point.max)}`)

const counts = (values: ReadonlyArray<number>): string => `[${values.map((n) => `"${count(n)}"`).join(",")}]`

const histogramPoint = (point: HistogramPoint): string =>
  pointBase(point) + `,"count":"${count(point.count)}","sum":${double(point.sum)}` +
  `,"bucketCounts":${counts(point.bucketCounts)},"explicitBounds":[${point.bounds.map(double).join(",")}]` +
  minMax(point) + "}"

const exponentialPoint = (point: ExponentialHistogramPoint): string =>
  pointBase(point) + `,"count":"${count(point.count)}","sum":${double(point.sum)},"scale":${point.scale}` +
  `,"zeroCount":"${count(point.zeroCount)}"` +
  `,"positive":{"offset":${point.positive.offset},"bucketCounts":${counts(point.positive.bucketCounts)}}` +
  minMax(point) + "}"

const summaryPoint = (point: SummaryPoint): string =>
  pointBase(point) + `,"count":"${count(point.count)}","sum":${double(point.sum)},"quantileValues":[` +
  point.quantiles.map((q) => `{"quantile":${double(q.quantile)},"value":${double(q.value)}}`).join(",") + "]}"

const points = <P>(list: ReadonlyArray<P>, write: (point: P) => string): string =>
  `"dataPoints":[${list.map(write).join(",")}]`

const metricData = (data: Metric["data"]): string => {
  switch (data._tag) {
    case "Sum":
      return `"sum":{${points(data.points, numberPoint)},"aggregationTemporality":${cumulative}` +
        `,"isMonotonic":${data.monotonic}}`
    case "Gauge":
      return `"gauge":{${points(data.points, numberPoint)}}`
    case "Histogram":
      return `"histogram":{${points(data.points, histogramPoint)},"aggregationTemporality":${cumulative}}`
    case "ExponentialHistogram":
      return `"exponentialHistogram":{${points(data.points, exponentialPoint)}` +
        `,"aggregationTemporality":${cumulative}}`
    case "Summary":
      return `"summary":{${points(data.points, summaryPoint)}}`
  }
}

const metric = (m: Metric): string =>
  `{"name":${quote(m.name)}` +
  (m.description === undefined ? "" : `,"description":${quote(m.description)}`) +
  (m.unit === undefined ? "" : `,"unit":${quote(m.unit)}`) + "," + metricData(m.data) + "}"

/** An `ExportMetricsServiceRequest` holding each scope's metrics under one resource. */
export const metricsJson = (resource: Resource, scopes: ReadonlyArray<ScopeMetrics>): string =>
  `{"resourceMetrics":[{"resource":${resourceJson(resource)},"scopeMetrics":[` +
  scopes.map((s) => `{"scope":${scopeJson(s.scope)},"metrics":[${s.metrics.map(metric).join(",")}]}`).join(",") +
  "]}]}"
