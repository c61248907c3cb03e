/**
 * Every telemetry service over the in-memory transport, for users' own tests: nothing is read from the
 * environment, time comes from the test's `Clock` (so `TestClock.adjust` drives flushing and retries),
 * and what was delivered can be read back. Each `Effect.provide` builds its own instance.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ConfigError } from "effect/ConfigError"
import { fromOptions, type TelemetryOptions } from "../schemas/TelemetryConfig.js"
import type { Batch, TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { layerMemory, MemoryTransport } from "../transports/MemoryTransport.js"
import { layerWithTransport, type TelemetryServices } from "./TelemetryLayers.js"

/** Every service over the memory transport, with `options` over the defaults. */
export const layerTelemetryTest = (
  options: TelemetryOptions = {}
): Layer.Layer<TelemetryServices | MemoryTransport, ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(fromOptions({ ...options, transport: "memory" }), (config) => {
      const transport = layerMemory
      return Layer.merge(layerWithTransport(config, transport), transport)
    })
  )

/**
 * Every service over the in-memory transport, with the default settings and nothing read from the
 * environment; time comes from the test's `Clock`. Read what was delivered with `Telemetry.deliveredEvents`.
 *
 * @since 0.2.0
 * @category layers
 */
export const TelemetryTest: Layer.Layer<TelemetryServices | MemoryTransport, ConfigError> = layerTelemetryTest()

/** The events delivered so far, in order. */
export const deliveredEvents: Effect.Effect<ReadonlyArray<TelemetryEvent>, never, MemoryTransport> = Effect.flatMap(
  MemoryTransport,
  (memory) => memory.events
)

/** The batches delivered so far, in order. */
export const deliveredBatches: Effect.Effect<ReadonlyArray<Batch>, never, MemoryTransport> = Effect.flatMap(
  MemoryTransport,
  (memory) => memory.batches
)
