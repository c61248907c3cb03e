/**
 * Every telemetry service, configured from the environment (`TelemetryLive`) or from an object
 * (`layerTelemetry`). On Node it needs no other layer.
 */
import { NodeContext } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ConfigError } from "effect/ConfigError"
import { fromOptions, TelemetryConfig, type TelemetryOptions } from "../schemas/TelemetryConfig.js"
import * as NodePath from "node:path"
import type * as Outbox from "../services/Outbox.js"
import { effectMetrics } from "../instrumentation/EffectMetrics.js"
import * as Instrumentation from "../instrumentation/Instrumentation.js"
import { OtlpExport } from "../transports/otlp/Exporters.js"
import { Transport } from "../transports/Transport.js"
import * as NodeOutbox from "./NodeOutbox.js"
import * as TelemetryLayers from "./TelemetryLayers.js"
import * as UndiciClient from "./UndiciClient.js"
import { outboxOptions, type TelemetryServices } from "./TelemetryLayers.js"

// The platform-neutral part lives in TelemetryLayers.ts, so browser bundles can use it without Node.
export { outboxOptions, samplerOptions, type TelemetryServices } from "./TelemetryLayers.js"

/** The transport a configuration names, over Node's file system and HTTP client. */
const transportLayer = (config: TelemetryConfig): Layer.Layer<Transport> => {
  switch (config.transport) {
    case "console":
      return Transport.console
    case "memory":
      return Transport.memory
    case "file":
      return Transport.file(config.filePath).pipe(Layer.provide(NodeContext.layer))
    case "http":
      return Transport.http({
        url: Option.getOrThrow(config.endpoint),
        timeout: config.requestTimeout
        // No headers, and TelemetryConfig admits only http(s) endpoints: just an unparseable URL can fail here.
      }).pipe(Layer.provide(UndiciClient.layer), Layer.orDie)
    case "otlp":
      // TelemetryConfig checked the endpoint (http(s)) and the headers (tokens, no control characters).
      return Transport.otlp(otlpOptions(config)).pipe(Layer.provide(UndiciClient.layer), Layer.orDie)
  }
}

/** What the OTLP transport and exporters share of a configuration: collector, encoding, headers, resource. */
const otlpOptions = (config: TelemetryConfig) => ({
  endpoint: Option.getOrThrow(config.endpoint),
  protocol: config.otlpProtocol,
  compression: config.otlpCompression,
  headers: config.otlpHeaders,
  timeout: config.requestTimeout,
  serviceName: config.serviceName,
  serviceVersion: Option.getOrUndefined(config.release),
  deploymentEnvironment: Option.getOrUndefined(config.environment),
  resourceAttributes: config.resourceAttributes
})

/**
 * With the `otlp` transport, the OTLP metrics exporter (the collector's books, performance metrics and
 * Effect's own metrics, every `TELEMETRY_METRICS_INTERVAL`) and, with `TELEMETRY_OTLP_TRACES`, the span
 * exporter, over the given services: built after them, so closed (with a last export) before them.
 */
const withOtlpExport = (config: TelemetryConfig, services: Layer.Layer<TelemetryServices>): Layer.Layer<TelemetryServices> =>
  config.transport !== "otlp" ? services : OtlpExport.layer({
    ...otlpOptions(config),
    metricsInterval: config.metricsInterval,
    traces: config.otlpTraces,
    shutdownTimeout: config.shutdownTimeout
  }, [(start, now) => Effect.sync(() => effectMetrics(start, now))]).pipe(
    Layer.provide(UndiciClient.layer),
    Layer.orDie,
    Layer.provideMerge(services)
  )

/**
 * With `TELEMETRY_INSTRUMENT`, the tracer and logger bridges over the services (and over the OTLP exporters,
 * whose span sink the tracer bridge feeds); with `TELEMETRY_OTLP_TRACES` alone, the tracer bridge, without
 * which there would be no span to export.
 */
const withInstrumentation = (config: TelemetryConfig, services: Layer.Layer<TelemetryServices>): Layer.Layer<TelemetryServices> =>
  config.instrument
    ? Instrumentation.layer().pipe(Layer.provideMerge(services))
    : config.transport === "otlp" && config.otlpTraces
    ? Instrumentation.layerTracer().pipe(Layer.provideMerge(services))
    : services

