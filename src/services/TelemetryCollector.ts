/**
 * The event pipeline: validate → consent → sample → enrich → redact → bounded buffer → batches sent by a
 * flush fiber, with retries, in the layer's scope. Every accepted event is accounted for:
 * `accepted = sent + buffered + dropped`.
 */
import {
  Cause,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  ParseResult,
  Queue,
  Schedule,
  Schema
} from "effect"
import { BoundedBuffer } from "../internal/BoundedBuffer.js"
import { InvalidEventError, TransportError } from "../schemas/errors.js"
import { isValidEvent, validateEvent } from "../schemas/EventValidation.js"
import type { TelemetryConfig } from "../schemas/TelemetryConfig.js"
import {
  type Batch,
  type EventInput,
  type Json,
  type JsonObject,
  kindOf,
  type TelemetryEvent
} from "../schemas/TelemetryEvent.js"
import { recordMetrics } from "../internal/metrics.js"
import { Outbox } from "./Outbox.js"
import { Redactor } from "./Redactor.js"
import { Sampler } from "./Sampler.js"
import { Transport } from "./Transport.js"

/** A user session: events tracked while it is current carry its id (and its user, when they name none). */
export interface Session {
  readonly id: string
  readonly startedAt: number
  readonly userId?: string
}

/**
 * Where every event went. At every moment `accepted = sent + buffered + outboxed + dropped.total`, and
 * `tracked = (accepted - restored) + sampledOut + disabled`.
 */
export interface CollectorStats {
  /** Valid events passed to `track`, kept or not. */
  readonly tracked: number
  /** Inputs refused with an `InvalidEventError`. */
  readonly invalid: number
  /** Valid events ignored because telemetry is disabled or the user opted out. */
  readonly disabled: number
  /** Valid events the sampler discarded. */
  readonly sampledOut: number
  /** Events that entered the pipeline: tracked into the buffer, plus `restored`. */
  readonly accepted: number
  /** Events found in the outbox at start-up, left by an earlier run. */
  readonly restored: number
  /** Events a transport confirmed. */
  readonly sent: number
  /** Events waiting in the buffer or in a send under way. */
  readonly buffered: number
  /** Events stored in the outbox, waiting to be re-sent. */
  readonly outboxed: number
  /** Whether the receiver is considered down (batches go to the outbox until a probe succeeds). */
  readonly offline: boolean
  /** Batches a transport confirmed. */
  readonly batches: number
  readonly dropped: {
    /** Evicted, oldest first, when the buffer was full. */
    readonly bufferOverflow: number
    /** Refused by the receiver as invalid (a 4xx other than 408/413/429), never retried. */
    readonly rejected: number
    /** Evicted, oldest first, from a full outbox. */
    readonly outboxFull: number
    /** Found corrupt or unreadable in the outbox. */
    readonly corrupted: number
    /** Neither delivered nor storable (larger than the outbox, or storage failing). */
    readonly sendFailed: number
    /** Removed by `eraseUserData`. */
    readonly erased: number
    readonly total: number
  }
}

/** What `exportUserData` returns: the user's events still held by this process, redacted. */
export interface UserDataExport {
  readonly userId: string
  readonly sessions: ReadonlyArray<Session>
  readonly events: ReadonlyArray<TelemetryEvent>
}

