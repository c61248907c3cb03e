/**
 * Every telemetry service, configured from the environment (`TelemetryLive`) or from an object
 * (`layerTelemetry`). On Node it needs no other layer.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { fromOptions, TelemetryConfig, type TelemetryOptions } from "../schemas/TelemetryConfig.js"
import * as Redactor from "../services/Redactor.js"
import * as Sampler from "../services/Sampler.js"
import * as TelemetryCollector from "../services/TelemetryCollector.js"
import { layerConsoleTransport, layerMemoryTransport, type Transport } from "../services/Transport.js"
import { layerFileTransport } from "./FileTransport.js"
import { layerHttpTransport } from "./HttpTransport.js"

/** The services `TelemetryLive` and `TelemetryTest` provide. */
export type TelemetryServices = TelemetryCollector.TelemetryCollector

/** The sampling policy a configuration names. */
export const samplerOptions = (config: TelemetryConfig): Sampler.SamplerOptions => {
  switch (config.sampling) {
    case "always":
      return { policy: Sampler.SamplingPolicy.Always() }
    case "never":
      return { policy: Sampler.SamplingPolicy.Never() }
    case "probabilistic":
      return { policy: Sampler.SamplingPolicy.Probabilistic({ rate: config.samplingRate }) }
    case "throttled":
      return {
        policy: Sampler.SamplingPolicy.Throttled({ limit: config.throttleLimit, window: config.throttleWindow })
      }
  }
}

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
  }
}

/** Every service over the given transport layer, from a validated configuration. */
export const layerWithTransport = <E, R>(
  config: TelemetryConfig,
  transport: Layer.Layer<Transport, E, R>
): Layer.Layer<TelemetryServices, E, R> =>
  TelemetryCollector.layer(config).pipe(
    Layer.provide(Layer.mergeAll(
      transport,
      Sampler.layer(samplerOptions(config)),
      config.redactPII ? Redactor.layerRedactor() : Redactor.layerRedactorDisabled
    ))
  )

/** Every service from a validated configuration, with the transport it names. */
export const layerFromConfig = (config: TelemetryConfig): Layer.Layer<TelemetryServices> =>
  layerWithTransport(config, transportLayer(config))

/** Every service, configured from the `TELEMETRY_*` environment variables (through Effect `Config`). */
export const TelemetryLive: Layer.Layer<TelemetryServices, ConfigError> = Layer.unwrapEffect(
  Effect.map(TelemetryConfig, layerFromConfig)
)

/** Every service, configured from an object; unset settings take the same defaults as the environment. */
export const layerTelemetry = (options: TelemetryOptions): Layer.Layer<TelemetryServices, ConfigError> =>
  Layer.unwrapEffect(Effect.map(fromOptions(options), layerFromConfig))

