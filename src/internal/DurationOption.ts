/**
 * A duration option as users write it — `"5 minutes"`, a number of milliseconds or a `Duration` — decoded
 * into a `Duration`, for the services' options schemas.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const DurationInput = Schema.declare(
  (u: unknown): u is Duration.DurationInput => Option.isSome(Duration.decodeUnknown(u)),
  { identifier: "DurationInput", description: "a duration such as \"5 minutes\", milliseconds or a Duration" }
)

/** Any `Duration.DurationInput`, decoded into a `Duration`. */
export const DurationOption: Schema.Schema<Duration.Duration, Duration.DurationInput> = Schema.transformOrFail(
  DurationInput,
  Schema.DurationFromSelf,
  {
    strict: true,
    decode: (input) => ParseResult.succeed(Duration.decode(input)),
    encode: (duration) => ParseResult.succeed(duration)
  }
)

/** A duration option greater than zero (infinity allowed: "never"). */
export const PositiveDuration = DurationOption.pipe(
  Schema.filter((d) => Duration.greaterThan(d, Duration.zero) || "must be a positive duration")
)

/** A duration option greater than zero and finite. */
export const PositiveFiniteDuration = PositiveDuration.pipe(
  Schema.filter((d) => Duration.isFinite(d) || "must be a finite duration")
)