/** Collects events and ships them in batches. */
export class TelemetryCollector extends Context.Tag("effect-telemetry/TelemetryCollector")<TelemetryCollector, {
  /** Records an event; fails only when the input is invalid. Never waits for delivery. */
  readonly track: (input: EventInput) => Effect.Effect<void, InvalidEventError>
  /** Like `track` for input of unknown shape, e.g. from outside the program. */
  readonly trackUnknown: (input: unknown) => Effect.Effect<void, InvalidEventError>
  /** Sends everything buffered now; resolves when done (or when delivery gave up, which `stats` counts). */
  readonly flush: Effect.Effect<void>
  /**
   * Hands everything buffered to a synchronous channel such as `navigator.sendBeacon`, for a page being
   * unloaded: a batch the channel accepts counts as sent, one it refuses goes to the outbox. Runs
   * without waiting for a flush under way, so it can run inside an event handler with `runSync` (over
   * a synchronous outbox store such as localStorage).
   */
  readonly flushSync: (send: (batch: Batch) => boolean) => Effect.Effect<void>
  /** The accounting of every event so far. */
  readonly stats: Effect.Effect<CollectorStats>
  /** Ends the current session (if any) and starts a new one, tracking `session.start`. */
  readonly startSession: (options?: { readonly userId?: string }) => Effect.Effect<Session>
  /** The session events are being attributed to. */
  readonly currentSession: Effect.Effect<Session>
  /** Tracks `session.end` for the current session and rotates to a new anonymous one. */
  readonly endSession: Effect.Effect<Session>
  /** Resumes collection after `optOut` (or when configured disabled). */
  readonly optIn: Effect.Effect<void>
  /** Stops collection: later events are counted as `disabled` and dropped; buffered ones still ship. */
  readonly optOut: Effect.Effect<void>
  /** Whether events are currently collected. */
  readonly isEnabled: Effect.Effect<boolean>
  /** The user's events still held (buffered, in flight or in the outbox) and their sessions. */
  readonly exportUserData: (userId: string) => Effect.Effect<UserDataExport>
  /** Removes the user's buffered and stored events (counted as `dropped.erased`) and forgets their sessions. */
  readonly eraseUserData: (userId: string) => Effect.Effect<{ readonly erased: number }>
}>() {}

/** The settings the collector itself reads. */
export type CollectorOptions = Pick<
  TelemetryConfig,
  | "enabled"
  | "maxBatchSize"
  | "maxBufferSize"
  | "flushInterval"
  | "shutdownTimeout"
  | "maxAttempts"
  | "retryBaseDelay"
  | "retryMaxDelay"
>

/**
 * An event as buffered. The id is a sequence number until the event leaves the buffer (see `idOf`);
 * `kind` is derived from `type`. Keeping the record this small is what holds a buffered event under
 * ~100 bytes of overhead.
 */
interface BufferedEvent {
  readonly seq: number
  readonly type: string
  readonly timestamp: number
  readonly sessionId: string
  readonly userId: string | undefined
  readonly data: JsonObject
  readonly tags: { readonly [key: string]: string } | undefined
}

const emptyData: JsonObject = Object.freeze({})

