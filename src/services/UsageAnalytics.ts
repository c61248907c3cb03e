/**
 * Usage analytics: feature adoption, conversations, provider usage, proactive suggestions and user
 * sessions, aggregated in time buckets that a retention fiber drops after the retention period. Distinct
 * users are counted exactly while few and by HyperLogLog past a threshold, so memory stays bounded as
 * users grow. Response-time and time-to-interact percentiles are exact for small samples. Every record
 * also flows through the collector as a `usage.*` event. Suggestion tracking can be switched off.
 */
import { Context, Duration, Effect, Either, Layer, Random, Schedule, type Schema, type Scope } from "effect"
import { defaultExactThreshold, defaultPrecision } from "../internal/DistinctCounter.js"
import { defaultMaxBuckets, defaultRelativeAccuracy } from "../internal/QuantileSketch.js"
import { type JsonObject, UserId } from "../schemas/TelemetryEvent.js"
import {
  type ConversationEnd,
  ConversationMessage,
  type ConversationMetrics,
  ConversationNotFoundError,
  ConversationOutcome,
  ConversationStart,
  type FeatureStats,
  InvalidUsageError,
  ProviderRequest,
  type ProviderStats,
  SuggestionNotFoundError,
  SuggestionShown,
  type SuggestionStats,
  UsageEventType,
  UsageId,
  UsageName,
  type UsageSummary,
  type UsageTracking,
  UserSessionNotFoundError,
  UserSessionStart,
  type UserSessionStats
} from "../schemas/UsageEvents.js"
import { TelemetryCollector } from "./TelemetryCollector.js"
import { type SessionEnd, type SuggestionResolution, UsageState } from "./usage/UsageState.js"
import { firstIssue } from "../internal/decode.js"

/** What a retention pass did. */
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

/** Records product usage and reports adoption, engagement and effectiveness. */
export class UsageAnalytics extends Context.Tag("effect-telemetry/UsageAnalytics")<UsageAnalytics, {
  /**
   * Records a use of a feature (`action` such as `opened` or `used`) by a user — by default the user of
   * the collector's current session, if it has one — and tracks `usage.feature`.
   */
  readonly trackFeature: (feature: string, action: string, userId?: string) => Effect.Effect<void, InvalidUsageError>
  /** Adoption of one feature: uses, total and active users, adoption rate (zeros when never used). */
  readonly featureStats: (feature: string) => Effect.Effect<FeatureStats, InvalidUsageError>
  /** Adoption of every feature used within retention, most used first. */
  readonly featureAdoption: Effect.Effect<ReadonlyArray<FeatureStats>>
  /** Opens a conversation and tracks `usage.conversation.start`; returns its id (generated when not given). */
  readonly startConversation: (start?: ConversationStart) => Effect.Effect<string, InvalidUsageError>
  /** Records a message of an open conversation and tracks `usage.conversation.message`. */
  readonly trackMessage: (
    conversationId: string,
    message: ConversationMessage
  ) => Effect.Effect<void, InvalidUsageError | ConversationNotFoundError>
  /** Ends an open conversation (default `completed`) and tracks `usage.conversation.end`. */
  readonly endConversation: (
    conversationId: string,
    outcome?: ConversationOutcome
  ) => Effect.Effect<ConversationEnd, InvalidUsageError | ConversationNotFoundError>
  /** Conversation count, completion rate, average length, message length and duration. */
  readonly conversationMetrics: Effect.Effect<ConversationMetrics>
  /** Records one request to an AI provider and tracks `usage.provider.request`. */
  readonly trackProviderRequest: (request: ProviderRequest) => Effect.Effect<void, InvalidUsageError>
  /** Requests, success rate, average and p95 response time and tokens per provider and model. */
  readonly providerStats: Effect.Effect<ReadonlyArray<ProviderStats>>
  /** Records a proactive suggestion shown and tracks `usage.suggestion.shown`; returns its id. */
  readonly suggestionShown: (shown: SuggestionShown) => Effect.Effect<string, InvalidUsageError>
  /** The user accepted a pending suggestion; tracks `usage.suggestion.accepted`. */
  readonly suggestionAccepted: (suggestionId: string) => Effect.Effect<void, InvalidUsageError | SuggestionNotFoundError>
  /** The user dismissed a pending suggestion; tracks `usage.suggestion.dismissed`. */
  readonly suggestionDismissed: (
    suggestionId: string
  ) => Effect.Effect<void, InvalidUsageError | SuggestionNotFoundError>
  /** Shown, accepted, dismissed, ignored, acceptance rate and median time to interact, for all or one kind. */
  readonly suggestionStats: (kind?: string) => Effect.Effect<SuggestionStats, InvalidUsageError>
  /** Opens a user session and tracks `usage.session.start`; returns its id (generated when not given). */
  readonly startUserSession: (start: UserSessionStart) => Effect.Effect<string, InvalidUsageError>
  /** Ends an open user session, tracks `usage.session.end` and returns its duration in milliseconds. */
  readonly endUserSession: (sessionId: string) => Effect.Effect<number, InvalidUsageError | UserSessionNotFoundError>
  /** Sessions started, ended, expired, active, average duration and distinct users. */
  readonly sessionStats: Effect.Effect<UserSessionStats>
  /** One retention pass now (the layer also runs it every `cleanupInterval`). */
  readonly cleanup: Effect.Effect<CleanupResult>
  /** Everything above, plus distinct users overall, what is held in memory and which areas record. */
  readonly getSummary: Effect.Effect<UsageSummary>
  /**
   * Forgets every aggregate (features, users, conversations, providers, suggestions, sessions). Open
   * conversations, pending suggestions and open sessions carry on, and what happens to them afterwards
   * is counted. Tracks nothing; events already tracked stay tracked.
   */
  readonly clear: Effect.Effect<void>
  /**
   * `clear`, and forgets open conversations, pending suggestions and open sessions without tracking
   * their end (their ids are then unknown): the service is as newly built.
   */
  readonly reset: Effect.Effect<void>
  /** Which areas record (option `trackSuggestions`); settled when the service is built. */
  readonly tracking: UsageTracking
}>() {}

