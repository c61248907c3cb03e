/**
 * Health checks: each registered service is polled by its own fiber on a `Schedule`, its results move
 * it through `UNKNOWN → HEALTHY ⇄ DEGRADED → UNHEALTHY` (see `health/StatusMachine.ts`), and status
 * changes — only changes — are tracked through the `EventSink` as `health.*` events (`health/Polling.ts`).
 * Reports read the cached state (`health/Registry.ts`).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  HealthCheckRegistrationError,
  type HealthReport,
  type HealthStatus,
  type Liveness,
  type Readiness,
  type ServiceHealth,
  UnknownServiceError
} from "../schemas/HealthEvents.js"
import type { EventSink } from "./EventSink.js"
import { type HealthJson, type HealthJsonInfo, healthJsonContentType, toHealthJson } from "./health/HealthJson.js"
import {
  defaultCheckSettings,
  type HealthCheckLayerOptions,
  type HealthCheckOptions,
  HealthCheckOptionsError
} from "./health/Options.js"
import type * as Registry from "./health/Registry.js"
import { make } from "./health/Service.js"
import type { Redactor } from "./Redactor.js"

export { type HealthCheckLayerOptions, type HealthCheckOptions, HealthCheckOptionsError, make }

/**
 * A check: succeeds when the service is healthy; any failure, defect or timeout counts as a failed check.
 *
 * @since 0.2.0
 * @category models
 */
export type ServiceCheck = Registry.ServiceCheck

/**
 * The defaults of `HealthCheckOptions`: 60-second interval, 5-second timeout, critical, no dependencies,
 * no latency threshold, 3 failures to UNHEALTHY, 2 successes to recover.
 *
 * @internal
 */
export const defaultHealthCheckOptions = defaultCheckSettings

/**
 * Watches registered services — each polled by its own fiber — and reports their health.
 *
 * @since 0.2.0
 * @category tags
 */
export class HealthCheck extends Context.Tag("effect-telemetry/HealthCheck")<HealthCheck, HealthCheck.Service>() {
  /**
   * The service over the `EventSink` and `Redactor` in context, scoped: closing it stops every polling
   * fiber. Defaults: no registration defaults beyond `HealthCheck.Options`'s, error details hidden.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: HealthCheck.LayerOptions
  ): Layer.Layer<HealthCheck, HealthCheckOptionsError, EventSink | Redactor> => Layer.scoped(this, make(options))
  /**
   * Builds the service (see `HealthCheck.layer`); its polling fibers live in the given scope.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make
  /**
   * Registers a check with the `HealthCheck` in context and starts polling it at once, then every `interval`.
   *
   * @since 0.2.0
   * @category accessors
   */
  static readonly register = (
    name: string,
    check: ServiceCheck,
    options?: HealthCheck.Options
  ): Effect.Effect<void, HealthCheckRegistrationError, HealthCheck> =>
    Effect.flatMap(this, (h) => h.register(name, check, options))
  /**
   * The health report of the `HealthCheck` in context, from cached results (with `refresh`, every check runs first).
   *
   * @since 0.2.0
   * @category accessors
   */
  static readonly report = (options?: { readonly refresh?: boolean }): Effect.Effect<HealthReport, never, HealthCheck> =>
    Effect.flatMap(this, (h) => h.getHealthReport(options))
  /**
   * A report as an `application/health+json` document (IETF draft); `select` limits the services listed.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly toJson = toHealthJson
  /**
   * The media type of `HealthCheck.toJson`'s documents: `application/health+json`.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly jsonContentType = healthJsonContentType
  /**
   * A refused `register` (duplicate, invalid name or option, dependency cycle): nothing was registered.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly RegistrationError = HealthCheckRegistrationError
  /**
   * `checkNow` of a service that is not registered.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly UnknownServiceError = UnknownServiceError
  /**
   * Options of `HealthCheck.layer` / `HealthCheck.make` that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = HealthCheckOptionsError
}

/** @since 0.2.0 */
export declare namespace HealthCheck {
  /**
   * What the health checker does: register and unregister services, check one now, report.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /** Registers a service and starts polling it at once, then every `interval`. */
    readonly register: (
      name: string,
      check: ServiceCheck,
      options?: Options
    ) => Effect.Effect<void, HealthCheckRegistrationError>
    /** Stops polling a service and forgets it; false when it was not registered. */
    readonly unregister: (name: string) => Effect.Effect<boolean>
    /** Runs one service's check now and returns its updated health. */
    readonly checkNow: (name: string) => Effect.Effect<ServiceHealth, UnknownServiceError>
    /** The report from cached results; with `refresh`, every check runs first (concurrently). */
    readonly getHealthReport: (options?: { readonly refresh?: boolean }) => Effect.Effect<HealthReport>
    /** Whether every registered service still has its polling fiber. */
    readonly liveness: Effect.Effect<Liveness>
    /** Whether every critical service is HEALTHY or DEGRADED. */
    readonly readiness: Effect.Effect<Readiness>
    /**
     * Forgets each service's statistics — checks run, the results behind its success rate — and keeps the
     * services, their polling, their status and what it rests on (consecutive results, last error). Tracks nothing.
     */
    readonly clear: Effect.Effect<void>
    /**
     * Unregisters every service (stopping its polling) without tracking a status change, and restarts the
     * uptime: the service is as newly built. Options given to the layer stay.
     */
    readonly reset: Effect.Effect<void>
  }
  /**
   * How one service is checked: `interval` (60 seconds), `timeout` (5 seconds), `critical` (true),
   * `dependencies` (none), `degradedLatency` (none), `failureThreshold` (3), `recoveryThreshold` (2).
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = HealthCheckOptions
  /**
   * Options of `HealthCheck.layer`: `defaults` for every registration, `exposeErrorDetails` (false).
   *
   * @since 0.2.0
   * @category models
   */
  export type LayerOptions = HealthCheckLayerOptions
  /**
   * A check: succeeds when the service is healthy; any failure, defect or timeout counts as a failed check.
   *
   * @since 0.2.0
   * @category models
   */
  export type ServiceCheck = Registry.ServiceCheck
  /**
   * Every service and the overall status, from the polling fibers' cached results.
   *
   * @since 0.2.0
   * @category models
   */
  export type Report = HealthReport
  /**
   * One service as the report shows it: status, why, its recent results.
   *
   * @since 0.2.0
   * @category models
   */
  export type ServiceHealth = import("../schemas/HealthEvents.js").ServiceHealth
  /**
   * A status: `HEALTHY`, `DEGRADED`, `UNHEALTHY`, or `UNKNOWN` until a first result.
   *
   * @since 0.2.0
   * @category models
   */
  export type Status = HealthStatus
  /**
   * The report as an `application/health+json` document (`HealthCheck.toJson`).
   *
   * @since 0.2.0
   * @category models
   */
  export type Json = HealthJson
  /**
   * How the service names itself in a health+json document (`serviceId`, `version`, …).
   *
   * @since 0.2.0
   * @category models
   */
  export type JsonInfo = HealthJsonInfo
  /**
   * The error of `HealthCheck.register`.
   *
   * @since 0.2.0
   * @category errors
   */
  export type RegistrationError = HealthCheckRegistrationError
  /**
   * The error of `HealthCheck.layer` / `make`.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = HealthCheckOptionsError
}