/**
 * Where the transport a configuration names delivers, as the Node outbox keys it: the transport kind and its
 * endpoint (normalized URL) or file (absolute path). Batches stored for one destination are never sent to another.
 */
export const destinationOf = (config: TelemetryConfig): string => {
  switch (config.transport) {
    case "http":
    case "otlp": {
      const endpoint = Option.getOrElse(config.endpoint, () => "")
      return `${config.transport} ${URL.canParse(endpoint) ? new URL(endpoint).href : endpoint}`
    }
    case "file":
      return `file ${NodePath.resolve(config.filePath)}`
    case "console":
    case "memory":
      return config.transport
  }
}

/** Options of `layerNodeOutbox` and of Node's `layerWithTransport`. */
export interface DestinationOptions {
  /**
   * Names where the batches go, for a transport the configuration does not describe: a process only re-sends
   * batches stored under the same destination. Default: derived from the configuration's transport
   * (`layerNodeOutbox`), `custom` (`layerWithTransport`).
   */
  readonly destination?: string
}

/**
 * The durable outbox on Node: a folder of files in `TELEMETRY_OUTBOX_DIR`, one subfolder per destination and
 * per process (see `NodeOutbox`). When the folder is unusable, telemetry still starts, with an outbox in
 * memory, and logs a warning.
 */
export const layerNodeOutbox = (config: TelemetryConfig, options: DestinationOptions = {}): Layer.Layer<Outbox.Outbox> =>
  NodeOutbox.layer({
    ...outboxOptions(config),
    directory: config.outboxDir,
    destination: options.destination ?? destinationOf(config)
  }).pipe(Layer.provide(NodeContext.layer))

/**
 * Every service over the given transport, on Node: by default with the durable outbox (`layerNodeOutbox`)
 * under the destination `custom` — pass `{ destination }` to name it, or an outbox layer to use that one.
 */
export const layerWithTransport = <E, R>(
  config: TelemetryConfig,
  transport: Layer.Layer<Transport, E, R>,
  outbox: Layer.Layer<Outbox.Outbox> | DestinationOptions = {}
): Layer.Layer<TelemetryServices, E, R> =>
  TelemetryLayers.layerWithTransport(
    config,
    transport,
    Layer.isLayer(outbox)
      ? outbox as Layer.Layer<Outbox.Outbox>
      : layerNodeOutbox(config, { destination: (outbox as DestinationOptions).destination ?? "custom" })
  )

/**
 * Every service from a validated configuration, with the transport it names and the durable outbox. A
 * `Transport`, `Sampler`, `Redactor` or `Outbox` provided around it replaces the configured one (a provided
 * transport stores its undelivered batches under the destination `custom`).
 */
export const layerFromConfig = (config: TelemetryConfig): Layer.Layer<TelemetryServices> =>
  withInstrumentation(config, withOtlpExport(config, Layer.unwrapEffect(Effect.map(
    Effect.serviceOption(Transport),
    Option.match({
      onNone: () => TelemetryLayers.layerWithTransport(config, transportLayer(config), layerNodeOutbox(config)),
      onSome: (transport) =>
        TelemetryLayers.layerWithTransport(
          config,
          Layer.succeed(Transport, transport),
          layerNodeOutbox(config, { destination: "custom" })
        )
    })
  ))))

/**
 * Every service, configured from the `TELEMETRY_*` environment variables (through Effect `Config`), with the
 * transport they name (console by default) and the durable outbox. A `Transport`, `Sampler`, `Redactor` or
 * `Outbox` layer provided around it replaces the configured one.
 *
 * @since 0.2.0
 * @category layers
 */
export const TelemetryLive: Layer.Layer<TelemetryServices, ConfigError> = Layer.unwrapEffect(
  Effect.map(TelemetryConfig, layerFromConfig)
)

/** Every service, configured from an object; unset settings take the same defaults as the environment. */
export const layerTelemetry = (options: TelemetryOptions): Layer.Layer<TelemetryServices, ConfigError> =>
  Layer.unwrapEffect(Effect.map(fromOptions(options), layerFromConfig))

