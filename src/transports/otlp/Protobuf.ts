/**
 * OTLP/protobuf: `ExportLogsServiceRequest`, `ExportTraceServiceRequest` and
 * `ExportMetricsServiceRequest` as bytes, with the field numbers of the official
 * `opentelemetry-proto` definitions (the wire tests decode them with the generated ones).
 *
 * @internal
 */
import type { LogRecord, Resource, Scope, SpanRecord } from "./Model.js"
import type { ProtoWriter } from "./ProtoWriter.js"
import { fixed64, len, request, varint, writeAnyValue, writeKeyValues, writeScope } from "./ProtobufCommon.js"
import { spanKindNumber, statusCodeNumber } from "./Scalars.js"

export { metricsProtobuf } from "./ProtobufMetrics.js"

const writeLogRecord = (w: ProtoWriter, record: LogRecord): void => {
  w.varint32(fixed64(1))
  w.fixed64(record.timeUnixNano)
  w.varint32(varint(2))
  w.varint32(record.severityNumber)
  w.varint32(len(3))
  w.string(record.severityText)
  if (record.body !== undefined) {
    w.varint32(len(5))
    const body = w.begin()
    writeAnyValue(w, record.body)
    w.end(body)
  }
  writeKeyValues(w, 6, record.attributes)
  if (record.traceId !== undefined) {
    w.varint32(len(9))
    w.hex(record.traceId)
  }
  if (record.spanId !== undefined) {
    w.varint32(len(10))
    w.hex(record.spanId)
  }
  w.varint32(fixed64(11))
  w.fixed64(record.observedTimeUnixNano)
  if (record.eventName !== undefined) {
    w.varint32(len(12))
    w.string(record.eventName)
  }
}

/** An `ExportLogsServiceRequest` holding `records` under one resource and scope. */
export const logsProtobuf = (resource: Resource, scope: Scope, records: ReadonlyArray<LogRecord>): Uint8Array =>
  request(resource, 1, (w) => {
    writeScope(w, scope)
    for (const record of records) {
      w.varint32(len(2))
      const start = w.begin()
      writeLogRecord(w, record)
      w.end(start)
    }
  })

const writeSpan = (w: ProtoWriter, span: SpanRecord): void => {
  w.varint32(len(1))
  w.hex(span.traceId)
  w.varint32(len(2))
  w.hex(span.spanId)
  if (span.parentSpanId !== undefined) {
    w.varint32(len(4))
    w.hex(span.parentSpanId)
  }
  w.varint32(len(5))
  w.string(span.name)
  w.varint32(varint(6))
  w.varint32(spanKindNumber[span.kind])
  w.varint32(fixed64(7))
  w.fixed64(span.startTimeUnixNano)
  w.varint32(fixed64(8))
  w.fixed64(span.endTimeUnixNano)
  writeKeyValues(w, 9, span.attributes)
  for (const event of span.events) {
    w.varint32(len(11))
    const start = w.begin()
    w.varint32(fixed64(1))
    w.fixed64(event.timeUnixNano)
    w.varint32(len(2))
    w.string(event.name)
    writeKeyValues(w, 3, event.attributes)
    w.end(start)
  }
  for (const link of span.links) {
    w.varint32(len(13))
    const start = w.begin()
    w.varint32(len(1))
    w.hex(link.traceId)
    w.varint32(len(2))
    w.hex(link.spanId)
    writeKeyValues(w, 4, link.attributes)
    w.end(start)
  }
  w.varint32(len(15))
  const status = w.begin()
  if (span.status.message !== undefined) {
    w.varint32(len(2))
    w.string(span.status.message)
  }
  w.varint32(varint(3))
  w.varint32(statusCodeNumber[span.status.code])
  w.end(status)
}

/** An `ExportTraceServiceRequest` holding `spans` under one resource and scope. */
export const tracesProtobuf = (resource: Resource, scope: Scope, spans: ReadonlyArray<SpanRecord>): Uint8Array =>
  request(resource, 1, (w) => {
    writeScope(w, scope)
    for (const span of spans) {
      w.varint32(len(2))
      const start = w.begin()
      writeSpan(w, span)
      w.end(start)
    }
  })
