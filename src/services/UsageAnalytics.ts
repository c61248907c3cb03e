/**
 * Usage analytics: feature adoption, conversations, provider usage, proactive suggestions and user
 * sessions, aggregated in time buckets that a retention fiber drops after the retention period. Distinct
 * users are counted exactly while few and by HyperLogLog past a threshold, so memory stays bounded as
 * users grow. Response-time and time-to-interact percentiles are exact for small samples. Every record
 * also flows through the `EventSink` as a `usage.*` event. Suggestion tracking can be switched off.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import {
  type ConversationEnd,
  type ConversationMessage,
  ConversationNotFoundError,
  type ConversationOutcome,
  type ConversationStart,
  InvalidUsageError,
  type ProviderRequest,
  SuggestionNotFoundError,
  type SuggestionShown,
  type UsageSummary,
  type UsageTracking,
  UserSessionNotFoundError,
  type UserSessionStart
} from "../schemas/UsageEvents.js"
import { EventSink } from "./EventSink.js"
import { makeConversations } from "./usage/conversations.js"
import { decodeUsageOptions, type UsageAnalyticsOptions, UsageAnalyticsOptionsError } from "./usage/options.js"
import { makeFeatures } from "./usage/features.js"
import { type CleanupResult, makeUsageRecorder } from "./usage/recorder.js"
import { makeSessions } from "./usage/sessions.js"
import { makeSuggestions } from "./usage/suggestions.js"
import { UsageState } from "./usage/UsageState.js"

export { type UsageAnalyticsOptions, UsageAnalyticsOptionsError } from "./usage/options.js"
export type { CleanupResult } from "./usage/recorder.js"

/**
 * Builds the service over the `EventSink` in context; its retention fiber runs in the scope. Fails with a
 * `UsageAnalyticsOptionsError` for a wrong option.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options?: UsageAnalyticsOptions
): Effect.Effect<UsageAnalytics.Service, UsageAnalyticsOptionsError, EventSink | Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* decodeUsageOptions(options)
    const state = new UsageState(settings.limits)
    const recorder = makeUsageRecorder(state, yield* EventSink)
    const tracking: UsageTracking = { suggestions: settings.trackSuggestions }

    const cleanup: Effect.Effect<CleanupResult> = recorder.settled((now, expired) => ({
      droppedBuckets: state.dropExpired(now),
      abandonedConversations: expired.conversations.length,
      ignoredSuggestions: expired.suggestions.length,
      expiredSessions: expired.sessions.length
    }))

    yield* Effect.forkScoped(
      Effect.schedule(
        cleanup.pipe(Effect.catchAllCause((cause) => Effect.logWarning("usage retention pass failed", cause))),
        Schedule.spaced(settings.cleanupInterval)
      )
    )

    return {
      ...makeFeatures(recorder),
      ...makeConversations(recorder),
      ...makeSuggestions(recorder, settings.trackSuggestions),
      ...makeSessions(recorder),
      cleanup,
      getSummary: recorder.settled((now): UsageSummary => ({ ...state.summary(now), tracking })),
      clear: Effect.sync(() => state.clear()),
      reset: Effect.sync(() => state.reset()),
      tracking
    }
  })

/**
 * The service as a layer over the `EventSink` (which the collector's layer provides); fails only when an
 * option is wrong.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options?: UsageAnalyticsOptions
): Layer.Layer<UsageAnalytics, UsageAnalyticsOptionsError, EventSink> => Layer.scoped(UsageAnalytics, make(options))

/**
 * Records product usage — features, conversations, provider requests, proactive suggestions, user
 * sessions — and reports adoption, engagement and effectiveness.
 *
 * @since 0.2.0
 * @category tags
 */
export class UsageAnalytics extends Context.Tag("effect-telemetry/UsageAnalytics")<
  UsageAnalytics,
  UsageAnalytics.Service
