/**
 * The OTLP transport and exporters over real sockets: what a collector receives for each signal, in
 * both encodings, gzipped or not (decoded with OpenTelemetry's own protos), and what a `partialSuccess`
 * answer does to the books.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, HashMap, Layer, Logger, LogLevel } from "effect"
import * as Zlib from "node:zlib"
import { layerCollector } from "../../src/layers/TelemetryLayers.js"
import { fromOptions } from "../../src/schemas/TelemetryConfig.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { OtlpExport } from "../../src/transports/otlp/Exporters.js"
import type { Metric, SpanRecord } from "../../src/transports/otlp/Model.js"
import { SpanSink } from "../../src/transports/otlp/SpanSink.js"
import { Transport } from "../../src/transports/Transport.js"
import { collector, type Received } from "./collector-server.js"
import { decodeProtobuf, proto } from "./wire-support.js"

type Protocol = "http/json" | "http/protobuf"

/** A request body inflated when gzipped, decoded as the protocol says, in the protos' JSON shape. */
const decoded = (signal: "logs" | "metrics" | "traces", request: Received, protocol: Protocol): any => {
  const body = request.headers["content-encoding"] === "gzip" ? Zlib.gunzipSync(request.body) : request.body
  return protocol === "http/json" ? JSON.parse(body.toString("utf8")) : decodeProtobuf(signal, body)
}

const event = (id: string, type = "chat.message") => ({
  id,
  type,
  kind: "custom" as const,
  timestamp: 1_700_000_000_000,
  sessionId: "s",
  data: { tokens: 42 }
})

const span = (name: string): SpanRecord => ({
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  name,
  kind: "server",
  startTimeUnixNano: 1_700_000_000_000_000_000n,
  endTimeUnixNano: 1_700_000_000_500_000_000n,
  attributes: { "http.route": "/chat" },
  events: [],
  links: [],
  status: { code: "ok" }
})

const gauge: Metric = {
  name: "test.queue.depth",
  unit: "{item}",
  data: { _tag: "Gauge", points: [{ attributes: {}, startTimeUnixNano: 0n, timeUnixNano: 1n, value: 7, integer: true }] }
}

const cases: ReadonlyArray<readonly [Protocol, "gzip" | "none"]> = [
  ["http/protobuf", "none"],
  ["http/protobuf", "gzip"],
  ["http/json", "none"],
  ["http/json", "gzip"]
]

