/**
 * The shapes HealthCheck works with: statuses, the per-service and overall report, liveness and
 * readiness, the data of the `health.*` events it tracks, and its registration errors.
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { Timestamp } from "./TelemetryEvent.js"

/**
 * The status of a service or of the whole: `UNKNOWN` until a first result.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HealthStatus = Schema.Literal("HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN").annotations({
  identifier: "HealthStatus"
})
export type HealthStatus = typeof HealthStatus.Type

/**
 * One service as the report shows it.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ServiceHealth = Schema.Struct({
  name: Schema.String,
  status: HealthStatus,
  /** Why it has this status, in words (`2 consecutive failures`, `dependency db is UNHEALTHY`). */
  reason: Schema.String,
  critical: Schema.Boolean,
  dependencies: Schema.Array(Schema.String),
  consecutiveFailures: Schema.Int,
  consecutiveSuccesses: Schema.Int,
  /** Share of successes among the last 20 results; `null` before the first. */
  successRate: Schema.NullOr(Schema.Number),
  /** Checks run since registration. */
  checks: Schema.Int,
  lastLatencyMs: Schema.NullOr(Schema.Number),
  /**
   * The error of the last failed check, until a check succeeds: redacted, and without stack frames and
   * file-system paths unless the HealthCheck layer has `exposeErrorDetails`.
   */
  lastError: Schema.NullOr(Schema.String),
  lastCheckedAt: Schema.NullOr(Timestamp),
  /** When the service entered its current status. */
  statusSince: Timestamp,
  registeredAt: Timestamp
}).annotations({ identifier: "ServiceHealth" })
export type ServiceHealth = typeof ServiceHealth.Type

/**
 * Every service and the overall status, read from the cached results of the polling fibers.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HealthReport = Schema.Struct({
  /** The worst critical service; a non-critical service that is not healthy makes it at most `DEGRADED`. */
  status: HealthStatus,
  timestamp: Timestamp,
  /** Time since the HealthCheck service started. */
  uptimeMs: Schema.Number,
  services: Schema.Record({ key: Schema.String, value: ServiceHealth })
}).annotations({ identifier: "HealthReport" })
export type HealthReport = typeof HealthReport.Type

/**
 * Whether the polling machinery itself is alive: a stopped polling fiber means a service is no longer watched.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Liveness = Schema.Struct({
  alive: Schema.Boolean,
  /** Services whose polling fiber is running. */
  polling: Schema.Int,
  /** Services registered but no longer polled. */
  stopped: Schema.Array(Schema.String)
}).annotations({ identifier: "Liveness" })
export type Liveness = typeof Liveness.Type

/**
 * Whether the critical services can serve: each is `HEALTHY` or `DEGRADED`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Readiness = Schema.Struct({
  ready: Schema.Boolean,
  /** Critical services that are `UNHEALTHY` or still `UNKNOWN`. */
  notReady: Schema.Array(Schema.String)
}).annotations({ identifier: "Readiness" })
export type Readiness = typeof Readiness.Type

/**
 * The data of a `health.status_changed` event.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HealthStatusChangedData = Schema.Struct({
  service: Schema.String,
  from: HealthStatus,
  to: HealthStatus,
  reason: Schema.String,
  critical: Schema.Boolean,
  consecutiveFailures: Schema.Int,
  /** The same text as `ServiceHealth.lastError`. */
  lastError: Schema.NullOr(Schema.String),
  /** The overall status after this change. */
  overall: HealthStatus
}).annotations({ identifier: "HealthStatusChangedData" })
export type HealthStatusChangedData = typeof HealthStatusChangedData.Type

/**
 * The data of a `health.recovered` event: an `UNHEALTHY` service met its recovery threshold.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HealthRecoveredData = Schema.Struct({
  service: Schema.String,
  /** From entering `UNHEALTHY` to the check that completed the recovery. */
  downtimeMs: Schema.Number,
  downSince: Timestamp,
  recoveredAt: Timestamp
}).annotations({ identifier: "HealthRecoveredData" })
export type HealthRecoveredData = typeof HealthRecoveredData.Type

/**
 * Why a registration was refused.
 *
 * @since 0.2.0
 * @category models
 */
export type RegistrationProblem =
  /** a service of that name is already registered */
  | "duplicate"
  /** the name is empty, longer than 128 characters, or holds ":" (reserved by health+json keys) */
  | "invalid-name"
  /** the dependencies would form a cycle (`path` lists it) */
  | "dependency-cycle"
  /** an option is out of range (`option` names it) */
  | "invalid-option"

/**
 * A refused `register`: nothing was registered.
 *
 * @since 0.2.0
 * @category errors
 */
export class HealthCheckRegistrationError extends Data.TaggedError("HealthCheckRegistrationError")<{
  /** The service being registered (a field named `name` would shadow `Error.name`, which shows the tag). */
  readonly service: string
  readonly problem: RegistrationProblem
  /** What to change, in words. */
  readonly detail: string
  readonly option?: string
  readonly path?: ReadonlyArray<string>
}> {
  override get message(): string {
    return `Cannot register health check "${this.service}" (${this.problem}): ${this.detail}`
  }
}

/**
 * No service of that name is registered.
 *
 * @since 0.2.0
 * @category errors
 */
export class UnknownServiceError extends Data.TaggedError("UnknownServiceError")<{
  /** The service asked for. */
  readonly service: string
  readonly registered: ReadonlyArray<string>
}> {
  override get message(): string {
    return `No health check named "${this.service}"; registered: ${this.registered.join(", ") || "none"}`
  }
}
