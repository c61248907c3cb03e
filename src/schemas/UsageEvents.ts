/**
 * What `UsageAnalytics` accepts and reports: features, conversations, provider requests, proactive
 * suggestions and user sessions, the `usage.*` events they become, and the service's errors.
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { UserId } from "./TelemetryEvent.js"

/** A field of an input (or an option) was invalid; nothing was recorded. */
export class InvalidUsageError extends /* @__PURE__ */ Data.TaggedError("InvalidUsageError")<{
  readonly field: string
  readonly message: string
}> {}

/** The conversation is not open: never started, already ended, or abandoned after `conversationTimeout`. */
export class ConversationNotFoundError extends /* @__PURE__ */ Data.TaggedError("ConversationNotFoundError")<{
  readonly conversationId: string
}> {
  override get message(): string {
    return `no open conversation "${this.conversationId}"`
  }
}

/** The suggestion is not pending: never shown, already answered, or ignored after `suggestionTimeout`. */
export class SuggestionNotFoundError extends /* @__PURE__ */ Data.TaggedError("SuggestionNotFoundError")<{
  readonly suggestionId: string
}> {
  override get message(): string {
    return `no pending suggestion "${this.suggestionId}"`
  }
}

/** The user session is not open: never started, already ended, or expired after `sessionTimeout`. */
export class UserSessionNotFoundError extends /* @__PURE__ */ Data.TaggedError("UserSessionNotFoundError")<{
  readonly sessionId: string
}> {
  override get message(): string {
    return `no open user session "${this.sessionId}"`
  }
}

/** The event types `UsageAnalytics` tracks through the collector. */
export const UsageEventType = {
  feature: "usage.feature",
  conversationStart: "usage.conversation.start",
  conversationMessage: "usage.conversation.message",
  conversationEnd: "usage.conversation.end",
  providerRequest: "usage.provider.request",
  suggestionShown: "usage.suggestion.shown",
  suggestionAccepted: "usage.suggestion.accepted",
  suggestionDismissed: "usage.suggestion.dismissed",
  suggestionIgnored: "usage.suggestion.ignored",
  sessionStart: "usage.session.start",
  sessionEnd: "usage.session.end"
} as const

// Every schema here is marked pure, so a bundle keeps only those decoded at run time: the report schemas
// below are types to the service, and cost an app nothing unless it decodes reports itself.
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** A name (feature, action, provider, model, suggestion kind): 1–128 characters. */
export const UsageName = /* @__PURE__ */ Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(128, { message: () => "is longer than 128 characters" })
).annotations({ identifier: "UsageName" })

/** An identifier (conversation, suggestion, session): 1–128 characters. */
export const UsageId = /* @__PURE__ */ UsageName.annotations({ identifier: "UsageId" })

const Millis = /* @__PURE__ */ Schema.Number.pipe(
  Schema.finite({ message: () => "must be a finite number of milliseconds" }),
  Schema.nonNegative({ message: () => "must not be negative" })
)

const Count = /* @__PURE__ */ Schema.Number.pipe(
  Schema.int({ message: () => "must be a whole number" }),
  Schema.nonNegative({ message: () => "must not be negative" })
)

/** The data of a `usage.feature` event. */
export const FeatureUse = /* @__PURE__ */ Schema.Struct({
  feature: UsageName,
  action: UsageName,
  userId: optional(UserId)
}).annotations({ identifier: "FeatureUse" })
export type FeatureUse = typeof FeatureUse.Type

/** Starting a conversation; without an id one is generated. */
export const ConversationStart = /* @__PURE__ */ Schema.Struct({
  conversationId: optional(UsageId),
  userId: optional(UserId),
  provider: optional(UsageName),
  model: optional(UsageName)
}).annotations({ identifier: "ConversationStart" })
export type ConversationStart = typeof ConversationStart.Type

/** Who wrote a message. */
export const MessageRole = /* @__PURE__ */ Schema.Literal("user", "assistant", "system", "tool")
export type MessageRole = typeof MessageRole.Type

