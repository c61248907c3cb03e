import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import * as Instrumentation from "../../src/instrumentation/Instrumentation.js"
import { TelemetryTest } from "../../src/layers/TelemetryTest.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"
import { UsageAnalytics } from "../../src/services/UsageAnalytics.js"
import type { SpanRecord } from "../../src/transports/otlp/Model.js"
import { SpanSink } from "../../src/transports/otlp/SpanSink.js"

/** The bridge over the test services (which it finds in context when built). */
const withBridge = (options?: Instrumentation.TracerOptions) =>
  Instrumentation.layerTracer(options).pipe(Layer.provideMerge(TelemetryTest))

const flushed = Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.flush)
const stats = Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.stats)

describe("Instrumentation.layerTracer", () => {
  it.scoped("every ended span is timed under its name, cleaned up into a metric name", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("inner"), Effect.withSpan("outer"))
      yield* Effect.withSpan(Effect.void, "chat claude-sonnet")
      yield* Effect.exit(Effect.fail("no").pipe(Effect.withSpan("inner")))
      yield* flushed
      const metrics = yield* PerformanceMetrics
      expect((yield* metrics.percentiles("inner")).count).toBe(2)
      expect((yield* metrics.percentiles("outer")).count).toBe(1)
      // A span name a metric name may not hold is timed under a cleaned-up one.
      expect((yield* metrics.percentiles("chat_claude-sonnet")).count).toBe(1)
      expect(yield* stats).toMatchObject({ spansEnded: 4, processed: 4, dropped: 0, spanNames: 3 })
    }).pipe(Effect.provide(withBridge())))

  it.scoped("the spans the program sees are the bridge's, with the inner tracer's ids and parentage", () =>
    Effect.gen(function*() {
      const [outer, inner] = yield* Effect.gen(function*() {
        const outer = yield* Effect.currentSpan
        const inner = yield* Effect.currentSpan.pipe(Effect.withSpan("inner"))
        return [outer, inner] as const
      }).pipe(Effect.withSpan("outer"))
      expect(inner.traceId).toBe(outer.traceId)
      expect(Option.map(inner.parent, (p) => p.spanId)).toEqual(Option.some(outer.spanId))
      expect(inner.spanId).toMatch(/^[0-9a-f]{16}$/)
    }).pipe(Effect.provide(withBridge())))

  it.scoped("a failure through three nested spans is captured once", () =>
    Effect.gen(function*() {
      yield* Effect.fail(new Error("boom")).pipe(Effect.withSpan("c"), Effect.withSpan("b"), Effect.withSpan("a"), Effect.exit)
      yield* flushed
      const errors = yield* ErrorTracking
      expect((yield* errors.stats).captured).toBe(1)
      expect(yield* stats).toMatchObject({ errorsCaptured: 1 })
    }).pipe(Effect.provide(withBridge())))

  it.scoped("a primitive failure through nested spans is captured once; an interruption is not captured", () =>
    Effect.gen(function*() {
      yield* Effect.exit(Effect.fail("plain").pipe(Effect.withSpan("b"), Effect.withSpan("a")))
      yield* Effect.exit(Effect.interrupt.pipe(Effect.withSpan("stopped")))
      yield* flushed
      expect((yield* (yield* ErrorTracking).stats).captured).toBe(1)
    }).pipe(Effect.provide(withBridge())))

  it.scoped("names beyond maxSpanNames are timed as span.other and counted", () =>
    Effect.gen(function*() {
      for (const name of ["a", "b", "c", "d"]) yield* Effect.withSpan(Effect.void, name)
      yield* Effect.withSpan(Effect.void, "a")
      yield* flushed
      expect((yield* (yield* PerformanceMetrics).percentiles(Instrumentation.otherSpanName)).count).toBe(2)
      expect(yield* stats).toMatchObject({ spanNames: 2, foldedSpans: 2 })
    }).pipe(Effect.provide(withBridge({ maxSpanNames: 2 }))))

  it.scoped("a full queue drops spans and counts them, never blocking the span", () =>
    Effect.gen(function*() {
      // No yield between the spans: the drain fiber cannot run, so the queue fills.
      yield* Effect.sync(() => undefined).pipe(
        Effect.withSpan("burst"),
        Effect.replicateEffect(10, { discard: true }),
        Effect.uninterruptible
      )
      const before = yield* stats
      yield* flushed
      const after = yield* stats
      expect(after.spansEnded).toBe(10)
      expect(after.dropped + after.processed).toBe(10)
      expect(after.dropped).toBeGreaterThanOrEqual(before.dropped)
      expect(after.dropped).toBeGreaterThan(0)
    }).pipe(Effect.provide(withBridge({ queueCapacity: 2 }))))

  it.scoped("a GenAI span becomes an AI operation and a provider request", () =>
    Effect.gen(function*() {
      yield* Effect.void.pipe(Effect.withSpan("chat claude", {
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": "anthropic",
          "gen_ai.request.model": "claude-x",
          "gen_ai.usage.input_tokens": 120,
          "gen_ai.usage.output_tokens": 30
        }
      }))
      yield* Effect.exit(Effect.fail(new Error("rate")).pipe(Effect.withSpan("chat legacy", {
        attributes: { "gen_ai.system": "openai", "gen_ai.request.model": "gpt-x", "error.type": "rate_limit" }
      })))
      yield* flushed
      const providers = yield* (yield* UsageAnalytics).providerStats
      expect(providers.map((p) => [p.provider, p.model, p.requests])).toEqual(
        expect.arrayContaining([["anthropic", "claude-x", 1], ["openai", "gpt-x", 1]])
      )
      const summary = yield* (yield* PerformanceMetrics).getSummary
      expect(JSON.stringify(summary)).toContain("claude-x")
      expect(yield* stats).toMatchObject({ aiOperations: 2, failures: 0 })
    }).pipe(Effect.provide(withBridge())))

  it.scoped("with a SpanSink in context, each ended span is offered as a SpanRecord", () =>
    Effect.gen(function*() {
      const records: Array<SpanRecord> = []
      const layer = Instrumentation.layerTracer().pipe(
        Layer.provide(Layer.succeed(SpanSink, { offer: (span) => records.push(span) > 0 }))
      )
      const exit = yield* Effect.gen(function*() {
        yield* Effect.annotateCurrentSpan("k", 1)
        yield* Effect.void.pipe(Effect.withSpan("child", { kind: "client" }))
        yield* Effect.fail(new Error("bad"))
      }).pipe(
        Effect.withSpan("parent"),
        Effect.exit,
        Effect.zipLeft(Effect.flatMap(Instrumentation.TracerBridge, (b) => b.flush)),
        Effect.provide(layer)
      )
      expect(Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)).toBe(true)
      expect(records.map((r) => r.name)).toEqual(["child", "parent"])
      const [child, parent] = records
      expect(child).toMatchObject({ kind: "client", parentSpanId: parent!.spanId, traceId: parent!.traceId, status: { code: "ok" } })
      expect(parent).toMatchObject({ kind: "internal", attributes: { k: 1 }, status: { code: "error", message: "bad" } })
      expect(parent!.endTimeUnixNano >= parent!.startTimeUnixNano).toBe(true)
    }))

  it.scoped("the bridge's own work creates no spans", () =>
    Effect.gen(function*() {
      yield* Effect.exit(Effect.fail(new Error("x")).pipe(Effect.withSpan("only")))
      yield* flushed
      // One span ended: the capture and timings made while handling it were not traced.
      expect((yield* stats).spansEnded).toBe(1)
    }).pipe(Effect.provide(withBridge())))
})
