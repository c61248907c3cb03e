/** The user-session operations of `UsageAnalytics`: start, end, and the stats. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { UsageEventType, UsageId, UserSessionNotFoundError, UserSessionStart } from "../../schemas/UsageEvents.js"
import { alreadyOpen, type UsageRecorder, usageDecoders } from "./recorder.js"

const decodeStart = usageDecoders.effect(UserSessionStart)
const decodeId = usageDecoders.effect(UsageId, "sessionId")

export const makeSessions = ({ newId, settled, state, track, trackSessionEnds }: UsageRecorder) => {
  const startUserSession = (input: UserSessionStart) =>
    Effect.gen(function*() {
      const start = yield* decodeStart(input)
      const id = start.sessionId ?? (yield* newId("sess"))
      // Checked and opened in one step: two callers cannot both find the id free.
      const opened = yield* settled((now) =>
        state.sessions.has(id)
          ? Either.left(alreadyOpen("sessionId", "is already open"))
          : Either.right(state.sessions.start(id, start.userId, now))
      )
      yield* trackSessionEnds(yield* opened)
      yield* track({ type: UsageEventType.sessionStart, data: { sessionId: id }, userId: start.userId })
      return id
    })

  const endUserSession = (sessionId: string) =>
    Effect.gen(function*() {
      const id = yield* decodeId(sessionId)
      const end = yield* settled((now) => state.sessions.end(id, now))
      if (end === undefined) return yield* new UserSessionNotFoundError({ sessionId: id })
      yield* track({
        type: UsageEventType.sessionEnd,
        data: { sessionId: id, durationMs: end.durationMs },
        userId: end.userId
      })
      return end.durationMs
    })

  return { startUserSession, endUserSession, sessionStats: settled((now) => state.sessionStats(now)) }
}
