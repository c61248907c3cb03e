/**
 * The offline/probe state machine of delivery. After a batch finally fails the collector goes offline
 * until a backoff deadline (doubling per failed probe, from `retryBaseDelay` up to `retryMaxDelay`, at
 * least a `Retry-After`); then the next flush probes the receiver with one attempt. An answer brings it
 * back online.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { TransportError } from "../../schemas/errors.js"

/** The settings the state machine reads. */
export interface OutageOptions {
  readonly flushInterval: Duration.Duration
  readonly retryBaseDelay: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
}

/** While offline: when to probe the receiver again, and the current backoff. */
interface Down {
  readonly until: number
  readonly delay: number
}

/** Whether the receiver is usable, and when to try it again. */
export interface Outage {
  /** Whether the receiver is considered down. */
  readonly offline: Effect.Effect<boolean>
  /** `"online"`, `"waiting"` (offline, before the deadline) or `"probe"` (offline, the deadline passed). */
  readonly status: Effect.Effect<"online" | "waiting" | "probe">
  /** After a failed delivery: offline with the next backoff; warns once per outage, logs later probes at debug. */
  readonly goOffline: (error: TransportError) => Effect.Effect<void>
  /**
   * After a batch from the buffer finally failed: as `goOffline`, unless already offline (another batch in
   * flight failed first), which keeps the outage's backoff: only failed probes double it.
   */
  readonly goOfflineOnce: (error: TransportError) => Effect.Effect<void>
  /** After an answer: back online (logged when it was offline). */
  readonly goOnline: Effect.Effect<void>
  /** Makes the probe due now (for the final flush), if offline. */
  readonly probeNow: Effect.Effect<void>
  /**
   * How long the flush loop sleeps: `flushInterval`, or until the probe when offline with something
   * stored to probe with. (Offline with nothing stored, waiting for the probe would wake the loop at once,
   * forever; the next batch stored makes the probe due again.)
   */
  readonly nextWait: (outboxed: number) => Effect.Effect<Duration.Duration>
}

/** Online at first. */
export const make = (options: OutageOptions, clock: Clock.Clock): Effect.Effect<Outage> =>
  Effect.map(Ref.make<Down | undefined>(undefined), (state): Outage => {
    const baseDelayMillis = Duration.toMillis(options.retryBaseDelay)
    const maxDelayMillis = Duration.toMillis(options.retryMaxDelay)
    const flushIntervalMillis = Duration.toMillis(options.flushInterval)
    const now = () => clock.unsafeCurrentTimeMillis()

    const goOffline = (error: TransportError) =>
      Effect.flatMap(
        Ref.modify(state, (down): readonly [readonly [boolean, number], Down] => {
          const doubled = down === undefined ? baseDelayMillis : Math.min(down.delay * 2, maxDelayMillis)
          const delay = Math.max(doubled, Math.min(error.retryAfterMillis ?? 0, maxDelayMillis))
          return [[down === undefined, delay], { until: now() + delay, delay }]
        }),
        ([outageStarts, retryInMillis]) => {
          const annotations = { reason: error.message, retryInMillis }
          // One warning per outage: every failed probe logging again would flood the host's logs.
          if (!outageStarts) return Effect.logDebug("telemetry receiver still unusable").pipe(Effect.annotateLogs(annotations))
          return Effect.logWarning(
            error.reason === "unauthorized"
              ? "telemetry receiver refuses our credentials; storing batches in the outbox until it accepts them"
              : "telemetry receiver unreachable; storing batches in the outbox"
          ).pipe(Effect.annotateLogs(annotations))
        }
      )

    return {
      offline: Effect.map(Ref.get(state), (down) => down !== undefined),
      goOfflineOnce: (error) => Effect.flatMap(Ref.get(state), (down) => down === undefined ? goOffline(error) : Effect.void),
      status: Effect.map(Ref.get(state), (down) => down === undefined ? "online" : now() >= down.until ? "probe" : "waiting"),
      goOffline,
      goOnline: Effect.flatMap(Ref.getAndSet(state, undefined), (was) =>
        was === undefined ? Effect.void : Effect.logInfo("telemetry receiver reachable again; draining the outbox")),
      probeNow: Ref.update(state, (down) => down && { ...down, until: now() }),
      nextWait: (outboxed) =>
        Effect.map(Ref.get(state), (down) =>
          Duration.millis(
            down === undefined || outboxed === 0
              ? flushIntervalMillis
              : Math.max(0, Math.min(flushIntervalMillis, down.until - now()))
          ))
    }
  })
