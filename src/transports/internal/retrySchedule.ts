/**
 * How a failed send is retried, by the collector (a batch) and by the OTLP exporters (an export request):
 * jittered exponential backoff, honouring `Retry-After` up to the longest delay, and only while the failure
 * is retryable and not a refused credential (which waits for the collector's offline probes).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
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
