/**
 * The proactive-suggestion operations of `UsageAnalytics`, recording or — with `trackSuggestions: false`
 * — keeping their contract (input validated, ids returned) while counting and tracking nothing.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type InvalidUsageError, SuggestionNotFoundError, SuggestionShown, UsageEventType, UsageId, UsageName } from "../../schemas/UsageEvents.js"
import { noSuggestions } from "./reports.js"
import { alreadyOpen, resolutionEvent, type UsageRecorder, usageDecoders } from "./recorder.js"

const decodeShown = usageDecoders.effect(SuggestionShown)
const decodeId = usageDecoders.effect(UsageId, "suggestionId")
const decodeKind = usageDecoders.effect(UsageName, "kind")

type Answer = "accepted" | "dismissed"

const recording = ({ defaultUser, newId, settled, state, track, trackResolutions }: UsageRecorder) => {
  const suggestionShown = (input: SuggestionShown) =>
    Effect.gen(function*() {
      const shown = yield* decodeShown(input)
      const id = shown.suggestionId ?? (yield* newId("sugg"))
      const user = yield* defaultUser(shown.userId)
      // Checked and made pending in one step: two callers cannot both find the id free.
      const opened = yield* settled((now) => {
        if (state.suggestions.has(id)) return Either.left(alreadyOpen("suggestionId", "is already pending"))
        const evicted = state.suggestions.show(id, shown.kind, now)
        state.seeUser(user, now)
        return Either.right(evicted)
      })
      yield* trackResolutions(yield* opened)
      yield* track({ type: UsageEventType.suggestionShown, data: { suggestionId: id, kind: shown.kind }, userId: user })
      return id
    })

  const resolve = (outcome: Answer) =>
  (suggestionId: string): Effect.Effect<void, InvalidUsageError | SuggestionNotFoundError> =>
    Effect.gen(function*() {
      const id = yield* decodeId(suggestionId)
      const resolution = yield* settled((now) => state.suggestions.resolve(id, outcome, now))
      if (resolution === undefined) return yield* new SuggestionNotFoundError({ suggestionId: id })
      yield* track(resolutionEvent(resolution))
    })

  const suggestionStats = (kind?: string) =>
    Effect.gen(function*() {
      const only = kind === undefined ? undefined : yield* decodeKind(kind)
      const stats = yield* settled((now) => state.suggestionStats(now))
      return only === undefined ? stats.all : stats.byKind[only] ?? noSuggestions
    })

  return {
    suggestionShown,
    suggestionAccepted: resolve("accepted"),
    suggestionDismissed: resolve("dismissed"),
    suggestionStats
  }
}

const notRecording = ({ newId }: UsageRecorder): ReturnType<typeof recording> => ({
  suggestionShown: (input) =>
    Effect.flatMap(
      decodeShown(input),
      (shown) => shown.suggestionId !== undefined ? Effect.succeed(shown.suggestionId) : newId("sugg")
    ),
  suggestionAccepted: (suggestionId) => Effect.asVoid(decodeId(suggestionId)),
  suggestionDismissed: (suggestionId) => Effect.asVoid(decodeId(suggestionId)),
  suggestionStats: (kind) => kind === undefined ? Effect.succeed(noSuggestions) : Effect.as(decodeKind(kind), noSuggestions)
})

/** The suggestion operations; the switch picks the implementations once, when the service is built. */
export const makeSuggestions = (recorder: UsageRecorder, trackSuggestions: boolean) =>
  trackSuggestions ? recording(recorder) : notRecording(recorder)
