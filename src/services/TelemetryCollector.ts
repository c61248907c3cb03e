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
import type { InvalidEventError, TransportError } from "../schemas/errors.js"
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
import { Redactor } from "./Redactor.js"
import { Sampler } from "./Sampler.js"
import { Transport } from "./Transport.js"

/** A user session: events tracked while it is current carry its id (and its user, when they name none). */
export interface Session {
  readonly id: string
  readonly startedAt: number
  readonly userId?: string
}

/** Where every event went. `accepted = sent + buffered + dropped.total` at every moment. */
export interface CollectorStats {
  /** Valid events passed to `track`, kept or not. */
  readonly tracked: number
  /** Inputs refused with an `InvalidEventError`. */
  readonly invalid: number
  /** Valid events ignored because telemetry is disabled or the user opted out. */
  readonly disabled: number
  /** Valid events the sampler discarded. */
  readonly sampledOut: number
  /** Events that entered the buffer. */
  readonly accepted: number
  /** Events a transport confirmed. */
  readonly sent: number
  /** Events waiting in the buffer or in a send under way. */
  readonly buffered: number
  /** Batches a transport confirmed. */
  readonly batches: number
  readonly dropped: {
    /** Evicted, oldest first, when the buffer was full. */
    readonly bufferOverflow: number
    /** Refused by the receiver as invalid (a 4xx other than 408/413/429), never retried. */
    readonly rejected: number
    /** Still failing after every retry. */
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
  /** The user's events still held by this process (buffered or in flight) and their sessions. */
  readonly exportUserData: (userId: string) => Effect.Effect<UserDataExport>
  /** Removes the user's buffered events (counted as `dropped.erased`) and forgets their sessions. */
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
      idPrefix: idPrefix(),
      inFlight: [] as Array<ReadonlyArray<BufferedEvent>>,
      tracked: 0,
      invalid: 0,
      disabled: 0,
      sampledOut: 0,
      accepted: 0,
      sent: 0,
      batches: 0,
      bufferOverflow: 0,
      rejected: 0,
      sendFailed: 0,
      erased: 0
    }
    const buffer = new BoundedBuffer<BufferedEvent>(options.maxBufferSize)
    const flushRequests = yield* Queue.sliding<void>(1)

