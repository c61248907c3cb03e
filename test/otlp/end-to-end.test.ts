/**
 * The whole path a user configures with three settings (`transport: "otlp"`, `otlpTraces`, `instrument`):
 * a plain Effect program with nested spans, a tracked event, a failing GenAI call and an Effect metric, run
 * under `Telemetry.layer`, and what a collector on 127.0.0.1 receives on the three signals' paths — decoded
 * with the official OTLP protos and joined on trace and span ids.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Metric, Scope } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { TracerBridge } from "../../src/instrumentation/TracerBridge.js"
import { layerTelemetry } from "../../src/layers/TelemetryLive.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { collector, type Received } from "./collector-server.js"
import { decodeProtobuf } from "./wire-support.js"

const answered = Metric.counter("e2e_answers_total", { incremental: true })

class UpstreamError extends Error {
  override readonly name = "UpstreamError"
}

/** What a user writes: spans, a tracked event, an Effect metric, a GenAI call that fails and is recovered. */
const program = Effect.gen(function*() {
  const telemetry = yield* TelemetryCollector
  yield* telemetry.track({ type: "chat.message", data: { tokens: 42 } })
  yield* Metric.increment(answered)
  yield* Effect.fail(new UpstreamError("provider answered 503")).pipe(
    Effect.withSpan("chat claude-sonnet", {
      kind: "client",
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet",
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30
      }
    }),
    Effect.ignore
  )
  return yield* Effect.currentSpan
}).pipe(Effect.withSpan("handle-chat"))

type Decoded = any

const records = (received: ReadonlyArray<Received>, signal: "logs" | "metrics" | "traces"): ReadonlyArray<Decoded> =>
  received.filter((r) => r.path === `/v1/${signal}`).map((r) => decodeProtobuf(signal, r.body))

describe("OTLP end to end", () => {
  it.scopedLive("spans, events, errors and metrics of a plain Effect program reach the collector's three paths, joined by trace ids", () =>
    Effect.gen(function*() {
      const server = yield* collector
      const telemetry = layerTelemetry({
        transport: "otlp",
        endpoint: server.url,
        otlpTraces: true,
        instrument: true,
        serviceName: "chat-api",
        metricsInterval: "1 hour",
        outboxDir: Fs.mkdtempSync(Path.join(Os.tmpdir(), "otlp-e2e-"))
      })
      // The layer's own scope, closed below: closing it sends the last logs, spans and metrics.
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(telemetry, scope)
      const span = yield* program.pipe(Effect.provide(context))
      // The bridge handles ended spans on its own fiber: wait until it has handled these.
      yield* Context.unsafeGet(context as unknown as Context.Context<TracerBridge>, TracerBridge).flush
      const groups = yield* Effect.flatMap(ErrorTracking, (t) => t.groups).pipe(Effect.provide(context))
      const chat = yield* Effect.flatMap(PerformanceMetrics, (p) => p.percentiles("handle-chat")).pipe(Effect.provide(context))
      yield* Scope.close(scope, Exit.void)

      expect(chat.count).toBe(1)
      expect(groups.map((g) => g.type)).toEqual(["UpstreamError"])

      // /v1/traces: both spans, the inner one a child of the outer, the failure as an error status.
      const spans = records(server.received, "traces").flatMap((r) =>
        r.resourceSpans.flatMap((rs: Decoded) => rs.scopeSpans.flatMap((ss: Decoded) => ss.spans))
      )
      const outer = spans.find((s: Decoded) => s.name === "handle-chat")
      const inner = spans.find((s: Decoded) => s.name === "chat claude-sonnet")
      expect(outer.traceId).toBe(span.traceId)
      expect(outer.spanId).toBe(span.spanId)
      expect(inner.traceId).toBe(span.traceId)
      expect(inner.parentSpanId).toBe(span.spanId)
      expect(inner.status.code).toBe(2)

      // /v1/logs: the tracked event in the outer span, the captured error and the AI operation in the inner one.
      const logs = records(server.received, "logs").flatMap((r) =>
        r.resourceLogs.flatMap((rl: Decoded) => rl.scopeLogs.flatMap((sl: Decoded) => sl.logRecords))
      )
      const byName = (name: string) => logs.filter((l: Decoded) => l.eventName === name)
      expect(byName("chat.message").map((l: Decoded) => [l.traceId, l.spanId])).toEqual([[span.traceId, span.spanId]])
      const [captured] = byName("error.captured")
      expect([captured.traceId, captured.spanId]).toEqual([inner.traceId, inner.spanId])
      const attribute = (record: Decoded, key: string) =>
        record.attributes.find((a: Decoded) => a.key === key)?.value.stringValue
      expect(attribute(captured, "exception.type")).toBe("UpstreamError")
      expect(attribute(captured, "exception.message")).toContain("provider answered 503")
      expect(byName("performance.ai_operation").map((l: Decoded) => l.spanId)).toEqual([inner.spanId])

      // /v1/metrics: the span's timing as an exponential histogram, the GenAI duration, the Effect counter.
      const metrics = records(server.received, "metrics").flatMap((r) =>
        r.resourceMetrics.flatMap((rm: Decoded) => rm.scopeMetrics.flatMap((sm: Decoded) => sm.metrics))
      )
      const named = (name: string) => metrics.filter((m: Decoded) => m.name === name)
      expect(named("handle-chat").at(-1).exponentialHistogram.dataPoints[0].count).toBe("1")
      const genAi = named("gen_ai.client.operation.duration").at(-1).exponentialHistogram.dataPoints[0]
      expect(genAi.attributes).toContainEqual({ key: "gen_ai.provider.name", value: expect.objectContaining({ stringValue: "anthropic" }) })
      expect(Number(named("e2e_answers_total").at(-1).sum.dataPoints[0].asDouble ?? named("e2e_answers_total").at(-1).sum.dataPoints[0].asInt)).toBeGreaterThanOrEqual(1)

      const resource = records(server.received, "logs")[0].resourceLogs[0].resource.attributes
      expect(resource).toContainEqual({ key: "service.name", value: expect.objectContaining({ stringValue: "chat-api" }) })
      expect(resource.map((a: Decoded) => a.key)).toEqual(expect.arrayContaining(["telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version"]))
    }))
})
