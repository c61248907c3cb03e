import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { deliveredEvents, layerTelemetryTest, TelemetryTest } from "../src/layers/TelemetryTest.js"
import { TransportError } from "../src/schemas/errors.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { MemoryTransport } from "../src/transports/Transport.js"

describe("TelemetryTest", () => {
  it.scoped("the scheduled flush runs on the test clock and delivered events can be read back", () =>
    Effect.gen(function*() {
      const telemetry = yield* TelemetryCollector
      yield* TestClock.setTime(1_000)
      yield* telemetry.track({ type: "checkout.completed", data: { items: 3 } })
      expect(yield* deliveredEvents).toEqual([])
      yield* TestClock.adjust("30 seconds")
      expect(yield* deliveredEvents).toMatchObject([{ type: "checkout.completed", timestamp: 1_000, data: { items: 3 } }])
    }).pipe(Effect.provide(TelemetryTest)))

  it.scoped("each use is a fresh instance", () =>
    Effect.gen(function*() {
      const telemetry = yield* TelemetryCollector
      expect((yield* telemetry.stats).tracked).toBe(0)
      expect(yield* deliveredEvents).toEqual([])
    }).pipe(Effect.provide(TelemetryTest)))

  it.scoped("settings apply, and failWith simulates an outage that retries ride out", () =>
    Effect.gen(function*() {
      const telemetry = yield* TelemetryCollector
      const memory = yield* MemoryTransport
      yield* memory.failWith(new TransportError({ reason: "network", retryable: true, message: "down" }))
      for (let i = 0; i < 3; i++) yield* telemetry.track({ type: "chat.message", data: { i } })
      yield* TestClock.adjust("1 second")
      expect(yield* deliveredEvents).toEqual([])
      yield* memory.failWith(undefined)
      yield* TestClock.adjust("10 seconds")
      expect((yield* deliveredEvents).map((e) => e.data.i)).toEqual([0, 1, 2])
    }).pipe(Effect.provide(layerTelemetryTest({ maxBatchSize: 3, retryBaseDelay: "1 second" }))))

  it.effect("invalid settings fail the layer with a ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(TelemetryCollector, layerTelemetryTest({ maxBatchSize: 0 })))
      expect(String(error)).toContain("TELEMETRY_MAX_BATCH_SIZE")
    }))
})
