import { describe, expect, it } from "@effect/vitest"
import { ROOT_CONTEXT, trace, TraceFlags } from "@opentelemetry/api"
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer"
import type { Batch, TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import { logsJson } from "../../src/transports/otlp/Json.js"
import { logRecords } from "../../src/transports/otlp/Logs.js"
import type { LogRecord } from "../../src/transports/otlp/Model.js"
import { logsProtobuf } from "../../src/transports/otlp/Protobuf.js"
import { makeResource, scope } from "../../src/transports/otlp/Resource.js"
import { decodeJson, decodeProtobuf, hrTime, without } from "./wire-support.js"

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
const spanId = "00f067aa0ba902b7"

const chat = (id: string, extra: Partial<TelemetryEvent> = {}): TelemetryEvent => ({
  id,
  type: "chat.turn",
  kind: "custom",
  timestamp: 1_700_000_000_123.456,
  sessionId: "session-1",
  data: {
    model: "gpt-x",
    tokens: 512,
    latency: 1.25,
    streamed: true,
    text: "héllo 𝄞 wörld",
    tools: ["search", 3, null, { nested: [false, -7] }],
    empty: {}
  },
  ...extra
})

const batch: Batch = {
  batchId: "batch-1",
  events: [
    chat("e1"),
    { ...chat("e2", { userId: "u-9", tags: { plan: "pro", region: "eu" } }), traceId, spanId } as TelemetryEvent,
    {
      id: "e3",
      type: "error.captured",
      kind: "error",
      timestamp: 1_700_000_001_000,
      sessionId: "session-1",
      data: { type: "TypeError", message: "x is undefined", severity: "CRITICAL", frames: [] }
    }
  ]
}

const resource = makeResource({ serviceName: "assistant", serviceVersion: "1.2.3", attributes: { team: "ml" } })
const records = logRecords(batch, 1_700_000_002_000)

/** The same records through OpenTelemetry JS's own SDK: `ReadableLogRecord`s from an in-memory exporter. */
const otelRecords = (ours: ReadonlyArray<LogRecord>) => {
  const exporter = new InMemoryLogRecordExporter()
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource.attributes as Record<string, string>),
    processors: [new SimpleLogRecordProcessor(exporter)]
  })
  const logger = provider.getLogger(scope.name, scope.version)
  for (const record of ours) {
    logger.emit({
      timestamp: hrTime(record.timeUnixNano),
      observedTimestamp: hrTime(record.observedTimeUnixNano),
      severityNumber: record.severityNumber,
      severityText: record.severityText,
      ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
      body: record.body as never,
      attributes: record.attributes as never,
      ...(record.traceId === undefined ? {} : {
        context: trace.setSpanContext(ROOT_CONTEXT, {
          traceId: record.traceId,
          spanId: record.spanId!,
          traceFlags: TraceFlags.NONE
        })
      })
    })
  }
  return exporter.getFinishedLogRecords()
}

