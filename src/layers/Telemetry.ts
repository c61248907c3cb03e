/**
 * What both entries publish under `Telemetry`: the configuration, its object form, and the test wiring.
 * Each entry adds its platform's layers (`TelemetryNode.ts`, `TelemetryBrowser.ts`).
 */
import type { TelemetryConfig, TelemetryOptions } from "../schemas/TelemetryConfig.js"
import type { TelemetryServices } from "./TelemetryLayers.js"

export {
  /**
   * The configuration read through Effect `Config` (the `TELEMETRY_*` environment variables by default);
   * a missing or invalid setting fails naming its variable.
   *
   * @since 0.2.0
   * @category config
   */
  TelemetryConfig as config,
  /**
   * Validates settings given as an object with the same rules and defaults as the environment.
   *
   * @since 0.2.0
   * @category config
   */
  fromOptions as configFromOptions,
  /**
   * The environment variable of each setting (`maxBatchSize` → `TELEMETRY_MAX_BATCH_SIZE`).
   *
   * @since 0.2.0
   * @category config
   */
  variables as environmentVariables
} from "../schemas/TelemetryConfig.js"

export {
  /**
   * The batches the in-memory transport of `TelemetryTest` / `layerTest` delivered so far, in order.
   *
   * @since 0.2.0
   * @category testing
   */
  deliveredBatches,
  /**
   * The events the in-memory transport of `TelemetryTest` / `layerTest` delivered so far, in order.
   *
   * @since 0.2.0
   * @category testing
   */
  deliveredEvents,
  /**
   * Every service over the in-memory transport with `options` over the defaults; `TelemetryTest` is
   * `layerTest()`.
   *
   * @since 0.2.0
   * @category testing
   */
  layerTelemetryTest as layerTest
} from "./TelemetryTest.js"

/**
 * The validated configuration.
 *
 * @since 0.2.0
 * @category models
 */
export type Config = TelemetryConfig

/**
 * Settings given as an object: each optional, defaulting as its variable does.
 *
 * @since 0.2.0
 * @category models
 */
export type Options = TelemetryOptions

/**
 * The services `TelemetryLive`, `Telemetry.layer` and `TelemetryTest` provide.
 *
 * @since 0.2.0
 * @category models
 */
export type Services = TelemetryServices