/** How `UsageAnalytics` is set up. */
export interface UsageAnalyticsOptions {
  /** Window for "active users"; default 7 days. */
  readonly activeWindow?: Duration.DurationInput
  /** Aggregates older than this are dropped; default 30 days. */
  readonly retention?: Duration.DurationInput
  /** How often the retention fiber runs; default 1 hour. */
  readonly cleanupInterval?: Duration.DurationInput
  /** Granularity of aggregates (and so of the window and retention); default 1 day. */
  readonly bucketDuration?: Duration.DurationInput
  /** An open conversation idle this long is ended as abandoned; default 30 minutes. */
  readonly conversationTimeout?: Duration.DurationInput
  /** A suggestion neither accepted nor dismissed within this is counted as ignored; default 1 minute. */
  readonly suggestionTimeout?: Duration.DurationInput
  /** A user session open this long is closed as expired; default 12 hours. */
  readonly sessionTimeout?: Duration.DurationInput
  /** HyperLogLog precision of distinct-user counts, 4–16; default 13 (5 KiB per counter, 1.15 % standard error). */
  readonly precision?: number
  /** Distinct users counted exactly per counter before HyperLogLog; default 768 at precision 13. */
  readonly exactThreshold?: number
  /** Features held per bucket; default 100, further ones counted as `(other)`. */
  readonly maxFeatures?: number
  /** Provider/model pairs held per bucket; default 50. */
  readonly maxProviders?: number
  /** Suggestion kinds held per bucket; default 50. */
  readonly maxSuggestionKinds?: number
  /** Conversations open at once; default 10,000, the least recently active abandoned first. */
  readonly maxOpenConversations?: number
  /** Suggestions pending at once; default 10,000, the oldest counted as ignored first. */
  readonly maxPendingSuggestions?: number
  /** User sessions open at once; default 10,000, the oldest expired first. */
  readonly maxOpenSessions?: number
  /**
   * Count and track proactive suggestions; default `true`. When `false`, `suggestionShown` validates and
   * returns an id, `suggestionAccepted` / `suggestionDismissed` succeed for any id, nothing is counted
   * or tracked, and `suggestionStats` reports zeros.
   */
  readonly trackSuggestions?: boolean
}

