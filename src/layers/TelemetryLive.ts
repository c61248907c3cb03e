/**
 * Every telemetry service, configured from the environment (`TelemetryLive`) or from an object
 * (`layerTelemetry`). On Node it needs no other layer.
 */
import { NodeContext, NodeHttpClient, NodeKeyValueStore } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { fromOptions, TelemetryConfig, type TelemetryOptions } from "../schemas/TelemetryConfig.js"
import * as ErrorTracking from "../services/ErrorTracking.js"
import * as HealthCheck from "../services/HealthCheck.js"
import * as Outbox from "../services/Outbox.js"
import * as PerformanceMetrics from "../services/PerformanceMetrics.js"
import * as Redactor from "../services/Redactor.js"
import * as Sampler from "../services/Sampler.js"
import * as TelemetryCollector from "../services/TelemetryCollector.js"
import * as UsageAnalytics from "../services/UsageAnalytics.js"
import { layerConsoleTransport, layerMemoryTransport, type Transport } from "../services/Transport.js"
import { layerFileTransport } from "./FileTransport.js"
import { layerHttpTransport } from "./HttpTransport.js"

/** The services `TelemetryLive` and `TelemetryTest` provide. */
export type TelemetryServices =
  | TelemetryCollector.TelemetryCollector
  | PerformanceMetrics.PerformanceMetrics
  | UsageAnalytics.UsageAnalytics
  | ErrorTracking.ErrorTracking
  | HealthCheck.HealthCheck

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

/** The outbox bounds a configuration names. */
export const outboxOptions = (config: TelemetryConfig): Outbox.OutboxOptions => ({
  maxEvents: config.outboxMaxEvents,
  maxBytes: config.outboxMaxBytes
})

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

/**
 * Every service over the given transport and outbox layers (by default an outbox in memory). The
 * collector is built first and released last, so what the other services report while closing is
 * still flushed.
 */
export const layerWithTransport = <E, R>(
  config: TelemetryConfig,
  transport: Layer.Layer<Transport, E, R>,
  outbox: Layer.Layer<Outbox.Outbox> = Outbox.layerMemory(outboxOptions(config))
): Layer.Layer<TelemetryServices, E, R> => {
  const redactor = config.redactPII ? Redactor.layerRedactor() : Redactor.layerRedactorDisabled
  const collector = TelemetryCollector.layer(config).pipe(
    Layer.provide(Layer.mergeAll(transport, outbox, Sampler.layer(samplerOptions(config)), redactor))
  )
  // The services' options have valid defaults, so their option errors cannot occur here.
  const services = Layer.mergeAll(
    Layer.orDie(PerformanceMetrics.layer()),
    Layer.orDie(UsageAnalytics.layer()),
    Layer.orDie(ErrorTracking.layer()),
    HealthCheck.layer()
  )
  return services.pipe(Layer.provideMerge(collector), Layer.provide(redactor))
}

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