describe("OTLP logs on the wire", () => {
  it("our protobuf and our JSON decode, with the official protos, to the same request", () => {
    const fromProtobuf = decodeProtobuf("logs", logsProtobuf(resource, scope, records))
    expect(decodeJson("logs", logsJson(resource, scope, records))).toEqual(fromProtobuf)
  })

  it("each record carries the event's time, severity, name, body, attributes and trace link", () => {
    const request = decodeProtobuf("logs", logsProtobuf(resource, scope, records)) as any
    const [resourceLogs] = request.resourceLogs
    expect(resourceLogs.scopeLogs[0].scope).toMatchObject({ name: "effect-telemetry", version: scope.version })
    const [first, second, third] = resourceLogs.scopeLogs[0].logRecords
    expect(first).toMatchObject({
      timeUnixNano: "1700000000123456000",
      observedTimeUnixNano: "1700000002000000000",
      severityNumber: 9,
      severityText: "INFO",
      eventName: "chat.turn",
      traceId: "",
      spanId: ""
    })
    const body = Object.fromEntries(first.body.kvlistValue.values.map((kv: any) => [kv.key, kv.value]))
    expect(body).toEqual({
      model: { stringValue: "gpt-x" },
      tokens: { intValue: "512" },
      latency: { doubleValue: 1.25 },
      streamed: { boolValue: true },
      text: { stringValue: "héllo 𝄞 wörld" },
      tools: {
        arrayValue: {
          values: [
            { stringValue: "search" },
            { intValue: "3" },
            {},
            { kvlistValue: { values: [{ key: "nested", value: { arrayValue: { values: [{ boolValue: false }, { intValue: "-7" }] } } }] } }
          ]
        }
      },
      empty: { kvlistValue: { values: [] } }
    })
    expect(first.attributes.map((kv: any) => kv.key)).toEqual(["event.id", "event.kind", "session.id"])
    expect(second).toMatchObject({ traceId, spanId })
    expect(second.attributes.map((kv: any) => [kv.key, kv.value.stringValue])).toEqual([
      ["event.id", "e2"],
      ["event.kind", "custom"],
      ["session.id", "session-1"],
      ["user.id", "u-9"],
      ["tag.plan", "pro"],
      ["tag.region", "eu"]
    ])
    expect(third).toMatchObject({ severityNumber: 21, severityText: "FATAL", eventName: "error.captured" })
  })

  it("encodes what OpenTelemetry JS's protobuf and JSON serializers encode for the same records", () => {
    const otel = otelRecords(records)
    expect(otel).toHaveLength(records.length)
    // Normalised: `flags`. OpenTelemetry writes the span context's trace flags on a linked record; our
    // model does not carry them (an exported event has no sampling decision), so ours is the default 0.
    const normalise = (request: unknown) => without(request, new Set(["flags"]))
    const ours = normalise(decodeProtobuf("logs", logsProtobuf(resource, scope, records)))
    expect(normalise(decodeProtobuf("logs", ProtobufLogsSerializer.serializeRequest(otel)!))).toEqual(ours)
    const otelJson = new TextDecoder().decode(JsonLogsSerializer.serializeRequest(otel))
    expect(normalise(decodeJson("logs", otelJson))).toEqual(ours)
    expect(normalise(decodeJson("logs", logsJson(resource, scope, records)))).toEqual(ours)
  })

  it("values JSON cannot hold (NaN, infinities, big integers, bytes) survive both encodings alike", () => {
    const base = records[0]!
    const odd: LogRecord = {
      ...base,
      body: {
        nan: NaN,
        inf: Infinity,
        ninf: -Infinity,
        big: 2n ** 62n,
        huge: 2n ** 70n,
        negative: -(2n ** 63n),
        unsafe: 2 ** 60,
        bytes: new Uint8Array([0, 1, 254, 255, 7]),
        nothing: null,
        gone: undefined,
        negzero: -0
      }
    }
    const fromProtobuf = decodeProtobuf("logs", logsProtobuf(resource, scope, [odd])) as any
    expect(decodeJson("logs", logsJson(resource, scope, [odd]))).toEqual(fromProtobuf)
    const values = fromProtobuf.resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue.values
    expect(Object.fromEntries(values.map((kv: any) => [kv.key, kv.value]))).toEqual({
      nan: { doubleValue: NaN },
      inf: { doubleValue: Infinity },
      ninf: { doubleValue: -Infinity },
      big: { intValue: String(2n ** 62n) },
      huge: { doubleValue: 2 ** 70 },
      negative: { intValue: String(-(2n ** 63n)) },
      unsafe: { doubleValue: 2 ** 60 },
      bytes: { bytesValue: Buffer.from([0, 1, 254, 255, 7]).toString("base64") },
      nothing: {},
      negzero: { intValue: "0" }
    })
  })

  it("records sharing a severity number, or a key in another place, each keep their own text", () => {
    const base = records[0]!
    const batch: ReadonlyArray<LogRecord> = [
      { ...base, severityNumber: 9, severityText: "INFO", attributes: { a: "x", b: 1 } },
      { ...base, severityNumber: 9, severityText: "notice \"quoted\"", attributes: { b: "y", a: 2 } },
      { ...base, severityNumber: 9, severityText: "INFO", attributes: { "\"k\"": "v\n", a: 2 ** 60 } }
    ]
    const fromProtobuf = decodeProtobuf("logs", logsProtobuf(resource, scope, batch)) as any
    expect(decodeJson("logs", logsJson(resource, scope, batch))).toEqual(fromProtobuf)
    const logs = fromProtobuf.resourceLogs[0].scopeLogs[0].logRecords
    expect(logs.map((r: any) => r.severityText)).toEqual(["INFO", "notice \"quoted\"", "INFO"])
    expect(logs[1].attributes).toEqual([
      { key: "b", value: { stringValue: "y" } },
      { key: "a", value: { intValue: "2" } }
    ])
  })

  it("an empty batch is a request with an empty scope", () => {
    const fromProtobuf = decodeProtobuf("logs", logsProtobuf(resource, scope, [])) as any
    expect(decodeJson("logs", logsJson(resource, scope, []))).toEqual(fromProtobuf)
    expect(fromProtobuf.resourceLogs[0].scopeLogs[0].logRecords).toEqual([])
  })
})