    const idOf = (seq: number): string => state.idPrefix + seq.toString(16).padStart(12, "0")

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
      if (state.seq >= maxSeq) {
        state.idPrefix = idPrefix()
        state.seq = 0
      }
      if (buffer.push(event) !== undefined) state.bufferOverflow++
      if (buffer.length % options.maxBatchSize === 0) Queue.unsafeOffer(flushRequests, undefined)
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
        if (isValidEvent(input)) return ingest(input)
        const valid = validateEvent(input)
        if (Either.isLeft(valid)) {
          state.invalid++
          return Effect.fail(valid.left)
        }
        return ingest(valid.right)
      })

    const trackInternal = (type: string, data: JsonObject) => Effect.sync(() => ingest({ type, data })).pipe(Effect.flatten)

    // ---- delivery -------------------------------------------------------------------------------

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

    /** Sends one batch with retries, halving it on "too large"; settles the accounting of its events. */
    const deliver = (batchId: string, events: ReadonlyArray<BufferedEvent>): Effect.Effect<Outcome> =>
      Effect.suspend(() => {
        const batch: Batch = { batchId, events: events.map(materialize) }
        return transport.send(batch).pipe(
          Effect.retry(retryPolicy),
          Effect.matchEffect({
            onSuccess: () =>
              Effect.sync(() => {
                state.sent += events.length
                state.batches++
                return "settled" as const
              }),
            onFailure: (error) => {
              if (error.reason === "tooLarge" && events.length > 1) {
                const half = Math.ceil(events.length / 2)
                return Effect.zipWith(
                  deliver(`${batchId}.0`, events.slice(0, half)),
                  deliver(`${batchId}.1`, events.slice(half)),
                  (a, b) => (a === "failed" || b === "failed" ? "failed" as const : "settled" as const)
                )
              }
              return Effect.sync(() => {
                if (error.retryable) state.sendFailed += events.length
                else state.rejected += events.length
                return error.retryable ? "failed" as const : "settled" as const
              }).pipe(
                Effect.tap(() =>
                  Effect.logWarning("telemetry batch not delivered").pipe(
                    Effect.annotateLogs({ batchId, events: events.length, reason: error.message })
                  )
                )
              )
            }
          })
        )
      })

    /**
     * Takes one batch and sends it. Taking and settling are uninterruptible: when the send itself is
     * interrupted (scope closing), the batch goes back to the front of the buffer, so nothing is lost
     * or sent out of order.
     */
    const flushOne: Effect.Effect<Outcome | "empty"> = Effect.uninterruptibleMask((restore) => {
      const events = buffer.take(options.maxBatchSize)
      if (events.length === 0) return Effect.succeed("empty" as const)
      state.inFlight.push(events)
      const batchId = crypto.randomUUID()
      return restore(deliver(batchId, events)).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            state.inFlight.splice(state.inFlight.indexOf(events), 1)
            if (Exit.isFailure(exit) && Cause.isInterrupted(exit.cause)) {
              state.bufferOverflow += buffer.unshift(events).length
            }
          })
        )
      )
    })

    const lock = yield* Effect.makeSemaphore(1)

    /**
     * Sends batches while at least `minimum` events wait, stopping early when a batch could not be
     * delivered. One flush at a time, so batches leave in order and no event is taken twice.
     */
    const drain = (minimum: number): Effect.Effect<void> =>
      lock.withPermits(1)(
        Effect.iterate("settled" as Outcome | "empty", {
          while: (outcome) => outcome === "settled" && buffer.length >= minimum && buffer.length > 0,
          body: () => flushOne
        })
      ).pipe(Effect.asVoid)

    /** Sends everything buffered. */
    const flush = drain(1)

    const stats = Effect.sync((): CollectorStats => {
      const dropped = state.bufferOverflow + state.rejected + state.sendFailed + state.erased
      return {
        tracked: state.tracked,
        invalid: state.invalid,
        disabled: state.disabled,
        sampledOut: state.sampledOut,
        accepted: state.accepted,
        sent: state.sent,
        buffered: buffer.length + state.inFlight.reduce((n, batch) => n + batch.length, 0),
        batches: state.batches,
        dropped: {
          bufferOverflow: state.bufferOverflow,
          rejected: state.rejected,
          sendFailed: state.sendFailed,
          erased: state.erased,
          total: dropped
        }
      }
    })

    // ---- lifecycle ------------------------------------------------------------------------------

    // Registered before the loop is forked, so it runs after the loop is stopped (finalizers run in reverse).
    yield* Effect.addFinalizer(() =>
      flush.pipe(
        Effect.interruptible,
        Effect.timeout(options.shutdownTimeout),
        Effect.ignore,
        Effect.zipRight(stats),
        Effect.flatMap((s) =>
          s.buffered === 0 ? Effect.void : Effect.logWarning("telemetry closed with undelivered events").pipe(
            Effect.annotateLogs({ buffered: s.buffered })
          )
        )
      )
    )

    // A full batch wakes the loop to send the full batches only; the interval sends whatever waits.
    yield* Queue.take(flushRequests).pipe(
      Effect.timeoutOption(options.flushInterval),
      Effect.flatMap(Option.match({ onNone: () => flush, onSome: () => drain(options.maxBatchSize) })),
      // Requests raised while draining are answered by it; one left over would retry a failing receiver at once.
      Effect.zipLeft(Queue.takeAll(flushRequests)),
      Effect.catchAllCause((cause) => Effect.logError("telemetry flush failed", cause)),
      Effect.forever,
      Effect.forkScoped
    )

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

    const heldEvents = Effect.sync(() => [...state.inFlight.flat(), ...buffer.toArray()])

    const exportUserData = (userId: string) =>
      Effect.map(heldEvents, (events): UserDataExport => ({
        userId,
        sessions: state.sessions.filter((s) => s.userId === userId),
        events: events.filter((e) => e.userId === userId).map(materialize)
      }))

    const eraseUserData = (userId: string) =>
      Effect.sync(() => {
        const erased = buffer.removeWhere((e) => e.userId === userId)
        state.erased += erased
        state.sessions = state.sessions.filter((s) => s.userId !== userId)
        return { erased }
      })

    return TelemetryCollector.of({
      track,
      trackUnknown: track,
      flush,
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

/** The collector as a layer over a `Transport`, a `Sampler` and a `Redactor`. */
export const layer = (
  options: CollectorOptions
): Layer.Layer<TelemetryCollector, never, Transport | Sampler | Redactor> =>
  Layer.scoped(TelemetryCollector, make(options))

/** A batch is settled once sent or rejected for good; failed when it still could not be delivered. */
type Outcome = "settled" | "failed"

/** Past this many events an id prefix is renewed, so the 12 hex digits of the sequence never wrap. */
const maxSeq = 0xffff_ffff_ffff

/** Sessions remembered per user for `exportUserData`. */
const maxRememberedSessions = 1_000

/**
 * Event ids are UUID-shaped: 24 random characters fixed per collector (renewed when the sequence runs
 * out) followed by the event's sequence number in 12 hex digits, unique without a `randomUUID` call per event.
 */
const idPrefix = (): string => crypto.randomUUID().slice(0, 24)

// Validation lives in schemas/EventValidation.ts; re-exported here for modules written against the collector.
export { maxEventBytes, validateEvent, validateEvent as validateInput } from "../schemas/EventValidation.js"
