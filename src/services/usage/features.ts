/** The feature and provider operations of `UsageAnalytics`: the hot `trackFeature`, provider requests, their stats. */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { UserId } from "../../schemas/TelemetryEvent.js"
import { type InvalidUsageError, ProviderRequest, UsageEventType, UsageName } from "../../schemas/UsageEvents.js"
import { type UsageRecorder, usageDecoders } from "./recorder.js"

/**
 * A string check that remembers (up to 1,024) strings it accepted: feature and action names repeat on
 * every call, and decoding one costs ~0.3 µs, a tenth of `trackFeature` — a measured hot path, so a plain
 * `Set` read synchronously rather than a `Ref`.
 */
const remembering = (check: (input: unknown) => Either.Either<string, InvalidUsageError>) => {
  const accepted = new Set<string>()
  return (input: string): Either.Either<string, InvalidUsageError> => {
    if (accepted.has(input)) return Either.right(input)
    const result = check(input)
    if (Either.isRight(result)) {
      if (accepted.size >= 1_024) accepted.clear()
      accepted.add(input)
    }
    return result
  }
}

const decodeFeature = usageDecoders.effect(UsageName, "feature")
const decodeRequest = usageDecoders.effect(ProviderRequest)
const checkUser = usageDecoders.either(UserId, "userId")

/** Features and providers: the hot `trackFeature`, provider requests, and their stats. */
export const makeFeatures = ({ at, state, track, withUser }: UsageRecorder) => {
  const checkFeature = remembering(usageDecoders.either(UsageName, "feature"))
  const checkAction = remembering(usageDecoders.either(UsageName, "action"))

  // The hot path: validated without an Effect per argument, recorded in one synchronous step.
  const trackFeature = (feature: string, action: string, userId?: string): Effect.Effect<void, InvalidUsageError> => {
    const checked = Either.all([
      checkFeature(feature),
      checkAction(action),
      userId === undefined ? Either.right(undefined) : checkUser(userId)
    ])
    if (Either.isLeft(checked)) return Effect.fail(checked.left)
    const [name, act, given] = checked.right
    const record = (user: string | undefined) =>
      Effect.clockWith((clock) => {
        state.useFeature(name, act, user, clock.unsafeCurrentTimeMillis())
        return track({ type: UsageEventType.feature, data: { feature: name, action: act }, userId: user })
      })
    return withUser(given, record)
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
