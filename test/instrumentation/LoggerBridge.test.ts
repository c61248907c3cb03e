import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, LogLevel } from "effect"
import * as Instrumentation from "../../src/instrumentation/Instrumentation.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { IntakeEvents, layerErrorTrackingOverIntake } from "./support.js"

const bridges = (options?: Instrumentation.Options) =>
  Instrumentation.layer(options).pipe(Layer.provideMerge(layerErrorTrackingOverIntake))

const flushed = Effect.all([
  Effect.flatMap(Instrumentation.LoggerBridge, (bridge) => bridge.flush),
  Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.flush)
])

const captured = Effect.map(
  IntakeEvents.buffered(),
  (events) => events.filter((e) => e.type === "error.captured")
)

describe("Instrumentation.layerLogger", () => {
  it.scoped("logs at or above Info become breadcrumbs with their annotations and log spans; Debug does not", () =>
    Effect.gen(function*() {
      yield* Effect.logDebug("too low")
      yield* Effect.logInfo("hello", 42).pipe(Effect.annotateLogs("requestId", "r-1"), Effect.withLogSpan("handler"))
      yield* Effect.logWarning("careful")
      yield* flushed
      const crumbs = yield* (yield* ErrorTracking).breadcrumbs
      expect(crumbs.map((c) => [c.category, c.level, c.message])).toEqual([
        ["log", "INFO", "hello 42"],
        ["log", "WARNING", "careful"]
      ])
      expect(crumbs[0]!.data).toMatchObject({ requestId: "r-1", logSpans: "handler" })
    }).pipe(Effect.provide(bridges())))

  it.scoped("minimumLevel is an option", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("dropped")
      yield* Effect.logError("kept")
      yield* flushed
      expect((yield* (yield* ErrorTracking).breadcrumbs).map((c) => c.message)).toEqual(["kept"])
    }).pipe(Effect.provide(bridges({ logger: { minimumLevel: LogLevel.Error } }))))

  it.scoped("Effect.logError(cause) inside a failing span is captured once, with the span's ids", () =>
    Effect.gen(function*() {
      const span = yield* Effect.flip(
        Effect.flatMap(Effect.currentSpan, (span) => Effect.fail(new Error(`failed in ${span.spanId}`)).pipe(Effect.as(span)))
          .pipe(Effect.tapErrorCause(Effect.logError), Effect.withSpan("work"))
      )
      yield* flushed
      const events = yield* captured
      expect(events).toHaveLength(1)
      expect(events[0]!.spanId).toBe(span.message.slice("failed in ".length))
    }).pipe(Effect.provide(bridges())))

  it.scoped("a primitive failure logged and ending its span is captured once", () =>
    Effect.gen(function*() {
      yield* Effect.fail("plain").pipe(Effect.tapErrorCause(Effect.logError), Effect.withSpan("work"), Effect.exit)
      yield* flushed
      expect(yield* captured).toHaveLength(1)
    }).pipe(Effect.provide(bridges())))

  it.scoped("a warning with a cause, and this library's own error logs, are breadcrumbs, never captures", () =>
    Effect.gen(function*() {
      yield* Effect.logWarning("retrying", Cause.fail(new Error("flaky")))
      yield* Effect.logError("telemetry send failed", Cause.fail(new Error("outage")))
      yield* Effect.logError("marked", Cause.die(new Error("ours"))).pipe(
        Effect.annotateLogs(Instrumentation.internalLogAnnotation, true)
      )
      yield* Effect.logError("theirs", Cause.die(new Error("app")))
      yield* flushed
      expect((yield* captured).map((e) => (e.data as { message?: string }).message)).toEqual(["app"])
      expect((yield* (yield* ErrorTracking).breadcrumbs).map((c) => c.message)).toEqual(
        expect.arrayContaining(["retrying", "telemetry send failed", "marked", "theirs"])
      )
    }).pipe(Effect.provide(bridges())))
})
