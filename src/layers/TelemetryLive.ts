/**
 * Every telemetry service, configured from the environment (`TelemetryLive`) or from an object
 * (`layerTelemetry`). On Node it needs no other layer.
 */
import { NodeContext, NodeHttpClient, NodeKeyValueStore } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { fromOptions, TelemetryConfig, type TelemetryOptions } from "../schemas/TelemetryConfig.js"
import * as Outbox from "../services/Outbox.js"
import { layerConsoleTransport, layerMemoryTransport, type Transport } from "../services/Transport.js"
import { layerFileTransport } from "./FileTransport.js"
import { layerHttpTransport } from "./HttpTransport.js"
import { layerOtlpTransport } from "./OtlpTransport.js"
import { layerWithTransport, outboxOptions, type TelemetryServices } from "./TelemetryLayers.js"

// The platform-neutral part lives in TelemetryLayers.ts, so browser bundles can use it without Node.
export { layerWithTransport, outboxOptions, samplerOptions, type TelemetryServices } from "./TelemetryLayers.js"

/** The transport a configuration names, over Node's file system and HTTP client. */
const transportLayer = (config: TelemetryConfig): Layer.Layer<Transport> => {
  switch (config.transport) {
    case "console":
      return layerConsoleTransport
    case "memory":
      return layerMemoryTransport
    case "file":
      return layerFileTransport(config.filePath).pipe(Layer.provide(NodeContext.layer))
    case "http":
      return layerHttpTransport({
        url: Option.getOrThrow(config.endpoint),
        timeout: config.requestTimeout
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    case "otlp":
      return layerOtlpTransport({
        url: Option.getOrThrow(config.endpoint),
        timeout: config.requestTimeout,
        serviceName: config.serviceName
      }).pipe(Layer.provide(NodeHttpClient.layerUndici))
  }
}

/**
 * The durable outbox on Node: a folder of files. When the folder cannot be created, telemetry still
 * starts, with an outbox in memory, and says so.
 */
export const layerNodeOutbox = (config: TelemetryConfig): Layer.Layer<Outbox.Outbox> =>
  Outbox.layer(outboxOptions(config)).pipe(
    Layer.provide(NodeKeyValueStore.layerFileSystem(config.outboxDir)),
    Layer.catchAll((error) =>
      Layer.effectDiscard(
        Effect.logWarning(`telemetry outbox folder ${config.outboxDir} unusable; keeping the outbox in memory`, error)
      ).pipe(Layer.provideMerge(Outbox.layerMemory(outboxOptions(config))))
    )
  )

/** Every service from a validated configuration, with the transport it names and the durable outbox. */
export const layerFromConfig = (config: TelemetryConfig): Layer.Layer<TelemetryServices> =>
  layerWithTransport(config, transportLayer(config), layerNodeOutbox(config))

/** Every service, configured from the `TELEMETRY_*` environment variables (through Effect `Config`). */
export const TelemetryLive: Layer.Layer<TelemetryServices, ConfigError> = Layer.unwrapEffect(
  Effect.map(TelemetryConfig, layerFromConfig)
)

/** Every service, configured from an object; unset settings take the same defaults as the environment. */
export const layerTelemetry = (options: TelemetryOptions): Layer.Layer<TelemetryServices, ConfigError> =>
  Layer.unwrapEffect(Effect.map(fromOptions(options), layerFromConfig))