/** Builds the collector; its flush fiber and final flush live in the given scope. */
export const make = (options: CollectorOptions) =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const sampler = yield* Sampler
    const redactor = yield* Redactor
    const outbox = yield* Outbox
    const clock = yield* Effect.clock
    const newSession = (userId?: string): Session =>
      userId === undefined
        ? { id: crypto.randomUUID(), startedAt: clock.unsafeCurrentTimeMillis() }
        : { id: crypto.randomUUID(), startedAt: clock.unsafeCurrentTimeMillis(), userId }

    // Hot-path state: `track` reads and writes it synchronously, with no Ref, because a Ref round trip
    // per field would cost more than the rest of the pipeline. Only `Effect.sync` bodies touch it.
    const state = {
      enabled: options.enabled,
      session: newSession(),
      /** Whether the current session was started by `startSession` (the initial one is implicit). */
      sessionStarted: false,
      sessions: [] as Array<Session>,
      seq: 0,
      inFlight: [] as Array<{ readonly events: ReadonlyArray<BufferedEvent>; readonly batch: Batch }>,
      /** While offline: when to probe the receiver again, and the current backoff. */
      offlineUntil: undefined as number | undefined,
      offlineDelay: 0,
      retrying: false,
      restored: (yield* outbox.size).events,
      tracked: 0,
      invalid: 0,
      disabled: 0,
      sampledOut: 0,
      accepted: 0,
      sent: 0,
      batches: 0,
      bufferOverflow: 0,
      rejected: 0,
      outboxFull: 0,
      corrupted: 0,
      sendFailed: 0,
      erased: 0
    }
    const buffer = new BoundedBuffer<BufferedEvent>(options.maxBufferSize)
    const flushRequests = yield* Queue.sliding<void>(1)

    const ids = idPrefix()
    const idOf = (seq: number): string => ids + seq.toString(16).padStart(12, "0")

    const materialize = (e: BufferedEvent): TelemetryEvent => {
      const event: { -readonly [K in keyof TelemetryEvent]: TelemetryEvent[K] } = {
        id: idOf(e.seq),
        type: e.type,
        kind: kindOf(e.type),
        timestamp: e.timestamp,
        sessionId: e.sessionId,
        data: e.data
      }
      if (e.userId !== undefined) event.userId = e.userId
      if (e.tags !== undefined) event.tags = e.tags
      return event
    }

    const accept = (input: EventInput): void => {
      state.accepted++
      const session = state.session
      const event: BufferedEvent = {
        seq: state.seq++,
        type: input.type,
        timestamp: input.timestamp ?? clock.unsafeCurrentTimeMillis(),
        sessionId: session.id,
        userId: input.userId ?? session.userId,
        data: input.data === undefined ? emptyData : redactor.redact(input.data),
        tags: input.tags === undefined ? undefined : redactor.redact(input.tags)
      }
      if (buffer.push(event) !== undefined) state.bufferOverflow++
      if (buffer.length % options.maxBatchSize === 0) Queue.unsafeOffer(flushRequests, undefined)
      if (state.retrying && buffer.length >= highWater) Queue.unsafeOffer(pressure, undefined)
    }

    const ingest = (input: EventInput): Effect.Effect<void> => {
      state.tracked++
      if (!state.enabled) {
        state.disabled++
        return Effect.void
      }
      if (sampler.unsafeShouldSample(input.type)) accept(input)
      else state.sampledOut++
      return Effect.void
    }

    const track = (input: unknown): Effect.Effect<void, InvalidEventError> =>
      Effect.suspend(() => {
        let valid: Either.Either<EventInput, InvalidEventError> | undefined
        try {
          if (!isValidEvent(input)) valid = validateEvent(input)
        } catch (thrown) {
          // A getter or a Proxy trap that throws makes the input invalid, not the caller's program defective.
          valid = Either.left(unreadableInput(thrown))
        }
        if (valid === undefined) return ingest(input as EventInput)
        if (Either.isLeft(valid)) {
          state.invalid++
          return Effect.fail(valid.left)
        }
        return ingest(valid.right)
      })

    const trackInternal = (type: string, data: JsonObject) => Effect.sync(() => ingest({ type, data })).pipe(Effect.flatten)

    // ---- delivery -------------------------------------------------------------------------------
    //
    // Online, a batch is sent with bounded retries. When it still fails, it goes to the outbox and the
    // collector goes offline: until a backoff deadline, flushes move batches straight into the outbox
    // (so a long outage fills storage, not memory), then one attempt with the oldest stored batch probes
    // the receiver. Its success brings the collector back online, and the outbox drains oldest first.

    const retryPolicy = Schedule.passthrough(
      Schedule.exponential(options.retryBaseDelay, 2).pipe(
        Schedule.jittered,
        Schedule.either(Schedule.spaced(options.retryMaxDelay)),
        Schedule.intersect(Schedule.recurs(options.maxAttempts - 1))
      ) as Schedule.Schedule<unknown, TransportError>
    ).pipe(
      Schedule.whileInput((error: TransportError) => error.retryable),
      Schedule.modifyDelay((error, delay) =>
        error.retryAfterMillis === undefined
          ? delay
          : Duration.max(delay, Duration.min(Duration.millis(error.retryAfterMillis), options.retryMaxDelay))
      )
    )

    const baseDelayMillis = Duration.toMillis(options.retryBaseDelay)
    const maxDelayMillis = Duration.toMillis(options.retryMaxDelay)

    const goOffline = (error: TransportError) =>
      Effect.sync(() => {
        const doubled = state.offlineDelay === 0 ? baseDelayMillis : Math.min(state.offlineDelay * 2, maxDelayMillis)
        state.offlineDelay = Math.max(doubled, Math.min(error.retryAfterMillis ?? 0, maxDelayMillis))
        state.offlineUntil = clock.unsafeCurrentTimeMillis() + state.offlineDelay
        return state.offlineDelay
      }).pipe(
        Effect.flatMap((retryInMillis) =>
          Effect.logWarning("telemetry receiver unreachable; storing batches in the outbox").pipe(
            Effect.annotateLogs({ reason: error.message, retryInMillis })
          )
        )
      )

    const goOnline = Effect.sync(() => {
      state.offlineUntil = undefined
      state.offlineDelay = 0
    })

    const isOffline = () => state.offlineUntil !== undefined
    const probeDue = () => state.offlineUntil !== undefined && clock.unsafeCurrentTimeMillis() >= state.offlineUntil

    /** Stores a batch in the outbox, counting what the outbox evicted or could not take. */
    const store = (batch: Batch, position: "newest" | "oldest" = "newest") =>
      Effect.map(outbox.put(batch, position), (result) => {
        state.outboxFull += result.evicted
        state.sendFailed += result.refused
      })

    /** Raised when the buffer fills while a batch is being retried: stop waiting, store it, go offline. */
    const pressure = yield* Queue.sliding<void>(1)
    const highWater = Math.max(1, Math.floor(options.maxBufferSize * 0.75))
    const underPressure = new TransportError({
      reason: "network",
      retryable: true,
      message: "buffer filling up while retrying"
    })

    const send = (batch: Batch, retry: boolean): Effect.Effect<void, TransportError> =>
      retry
        // A signal raised after an earlier retry took its own (while `retrying` was still set) is stale:
        // left in the queue, it would abandon this send at once and take the collector offline.
        ? Effect.zipRight(Queue.takeAll(pressure), Effect.suspend(() => {
          state.retrying = true
          return transport.send(batch).pipe(
            Effect.retry(retryPolicy),
            Effect.raceFirst(Effect.zipRight(Queue.take(pressure), Effect.fail(underPressure))),
            Effect.ensuring(Effect.sync(() => {
              state.retrying = false
            }))
          )
        }))
        : transport.send(batch)

    /**
     * Sends a batch (from the buffer, or already `stored` in the outbox) and settles its events: sent,
     * rejected, or kept in the outbox. Only the send can be interrupted; once it answered, the settling
     * runs to the end, so an event is never both counted as sent and put back.
     */
    const deliver = (batch: Batch, stored: boolean, retry: boolean): Effect.Effect<Outcome> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(Effect.either(send(batch, retry))), (result) => settle(batch, stored, result))
      )

    const settle = (batch: Batch, stored: boolean, result: Either.Either<void, TransportError>): Effect.Effect<Outcome> => {
      const forget = stored ? outbox.remove(batch.batchId) : Effect.void
      if (Either.isRight(result)) {
        return Effect.sync(() => {
          state.sent += batch.events.length
          state.batches++
        }).pipe(Effect.zipRight(forget), Effect.zipRight(goOnline), Effect.as("settled" as const))
      }
      const error = result.left
      if (error.reason === "tooLarge" && batch.events.length > 1) {
        // The halves go to the front of the outbox, which is drained first, under derived batch ids.
        const half = Math.ceil(batch.events.length / 2)
        return forget.pipe(
          Effect.zipRight(store({ batchId: `${batch.batchId}.1`, events: batch.events.slice(half) }, "oldest")),
          Effect.zipRight(store({ batchId: `${batch.batchId}.0`, events: batch.events.slice(0, half) }, "oldest")),
          Effect.as("settled" as const)
        )
      }
      if (!error.retryable) {
        return Effect.sync(() => {
          state.rejected += batch.events.length
        }).pipe(
          Effect.zipRight(forget),
          Effect.zipRight(
            Effect.logWarning("telemetry batch rejected by the receiver").pipe(
              Effect.annotateLogs({ batchId: batch.batchId, events: batch.events.length, reason: error.message })
            )
          ),
          Effect.as("settled" as const)
        )
      }
      return (stored ? Effect.void : store(batch)).pipe(Effect.zipRight(goOffline(error)), Effect.as("failed" as const))
    }

    /**
     * Takes one batch from the buffer and sends it — or, offline, stores it. Taking and settling are
     * uninterruptible: when the send itself is interrupted (the scope closing), the batch goes to the
     * front of the outbox under the same batch id, so nothing is lost or reordered.
     */
    const flushFromBuffer = (offline: boolean): Effect.Effect<Outcome> =>
      Effect.uninterruptibleMask((restore) => {
        const events = buffer.take(options.maxBatchSize)
        const batch: Batch = { batchId: crypto.randomUUID(), events: events.map(materialize) }
        const held = { events, batch }
        state.inFlight.push(held)
        const release = Effect.sync(() => {
          state.inFlight.splice(state.inFlight.indexOf(held), 1)
        })
        if (offline) return store(batch).pipe(Effect.zipRight(release), Effect.as("settled" as const))
        return restore(deliver(batch, false, true)).pipe(
          Effect.onInterrupt(() => store(batch, "oldest")),
          Effect.ensuring(release)
        )
      })

    /** Re-sends the oldest stored batch: with retries online, one attempt as an offline probe. */
    const flushFromOutbox = (retry: boolean): Effect.Effect<Outcome | "empty"> =>
      Effect.flatMap(outbox.oldest, ({ batch, corrupted }) => {
        state.corrupted += corrupted
        return Option.match(batch, {
          onNone: () => Effect.succeed("empty" as const),
          onSome: (stored) => deliver(stored, true, retry)
        })
      })

    const lock = yield* Effect.makeSemaphore(1)

    /**
     * Works until fewer than `minimum` events wait and the outbox is drained (or the receiver is down).
     * One flush at a time, so batches leave in order and no event is taken twice.
     */
    const drain = (minimum: number): Effect.Effect<void> =>
      lock.withPermits(1)(Effect.gen(function*() {
        while (true) {
          const outboxed = (yield* outbox.size).events
          if (probeDue() || (!isOffline() && outboxed > 0)) {
            const outcome = yield* flushFromOutbox(!isOffline())
            if (outcome === "failed") continue // now offline: spill the buffer below
            if (outcome === "settled") continue
          }
          if (buffer.length === 0 || buffer.length < minimum) return
          yield* flushFromBuffer(isOffline())
        }
      }))

    /** Sends (or, offline, stores) everything buffered. */
    const flush = drain(1)

    const flushSync = (sendNow: (batch: Batch) => boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (buffer.length === 0) return Effect.void
        const batch: Batch = { batchId: crypto.randomUUID(), events: buffer.take(options.maxBatchSize).map(materialize) }
        let accepted = false
        try {
          accepted = sendNow(batch)
        } catch {
          accepted = false
        }
        const settled = accepted
          ? Effect.sync(() => {
            state.sent += batch.events.length
            state.batches++
          })
          : store(batch)
        return Effect.zipRight(settled, flushSync(sendNow))
      }).pipe(Effect.uninterruptible)

    /** Moves everything left in the buffer to the outbox, for the next start. */
    const spillAll: Effect.Effect<void> = Effect.suspend(() =>
      buffer.length === 0 ? Effect.void : Effect.zipRight(flushFromBuffer(true), spillAll)
    )

    const stats = Effect.map(outbox.size, ({ events: outboxed }): CollectorStats => {
      const dropped = state.bufferOverflow + state.rejected + state.outboxFull + state.corrupted + state.sendFailed +
        state.erased
      return {
        tracked: state.tracked,
        invalid: state.invalid,
        disabled: state.disabled,
        sampledOut: state.sampledOut,
        accepted: state.accepted + state.restored,
        restored: state.restored,
        sent: state.sent,
        buffered: buffer.length + state.inFlight.reduce((n, held) => n + held.events.length, 0),
        outboxed,
        batches: state.batches,
        offline: state.offlineUntil !== undefined,
        dropped: {
          bufferOverflow: state.bufferOverflow,
          rejected: state.rejected,
          outboxFull: state.outboxFull,
          corrupted: state.corrupted,
          sendFailed: state.sendFailed,
          erased: state.erased,
          total: dropped
        }
      }
    })

    // ---- lifecycle ------------------------------------------------------------------------------

    // Registered before the loop is forked, so it runs after the loop is stopped (finalizers run in
    // reverse): a flush bounded by the shutdown timeout (offline, it probes once more without waiting out
    // the backoff), then whatever is left goes to the outbox.
    const probeNow = Effect.sync(() => {
      if (state.offlineUntil !== undefined) state.offlineUntil = clock.unsafeCurrentTimeMillis()
    })
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(probeNow, flush).pipe(
        Effect.interruptible,
        Effect.timeout(options.shutdownTimeout),
        Effect.ignore,
        Effect.zipRight(spillAll),
        Effect.zipRight(stats),
        Effect.flatMap((s) =>
          s.outboxed === 0 ? Effect.void : Effect.logInfo("telemetry closed; undelivered events kept in the outbox").pipe(
            Effect.annotateLogs({ outboxed: s.outboxed })
          )
        ),
        Effect.zipRight(Effect.flatMap(stats, recordMetrics))
      )
    )

    const flushIntervalMillis = Duration.toMillis(options.flushInterval)
    /** Until the next scheduled flush, or the next probe while offline, whichever is first. */
    const nextWait = Effect.sync(() =>
      Duration.millis(
        state.offlineUntil === undefined
          ? flushIntervalMillis
          : Math.max(0, Math.min(flushIntervalMillis, state.offlineUntil - clock.unsafeCurrentTimeMillis()))
      )
    )

    // A full batch wakes the loop to send full batches only; the timer sends whatever waits.
    yield* nextWait.pipe(
      Effect.flatMap((wait) => Effect.timeoutOption(Queue.take(flushRequests), wait)),
      Effect.flatMap(Option.match({ onNone: () => flush, onSome: () => drain(options.maxBatchSize) })),
      // Requests raised while draining are answered by it; one left over would retry a failing receiver at once.
      Effect.zipLeft(Queue.takeAll(flushRequests)),
      Effect.zipLeft(Effect.flatMap(stats, recordMetrics)),
      Effect.catchAllCause((cause) => Effect.logError("telemetry flush failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )

    // What a previous run left in the outbox is re-sent at once.
    if (state.restored > 0) Queue.unsafeOffer(flushRequests, undefined)

    // ---- sessions, consent, GDPR ----------------------------------------------------------------

    const sessionData = (session: Session, extra: { readonly [key: string]: Json } = {}): JsonObject => ({
      sessionId: session.id,
      startedAt: session.startedAt,
      ...extra
    })

    const endCurrent = Effect.suspend(() => {
      const ended = state.session
      if (!state.sessionStarted) return Effect.succeed(ended)
      state.sessionStarted = false
      const durationMs = clock.unsafeCurrentTimeMillis() - ended.startedAt
      return trackInternal("session.end", sessionData(ended, { durationMs })).pipe(Effect.as(ended))
    })

    const rotate = (userId?: string) =>
      Effect.sync(() => {
        const session = newSession(userId)
        state.session = session
        if (userId !== undefined) {
          state.sessions.push(session)
          if (state.sessions.length > maxRememberedSessions) state.sessions.shift()
        }
        return session
      })

    const startSession = (startOptions?: { readonly userId?: string }) =>
      endCurrent.pipe(
        Effect.zipRight(rotate(startOptions?.userId)),
        Effect.tap(() => {
          state.sessionStarted = true
        }),
        Effect.tap((session) => trackInternal("session.start", sessionData(session)))
      )

    const exportUserData = (userId: string) =>
      Effect.map(outbox.eventsOf(userId), (stored): UserDataExport => ({
        userId,
        sessions: state.sessions.filter((s) => s.userId === userId),
        events: [
          ...stored,
          ...state.inFlight.flatMap((held) => held.batch.events.filter((e) => e.userId === userId)),
          ...buffer.toArray().filter((e) => e.userId === userId).map(materialize)
        ]
      }))

    // Erasing from the outbox waits for a running flush, so no stored batch is sent half-erased.
    const eraseUserData = (userId: string) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const fromOutbox = yield* outbox.erase(userId)
        const fromBuffer = buffer.removeWhere((e) => e.userId === userId)
        const erased = fromOutbox + fromBuffer
        state.erased += erased
        state.sessions = state.sessions.filter((s) => s.userId !== userId)
        return { erased }
      }))

    return TelemetryCollector.of({
      track,
      trackUnknown: track,
      flush,
      flushSync,
      stats,
      startSession,
      currentSession: Effect.sync(() => state.session),
      endSession: Effect.zipLeft(endCurrent, rotate()),
      optIn: Effect.sync(() => {
        state.enabled = true
      }),
      optOut: Effect.sync(() => {
        state.enabled = false
      }),
      isEnabled: Effect.sync(() => state.enabled),
      exportUserData,
      eraseUserData
    })
  })

/** The collector as a layer over a `Transport`, a `Sampler`, a `Redactor` and an `Outbox`. */
export const layer = (
  options: CollectorOptions
): Layer.Layer<TelemetryCollector, never, Transport | Sampler | Redactor | Outbox> =>
  Layer.scoped(TelemetryCollector, make(options))

/** A batch is settled once sent or rejected for good; failed when it still could not be delivered. */
type Outcome = "settled" | "failed"

/** The error for input that throws when read. */
const unreadableInput = (thrown: unknown): InvalidEventError => {
  let reason = "an exception"
  try {
    reason = thrown instanceof Error ? thrown.message : String(thrown)
  } catch {
    // a thrown value that cannot even be described
  }
  return new InvalidEventError({ issues: [{ path: [], message: `input cannot be read: ${reason}` }] })
}

/** Sessions remembered per user for `exportUserData`. */
const maxRememberedSessions = 1_000

/**
 * Event ids are UUID-shaped: 24 random characters fixed per collector followed by the event's sequence
 * number in (at least) 12 hex digits, unique without a `randomUUID` call per event.
 */
const idPrefix = (): string => crypto.randomUUID().slice(0, 24)