/** One message of a conversation: its role and length in characters. */
export const ConversationMessage = /* @__PURE__ */ Schema.Struct({
  role: MessageRole,
  length: Count
}).annotations({ identifier: "ConversationMessage" })
export type ConversationMessage = typeof ConversationMessage.Type

/** How a conversation ended. */
export const ConversationOutcome = /* @__PURE__ */ Schema.Literal("completed", "abandoned")
export type ConversationOutcome = typeof ConversationOutcome.Type

/** The data of a `usage.conversation.end` event. */
export const ConversationEnd = /* @__PURE__ */ Schema.Struct({
  conversationId: UsageId,
  outcome: ConversationOutcome,
  messages: Count,
  durationMs: Millis,
  /** Set when the conversation was abandoned for being idle longer than `conversationTimeout`. */
  timedOut: optional(Schema.Boolean)
}).annotations({ identifier: "ConversationEnd" })
export type ConversationEnd = typeof ConversationEnd.Type

/** One request to an AI provider. */
export const ProviderRequest = /* @__PURE__ */ Schema.Struct({
  provider: UsageName,
  model: UsageName,
  durationMs: Millis,
  success: Schema.Boolean,
  promptTokens: optional(Count),
  completionTokens: optional(Count),
  /** A short classification of the failure, e.g. `rate_limit`. */
  errorType: optional(UsageName)
}).annotations({ identifier: "ProviderRequest" })
export type ProviderRequest = typeof ProviderRequest.Type

/** A proactive suggestion shown to a user; without an id one is generated. */
export const SuggestionShown = /* @__PURE__ */ Schema.Struct({
  suggestionId: optional(UsageId),
  /** What kind of suggestion, e.g. `refactor` or `doc-link`. */
  kind: UsageName,
  userId: optional(UserId)
}).annotations({ identifier: "SuggestionShown" })
export type SuggestionShown = typeof SuggestionShown.Type

/** What became of a suggestion. */
export const SuggestionOutcome = /* @__PURE__ */ Schema.Literal("accepted", "dismissed", "ignored")
export type SuggestionOutcome = typeof SuggestionOutcome.Type

/** Starting a user session; without an id one is generated. */
export const UserSessionStart = /* @__PURE__ */ Schema.Struct({
  userId: UserId,
  sessionId: optional(UsageId)
}).annotations({ identifier: "UserSessionStart" })
export type UserSessionStart = typeof UserSessionStart.Type

/** Adoption of one feature over the retained period. */
export const FeatureStats = /* @__PURE__ */ Schema.Struct({
  feature: Schema.String,
  /** Times it was used. */
  uses: Schema.Number,
  /** Distinct users who used it (approximate past `exactThreshold`). */
  totalUsers: Schema.Number,
  /** Distinct users who used it within the active window (default 7 days). */
  activeUsers: Schema.Number,
  /** `totalUsers` / all distinct users seen by `UsageAnalytics`, 0–1. */
  adoptionRate: Schema.Number,
  /** Whether the user counts are HyperLogLog estimates (standard error 1.15 % at the default precision). */
  approximate: Schema.Boolean,
  /** Uses per action. */
  actions: Schema.Record({ key: Schema.String, value: Schema.Number }),
  lastUsedAt: optional(Schema.Number)
}).annotations({ identifier: "FeatureStats" })
export type FeatureStats = typeof FeatureStats.Type

/** Conversations over the retained period. */
export const ConversationMetrics = /* @__PURE__ */ Schema.Struct({
  started: Schema.Number,
  completed: Schema.Number,
  abandoned: Schema.Number,
  /** Still open now. */
  open: Schema.Number,
  /** completed / (completed + abandoned); 0 when none ended. */
  completionRate: Schema.Number,
  /** Mean messages per ended conversation. */
  averageLength: Schema.Number,
  /** Mean characters per message. */
  averageMessageLength: Schema.Number,
  /** Mean duration of ended conversations, in milliseconds. */
  averageDurationMs: Schema.Number,
  messagesByRole: Schema.Record({ key: Schema.String, value: Schema.Number })
}).annotations({ identifier: "ConversationMetrics" })
export type ConversationMetrics = typeof ConversationMetrics.Type

