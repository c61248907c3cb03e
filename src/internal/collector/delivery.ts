/**
 * How batches leave a collector, as one unit: bounded retries, the offline/probe state machine, spilling
 * to the outbox, back-pressure while retrying, splitting a batch the receiver finds too large and
 * isolating an event the transport cannot encode, the flush loop, the caller's `flush`, the beacon
 * `flushSync` and the final flush.
 *
 * Online, a batch is sent with bounded retries. When it still fails, it goes to the outbox and the
 * collector goes offline: until a backoff deadline, flushes move batches straight into the outbox (so a
 * long outage fills storage, not memory), then one attempt with the oldest stored batch probes the
 * receiver. An answer (delivered, or refused for good) brings the collector back online, and the outbox
 * drains oldest first. A receiver refusing our credentials is treated the same way: unusable until it
 * accepts them.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type { Batch } from "../../schemas/TelemetryEvent.js"
import * as Outage from "./outage.js"
import type { Pending } from "./pending.js"
import * as Sending from "./sending.js"
import * as Window from "./window.js"

/** The settings delivery reads. */
export interface DeliveryOptions extends Sending.SendingOptions {
  readonly flushInterval: Duration.Duration
  readonly shutdownTimeout: Duration.Duration
  readonly flushTimeout: Duration.Duration
  /** How many batches from the buffer may be under way at once; default `defaultMaxInFlight` (4). */
  readonly maxInFlight?: number
}

/** What delivery works with. */
export interface DeliveryDeps extends Sending.SendingDeps {
  readonly clock: Clock.Clock
  readonly pending: Pending
}

/** The delivery of one collector. */
export interface Delivery {
  /** Called by `track` after each event buffered, with the buffer's length: wakes the loop at a full batch. */
  readonly buffered: (length: number) => void
  /** Asks the loop to run now (e.g. for what a previous run left in the outbox). */
  readonly wake: () => void
  /** Sends everything buffered, at most for `flushTimeout`; a send it cuts short goes to the front of the outbox. */
  readonly flush: Effect.Effect<void>
  /** Hands every buffered batch to a synchronous channel; a batch it refuses goes to the outbox. */
  readonly flushSync: (send: (batch: Batch) => boolean) => Effect.Effect<void>
  /** Whether the receiver is considered down. */
  readonly offline: Effect.Effect<boolean>
  /** Runs `effect` while no flush is under way (and none starts). */
  readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** The final flush: one more attempt (a probe, offline) within `shutdownTimeout`, then the rest to the outbox. */
  readonly shutdown: Effect.Effect<void>
  /** The flush loop: a full batch, or `flushInterval` (or a due probe), starts a drain; then `afterEach`. */
  readonly loop: (afterEach: Effect.Effect<void>) => Effect.Effect<never>
}

/** Delivery over the given transport and outbox; `loop` and `shutdown` are for the caller to run. */
export const make = (options: DeliveryOptions, deps: DeliveryDeps): Effect.Effect<Delivery> =>
  Effect.gen(function*() {
    const { accounting: { commit, counters }, clock, outbox, pending } = deps
    const flushRequests = yield* Queue.sliding<void>(1)
    const wake = () => Queue.unsafeOffer(flushRequests, undefined)
    const lock = yield* Effect.makeSemaphore(1)
    const outage = yield* Outage.make(options, clock)
    const sending = yield* Sending.make(options, deps, outage, wake, () => pending.buffer.length)
    const { buffered, deliver, store } = sending
    const maxInFlight = Math.max(1, options.maxInFlight ?? Window.defaultMaxInFlight)
    const sendFromBuffer = Window.sendFromBuffer({ maxBatchSize: options.maxBatchSize, maxInFlight }, pending, counters, sending)

    /** Offline: moves one batch from the buffer to the outbox, in one uninterruptible step. */
    const storeFromBuffer: Effect.Effect<void> = Effect.suspend(() => {
      const held = pending.hold(options.maxBatchSize)
      return store(held.batch, "newest", held.release)
    }).pipe(Effect.uninterruptible)

    /** Re-sends the oldest stored batch: with retries online, one attempt as an offline probe. */
    const flushFromOutbox = (retry: boolean): Effect.Effect<Sending.Outcome | "empty"> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(outbox.oldest, ({ batch, corrupted }) =>
          Effect.zipRight(
            commit(() => {
              counters.corrupted += corrupted
            }),
            Option.isNone(batch) ? Effect.succeed("empty" as const) : deliver(restore, batch.value, true, retry)
          ))
      )

    /**
     * Works until fewer than `minimum` events wait and the outbox is drained (or the receiver is down).
     * One drain at a time (with up to `maxInFlight` sends of its own, settled in order), so batches are
     * accounted in order and no event is taken twice.
     */
    const drain = (minimum: number): Effect.Effect<void> =>
      lock.withPermits(1)(Effect.gen(function*() {
        while (true) {
          const status = yield* outage.status
          if (status === "probe" || (status === "online" && counters.outboxed > 0)) {
            // settled or failed (now offline: the buffer spills below): look again
            if ((yield* flushFromOutbox(status === "online")) !== "empty") continue
          }
          if (pending.buffer.length === 0 || pending.buffer.length < minimum) return
          if (yield* outage.offline) yield* storeFromBuffer
          else yield* sendFromBuffer(minimum)
        }
      }))

    // It does not wait for a flush under way (it runs synchronously inside a page-unload handler), so a
    // `stats` read during it may see a step of that flush half-way; once it returns, the books are exact.
    const flushSync = (sendNow: (batch: Batch) => boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (pending.buffer.length === 0) return Effect.void
        const batch = pending.take(options.maxBatchSize)
        let accepted = false
        try {
          accepted = sendNow(batch)
        } catch {
          accepted = false
        }
        const settled = accepted
          ? commit(() => (counters.sent += batch.events.length, counters.batches++))
          : store(batch, "newest")
        return Effect.zipRight(settled, flushSync(sendNow))
      }).pipe(Effect.uninterruptible)

    /** Moves everything left in the buffer to the outbox, for the next start. */
    const spillAll: Effect.Effect<void> = Effect.suspend(() =>
      pending.buffer.length === 0 ? Effect.void : Effect.zipRight(storeFromBuffer, spillAll)
    )

    return {
      buffered,
      wake,
      flush: drain(1).pipe(Effect.interruptible, Effect.timeoutOption(options.flushTimeout), Effect.asVoid),
      flushSync,
      offline: outage.offline,
      exclusive: lock.withPermits(1),
      // Offline, the final flush probes once more without waiting out the backoff.
      shutdown: Effect.zipRight(outage.probeNow, drain(1)).pipe(
        Effect.interruptible,
        Effect.timeout(options.shutdownTimeout),
        Effect.ignore,
        Effect.zipRight(spillAll)
      ),
      // A full batch wakes the loop to send full batches only; the timer sends whatever waits.
      loop: (afterEach) =>
        Effect.suspend(() => outage.nextWait(counters.outboxed)).pipe(
          Effect.flatMap((wait) => Effect.timeoutOption(Queue.take(flushRequests), wait)),
          Effect.flatMap(Option.match({ onNone: () => drain(1), onSome: () => drain(options.maxBatchSize) })),
          // Requests raised while draining are answered by it; one left over would retry a failing receiver at once.
          Effect.zipLeft(Queue.takeAll(flushRequests)),
          Effect.zipLeft(afterEach),
          Effect.catchAllCause((cause) => Effect.logError("telemetry flush failed", cause)),
          Effect.forever
        )
    }
  })
