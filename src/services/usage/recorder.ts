/**
 * What every `UsageAnalytics` operation records through: the state, read and changed in synchronous
 * steps at `Clock` time, and the `EventSink`, tracked afterwards.
 *
 * A step that checks and changes the state (is this id open? then open it) never spans a `yield`: it
 * runs whole inside one `Effect.sync`, after settling what timed out by then, and what it concluded is
 * tracked after it. So two fibers cannot both pass a check, and a time read before a yield is never used
 * to change the state after it.
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { eventRecorder, inputDecoders, type InvalidInput } from "../../internal/recording.js"
import type { ConversationEnd } from "../../schemas/UsageEvents.js"
import { InvalidUsageError, UsageEventType } from "../../schemas/UsageEvents.js"
import type { EventSink } from "../EventSink.js"
import type { Expired, SessionEnd, SuggestionResolution, UsageState } from "./UsageState.js"

/** Builds the service's invalid-input error. */
export const invalidUsage: InvalidInput<InvalidUsageError> = (fields) => new InvalidUsageError(fields)

/** Validators failing with `InvalidUsageError`. */
export const usageDecoders = inputDecoders(invalidUsage)

/** The event a suggestion's resolution is tracked as. */
export const resolutionEvent = (r: SuggestionResolution) => ({
  type: r.outcome === "accepted"
    ? UsageEventType.suggestionAccepted
    : r.outcome === "dismissed"
    ? UsageEventType.suggestionDismissed
    : UsageEventType.suggestionIgnored,
  data: { ...r }
})

/**
 * What a retention pass did.
 *
 * @since 0.2.0
 * @category models
 */
export interface CleanupResult {
  /** Time buckets dropped for being older than the retention period. */
  readonly droppedBuckets: number
  /** Conversations abandoned for being idle longer than `conversationTimeout`. */
  readonly abandonedConversations: number
  /** Suggestions counted as ignored after `suggestionTimeout`. */
  readonly ignoredSuggestions: number
  /** Sessions closed after `sessionTimeout`. */
  readonly expiredSessions: number
}

/** The state and the sink of one service, and the steps its operations take over them. */
export const makeUsageRecorder = (state: UsageState, sink: EventSink["Type"]) => {
  const { track, trackQuietly } = eventRecorder(sink, invalidUsage, "usage event")

  const trackResolutions = (resolutions: ReadonlyArray<SuggestionResolution>) =>
    Effect.forEach(resolutions, (r) => trackQuietly(resolutionEvent(r)), { discard: true })

  const trackConversationEnds = (ends: ReadonlyArray<ConversationEnd>) =>
    Effect.forEach(ends, (end) => trackQuietly({ type: UsageEventType.conversationEnd, data: end }), { discard: true })

  const trackSessionEnds = (ends: ReadonlyArray<SessionEnd>) =>
    Effect.forEach(ends, (end) =>
      trackQuietly({
        type: UsageEventType.sessionEnd,
        data: { sessionId: end.sessionId, durationMs: end.durationMs, expired: end.expired },
        userId: end.userId
      }), { discard: true })

  /** Tracks what timed out: the service's own conclusion, so a refusal is logged, never failed. */
  const trackExpired = (expired: Expired) =>
    Effect.all([
      trackConversationEnds(expired.conversations),
      trackResolutions(expired.suggestions),
      trackSessionEnds(expired.sessions)
    ], { discard: true })

  /** Runs `step` at the current `Clock` time in one synchronous step, without settling timeouts. */
  const at = <A>(step: (now: number) => A): Effect.Effect<A> =>
    Effect.clockWith((clock) => Effect.sync(() => step(clock.unsafeCurrentTimeMillis())))

  /**
   * Settles what timed out by now and runs `step` in the same synchronous step, then tracks what timed
   * out (before anything the caller tracks for `step`).
   */
  const settled = <A>(step: (now: number, expired: Expired) => A): Effect.Effect<A> =>
    Effect.clockWith((clock) =>
      Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        const expired = state.expire(now)
        const result = step(now, expired)
        return Effect.as(trackExpired(expired), result)
      })
    )

  const newId = (prefix: string) =>
    Effect.map(
      Effect.zip(Random.nextIntBetween(0, 0x10000000), Random.nextIntBetween(0, 0x10000000)),
      ([a, b]) => `${prefix}-${a.toString(16).padStart(7, "0")}${b.toString(16).padStart(7, "0")}`
    )

  /** The given user, or else the user of the sink's current session, if it has one. */
  const defaultUser = (userId: string | undefined) =>
    userId !== undefined ? Effect.succeed(userId) : Effect.map(sink.currentSession, (session) => session.userId)

  return {
    state,
    track,
    trackQuietly,
    trackResolutions,
    trackConversationEnds,
    trackSessionEnds,
    at,
    settled,
    newId,
    defaultUser,
    currentSession: sink.currentSession
  }
}

/** A service's recorder. */
export type UsageRecorder = ReturnType<typeof makeUsageRecorder>

/** Refuses an id already open: the error `openOnce` steps fail with. */
export const alreadyOpen = (field: string, message: string) => new InvalidUsageError({ field, message })
