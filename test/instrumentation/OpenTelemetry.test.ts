import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { context, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Instrumentation from "../../src/instrumentation/Instrumentation.js"
import { TelemetryTest } from "../../src/layers/TelemetryTest.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"

let exporter = new InMemorySpanExporter()
const contextManager = new AsyncLocalStorageContextManager()
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
})
afterAll(() => {
  context.disable()
})

/**
 * Our bridge around @effect/opentelemetry's tracer: the OTel layer is provided *to* the bridge. A fresh
 * exporter each time: the provider's shutdown stops the one it had.
 */
const layer = () => {
  exporter = new InMemorySpanExporter()
  const otel = NodeSdk.layer(() => ({
    resource: { serviceName: "instrumentation-test" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))
  return Instrumentation.layerTracer().pipe(Layer.provide(otel), Layer.provideMerge(TelemetryTest))
}

const flushed = Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.flush)

describe("Instrumentation.layerTracer around @effect/opentelemetry", () => {
  it.scoped("both sides see every span with the same ids and parentage", () =>
    Effect.gen(function*() {
      const seen = yield* Effect.gen(function*() {
        const outer = yield* Effect.currentSpan
        const inner = yield* Effect.currentSpan.pipe(Effect.withSpan("inner"))
        return { outer, inner }
      }).pipe(Effect.withSpan("outer"))
      yield* flushed
      const spans = exporter.getFinishedSpans()
      expect(spans.map((s) => s.name)).toEqual(["inner", "outer"])
      const [inner, outer] = spans
      expect(inner!.spanContext().spanId).toBe(seen.inner.spanId)
      expect(outer!.spanContext().spanId).toBe(seen.outer.spanId)
      expect(inner!.spanContext().traceId).toBe(seen.outer.traceId)
      expect(inner!.parentSpanContext?.spanId).toBe(seen.outer.spanId)
      expect(Option.map(seen.inner.parent, (p) => p.spanId)).toEqual(Option.some(seen.outer.spanId))
      const metrics = yield* PerformanceMetrics
      expect((yield* metrics.percentiles("inner")).count).toBe(1)
      expect((yield* metrics.percentiles("outer")).count).toBe(1)
    }).pipe(Effect.provide(layer())))

  it.scoped("inside an Effect span the OTel active span is the real, recording span", () =>
    Effect.gen(function*() {
      const [effectSpan, recording, activeId] = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* Effect.yieldNow()
        const active = trace.getActiveSpan()
        return [span, active?.isRecording(), active?.spanContext().spanId] as const
      }).pipe(Effect.withSpan("work"))
      // Were the OTel context given our wrapper, it would hold a non-recording copy made from its ids.
      expect(recording).toBe(true)
      expect(activeId).toBe(effectSpan.spanId)
    }).pipe(Effect.provide(layer())))

  it.scoped("a failure is captured once, and the OTel span records it as an error", () =>
    Effect.gen(function*() {
      yield* Effect.exit(Effect.fail(new Error("otel boom")).pipe(Effect.withSpan("b"), Effect.withSpan("a")))
      yield* flushed
      expect((yield* (yield* ErrorTracking).stats).captured).toBe(1)
      expect(exporter.getFinishedSpans().map((s) => [s.name, s.status.code])).toEqual([["b", 2], ["a", 2]])
    }).pipe(Effect.provide(layer())))
})
