/** The feature and provider operations of `UsageAnalytics`: the hot `trackFeature`, provider requests, their stats. */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { UserId } from "../../schemas/TelemetryEvent.js"
import { type InvalidUsageError, ProviderRequest, UsageEventType, UsageName } from "../../schemas/UsageEvents.js"
import { type UsageRecorder, usageDecoders } from "./recorder.js"

/**
 * A string check that remembers (up to 1,024) strings it accepted: feature and action names repeat on
 * every call, and decoding one costs ~0.3 µs, a tenth of `trackFeature` — a measured hot path, so a plain
 * `Set` read synchronously rather than a `Ref`. Answers the error, or `undefined` when valid.
 */
const remembering = (check: (input: unknown) => Either.Either<string, InvalidUsageError>) => {
  const accepted = new Set<string>()
  return (input: string): InvalidUsageError | undefined => {
    if (accepted.has(input)) return undefined
    const result = check(input)
    if (Either.isLeft(result)) return result.left
    if (accepted.size >= 1_024) accepted.clear()
    accepted.add(input)
    return undefined
  }
}

/**
 * The `Clock` of the running fiber, for a continuation (which always runs in one): `Effect.clockWith` there
 * would cost one fiber step more, ~5 % of `trackFeature`.
 */
const runningClock = (): Clock.Clock =>
  Context.get(Option.getOrThrow(Fiber.getCurrentFiber()).currentDefaultServices, Clock.Clock)

const decodeFeature = usageDecoders.effect(UsageName, "feature")
const decodeRequest = usageDecoders.effect(ProviderRequest)
const checkUser = usageDecoders.either(UserId, "userId")

/** Features and providers: the hot `trackFeature`, provider requests, and their stats. */
export const makeFeatures = ({ at, currentSession, state, track }: UsageRecorder) => {
  const checkFeature = remembering(usageDecoders.either(UsageName, "feature"))
  const checkAction = remembering(usageDecoders.either(UsageName, "action"))

  // The hot path (`npm run bench`): validated without an Either or an Effect per argument, recorded in one
  // synchronous step at `Clock` time, then tracked.
  const recordAt = (clock: Clock.Clock, feature: string, action: string, user: string | undefined) => {
    state.useFeature(feature, action, user, clock.unsafeCurrentTimeMillis())
    return track({ type: UsageEventType.feature, data: { feature, action }, userId: user })
  }

  const trackFeature = (feature: string, action: string, userId?: string): Effect.Effect<void, InvalidUsageError> => {
    const invalid = checkFeature(feature) ?? checkAction(action)
    if (invalid !== undefined) return Effect.fail(invalid)
    if (userId === undefined) {
      return Effect.flatMap(currentSession, (session) => recordAt(runningClock(), feature, action, session.userId))
    }
    const user = checkUser(userId)
    if (Either.isLeft(user)) return Effect.fail(user.left)
    return Effect.clockWith((clock) => recordAt(clock, feature, action, user.right))
  }

  return {
    trackFeature,
    featureStats: (feature: string) =>
      Effect.flatMap(decodeFeature(feature), (name) => at((now) => state.feature(name, now))),
    featureAdoption: at((now) => state.features(now)),
    trackProviderRequest: (input: ProviderRequest) =>
      Effect.flatMap(decodeRequest(input), (request) =>
        Effect.zipRight(
          at((now) => state.recordProviderRequest(request, now)),
          track({ type: UsageEventType.providerRequest, data: request })
        )),
    providerStats: at((now) => state.providers(now))
  }
}
