/**
 * `Telemetry` in the Node entry: the shared configuration and test wiring, plus the layers that build every
 * service on Node (durable outbox in files, HTTP over undici, file transport).
 */
export * from "./Telemetry.js"

export {
  /**
   * Where a configuration's transport delivers, as the Node outbox keys its folders (kind and endpoint or
   * file path).
   *
   * @since 0.2.0
   * @category utils
   */
  destinationOf,
  /**
   * Options of `layerOutbox` and `layerWithTransport`: the destination name undelivered batches are stored under.
   *
   * @since 0.2.0
   * @category models
   */
  type DestinationOptions,
  /**
   * Every service, configured from an object; unset settings take the same defaults as the environment.
   *
   * @since 0.2.0
   * @category layers
   */
  layerTelemetry as layer,
  /**
   * Every service from a validated configuration, with the transport it names and the durable outbox. A
   * `Transport`, `Sampler`, `Redactor` or `Outbox` provided around it replaces the configured one.
   *
   * @since 0.2.0
   * @category layers
   */
  layerFromConfig as layerConfig,
  /**
   * The durable outbox in `TELEMETRY_OUTBOX_DIR`, one folder per destination and per process; in memory,
   * with a warning, when the folder is unusable.
   *
   * @since 0.2.0
   * @category layers
   */
  layerNodeOutbox as layerOutbox,
  /**
   * Every service over the given transport layer, with the durable outbox under the destination `custom`
   * (or the given one), or the given outbox layer.
   *
   * @since 0.2.0
   * @category layers
   */
  layerWithTransport
} from "./TelemetryLive.js"

export {
  /**
   * The `HttpClient` the Node layers send with: an undici `Agent` of its own (closed with the layer), like
   * `NodeHttpClient.layerUndici` but reading each response body once, without a fiber per read. Provide it to
   * `Transport.http`, `Transport.otlp` or `OtlpExport.layer` when composing them yourself.
   *
   * @since 0.2.0
   * @category layers
   */
  layer as layerHttpClient
} from "./UndiciClient.js"
