/**
 * HealthCheck's options: how one service is checked (per registration, with defaults from the layer) and
 * the layer's own settings, each a Schema with its defaults, and what a registration resolves them into.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../../internal/decode.js"
import { PositiveDuration } from "../../internal/DurationOption.js"
import { HealthCheckRegistrationError } from "../../schemas/HealthEvents.js"
import type { Thresholds } from "./StatusMachine.js"

const AtLeastOne = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))

/** How one service is checked; every field has a default. */
export const CheckOptions = Schema.Struct({
  /** Time between the end of one check and the start of the next; default 60 seconds. */
  interval: Schema.optionalWith(PositiveDuration, { default: () => Duration.seconds(60) }),
  /** A check running longer fails with a timeout; default 5 seconds. */
  timeout: Schema.optionalWith(PositiveDuration, { default: () => Duration.seconds(5) }),
  /** Whether the overall status follows this service; a non-critical one only degrades it. Default true. */
  critical: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** Other registered services this one needs: when one is not HEALTHY, this one is at most DEGRADED. Default none. */
  dependencies: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** A successful check slower than this makes the service DEGRADED; default none. */
  degradedLatency: Schema.optional(PositiveDuration),
  /** Consecutive failures that make the service UNHEALTHY; default 3. */
  failureThreshold: Schema.optionalWith(AtLeastOne, { default: () => 3 }),
  /** Consecutive successes that bring a failing service back to HEALTHY; default 2. */
  recoveryThreshold: Schema.optionalWith(AtLeastOne, { default: () => 2 })
})

/** How one service is checked, as users write it. */
export type HealthCheckOptions = Schema.Schema.Encoded<typeof CheckOptions>

/** The settings of the HealthCheck layer. */
export const LayerOptions = Schema.Struct({
  /** Options every registration starts from (each registration may override them); checked when the layer is built. */
  defaults: Schema.optional(CheckOptions),
  /**
   * Whether a failed check's error keeps its stack frames and file-system paths in the report, the health
   * routes and the `health.*` events; default `false`: the health server answers any network peer. The
   * error is redacted either way.
   */
  exposeErrorDetails: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/** The settings of the HealthCheck layer, as users write them. */
export type HealthCheckLayerOptions = Schema.Schema.Encoded<typeof LayerOptions>

/**
 * Options given to `HealthCheck.layer` / `HealthCheck.make` that do not decode (a registration's own
 * options fail its `register` with `HealthCheckRegistrationError` instead). Prints as
 * `HealthCheckOptionsError: option defaults.interval: must be a positive duration`.
 *
 * @since 0.2.0
 * @category errors
 */
export class HealthCheckOptionsError extends OptionsError("HealthCheckOptionsError") {}

/** Decodes the layer's options into `HealthCheckOptionsError`. */
export const decodeLayerOptions = decodeOptions(LayerOptions, (fields) => new HealthCheckOptionsError(fields))

/** The defaults of `HealthCheckOptions`, as decoded. */
export const defaultCheckSettings = Schema.decodeSync(CheckOptions)({})

/** What a registration runs on, resolved from its options. */
export interface Settings {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration
  readonly critical: boolean
  readonly dependencies: ReadonlyArray<string>
  readonly thresholds: Thresholds
}

const nameProblem = (name: string): string | undefined =>
  name.length === 0
    ? "the name is empty"
    : name.length > 128
    ? "the name is longer than 128 characters"
    : name.includes(":")
    ? "the name holds \":\", which separates component and measurement in health+json"
    : undefined

const decodeCheckOptions = decodeOptions(CheckOptions, (fields) => fields)

/**
 * A registration's name checked and its options (over the layer's `defaults`) resolved into settings; a bad
 * name or option fails with `HealthCheckRegistrationError` (`invalid-name`, `invalid-option` naming it).
 */
export const resolveRegistration = (
  name: string,
  options: HealthCheckOptions | undefined,
  defaults: HealthCheckOptions | undefined
): Effect.Effect<Settings, HealthCheckRegistrationError> => {
  const problem = nameProblem(name)
  if (problem !== undefined) {
    return Effect.fail(new HealthCheckRegistrationError({ service: name, problem: "invalid-name", detail: problem }))
  }
  return decodeCheckOptions({ ...defaults, ...options }).pipe(
    Effect.mapError(({ option, reason }) =>
      new HealthCheckRegistrationError({ service: name, problem: "invalid-option", option, detail: reason })
    ),
    Effect.map((o) => ({
      interval: o.interval,
      timeout: o.timeout,
      critical: o.critical,
      dependencies: [...new Set(o.dependencies)],
      thresholds: {
        failureThreshold: o.failureThreshold,
        recoveryThreshold: o.recoveryThreshold,
        degradedLatencyMs: o.degradedLatency === undefined ? undefined : Duration.toMillis(o.degradedLatency)
      }
    }))
  )
}
