import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import * as Instrumentation from "../../src/instrumentation/Instrumentation.js"
import { InvalidEventError } from "../../src/schemas/errors.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { IntakeEvents, layerErrorTrackingOverIntake, makeIntake } from "./support.js"

const traceId = "0af7651916cd43dd8448eb211c80319c"
const spanId = "b7ad6b7169203331"

describe("correlation", () => {
  it.effect("an event tracked inside withSpan carries the span's ids; outside, none", () =>
    Effect.gen(function*() {
      const { buffered, intake } = yield* makeIntake
      const span = yield* intake.track({ type: "inside" }).pipe(Effect.zipRight(Effect.currentSpan), Effect.withSpan("s"))
      yield* intake.track({ type: "outside" })
      expect(buffered().map((e) => [e.type, e.traceId, e.spanId])).toEqual([
        ["inside", span.traceId, span.spanId],
        ["outside", undefined, undefined]
      ])
    }))

  it.effect("an ExternalSpan counts; ids the input gives win, as a pair", () =>
    Effect.gen(function*() {
      const { buffered, intake } = yield* makeIntake
      const external = Tracer.externalSpan({ traceId, spanId })
      yield* intake.track({ type: "external" }).pipe(Effect.withParentSpan(external))
      yield* intake.track({ type: "given", traceId: "1".repeat(32) }).pipe(Effect.withParentSpan(external))
      expect(buffered().map((e) => [e.traceId, e.spanId])).toEqual([[traceId, spanId], ["1".repeat(32), undefined]])
    }))

  it.effect("ids of the wrong shape are an InvalidEventError; a span with other ids correlates nothing", () =>
    Effect.gen(function*() {
      const { buffered, intake } = yield* makeIntake
      for (const bad of [{ traceId: traceId.toUpperCase() }, { spanId: "abc" }, { traceId: "0".repeat(32) }]) {
        const error = yield* Effect.flip(intake.track({ type: "bad", ...bad }))
        expect(error).toBeInstanceOf(InvalidEventError)
      }
      yield* intake.track({ type: "odd" }).pipe(Effect.withParentSpan(Tracer.externalSpan({ traceId: "x", spanId: "y" })))
      yield* intake.track({ type: "untraced" }).pipe(Effect.withSpan("off"), Effect.withTracerEnabled(false))
      expect(buffered().map((e) => [e.type, e.traceId])).toEqual([["odd", undefined], ["untraced", undefined]])
    }))

  it.effect("an error captured inside a span, or with traceId/spanId options, carries those ids", () =>
    Effect.gen(function*() {
      const errors = yield* ErrorTracking
      const span = yield* errors.captureError(new Error("in span")).pipe(Effect.zipRight(Effect.currentSpan), Effect.withSpan("s"))
      yield* errors.captureError(new Error("given"), { traceId, spanId })
      const events = (yield* IntakeEvents.buffered()).filter((e) => e.type === "error.captured")
      expect(events.map((e) => [e.traceId, e.spanId])).toEqual([[span.traceId, span.spanId], [traceId, spanId]])
    }).pipe(Effect.provide(layerErrorTrackingOverIntake)))

  it.scoped("a failure through nested spans is captured by the tracer bridge once, with the innermost span's ids", () =>
    Effect.gen(function*() {
      const span = yield* Effect.flip(
        Effect.flatMap(Effect.orDie(Effect.currentSpan), (span) => Effect.fail(span)).pipe(Effect.withSpan("inner"), Effect.withSpan("outer"))
      )
      yield* Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.flush)
      const events = (yield* IntakeEvents.buffered()).filter((e) => e.type === "error.captured")
      expect(events.map((e) => [e.traceId, e.spanId, (e.data as { mechanism?: string }).mechanism])).toEqual([
        [span.traceId, span.spanId, "span"]
      ])
    }).pipe(Effect.provide(Instrumentation.layerTracer().pipe(Layer.provideMerge(layerErrorTrackingOverIntake)))))
})