describe("OTLP over the wire", () => {
  for (const [protocol, compression] of cases) {
    it.scopedLive(`${protocol}, ${compression}: events reach <endpoint>/v1/logs as log records`, () =>
      Effect.gen(function*() {
        const server = yield* collector
        const transport = yield* Transport.makeOtlp({ endpoint: `${server.url}/`, protocol, compression, serviceName: "chat" })
        yield* transport.send({ batchId: "b-1", events: [event("e1"), event("e2", "error.provider")] })
        const [request] = server.received
        expect(request!.path).toBe("/v1/logs")
        expect(request!.headers["content-type"]).toBe(protocol === "http/json" ? "application/json" : "application/x-protobuf")
        expect(request!.headers["content-encoding"]).toBe(compression === "gzip" ? "gzip" : undefined)
        const logs = decoded("logs", request!, protocol).resourceLogs[0]
        expect(logs.resource.attributes).toContainEqual(expect.objectContaining({ key: "service.name" }))
        expect(JSON.stringify(logs.resource.attributes)).toContain("chat")
        expect(logs.scopeLogs[0].logRecords.map((r: { eventName: string }) => r.eventName)).toEqual(["chat.message", "error.provider"])
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

    it.scopedLive(`${protocol}, ${compression}: metrics reach /v1/metrics and spans /v1/traces, once more on close`, () =>
      Effect.gen(function*() {
        const server = yield* collector
        yield* Effect.scoped(Effect.gen(function*() {
          const context = yield* Layer.build(OtlpExport.layer(
            { endpoint: server.url, protocol, compression, traces: true, metricsInterval: "1 hour", tracesInterval: "1 hour" },
            [() => Effect.succeed([gauge])]
          ).pipe(Layer.provide(NodeHttpClient.layerUndici)))
          const sink = Context.unsafeGet(context, SpanSink)
          expect([sink.offer(span("GET /chat")), sink.offer(span("POST /chat"))]).toEqual([true, true])
          const otlp = Context.get(context, OtlpExport)
          yield* otlp.flushSpans
          yield* otlp.exportMetrics
          expect(yield* otlp.stats).toMatchObject({ metrics: { exported: 1, failed: 0 }, traces: { exported: 1, lost: 0 } })
        }))
        expect(server.received.map((r) => r.path)).toEqual(["/v1/traces", "/v1/metrics", "/v1/metrics"])
        const [traces, metrics] = server.received
        const spans = decoded("traces", traces!, protocol).resourceSpans[0].scopeSpans[0].spans
        expect(spans.map((s: { name: string }) => s.name)).toEqual(["GET /chat", "POST /chat"])
        const names = decoded("metrics", metrics!, protocol).resourceMetrics[0].scopeMetrics
          .flatMap((scope: { metrics: ReadonlyArray<{ name: string }> }) => scope.metrics.map((m) => m.name))
        expect(names).toEqual(expect.arrayContaining(["effect_telemetry.export.requests", "effect_telemetry.spans.dropped", "test.queue.depth"]))
      }))
  }

  it.scopedLive("a full span queue drops the span offered and counts it", () =>
    Effect.gen(function*() {
      const server = yield* collector
      const context = yield* Layer.build(OtlpExport.layer(
        { endpoint: server.url, traces: true, metrics: false, maxQueueSize: 2, maxExportBatchSize: 10, tracesInterval: "1 hour" }
      ).pipe(Layer.provide(NodeHttpClient.layerUndici)))
      const sink = Context.unsafeGet(context, SpanSink)
      expect([sink.offer(span("a")), sink.offer(span("b")), sink.offer(span("c"))]).toEqual([true, true, false])
      expect((yield* Context.get(context, OtlpExport).stats).traces.dropped).toBe(1)
    }))

  const partialSuccessBodies: ReadonlyArray<readonly [Protocol, Uint8Array | string]> = [
    ["http/json", JSON.stringify({ partialSuccess: { rejectedLogRecords: "2", errorMessage: "2 records\nhad bad attributes" } })],
    [
      "http/protobuf",
      proto.collector.logs.v1.ExportLogsServiceResponse.encode(
        proto.collector.logs.v1.ExportLogsServiceResponse.fromObject({
          partialSuccess: { rejectedLogRecords: 2, errorMessage: "2 records had bad attributes" }
        })
      ).finish()
    ]
  ]
  for (const [protocol, body] of partialSuccessBodies) {
    it.scopedLive(`${protocol}: a 200 with partialSuccess counts its rejected records as dropped.rejected, never retried`, () =>
      Effect.gen(function*() {
        const server = yield* collector
        server.answer.reply = { status: 200, body }
        const config = yield* fromOptions({ flushInterval: "1 hour" })
        const warnings: Array<{ readonly message: string; readonly reason: unknown }> = []
        const capture = Logger.replace(
          Logger.defaultLogger,
          Logger.make(({ annotations, logLevel, message }) => {
            if (LogLevel.greaterThanEqual(logLevel, LogLevel.Warning)) {
              warnings.push({ message: String(message), reason: HashMap.unsafeGet(annotations, "reason") })
            }
          })
        )
        const stats = yield* Effect.gen(function*() {
          const telemetry = yield* TelemetryCollector
          for (const id of ["a", "b", "c"]) yield* telemetry.track({ type: "chat.message", data: { id } })
          yield* telemetry.flush
          return yield* telemetry.stats
        }).pipe(Effect.provide(layerCollector(
          config,
          Transport.otlp({ endpoint: server.url, protocol }).pipe(Layer.provide(NodeHttpClient.layerUndici))
        )), Effect.provide(capture))
        expect(server.received).toHaveLength(1)
        expect(stats).toMatchObject({ accepted: 3, sent: 1, batches: 1, buffered: 0, outboxed: 0, dropped: { rejected: 2, total: 2 } })
        expect(stats.accepted).toBe(stats.sent + stats.buffered + stats.outboxed + stats.dropped.total)
        // Logged once, on one line: a receiver cannot forge log lines through its message.
        expect(warnings).toEqual([
          { message: "telemetry batch partly rejected by the receiver", reason: "2 records had bad attributes" }
        ])
      }))
  }
})
