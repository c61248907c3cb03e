import { describe, expect, it } from "@effect/vitest"
import { encodeLogs, encodeMetrics, encodeTraces } from "../../src/transports/otlp/Encode.js"
import { logsJson, metricsJson, tracesJson } from "../../src/transports/otlp/Json.js"
import type { LogRecord, ScopeMetrics, SpanRecord } from "../../src/transports/otlp/Model.js"
import { logsProtobuf, metricsProtobuf, tracesProtobuf } from "../../src/transports/otlp/Protobuf.js"
import { makeResource, scope } from "../../src/transports/otlp/Resource.js"
import { decodeJson, decodeProtobuf } from "./wire-support.js"

const resource = makeResource()
const records: ReadonlyArray<LogRecord> = [{
  timeUnixNano: 1n,
  observedTimeUnixNano: 2n,
  severityNumber: 9,
  severityText: "INFO",
  eventName: "x",
  body: "é",
  attributes: {}
}]
const spans: ReadonlyArray<SpanRecord> = [{
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  name: "s",
  kind: "internal",
  startTimeUnixNano: 1n,
  endTimeUnixNano: 2n,
  attributes: {},
  events: [],
  links: [],
  status: { code: "ok" }
}]
const metrics: ReadonlyArray<ScopeMetrics> = [{
  scope,
  metrics: [{
    name: "m",
    data: { _tag: "Gauge", points: [{ attributes: {}, startTimeUnixNano: 1n, timeUnixNano: 2n, value: 1, integer: true }] }
  }]
}]
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("encode", () => {
  it("JSON bodies are the UTF-8 of the OTLP/JSON text, sent as application/json", () => {
    const logs = encodeLogs(resource, scope, records, "json")
    expect(logs.contentType).toBe("application/json")
    expect(text(logs.body)).toBe(logsJson(resource, scope, records))
    expect(text(encodeTraces(resource, scope, spans, "json").body)).toBe(tracesJson(resource, scope, spans))
    expect(text(encodeMetrics(resource, metrics, "json").body)).toBe(metricsJson(resource, metrics))
    expect(decodeJson("logs", text(logs.body))).toEqual(decodeProtobuf("logs", logsProtobuf(resource, scope, records)))
  })

  it("protobuf bodies are the request bytes, sent as application/x-protobuf", () => {
    const logs = encodeLogs(resource, scope, records, "protobuf")
    expect(logs.contentType).toBe("application/x-protobuf")
    expect(logs.body).toEqual(logsProtobuf(resource, scope, records))
    expect(encodeTraces(resource, scope, spans, "protobuf").body).toEqual(tracesProtobuf(resource, scope, spans))
    expect(encodeMetrics(resource, metrics, "protobuf")).toEqual({
      body: metricsProtobuf(resource, metrics),
      contentType: "application/x-protobuf"
    })
  })

  it("a body stays valid after the next encode reuses the writer", () => {
    const first = encodeLogs(resource, scope, records, "protobuf").body
    const copy = Uint8Array.from(first)
    encodeTraces(resource, scope, spans, "protobuf")
    expect(first).toEqual(copy)
  })
})
