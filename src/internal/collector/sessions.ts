/**
 * Sessions, consent and the user's rights (GDPR): the session events are attributed to, the user named
 * by `identify`, opting in and out, and exporting or erasing a user's events.
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Ref from "effect/Ref"
import * as SynchronizedRef from "effect/SynchronizedRef"
import type { InvalidEventError } from "../../schemas/errors.js"
import { validateEvent } from "../../schemas/EventValidation.js"
import type { EventInput, Json, JsonObject, TelemetryEvent } from "../../schemas/TelemetryEvent.js"
import type { Session } from "../../services/EventSink.js"
import type { Outbox } from "../../services/Outbox.js"
import type { Redactor } from "../../services/Redactor.js"
import type { Accounting } from "./accounting.js"
import { type Current, type Intake, unreadableInput } from "./intake.js"
import type { Pending } from "./pending.js"

/** What `exportUserData` returns: the user's events still held by this process, redacted. */
export interface UserDataExport {
  readonly userId: string
  readonly sessions: ReadonlyArray<Session>
  readonly events: ReadonlyArray<TelemetryEvent>
}

/** What the session functions work with. */
export interface SessionsDeps {
  readonly clock: Clock.Clock
  readonly redactor: Redactor["Type"]
  readonly outbox: Outbox["Type"]
  readonly pending: Pending
  readonly accounting: Accounting
  /** The hot-path state `track` reads: the functions here change its session and consent. */
  readonly current: Current
  readonly intake: Pick<Intake, "ingest" | "trackInternal">
  /** Runs an effect while no flush is under way, so no stored batch is sent half-erased. */
  readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** The collector's session, consent and GDPR functions (see `TelemetryCollector.Service`). */
export interface Sessions extends Consent {
  readonly startSession: (options?: { readonly userId?: string }) => Effect.Effect<Session>
  readonly currentSession: Effect.Effect<Session>
  readonly identify: (userId: string, traits?: object) => Effect.Effect<Session, InvalidEventError>
  readonly endSession: Effect.Effect<Session>
}

/** Consent and the user's rights (GDPR), as the collector's service offers them. */
export interface Consent {
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
}

/** Sessions remembered per user for `exportUserData`. */
export const maxRememberedSessions = 1_000

/** A new session starting now, for `userId` (pseudonymised) when given. */
export const newSession = (clock: Clock.Clock, redactor: Redactor["Type"], userId?: string): Session => {
  const session = { id: crypto.randomUUID(), startedAt: clock.unsafeCurrentTimeMillis() }
  return userId === undefined ? session : { ...session, userId: redactor.pseudonymize(userId) }
}

const sessionData = (session: Session, extra: { readonly [key: string]: Json } = {}): JsonObject => ({
  sessionId: session.id,
  startedAt: session.startedAt,
  ...extra
})

/** The session functions over the collector's state. */
export const make = (deps: SessionsDeps): Effect.Effect<Sessions> =>
  Effect.gen(function*() {
    const { accounting, clock, current, exclusive, intake, outbox, pending, redactor } = deps
    /** Whether the current session was started by `startSession` (the initial one is implicit). */
    const started = yield* SynchronizedRef.make(false)
    /** Sessions with a user, for `exportUserData`; the oldest forgotten past `maxRememberedSessions`. */
    const remembered = yield* Ref.make<ReadonlyArray<Session>>([])

    const remember = (session: Session) =>
      Ref.update(remembered, (sessions) =>
        sessions.some((s) => s.id === session.id && s.userId === session.userId)
          ? sessions
          : [...sessions, session].slice(-maxRememberedSessions))

    /** Tracks `session.end` for the current session when it was started; returns it. */
    const endIfStarted = (wasStarted: boolean) =>
      Effect.suspend(() => {
        const ended = current.session
        if (!wasStarted) return Effect.succeed(ended)
        const durationMs = clock.unsafeCurrentTimeMillis() - ended.startedAt
        return intake.trackInternal("session.end", sessionData(ended, { durationMs })).pipe(Effect.as(ended))
      })

    const rotate = (userId?: string) =>
      Effect.suspend(() => {
        const session = newSession(clock, redactor, userId)
        current.session = session
        return userId === undefined ? Effect.succeed(session) : Effect.as(remember(session), session)
      })

    // Starting and ending check whether a session was started, then track and rotate: one at a time.
    const startSession = (options?: { readonly userId?: string }) =>
      SynchronizedRef.modifyEffect(started, (wasStarted) =>
        endIfStarted(wasStarted).pipe(
          Effect.zipRight(rotate(options?.userId)),
          Effect.tap((session) => intake.trackInternal("session.start", sessionData(session))),
          Effect.map((session) => [session, true] as const)
        ))

    const endSession = SynchronizedRef.modifyEffect(started, (wasStarted) =>
      endIfStarted(wasStarted).pipe(
        Effect.zipLeft(rotate()),
        Effect.map((ended) => [ended, false] as const)
      ))

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
          accounting.counters.invalid++
          return Effect.fail(valid.left)
        }
        const session: Session = { ...current.session, userId: redactor.pseudonymize(userId) }
        current.session = session
        return remember(session).pipe(Effect.zipRight(intake.ingest(valid.right)), Effect.as(session))
      })

    // Users are named as the caller knows them; their events hold the pseudonym when the id is PII-shaped.
    const exportUserData = (given: string) => {
      const userId = redactor.pseudonymize(given)
      return Effect.flatMap(outbox.eventsOf(userId), (stored) =>
        Effect.map(Ref.get(remembered), (sessions): UserDataExport => ({
          userId: given,
          sessions: sessions.filter((s) => s.userId === userId),
          events: [...stored, ...pending.eventsOf(userId)]
        })))
    }

    // Erasing from the outbox waits for a running flush, so no stored batch is sent half-erased.
    const eraseUserData = (given: string) =>
      exclusive(Effect.gen(function*() {
        const userId = redactor.pseudonymize(given)
        let erased = yield* outbox.erase(userId)
        yield* accounting.commit(() => {
          erased += pending.removeUser(userId)
          accounting.counters.erased += erased
        })
        yield* Ref.update(remembered, (sessions) => sessions.filter((s) => s.userId !== userId))
        return { erased }
      }))

    return {
      startSession,
      currentSession: Effect.sync(() => current.session),
      identify,
      endSession,
      optIn: Effect.sync(() => {
        current.enabled = true
      }),
      optOut: Effect.sync(() => {
        current.enabled = false
      }),
      isEnabled: Effect.sync(() => current.enabled),
      exportUserData,
      eraseUserData
    }
  })