const defaults = {
  activeWindow: "7 days",
  retention: "30 days",
  cleanupInterval: "1 hour",
  bucketDuration: "1 day",
  conversationTimeout: "30 minutes",
  suggestionTimeout: "1 minute",
  sessionTimeout: "12 hours",
  precision: defaultPrecision,
  maxFeatures: 100,
  maxProviders: 50,
  maxSuggestionKinds: 50,
  maxOpenConversations: 10_000,
  maxPendingSuggestions: 10_000,
  maxOpenSessions: 10_000,
  trackSuggestions: true as boolean
} satisfies UsageAnalyticsOptions

/** The stats of suggestions never shown (or not tracked). */
const noSuggestions: SuggestionStats = { shown: 0, accepted: 0, dismissed: 0, ignored: 0, pending: 0, acceptanceRate: 0 }

/** Builds the service; its retention fiber runs in the scope. */
export const make = (
  options: UsageAnalyticsOptions = {}
): Effect.Effect<UsageAnalytics["Type"], InvalidUsageError, TelemetryCollector | Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* resolveOptions(options)
    const collector = yield* TelemetryCollector
    const state = new UsageState(settings.limits)
    const tracking: UsageTracking = { suggestions: settings.trackSuggestions }
    const now = Effect.clockWith((clock) => Effect.sync(() => clock.unsafeCurrentTimeMillis()))

    const track = (type: string, data: JsonObject, userId?: string) =>
      collector.track(userId === undefined ? { type, data } : { type, data, userId }).pipe(
        Effect.mapError((error) => {
          const [issue] = error.issues
          return new InvalidUsageError({
            field: issue === undefined ? "data" : issue.path.join("."),
            message: issue?.message ?? error.message
          })
        })
      )

    /** Tracking of what the service itself concluded (timeouts): never fails, logged when refused. */
    const trackQuietly = (type: string, data: JsonObject, userId?: string) =>
      collector.track(userId === undefined ? { type, data } : { type, data, userId }).pipe(
        Effect.catchAllCause((cause) => Effect.logDebug("usage event not tracked", cause))
      )

    const trackResolutions = (resolutions: ReadonlyArray<SuggestionResolution>) =>
      Effect.forEach(resolutions, (r) =>
        trackQuietly(
          r.outcome === "accepted"
            ? UsageEventType.suggestionAccepted
            : r.outcome === "dismissed"
            ? UsageEventType.suggestionDismissed
            : UsageEventType.suggestionIgnored,
          { ...r }
        ), { discard: true })

    const trackConversationEnds = (ends: ReadonlyArray<ConversationEnd>) =>
      Effect.forEach(ends, (end) => trackQuietly(UsageEventType.conversationEnd, end), { discard: true })

    const trackSessionEnds = (ends: ReadonlyArray<SessionEnd>) =>
      Effect.forEach(ends, (end) =>
        trackQuietly(
          UsageEventType.sessionEnd,
          { sessionId: end.sessionId, durationMs: end.durationMs, expired: end.expired },
          end.userId
        ), { discard: true })

    /** Settles what timed out by now; run before each read or write that could see it. */
    const expire = (at: number) =>
      Effect.suspend(() => {
        const conversations = state.expireConversations(at)
        const suggestions = state.expireSuggestions(at)
        const sessions = state.expireSessions(at)
        return Effect.as(
          Effect.all([
            trackConversationEnds(conversations),
            trackResolutions(suggestions),
            trackSessionEnds(sessions)
          ], { discard: true }),
          { conversations: conversations.length, suggestions: suggestions.length, sessions: sessions.length }
        )
      })

    const nowAfterExpiry = Effect.tap(now, expire)

    const newId = (prefix: string) =>
      Effect.map(
        Effect.zip(Random.nextIntBetween(0, 0x10000000), Random.nextIntBetween(0, 0x10000000)),
        ([a, b]) => `${prefix}-${a.toString(16).padStart(7, "0")}${b.toString(16).padStart(7, "0")}`
      )

    /**
     * Checks that `id` is not open yet and opens it in one synchronous step: a check that spanned a `yield`
     * could let two callers both pass it and open the same id twice.
     */
    const openOnce = <A>(
      isOpen: (id: string) => boolean,
      field: string,
      id: string,
      message: string,
      open: () => A
    ): Effect.Effect<A, InvalidUsageError> =>
      Effect.suspend(() =>
        isOpen(id) ? Effect.fail(new InvalidUsageError({ field, message })) : Effect.succeed(open())
      )

    const defaultUser = (userId: string | undefined) =>
      userId !== undefined ? Effect.succeed(userId) : Effect.map(collector.currentSession, (session) => session.userId)

    const checkFeature = remembering(decodeEither(UsageName, "feature"))
    const checkAction = remembering(decodeEither(UsageName, "action"))
    const checkUser = decodeEither(UserId, "userId")

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
          return track(UsageEventType.feature, { feature: name, action: act }, user)
        })
      return given !== undefined ? record(given) : Effect.flatMap(defaultUser(undefined), record)
    }

    const startConversation = (input: ConversationStart = {}) =>
      Effect.gen(function*() {
        const start = yield* decode(ConversationStart)(input)
        const id = start.conversationId ?? (yield* newId("conv"))
        const user = yield* defaultUser(start.userId)
        const at = yield* nowAfterExpiry
        yield* trackConversationEnds(
          yield* openOnce((id) => state.isOpenConversation(id), "conversationId", id, "is already open", () =>
            state.startConversation(id, at))
        )
        state.seeUser(user, at)
        const { userId: _, ...data } = { ...start, conversationId: id }
        yield* track(UsageEventType.conversationStart, data, user)
        return id
      })

    const trackMessage = (conversationId: string, message: ConversationMessage) =>
      Effect.gen(function*() {
        const id = yield* decode(UsageId, "conversationId")(conversationId)
        const { length, role } = yield* decode(ConversationMessage, "message")(message)
        const at = yield* nowAfterExpiry
        if (!state.addMessage(id, role, length, at)) return yield* new ConversationNotFoundError({ conversationId: id })
        yield* track(UsageEventType.conversationMessage, { conversationId: id, role, length })
      })

    const endConversation = (conversationId: string, outcome: ConversationOutcome = "completed") =>
      Effect.gen(function*() {
        const id = yield* decode(UsageId, "conversationId")(conversationId)
        const how = yield* decode(ConversationOutcome, "outcome")(outcome)
        const at = yield* nowAfterExpiry
        const end = state.endConversation(id, how, at)
        if (end === undefined) return yield* new ConversationNotFoundError({ conversationId: id })
        yield* track(UsageEventType.conversationEnd, end)
        return end
      })

    const trackProviderRequest = (input: ProviderRequest) =>
      Effect.gen(function*() {
        const request = yield* decode(ProviderRequest)(input)
        state.recordProviderRequest(request, yield* now)
        yield* track(UsageEventType.providerRequest, request)
      })

    const recordSuggestionShown = (input: SuggestionShown) =>
      Effect.gen(function*() {
        const shown = yield* decode(SuggestionShown)(input)
        const id = shown.suggestionId ?? (yield* newId("sugg"))
        const user = yield* defaultUser(shown.userId)
        const at = yield* nowAfterExpiry
        yield* trackResolutions(
          yield* openOnce((id) => state.isPendingSuggestion(id), "suggestionId", id, "is already pending", () =>
            state.showSuggestion(id, shown.kind, at))
        )
        state.seeUser(user, at)
        yield* track(UsageEventType.suggestionShown, { suggestionId: id, kind: shown.kind }, user)
        return id
      })

    const recordResolution = (outcome: "accepted" | "dismissed") => (suggestionId: string) =>
      Effect.gen(function*() {
        const id = yield* decode(UsageId, "suggestionId")(suggestionId)
        const at = yield* nowAfterExpiry
        const resolution = state.resolveSuggestion(id, outcome, at)
        if (resolution === undefined) return yield* new SuggestionNotFoundError({ suggestionId: id })
        yield* track(
          outcome === "accepted" ? UsageEventType.suggestionAccepted : UsageEventType.suggestionDismissed,
          { ...resolution }
        )
      })

    const recordedSuggestionStats = (kind?: string) =>
      Effect.gen(function*() {
        const only = kind === undefined ? undefined : yield* decode(UsageName, "kind")(kind)
        const stats = state.suggestionStats(yield* nowAfterExpiry)
        if (only === undefined) return stats.all
        return stats.byKind[only] ?? noSuggestions
      })

    // The switch picks the implementations here, once. Switched off, calls keep their contract (input
    // is validated, ids are returned) so callers need not know, but nothing is counted or tracked.
    const suggestionShown = tracking.suggestions ? recordSuggestionShown : (input: SuggestionShown) =>
      Effect.flatMap(
        decode(SuggestionShown)(input),
        (shown) => shown.suggestionId !== undefined ? Effect.succeed(shown.suggestionId) : newId("sugg")
      )
    const resolve = tracking.suggestions ? recordResolution : (_: "accepted" | "dismissed") => (suggestionId: string) =>
      Effect.asVoid(decode(UsageId, "suggestionId")(suggestionId))
    const suggestionStats = tracking.suggestions ? recordedSuggestionStats : (kind?: string) =>
      kind === undefined ? Effect.succeed(noSuggestions) : Effect.as(decode(UsageName, "kind")(kind), noSuggestions)

    const startUserSession = (input: UserSessionStart) =>
      Effect.gen(function*() {
        const start = yield* decode(UserSessionStart)(input)
        const id = start.sessionId ?? (yield* newId("sess"))
        const at = yield* nowAfterExpiry
        yield* trackSessionEnds(
          yield* openOnce((id) => state.isOpenSession(id), "sessionId", id, "is already open", () =>
            state.startSession(id, start.userId, at))
        )
        yield* track(UsageEventType.sessionStart, { sessionId: id }, start.userId)
        return id
      })

    const endUserSession = (sessionId: string) =>
      Effect.gen(function*() {
        const id = yield* decode(UsageId, "sessionId")(sessionId)
        const end = state.endSession(id, yield* nowAfterExpiry)
        if (end === undefined) return yield* new UserSessionNotFoundError({ sessionId: id })
        yield* track(UsageEventType.sessionEnd, { sessionId: id, durationMs: end.durationMs }, end.userId)
        return end.durationMs
      })

    const cleanup = Effect.gen(function*() {
      const at = yield* now
      const expired = yield* expire(at)
      const droppedBuckets = state.dropExpired(at)
      return {
        droppedBuckets,
        abandonedConversations: expired.conversations,
        ignoredSuggestions: expired.suggestions,
        expiredSessions: expired.sessions
      }
    })

    yield* Effect.forkScoped(
      Effect.schedule(
        cleanup.pipe(Effect.catchAllCause((cause) => Effect.logWarning("usage retention pass failed", cause))),
        Schedule.spaced(settings.cleanupInterval)
      )
    )

    return {
      trackFeature,
      featureStats: (feature: string) =>
        Effect.flatMap(
          decode(UsageName, "feature")(feature),
          (name) => Effect.map(now, (at) => state.feature(name, at))
        ),
      featureAdoption: Effect.map(now, (at) => state.features(at)),
      startConversation,
      trackMessage,
      endConversation,
      conversationMetrics: Effect.map(nowAfterExpiry, (at) => state.conversationMetrics(at)),
      trackProviderRequest,
      providerStats: Effect.map(now, (at) => state.providers(at)),
      suggestionShown,
      suggestionAccepted: resolve("accepted"),
      suggestionDismissed: resolve("dismissed"),
      suggestionStats,
      startUserSession,
      endUserSession,
      sessionStats: Effect.map(nowAfterExpiry, (at) => state.sessionStats(at)),
      cleanup,
      getSummary: Effect.map(nowAfterExpiry, (at): UsageSummary => ({ ...state.summary(at), tracking })),
      clear: Effect.sync(() => state.clear()),
      reset: Effect.sync(() => state.reset()),
      tracking
    }
  })