>() {
  /**
   * The service over the `EventSink` in context, its retention fiber in the layer's scope; defaults: day
   * buckets kept 30 days, a 7-day active window, hourly retention passes, suggestions tracked.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: UsageAnalytics.Options
  ): Layer.Layer<UsageAnalytics, UsageAnalyticsOptionsError, EventSink> => Layer.scoped(this, make(options))

  /**
   * Builds the service as an effect needing the `EventSink` and a `Scope` (for the retention fiber).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make

  /**
   * A field of a caller's input (`field` is its path) was invalid, or an id is already open; nothing was
   * recorded.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly InvalidUsageError = InvalidUsageError

  /**
   * The conversation is not open: never started, already ended, or abandoned after `conversationTimeout`.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly ConversationNotFoundError = ConversationNotFoundError

  /**
   * The suggestion is not pending: never shown, already answered, or ignored after `suggestionTimeout`.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly SuggestionNotFoundError = SuggestionNotFoundError

  /**
   * The user session is not open: never started, already ended, or expired after `sessionTimeout`.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly UserSessionNotFoundError = UserSessionNotFoundError

  /**
   * An option given to `make` / `layer` does not decode (`option` names it, `reason` says why).
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = UsageAnalyticsOptionsError
}

/** @since 0.2.0 */
export declare namespace UsageAnalytics {
  /**
   * What `UsageAnalytics` offers: every method returns an `Effect` and none throws.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /**
     * Records a use of a feature (`action` such as `opened` or `used`) by a user — by default the user of
     * the current session, if it has one — and tracks `usage.feature`.
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
    readonly suggestionAccepted: (
      suggestionId: string
    ) => Effect.Effect<void, InvalidUsageError | SuggestionNotFoundError>
    /** The user dismissed a pending suggestion; tracks `usage.suggestion.dismissed`. */
    readonly suggestionDismissed: (
      suggestionId: string
    ) => Effect.Effect<void, InvalidUsageError | SuggestionNotFoundError>
    /** Shown, accepted, dismissed, ignored, acceptance rate and median time to interact, for all or one kind. */
    readonly suggestionStats: (kind?: string) => Effect.Effect<SuggestionStats, InvalidUsageError>
    /** Opens a user session and tracks `usage.session.start`; returns its id (generated when not given). */
    readonly startUserSession: (start: UserSessionStart) => Effect.Effect<string, InvalidUsageError>
    /** Ends an open user session, tracks `usage.session.end` and returns its duration in milliseconds. */
    readonly endUserSession: (
      sessionId: string
    ) => Effect.Effect<number, InvalidUsageError | UserSessionNotFoundError>
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
  }

  /**
   * Options of `make` / `layer`; every field has a default (see each field).
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = UsageAnalyticsOptions

  /**
   * The error of an option that does not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = UsageAnalyticsOptionsError

  /**
   * What a retention pass did.
   *
   * @since 0.2.0
   * @category models
   */
  export type CleanupResult = import("./usage/recorder.js").CleanupResult

  /**
   * Everything the service holds, as `getSummary` reports it.
   *
   * @since 0.2.0
   * @category models
   */
  export type Summary = UsageSummary

  /**
   * Adoption of one feature.
   *
   * @since 0.2.0
   * @category models
   */
  export type FeatureStats = import("../schemas/UsageEvents.js").FeatureStats

  /**
   * Conversation count, completion rate, lengths and duration.
   *
   * @since 0.2.0
   * @category models
   */
  export type ConversationMetrics = import("../schemas/UsageEvents.js").ConversationMetrics

  /**
   * Requests, success rate, response times and tokens of one provider and model.
   *
   * @since 0.2.0
   * @category models
   */
  export type ProviderStats = import("../schemas/UsageEvents.js").ProviderStats

  /**
   * Shown, accepted, dismissed, ignored, pending, acceptance rate and median time to interact.
   *
   * @since 0.2.0
   * @category models
   */
  export type SuggestionStats = import("../schemas/UsageEvents.js").SuggestionStats

  /**
   * Sessions started, ended, expired, active, average duration and distinct users.
   *
   * @since 0.2.0
   * @category models
   */
  export type UserSessionStats = import("../schemas/UsageEvents.js").UserSessionStats

  /**
   * Which switchable areas record.
   *
   * @since 0.2.0
   * @category models
   */
  export type Tracking = UsageTracking
}
