/**
 * The sending half of delivery: one batch sent — with bounded, jittered retries after a failed first
 * attempt, cut short under back-pressure (never the first attempt) — and settled: sent, split in two (too
 * large, or holding an event the transport cannot encode), dropped with a reason, or kept in the outbox
 * with the collector going offline.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Fn from "effect/Function"
import * as Option from "effect/Option"
import { TransportError } from "../../schemas/errors.js"
import type { Batch } from "../../schemas/TelemetryEvent.js"
import type { Outbox } from "../../services/Outbox.js"
import { safeText } from "../../transports/internal/safeText.js"
import { describeThrown } from "../../transports/internal/failureText.js"
import type { Transport } from "../../transports/TransportTag.js"
import type { Receipt } from "../../transports/TransportTag.js"
import type { Accounting } from "./accounting.js"
import type { Outage } from "./outage.js"
import { retriable, retryAfter } from "../../transports/internal/retryPolicy.js"

/** The settings sending reads. */
export interface SendingOptions {
  readonly maxBatchSize: number
  readonly maxBufferSize: number
  readonly maxAttempts: number
  readonly retryBaseDelay: Duration.Duration
  readonly retryMaxDelay: Duration.Duration
}

/** What sending works with. */
export interface SendingDeps {
  readonly transport: Transport["Type"]
  readonly outbox: Outbox["Type"]
  readonly accounting: Accounting
}

/** A batch is settled once sent or rejected for good; failed when it still could not be delivered. */
export type Outcome = "settled" | "failed"

export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const underPressure = new TransportError({ reason: "network", retryable: true, message: "buffer filling up while retrying a failed batch" })

/**
 * One attempt. A transport that dies (an encoder throwing, a bug) fails like an encoding failure: the
 * batch is split until the event at fault is alone, and only that one is dropped.
 */
const sendOnce = (transport: Transport["Type"], batch: Batch): Effect.Effect<void | Receipt, TransportError> =>
  Effect.catchAllDefect(Effect.suspend(() => transport.send(batch)), (defect) =>
    Effect.fail(
      new TransportError({
        reason: "encode",
        retryable: false,
        message: `transport failed unexpectedly: ${describeThrown(defect, false)}`,
        cause: defect
      })
    ))

/** The events a receipt says were rejected, as a count the books can hold: a whole number from 0 to the batch's size. */
const rejectedBy = (receipt: Receipt | undefined, events: number): number => {
  const rejected = receipt?.rejected
  return typeof rejected === "number" && rejected > 0 ? Math.min(events, Math.floor(rejected)) : 0
}

/** The sending half of delivery: one batch sent (with retries, under back-pressure) and settled. */
export interface Sending {
  readonly buffered: (length: number) => void
  readonly store: (batch: Batch, position: "newest" | "oldest", release?: () => void) => Effect.Effect<void>
  /** One batch's send: a first attempt, then (when `retry`) the retries; interruptible throughout. */
  readonly send: (batch: Batch, retry: boolean) => Effect.Effect<void | Receipt, TransportError>
  /** `send` under the caller's `restore`, then `settleExit`. */
  readonly deliver: (
    restore: Restore,
    batch: Batch,
    stored: boolean,
    retry: boolean,
    release?: () => void
  ) => Effect.Effect<Outcome>
  /** Settles a batch from how its send ended; one cut short goes to the front of the outbox. */
  readonly settleExit: (
    batch: Batch,
    stored: boolean,
    exit: Exit.Exit<void | Receipt, TransportError>,
    release?: () => void
  ) => Effect.Effect<Outcome>
}