/** The service as a layer over the `TelemetryCollector`; fails only when an option is out of range. */
export const layer = (
  options: UsageAnalyticsOptions = {}
): Layer.Layer<UsageAnalytics, InvalidUsageError, TelemetryCollector> => Layer.scoped(UsageAnalytics, make(options))

const resolveOptions = (options: UsageAnalyticsOptions) =>
  Effect.suspend(() => {
    const settings = { ...defaults, ...options }
    const bad = (field: string, message: string) => Effect.fail(new InvalidUsageError({ field, message }))
    const millis: Record<string, number> = {}
    for (
      const field of [
        "activeWindow",
        "retention",
        "cleanupInterval",
        "bucketDuration",
        "conversationTimeout",
        "suggestionTimeout",
        "sessionTimeout"
      ] as const
    ) {
      const duration = Duration.decodeUnknown(settings[field])
      if (duration._tag === "None" || !Duration.isFinite(duration.value) || Duration.toMillis(duration.value) <= 0) {
        return bad(field, "must be a positive, finite duration")
      }
      millis[field] = Duration.toMillis(duration.value)
    }
    if (typeof settings.trackSuggestions !== "boolean") return bad("trackSuggestions", "must be true or false")
    if (!(Number.isInteger(settings.precision) && settings.precision >= 4 && settings.precision <= 16)) {
      return bad("precision", "must be a whole number from 4 to 16")
    }
    const exactThreshold = settings.exactThreshold ?? defaultExactThreshold(settings.precision)
    if (!(Number.isInteger(exactThreshold) && exactThreshold >= 0)) {
      return bad("exactThreshold", "must be a whole number ≥ 0")
    }
    for (
      const field of [
        "maxFeatures",
        "maxProviders",
        "maxSuggestionKinds",
        "maxOpenConversations",
        "maxPendingSuggestions",
        "maxOpenSessions"
      ] as const
    ) {
      if (!(Number.isInteger(settings[field]) && settings[field] >= 1)) return bad(field, "must be a whole number ≥ 1")
    }
    return Effect.succeed({
      cleanupInterval: Duration.millis(millis.cleanupInterval!),
      trackSuggestions: settings.trackSuggestions,
      limits: {
        bucketMillis: millis.bucketDuration!,
        retentionMillis: millis.retention!,
        activeWindowMillis: millis.activeWindow!,
        conversationTimeoutMillis: millis.conversationTimeout!,
        suggestionTimeoutMillis: millis.suggestionTimeout!,
        sessionTimeoutMillis: millis.sessionTimeout!,
        counter: { precision: settings.precision, exactThreshold },
        sketch: { relativeAccuracy: defaultRelativeAccuracy, maxBuckets: defaultMaxBuckets },
        maxFeatures: settings.maxFeatures,
        maxProviders: settings.maxProviders,
        maxSuggestionKinds: settings.maxSuggestionKinds,
        maxOpenConversations: settings.maxOpenConversations,
        maxPendingSuggestions: settings.maxPendingSuggestions,
        maxOpenSessions: settings.maxOpenSessions
      }
    })
  })

/** Validates input against a schema; the error names the first offending field (see `firstIssue`). */
const decodeEither = <A, I>(schema: Schema.Schema<A, I>, root?: string) =>
  firstIssue(schema, (field, message) => new InvalidUsageError({ field, message }), root)

/**
 * A string check that remembers (up to 1,024) strings it accepted: feature and action names repeat on
 * every call, and decoding one costs ~0.3 µs, a tenth of `trackFeature`.
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

const decode = <A, I>(schema: Schema.Schema<A, I>, root?: string) => {
  const run = decodeEither(schema, root)
  return (input: unknown): Effect.Effect<A, InvalidUsageError> => run(input)
}
