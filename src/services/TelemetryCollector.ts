/**
 * The event pipeline: validate → consent → sample → enrich → redact → bounded buffer → batches sent by a
 * flush fiber, with retries, in the layer's scope. Every accepted event is accounted for:
 * `accepted = sent + buffered + outboxed + dropped.total`.
 */
import {
  Cause,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  Function as Fn,
  Layer,
  Option,
  ParseResult,
  Queue,
  Schedule,
  Schema
} from "effect"
import { BoundedBuffer } from "../internal/BoundedBuffer.js"
import { InvalidEventError, TransportError } from "../schemas/errors.js"
import { validateEvent, validateEventFast } from "../schemas/EventValidation.js"
import type { TelemetryConfig } from "../schemas/TelemetryConfig.js"
import {
  type Batch,
  type EventData,
  type EventInput,
  type Json,
  type JsonObject,
  kindOf,
  type TelemetryEvent,
  type TrackInput
} from "../schemas/TelemetryEvent.js"
import { recordMetrics } from "../internal/metrics.js"
import { EventSink } from "./EventSink.js"
import { Outbox, type PutResult } from "./Outbox.js"
import { Redactor } from "./Redactor.js"
import { Sampler } from "./Sampler.js"
import { Transport } from "../transports/Transport.js"

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
    /** Events the transport could not encode (or that made it fail unexpectedly), isolated from their batch. */
    readonly unencodable: number
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
  /**
   * Records an event; fails only when the input is invalid. Never waits for delivery. `undefined` in data and
   * tags is left out as `JSON.stringify` leaves it; `data` may be of any interface or object type (`EventData`).
   */
  readonly track: <Data extends object & EventData<Data> = JsonObject>(
    input: TrackInput<Data>
  ) => Effect.Effect<void, InvalidEventError>
  /** Like `track` for input of unknown shape, e.g. from outside the program. */
  readonly trackUnknown: (input: unknown) => Effect.Effect<void, InvalidEventError>
  /**
   * Sends everything buffered now; resolves when done, when delivery gave up (which `stats` counts), or at
   * the latest after `flushTimeout`, leaving what is not sent buffered or in the outbox.
   */
  readonly flush: Effect.Effect<void>
  /**
   * Hands everything buffered to a synchronous channel such as `navigator.sendBeacon`, for a page being
   * unloaded: a batch the channel accepts counts as sent, one it refuses goes to the outbox. Runs
   * without waiting for a flush under way, so it can run inside an event handler with `runSync` (over
   * a synchronous outbox store such as localStorage).
   */
  readonly flushSync: (send: (batch: Batch) => boolean) => Effect.Effect<void>
  /** The accounting of every event so far: a consistent snapshot, even while a batch is being settled. */
  readonly stats: Effect.Effect<CollectorStats>
  /** Ends the current session (if any) and starts a new one, tracking `session.start`. */
  readonly startSession: (options?: { readonly userId?: string }) => Effect.Effect<Session>
  /** The session events are being attributed to. */
  readonly currentSession: Effect.Effect<Session>
  /**
   * Names the user of the current session (pseudonymised like every user id): later events naming no user
   * carry it. Tracks `session.identify` with `data: { traits }`; invalid traits fail and change nothing.
   * The session is not rotated.
   */
  readonly identify: <Traits extends object & EventData<Traits> = JsonObject>(
    userId: string,
    traits?: Traits
  ) => Effect.Effect<Session, InvalidEventError>
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

/**
 * The settings the collector itself reads. The global context (`release`, `environment`, `globalTags`) is
 * optional here and none by default.
 */
export type CollectorOptions = Pick<
  TelemetryConfig,
  | "enabled"
  | "maxBatchSize"
  | "maxBufferSize"
  | "flushInterval"
  | "shutdownTimeout"
  | "flushTimeout"
  | "maxAttempts"
  | "retryBaseDelay"
  | "retryMaxDelay"