export const make = (
  options: SendingOptions,
  deps: SendingDeps,
  outage: Outage,
  wake: () => void,
  bufferLength: () => number
): Effect.Effect<Sending> =>
  Effect.gen(function*() {
    const { accounting: { commit, countPut, counters }, outbox, transport } = deps
    /**
     * One signal per batch that failed and is being retried (several sends may be under way); completed
     * when the buffer fills meanwhile: stop waiting, store the batch, go offline. Read by `buffered` for
     * every event tracked, a measured hot path: a plain set, not a `Ref`.
     */
    const pressure = new Set<Deferred.Deferred<void>>()
    const highWater = Math.max(1, Math.floor(options.maxBufferSize * 0.75))

    const buffered = (length: number): void => {
      if (length % options.maxBatchSize === 0) wake()
      if (pressure.size > 0 && length >= highWater) for (const raised of pressure) Deferred.unsafeDone(raised, Exit.void)
    }

    /** Stores a batch in the outbox and commits, counting what the outbox evicted or could not take. */
    const store = (batch: Batch, position: "newest" | "oldest", release: () => void = Fn.constVoid) =>
      Effect.flatMap(outbox.put(batch, position), (result) =>
        commit(() => {
          countPut(result)
          release()
        }))

    /**
     * The retries of a batch whose first attempt failed with `first`. Only now may back-pressure cut the
     * send short: a first attempt is never abandoned, however full the buffer, so a receiver that answers
     * (slowly) is never taken for a dead one. A buffer already past 75 % when the first attempt failed stops
     * the retries at once.
     */
    const retries = (batch: Batch, first: TransportError): Effect.Effect<void | Receipt, TransportError> =>
      Effect.suspend(() => {
        if (!retriable(first)) return Effect.fail(first)
        if (bufferLength() >= highWater) return Effect.fail(underPressure)
        // A fresh signal per retried batch: one raised during an earlier batch's retries cannot abandon these.
        const raised = Deferred.unsafeMake<void>(FiberId.none)
        pressure.add(raised)
        return retryAfter(options, sendOnce(transport, batch), first).pipe(
          Effect.raceFirst(Effect.zipRight(Deferred.await(raised), Effect.fail(underPressure))),
          Effect.ensuring(Effect.sync(() => {
            pressure.delete(raised)
          }))
        )
      })

    const send = (batch: Batch, retry: boolean): Effect.Effect<void | Receipt, TransportError> =>
      retry
        ? Effect.catchAll(sendOnce(transport, batch), (error) => retries(batch, error))
        : sendOnce(transport, batch)

    /**
     * Sends a batch (from the buffer, or already `stored` in the outbox) and settles it. Only the send runs
     * under the caller's `restore`: once it answered, or was interrupted, the settling is one step, whose
     * commit also runs `release` (taking the batch off the in-flight list). Interrupted, a batch from the
     * buffer goes to the front of the outbox under its own id, so nothing is lost, reordered or stored twice.
     */
    const deliver = (restore: Restore, batch: Batch, stored: boolean, retry: boolean, release: () => void = Fn.constVoid) =>
      Effect.flatMap(Effect.exit(restore(send(batch, retry))), (exit) => settleExit(batch, stored, exit, release))

    /** Settles a batch from how its send ended; one cut short (interrupted) goes to the front of the outbox. */
    const settleExit = (
      batch: Batch,
      stored: boolean,
      exit: Exit.Exit<void | Receipt, TransportError>,
      release: () => void = Fn.constVoid
    ): Effect.Effect<Outcome> => {
      if (Exit.isSuccess(exit)) return settle(batch, stored, undefined, release, exit.value ?? undefined)
      const failure = Cause.failureOption(exit.cause)
      if (Option.isSome(failure)) return settle(batch, stored, failure.value, release, undefined)
      return (stored ? commit(release) : store(batch, "oldest", release)).pipe(
        Effect.zipRight(
          Cause.isInterruptedOnly(exit.cause) ? Effect.void : Effect.logError("telemetry send failed", exit.cause)
        ),
        Effect.as("failed" as const)
      )
    }

    /**
     * What an answer means for a batch's events: sent (but for those a receipt says were rejected, dropped
     * for good), split, dropped with a reason, or kept in the outbox.
     */
    const settle = (
      batch: Batch,
      stored: boolean,
      error: TransportError | undefined,
      release: () => void,
      receipt: Receipt | undefined
    ) => {
      const forget = stored ? outbox.remove(batch.batchId) : Effect.void
      const events = batch.events.length
      const dropped = (count: () => void, log: Effect.Effect<void>) =>
        forget.pipe(Effect.zipRight(commit(() => (count(), release()))), Effect.zipRight(log))
      if (error === undefined) {
        const rejected = rejectedBy(receipt, events)
        const log = receipt === undefined || (rejected === 0 && receipt.message === undefined)
          ? outage.goOnline
          : Effect.zipRight(
            Effect.logWarning("telemetry batch partly rejected by the receiver").pipe(
              Effect.annotateLogs({ batchId: batch.batchId, events, rejected, reason: safeText(receipt.message ?? "", []) })
            ),
            outage.goOnline
          )
        return dropped(() => {
          counters.sent += events - rejected
          counters.rejected += rejected
          counters.batches++
        }, log).pipe(Effect.as("settled" as const))
      }
      if ((error.reason === "tooLarge" || error.reason === "encode") && events > 1) {
        // The halves take the batch's place at the front of the outbox, which is drained first, under
        // derived batch ids; one outbox write commits the swap.
        const half = Math.ceil(events / 2)
        const parts = [
          { batchId: `${batch.batchId}.0`, events: batch.events.slice(0, half) },
          { batchId: `${batch.batchId}.1`, events: batch.events.slice(half) }
        ]
        return Effect.flatMap(outbox.replace(batch.batchId, parts), (result) =>
          commit(() => {
            countPut(result)
            release()
          })).pipe(Effect.as("settled" as const))
      }
      if (error.reason === "encode") {
        const log = Effect.logWarning("telemetry event dropped: the transport cannot encode it").pipe(
          Effect.annotateLogs({ eventId: batch.events[0]?.id, type: batch.events[0]?.type, reason: error.message })
        )
        return dropped(() => (counters.unencodable += events), log).pipe(Effect.as("settled" as const))
      }
      if (!error.retryable && error.reason !== "unauthorized") {
        const log = Effect.logWarning("telemetry batch rejected by the receiver").pipe(
          Effect.annotateLogs({ batchId: batch.batchId, events, reason: error.message })
        )
        // A receiver that answers (even "no") is reachable: a probe answered so ends the outage.
        return dropped(() => (counters.rejected += events), Effect.zipRight(log, outage.goOnline)).pipe(
          Effect.as("settled" as const)
        )
      }
      return (stored ? commit(release) : store(batch, "newest", release)).pipe(
        Effect.zipRight(stored ? outage.goOffline(error) : outage.goOfflineOnce(error)),
        Effect.as("failed" as const)
      )
    }

    return { buffered, store, send, deliver, settleExit } satisfies Sending
  })

