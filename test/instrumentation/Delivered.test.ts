import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import * as Instrumentation from "../../src/instrumentation/Instrumentation.js"
import { deliveredEvents, TelemetryTest } from "../../src/layers/TelemetryTest.js"
import { TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"

describe("correlation, delivered", () => {
  it.scoped("events tracked and errors captured inside a span reach the transport with the span's ids", () =>
    Effect.gen(function*() {
      const collector = yield* TelemetryCollector
      yield* Effect.gen(function*() {
        yield* collector.track({ type: "chat.message" })
        yield* Effect.fail(new Error("inside"))
      }).pipe(Effect.withSpan("turn"), Effect.exit)
      yield* Effect.flatMap(Instrumentation.TracerBridge, (bridge) => bridge.flush)
      yield* collector.flush
      const events = yield* deliveredEvents
      const message = events.find((e) => e.type === "chat.message")
      const captured = events.find((e) => e.type === "error.captured")
      expect(message?.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(message?.spanId).toMatch(/^[0-9a-f]{16}$/)
      expect([captured?.traceId, captured?.spanId]).toEqual([message?.traceId, message?.spanId])
      // The wire shape: the ids are optional top-level fields of TelemetryEvent.
      expect(Schema.is(TelemetryEvent)(message)).toBe(true)
    }).pipe(Effect.provide(Instrumentation.layerTracer().pipe(Layer.provideMerge(TelemetryTest)))))
})
