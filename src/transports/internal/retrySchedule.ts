/**
 * How a failed send is retried, by the collector (a batch) and by the OTLP exporters (an export request):
 * jittered exponential backoff, honouring `Retry-After` up to the longest delay, and only while the failure
 * is retryable and not a refused credential (which waits for the collector's offline probes).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import type { TransportError } from "../../schemas/errors.js"

/** The shape of a retry schedule. */
export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number
  /** The first retry's delay, doubled each time (±20 % jitter). */
  readonly retryBaseDelay: Duration.Duration
  /** The longest delay between attempts, a `Retry-After` included. */
  readonly retryMaxDelay: Duration.Duration
}

/** Whether a failed attempt may be retried at once: retryable, and not a refused credential. */
export const retriable = (error: TransportError): boolean => error.retryable && error.reason !== "unauthorized"

/** The retry schedule: jittered exponential backoff, honouring `Retry-After` up to `retryMaxDelay`. */
export const retrySchedule = (options: RetryOptions): Schedule.Schedule<unknown, TransportError> =>
  Schedule.passthrough(
    Schedule.exponential(options.retryBaseDelay, 2).pipe(
      Schedule.jittered,
      Schedule.either(Schedule.spaced(options.retryMaxDelay)),
      Schedule.intersect(Schedule.recurs(options.maxAttempts - 1))
    ) as Schedule.Schedule<unknown, TransportError>
  ).pipe(
    Schedule.whileInput(retriable),
    Schedule.modifyDelay((error, delay) =>
      error.retryAfterMillis === undefined
        ? delay
        : Duration.max(delay, Duration.min(Duration.millis(error.retryAfterMillis), options.retryMaxDelay))
    )
  )

/** A number of milliseconds as `Duration` holds it (fractions kept to the nanosecond). */
const millis = (ms: number): number => Duration.toMillis(Duration.millis(ms))

/**
 * The wait in milliseconds before retrying after failure number `failures + 1`, or `undefined` when
 * `retrySchedule` would stop there: the same clock reading, random draw (taken even when stopping) and
 * arithmetic as its combinators, for a caller that retries in a loop of its own and so leaves `Schedule`
 * out of browser bundles. A wait of 0 or less means retry at once.
 */
export const retryDelay = (
  options: RetryOptions,
  error: TransportError,
  failures: number
): Effect.Effect<number | undefined> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(Random.next, (random) => {
      if (failures >= options.maxAttempts - 1 || !retriable(error)) return undefined
      const backoff = millis(now + Duration.toMillis(Duration.times(options.retryBaseDelay, 2 ** failures)) - now)
      const jittered = now + millis(backoff * 0.8 * (1 - random) + backoff * 1.2 * random)
      const delay = Duration.millis(
        Math.max(now, Math.min(jittered, now + Duration.toMillis(options.retryMaxDelay))) - now
      )
      return now + Duration.toMillis(
        error.retryAfterMillis === undefined
          ? delay
          : Duration.max(delay, Duration.min(Duration.millis(error.retryAfterMillis), options.retryMaxDelay))
      ) - now
    }))
