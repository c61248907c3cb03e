/**
 * The options of `UsageAnalytics`: what a user may set, the schema that checks them and holds their
 * defaults, the one error a wrong option fails with, and the limits the aggregates are built with.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../../internal/decode.js"
import { defaultExactThreshold, defaultPrecision } from "../../internal/DistinctCounter.js"
import { PositiveFiniteDuration } from "../../internal/DurationOption.js"
import { defaultMaxBuckets, defaultRelativeAccuracy } from "../../internal/QuantileSketch.js"
import type { UsageLimits } from "./Bucket.js"

/**
 * How `UsageAnalytics` is set up; every field has a default.
 *
 * @since 0.2.0
 * @category models
 */
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

/**
 * Options a `UsageAnalytics` service was given that do not decode: `option` names the first wrong one (a
 * misspelt option is refused), `reason` says why.
 *
 * @since 0.2.0
 * @category errors
 */
export class UsageAnalyticsOptionsError extends OptionsError("UsageAnalyticsOptionsError") {}

const duration = (fallback: Duration.DurationInput) =>
  Schema.optionalWith(PositiveFiniteDuration, { default: () => Duration.decode(fallback) })

const WholeNumber = (min: number) =>
  Schema.Number.pipe(
    Schema.int({ message: () => "must be a whole number" }),
    Schema.greaterThanOrEqualTo(min, { message: () => `must be at least ${min}` })
  )

const bound = (fallback: number) => Schema.optionalWith(WholeNumber(1), { default: () => fallback })

const Options = Schema.Struct({
  activeWindow: duration("7 days"),
  retention: duration("30 days"),
  cleanupInterval: duration("1 hour"),
  bucketDuration: duration("1 day"),
  conversationTimeout: duration("30 minutes"),
  suggestionTimeout: duration("1 minute"),
  sessionTimeout: duration("12 hours"),
  precision: Schema.optionalWith(WholeNumber(4).pipe(Schema.lessThanOrEqualTo(16, { message: () => "must be at most 16" })), { default: () => defaultPrecision }),
  // Its default depends on `precision`, so it is settled after decoding.
  exactThreshold: Schema.optionalWith(WholeNumber(0), { exact: true }),
  maxFeatures: bound(100),
  maxProviders: bound(50),
  maxSuggestionKinds: bound(50),
  maxOpenConversations: bound(10_000),
  maxPendingSuggestions: bound(10_000),
  maxOpenSessions: bound(10_000),
  trackSuggestions: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

const decode = decodeOptions(Options, (fields) => new UsageAnalyticsOptionsError(fields))

/** What the service is built with: the retention schedule, the switch, and the aggregates' limits. */
export interface UsageSettings {
  readonly cleanupInterval: Duration.Duration
  readonly trackSuggestions: boolean
  readonly limits: UsageLimits
}

/** Decodes the options, failing with a `UsageAnalyticsOptionsError` for the first wrong one. */
export const decodeUsageOptions = (
  options: UsageAnalyticsOptions | undefined
): Effect.Effect<UsageSettings, UsageAnalyticsOptionsError> =>
  Effect.map(decode(options), (o) => ({
    cleanupInterval: o.cleanupInterval,
    trackSuggestions: o.trackSuggestions,
    limits: {
      bucketMillis: Duration.toMillis(o.bucketDuration),
      retentionMillis: Duration.toMillis(o.retention),
      activeWindowMillis: Duration.toMillis(o.activeWindow),
      conversationTimeoutMillis: Duration.toMillis(o.conversationTimeout),
      suggestionTimeoutMillis: Duration.toMillis(o.suggestionTimeout),
      sessionTimeoutMillis: Duration.toMillis(o.sessionTimeout),
      counter: { precision: o.precision, exactThreshold: o.exactThreshold ?? defaultExactThreshold(o.precision) },
      sketch: { relativeAccuracy: defaultRelativeAccuracy, maxBuckets: defaultMaxBuckets },
      maxFeatures: o.maxFeatures,
      maxProviders: o.maxProviders,
      maxSuggestionKinds: o.maxSuggestionKinds,
      maxOpenConversations: o.maxOpenConversations,
      maxPendingSuggestions: o.maxPendingSuggestions,
      maxOpenSessions: o.maxOpenSessions
    }
  }))