/** Requests to one provider and model over the retained period. */
export const ProviderStats = /* @__PURE__ */ Schema.Struct({
  provider: Schema.String,
  model: Schema.String,
  requests: Schema.Number,
  successes: Schema.Number,
  failures: Schema.Number,
  /** successes / requests. */
  successRate: Schema.Number,
  averageResponseMs: Schema.Number,
  /** 95th percentile of response time, interpolated between ranks: exact up to 128 requests, within 1 % (0.54 %) beyond. */
  p95ResponseMs: Schema.Number,
  promptTokens: Schema.Number,
  completionTokens: Schema.Number,
  totalTokens: Schema.Number,
  errorsByType: Schema.Record({ key: Schema.String, value: Schema.Number })
}).annotations({ identifier: "ProviderStats" })
export type ProviderStats = typeof ProviderStats.Type

/** Effectiveness of proactive suggestions (all kinds, or one) over the retained period. */
export const SuggestionStats = /* @__PURE__ */ Schema.Struct({
  shown: Schema.Number,
  accepted: Schema.Number,
  dismissed: Schema.Number,
  ignored: Schema.Number,
  /** Shown and not yet answered nor timed out. */
  pending: Schema.Number,
  /** accepted / (accepted + dismissed + ignored); 0 when none was answered. */
  acceptanceRate: Schema.Number,
  /**
   * Median time from shown to accepted or dismissed, in milliseconds (exact up to 128 answers, within
   * 1 % (0.54 %) beyond); absent when none was.
   */
  medianTimeToInteractMs: optional(Schema.Number)
}).annotations({ identifier: "SuggestionStats" })
export type SuggestionStats = typeof SuggestionStats.Type

/** User sessions over the retained period. */
export const UserSessionStats = /* @__PURE__ */ Schema.Struct({
  started: Schema.Number,
  ended: Schema.Number,
  /** Closed by `sessionTimeout` rather than `endUserSession`. */
  expired: Schema.Number,
  /** Open now. */
  active: Schema.Number,
  /** Mean duration of sessions ended by `endUserSession`, in milliseconds. */
  averageDurationMs: Schema.Number,
  /** Distinct users who started a session. */
  users: Schema.Number
}).annotations({ identifier: "UserSessionStats" })
export type UserSessionStats = typeof UserSessionStats.Type

/** Which switchable areas `UsageAnalytics` records; an area switched off records nothing. */
export const UsageTracking = /* @__PURE__ */ Schema.Struct({
  /** Proactive suggestions are counted and tracked; option `trackSuggestions`, default on. */
  suggestions: Schema.Boolean
}).annotations({ identifier: "UsageTracking" })
export type UsageTracking = typeof UsageTracking.Type

/** Everything `UsageAnalytics` holds, as `getSummary` reports it. */
export const UsageSummary = /* @__PURE__ */ Schema.Struct({
  /** Distinct users seen by any usage record, over the retained period. */
  totalUsers: Schema.Number,
  /** Distinct users seen within the active window. */
  activeUsers: Schema.Number,
  features: Schema.Array(FeatureStats),
  conversations: ConversationMetrics,
  providers: Schema.Array(ProviderStats),
  suggestions: SuggestionStats,
  suggestionsByKind: Schema.Record({ key: Schema.String, value: SuggestionStats }),
  sessions: UserSessionStats,
  /** What is held: time buckets and their approximate size in bytes. */
  storage: Schema.Struct({ buckets: Schema.Number, approximateBytes: Schema.Number }),
  /** Which areas are recorded: a switched-off one shows `false` here and zeros above. */
  tracking: UsageTracking
}).annotations({ identifier: "UsageSummary" })
export type UsageSummary = typeof UsageSummary.Type