> & Partial<Pick<TelemetryConfig, "release" | "environment" | "globalTags">>

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

/** The most tags an event may carry (the `Tags` schema's limit, which the HTTP transport re-validates). */
const maxTags = 32

/**
 * The tags every event gets: `release`, `environment`, then the global tags, at most `maxTags`, in that
 * order of precedence.
 */
const contextTagsOf = (options: CollectorOptions): ReadonlyArray<readonly [string, string]> => {
  const tags = new Map<string, string>()
  if (options.release !== undefined && Option.isSome(options.release)) tags.set("release", options.release.value)
  if (options.environment !== undefined && Option.isSome(options.environment)) {
    tags.set("environment", options.environment.value)
  }
  for (const [name, value] of Object.entries(options.globalTags ?? {})) {
    if (tags.size >= maxTags) break
    if (!tags.has(name)) tags.set(name, value)
  }
  return [...tags]
}

/** A tag set on `tags` as an own property, even one named `__proto__`. */
const setTag = (tags: Record<string, string>, name: string, value: string): void => {
  if (name === "__proto__") Object.defineProperty(tags, name, { value, enumerable: true, writable: true, configurable: true })
  else tags[name] = value
}

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
        : { id: crypto.randomUUID(), startedAt: clock.unsafeCurrentTimeMillis(), userId: redactor.pseudonymize(userId) }

    // Hot-path state: `track` reads and writes it synchronously, with no Ref, because a Ref round trip
    // per field would cost more than the rest of the pipeline. Only `Effect.sync` bodies touch it.
    const restored = (yield* outbox.size).events
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
      restored,
      /** The outbox's size as of the last step (see `commit`). */
      outboxed: restored,
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
      unencodable: 0,
      erased: 0
    }
    // The global context, redacted once like any tag. Events without tags of their own share one frozen
    // object (no allocation on the hot path); only events with tags pay for a merge.
    const contextEntries = Object.entries(redactor.redact(Object.fromEntries(contextTagsOf(options))))
    const contextTags: { readonly [key: string]: string } | undefined = contextEntries.length === 0
      ? undefined
      : Object.freeze(Object.fromEntries(contextEntries))
    /** The event's own tags first (they win a clash), then the context while fewer than `maxTags`. */
    const withContext = (own: { readonly [key: string]: string }): { readonly [key: string]: string } => {
      if (contextTags === undefined) return own
      const merged: Record<string, string> = { ...own }
      let room = maxTags - Object.keys(merged).length
      for (const [name, value] of contextEntries) {
        if (room <= 0) break
        if (Object.hasOwn(merged, name)) continue
        setTag(merged, name, value)
        room--
      }
      return merged
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
        userId: input.userId === undefined ? session.userId : redactor.pseudonymize(input.userId),
        data: input.data === undefined ? emptyData : redactor.redact(input.data),
        tags: input.tags === undefined ? contextTags : withContext(redactor.redact(input.tags))
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
        let fast: EventInput | undefined
        let valid: Either.Either<EventInput, InvalidEventError> | undefined
        try {
          fast = validateEventFast(input)
          if (fast === undefined) valid = validateEvent(input)
        } catch (thrown) {
          // A getter or a Proxy trap that throws makes the input invalid, not the caller's program defective.
          valid = Either.left(unreadableInput(thrown))
        }
        if (valid === undefined) return ingest(fast!)
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
    // the receiver. An answer (delivered, or refused for good) brings the collector back online, and the
    // outbox drains oldest first.
    // A receiver refusing our credentials is treated the same way: unusable until it accepts them.

    const retryPolicy = Schedule.passthrough(
      Schedule.exponential(options.retryBaseDelay, 2).pipe(
        Schedule.jittered,
        Schedule.either(Schedule.spaced(options.retryMaxDelay)),
        Schedule.intersect(Schedule.recurs(options.maxAttempts - 1))
      ) as Schedule.Schedule<unknown, TransportError>
    ).pipe(
      // Retrying a refused credential at once cannot help: it waits for the offline probes.
      Schedule.whileInput((error: TransportError) => error.retryable && error.reason !== "unauthorized"),
      Schedule.modifyDelay((error, delay) =>
        error.retryAfterMillis === undefined
          ? delay
          : Duration.max(delay, Duration.min(Duration.millis(error.retryAfterMillis), options.retryMaxDelay))
      )
    )

    const baseDelayMillis = Duration.toMillis(options.retryBaseDelay)
    const maxDelayMillis = Duration.toMillis(options.retryMaxDelay)

    const goOffline = (error: TransportError) =>
      Effect.suspend(() => {
        const outageStarts = state.offlineUntil === undefined
        const doubled = state.offlineDelay === 0 ? baseDelayMillis : Math.min(state.offlineDelay * 2, maxDelayMillis)
        state.offlineDelay = Math.max(doubled, Math.min(error.retryAfterMillis ?? 0, maxDelayMillis))
        state.offlineUntil = clock.unsafeCurrentTimeMillis() + state.offlineDelay
        const annotations = { reason: error.message, retryInMillis: state.offlineDelay }
        // One warning per outage: every failed probe logging again would flood the host's logs.
        if (!outageStarts) return Effect.logDebug("telemetry receiver still unusable").pipe(Effect.annotateLogs(annotations))
        return Effect.logWarning(
          error.reason === "unauthorized"
            ? "telemetry receiver refuses our credentials; storing batches in the outbox until it accepts them"
            : "telemetry receiver unreachable; storing batches in the outbox"
        ).pipe(Effect.annotateLogs(annotations))
      })

    const goOnline = Effect.suspend(() => {
      if (state.offlineUntil === undefined) return Effect.void
      state.offlineUntil = undefined
      state.offlineDelay = 0
      return Effect.logInfo("telemetry receiver reachable again; draining the outbox")
    })

    const isOffline = () => state.offlineUntil !== undefined
    const probeDue = () => state.offlineUntil !== undefined && clock.unsafeCurrentTimeMillis() >= state.offlineUntil

    /**
     * Ends a step that moved events (between the buffer, the outbox, `sent` and `dropped`): `f` updates the
     * counters, and the outbox's size is read into `state.outboxed` in the same synchronous block. Only
     * this collector changes its outbox, one step at a time, so `stats` — which reads `state` alone — always
     * sees the books between two steps, never half-way through one, and never has to wait for one.
     */
    const commit = (f: () => void = Fn.constVoid): Effect.Effect<void> =>
      Effect.flatMap(outbox.size, (size) =>
        Effect.sync(() => {
          f()
          state.outboxed = size.events
        }))

    const countPut = (result: PutResult): void => {
      state.outboxFull += result.evicted
      state.sendFailed += result.refused
    }

    /** Stores a batch in the outbox; the caller commits, counting what the outbox evicted or could not take. */
    const store = (batch: Batch, position: "newest" | "oldest" = "newest") => outbox.put(batch, position)

    /**
     * One attempt. A transport that dies (an encoder throwing, a bug) fails like an encoding failure: the
     * batch is split until the event at fault is alone, and only that one is dropped.
     */
    const sendOnce = (batch: Batch): Effect.Effect<void, TransportError> =>
      Effect.catchAllDefect(Effect.suspend(() => transport.send(batch)), (defect) =>
        Effect.fail(
          new TransportError({
            reason: "encode",
            retryable: false,
            message: `transport failed unexpectedly: ${describeThrown(defect)}`,
            cause: defect
          })
        ))

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
          return sendOnce(batch).pipe(
            Effect.retry(retryPolicy),
            Effect.raceFirst(Effect.zipRight(Queue.take(pressure), Effect.fail(underPressure))),
            Effect.ensuring(Effect.sync(() => {
              state.retrying = false
            }))
          )
        }))
        : sendOnce(batch)

    /**
     * Sends a batch (from the buffer, or already `stored` in the outbox) and settles it. Only the send runs
     * under the caller's `restore`: once it answered, or was interrupted, the settling is one step, whose
     * commit also runs `release` (taking the batch off the in-flight list). Interrupted, a batch
     * from the buffer goes to the front of the outbox under its own id, so nothing is lost or reordered,
     * and nothing is stored twice.
     */
    const deliver = (
      restore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>,
      batch: Batch,
      stored: boolean,
      retry: boolean,
      release: () => void = Fn.constVoid
    ): Effect.Effect<Outcome> =>
      Effect.flatMap(Effect.exit(restore(send(batch, retry))), (exit) => {
        if (Exit.isSuccess(exit)) return settle(batch, stored, undefined, release)
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) return settle(batch, stored, failure.value, release)
        const putBack = stored ? commit(release) : Effect.flatMap(store(batch, "oldest"), (result) =>
          commit(() => {
            countPut(result)
            release()
          }))
        return putBack.pipe(
          Effect.zipRight(
            Cause.isInterruptedOnly(exit.cause) ? Effect.void : Effect.logError("telemetry send failed", exit.cause)
          ),
          Effect.as("failed" as const)
        )
      })

    /** What an answer means for a batch's events: sent, split, dropped with a reason, or kept in the outbox. */
    const settle = (
      batch: Batch,
      stored: boolean,
      error: TransportError | undefined,
      release: () => void
    ): Effect.Effect<Outcome> => {
      const forget = stored ? outbox.remove(batch.batchId) : Effect.void
      const events = batch.events.length
      if (error === undefined) {
        return forget.pipe(
          Effect.zipRight(commit(() => {
            state.sent += events
            state.batches++
            release()
          })),
          Effect.zipRight(goOnline),
          Effect.as("settled" as const)
        )
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
        return forget.pipe(
          Effect.zipRight(commit(() => {
            state.unencodable += events
            release()
          })),
          Effect.zipRight(
            Effect.logWarning("telemetry event dropped: the transport cannot encode it").pipe(
              Effect.annotateLogs({ eventId: batch.events[0]?.id, type: batch.events[0]?.type, reason: error.message })
            )
          ),
          Effect.as("settled" as const)
        )
      }
      if (!error.retryable && error.reason !== "unauthorized") {
        return forget.pipe(
          Effect.zipRight(commit(() => {
            state.rejected += events
            release()
          })),
          Effect.zipRight(
            Effect.logWarning("telemetry batch rejected by the receiver").pipe(
              Effect.annotateLogs({ batchId: batch.batchId, events, reason: error.message })
            )
          ),
          // A receiver that answers (even "no") is reachable: a probe answered so ends the outage.
          Effect.zipRight(goOnline),
          Effect.as("settled" as const)
        )
      }
      const keep = stored ? commit(release) : Effect.flatMap(store(batch), (result) =>
        commit(() => {
          countPut(result)
          release()
        }))
      return keep.pipe(
        Effect.zipRight(goOffline(error)),
        Effect.as("failed" as const)
      )
    }

    /**
     * Takes one batch from the buffer and sends it — or, offline, stores it. Everything but the send is
     * uninterruptible, so a closing scope never catches a batch half taken or half settled.
     */
    const flushFromBuffer = (offline: boolean): Effect.Effect<Outcome> =>
      Effect.uninterruptibleMask((restore) => {
        const events = buffer.take(options.maxBatchSize)
        const batch: Batch = { batchId: crypto.randomUUID(), events: events.map(materialize) }
        const held = { events, batch }
        state.inFlight.push(held)
        const release = () => {
          state.inFlight.splice(state.inFlight.indexOf(held), 1)
        }
        if (offline) {
          return Effect.flatMap(store(batch), (result) =>
            commit(() => {
              countPut(result)
              release()
            })).pipe(Effect.as("settled" as const))
        }
        return deliver(restore, batch, false, true, release)
      })

    /** Re-sends the oldest stored batch: with retries online, one attempt as an offline probe. */
    const flushFromOutbox = (retry: boolean): Effect.Effect<Outcome | "empty"> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(outbox.oldest, ({ batch, corrupted }) =>
          commit(() => {
            state.corrupted += corrupted
          }).pipe(Effect.as(batch))).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.succeed("empty" as const),
            onSome: (stored) => deliver(restore, stored, true, retry)
          }))
        )
      )

    const lock = yield* Effect.makeSemaphore(1)

    /**
     * Works until fewer than `minimum` events wait and the outbox is drained (or the receiver is down).
     * One flush at a time, so batches leave in order and no event is taken twice.
     */
    const drain = (minimum: number): Effect.Effect<void> =>
      lock.withPermits(1)(Effect.gen(function*() {
        while (true) {
          if (probeDue() || (!isOffline() && state.outboxed > 0)) {
            const outcome = yield* flushFromOutbox(!isOffline())
            if (outcome === "failed") continue // now offline: spill the buffer below
            if (outcome === "settled") continue
          }
          if (buffer.length === 0 || buffer.length < minimum) return
          yield* flushFromBuffer(isOffline())
        }
      }))

    /** A caller's flush: bounded by `flushTimeout`; a send it cuts short goes back to the front of the outbox. */
    const flush = drain(1).pipe(Effect.interruptible, Effect.timeoutOption(options.flushTimeout), Effect.asVoid)

    // It does not wait for a flush under way (it runs synchronously inside a page-unload handler), so a
    // `stats` read during it may see a step of that flush half-way; once it returns, the books are exact.
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
          ? commit(() => {
            state.sent += batch.events.length
            state.batches++
          })
          : Effect.flatMap(store(batch), (result) => commit(() => countPut(result)))
        return Effect.zipRight(settled, flushSync(sendNow))
      }).pipe(Effect.uninterruptible)

    /** Moves everything left in the buffer to the outbox, for the next start. */
    const spillAll: Effect.Effect<void> = Effect.suspend(() =>
      buffer.length === 0 ? Effect.void : Effect.zipRight(flushFromBuffer(true), spillAll)
    )

    const stats = Effect.sync((): CollectorStats => {
      const dropped = state.bufferOverflow + state.rejected + state.outboxFull + state.corrupted + state.sendFailed +
        state.unencodable + state.erased
      return {
        tracked: state.tracked,
        invalid: state.invalid,
        disabled: state.disabled,
        sampledOut: state.sampledOut,
        accepted: state.accepted + state.restored,
        restored: state.restored,
        sent: state.sent,
        buffered: buffer.length + state.inFlight.reduce((n, held) => n + held.events.length, 0),
        outboxed: state.outboxed,
        batches: state.batches,
        offline: state.offlineUntil !== undefined,
        dropped: {
          bufferOverflow: state.bufferOverflow,
          rejected: state.rejected,
          outboxFull: state.outboxFull,
          corrupted: state.corrupted,
          sendFailed: state.sendFailed,
          unencodable: state.unencodable,
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
      Effect.zipRight(probeNow, drain(1)).pipe(
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
    // Offline with nothing stored there is nothing to probe with: waiting for a probe then would wake the
    // loop at once, forever (a busy loop). The next batch to store makes the probe due again.
    const nextWait = Effect.sync(() =>
      Duration.millis(
        state.offlineUntil === undefined || state.outboxed === 0
          ? flushIntervalMillis
          : Math.max(0, Math.min(flushIntervalMillis, state.offlineUntil - clock.unsafeCurrentTimeMillis()))
      )
    )

    // A full batch wakes the loop to send full batches only; the timer sends whatever waits.
    yield* nextWait.pipe(
      Effect.flatMap((wait) => Effect.timeoutOption(Queue.take(flushRequests), wait)),
      Effect.flatMap(Option.match({ onNone: () => drain(1), onSome: () => drain(options.maxBatchSize) })),
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

    /** Remembers a session with a user for `exportUserData`. */
    const remember = (session: Session): void => {
      if (state.sessions.some((s) => s.id === session.id && s.userId === session.userId)) return
      state.sessions.push(session)
      if (state.sessions.length > maxRememberedSessions) state.sessions.shift()
    }

    const rotate = (userId?: string) =>
      Effect.sync(() => {
        const session = newSession(userId)
        state.session = session
        if (userId !== undefined) remember(session)
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

    // Validated before anything changes: invalid traits (or user id) leave the session as it was.
    const identify = (userId: string, traits?: object): Effect.Effect<Session, InvalidEventError> =>
      Effect.suspend(() => {
        let valid: Either.Either<EventInput, InvalidEventError>
        try {
          valid = validateEvent({ type: "session.identify", userId, data: { traits } })
        } catch (thrown) {
          valid = Either.left(unreadableInput(thrown))
        }
        if (Either.isLeft(valid)) {
          state.invalid++
          return Effect.fail(valid.left)
        }
        const session: Session = { ...state.session, userId: redactor.pseudonymize(userId) }
        state.session = session
        remember(session)
        return Effect.as(ingest(valid.right), session)
      })

    // Users are named as the caller knows them; their events hold the pseudonym when the id is PII-shaped.
    const exportUserData = (given: string) => {
      const userId = redactor.pseudonymize(given)
      return Effect.map(outbox.eventsOf(userId), (stored): UserDataExport => ({
        userId: given,
        sessions: state.sessions.filter((s) => s.userId === userId),
        events: [
          ...stored,
          ...state.inFlight.flatMap((held) => held.batch.events.filter((e) => e.userId === userId)),
          ...buffer.toArray().filter((e) => e.userId === userId).map(materialize)
        ]
      }))
    }

    // Erasing from the outbox waits for a running flush, so no stored batch is sent half-erased.
    const eraseUserData = (given: string) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const userId = redactor.pseudonymize(given)
        let erased = yield* outbox.erase(userId)
        yield* commit(() => {
          erased += buffer.removeWhere((e) => e.userId === userId)
          state.erased += erased
        })
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
      identify,
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

/**
 * The collector as a layer over a `Transport`, a `Sampler`, a `Redactor` and an `Outbox`; it also provides
 * the `EventSink` the other services record through.
 */
export const layer = (
  options: CollectorOptions
): Layer.Layer<TelemetryCollector | EventSink, never, Transport | Sampler | Redactor | Outbox> =>
  Layer.scopedContext(
    Effect.map(make(options), (collector) =>
      Context.make(TelemetryCollector, collector).pipe(
        Context.add(EventSink, { track: collector.track, currentSession: collector.currentSession })
      ))
  )

/** A batch is settled once sent or rejected for good; failed when it still could not be delivered. */
type Outcome = "settled" | "failed"

/** A thrown value as text, even when describing it throws too. */
const describeThrown = (thrown: unknown): string => {
  try {
    return thrown instanceof Error ? thrown.message : String(thrown)
  } catch {
    return "an exception"
  }
}

/** The error for input that throws when read. */
const unreadableInput = (thrown: unknown): InvalidEventError =>
  new InvalidEventError({ issues: [{ path: [], message: `input cannot be read: ${describeThrown(thrown)}` }] })

/** Sessions remembered per user for `exportUserData`. */
const maxRememberedSessions = 1_000

/**
 * Event ids are UUID-shaped: 24 random characters fixed per collector followed by the event's sequence
 * number in (at least) 12 hex digits, unique without a `randomUUID` call per event.
 */
const idPrefix = (): string => crypto.randomUUID().slice(0, 24)
