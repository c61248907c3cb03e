/**
 * How a failed send is retried, by the collector (a batch) and by the OTLP exporters (an export request):
 * jittered exponential backoff, honouring `Retry-After` up to the longest delay, and only while the failure
 * is retryable and not a refused credential (which waits for the collector's offline probes).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type { TransportError } from "../../schemas/errors.js"

/** The shape of the retry policy. */
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

/**
 * The wait in milliseconds before retrying after failure number `failures + 1` (0-based), or `undefined` when
 * the policy stops there (attempts used up, or `error` not `retriable`): the base delay doubled per failure,
 * jittered by ±20 % with one draw of the fiber's `Random`, at most `retryMaxDelay`, and at least the
 * `Retry-After` asked for (itself capped by `retryMaxDelay`).
 */
export const retryDelay = (
  options: RetryOptions,
  error: TransportError,
  failures: number
): Effect.Effect<number | undefined> =>
  Effect.map(Random.next, (random) => {
    if (failures >= options.maxAttempts - 1 || !retriable(error)) return undefined
    const maxMillis = Duration.toMillis(options.retryMaxDelay)
    const backoff = Duration.toMillis(options.retryBaseDelay) * 2 ** failures * (0.8 + 0.4 * random)
    const delay = Math.max(0, Math.min(backoff, maxMillis))
    return error.retryAfterMillis === undefined ? delay : Math.max(delay, Math.min(error.retryAfterMillis, maxMillis))
  })

/**
 * Retries `attempt` after it failed with `error` (failure number `failures + 1`), waiting `retryDelay` by the
 * `Clock` before each new attempt, until one succeeds or the policy stops; then fails with the last failure.
 */
export const retryAfter = <A, R>(
  options: RetryOptions,
  attempt: Effect.Effect<A, TransportError, R>,
  error: TransportError,
  failures = 0
): Effect.Effect<A, TransportError, R> =>
  Effect.flatMap(retryDelay(options, error, failures), (delay) =>
    delay === undefined
      ? Effect.fail(error)
      : Effect.catchAll(
        delay > 0 ? Effect.zipRight(Effect.sleep(Duration.millis(delay)), attempt) : attempt,
        (next) => retryAfter(options, attempt, next, failures + 1)
      ))

/** Runs `attempt`, retrying it by the policy (`retryAfter`) when it fails. */
export const withRetries = (options: RetryOptions) =>
<A, R>(attempt: Effect.Effect<A, TransportError, R>): Effect.Effect<A, TransportError, R> =>
  Effect.catchAll(attempt, (error) => retryAfter(options, attempt, error))
