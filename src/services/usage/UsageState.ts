/**
 * The aggregates `UsageAnalytics` keeps, in time buckets (a day by default) so that retention can
 * drop whole buckets and the active window can pick the recent ones.
 *
 * Distinct users are `DistinctCounter`s (exact, then HyperLogLog) and response times `QuantileSketch`es,
 * both merged across buckets when read, so memory depends on the number of buckets, features and
 * providers, never on the number of users or requests. Open conversations, pending suggestions and open
 * sessions are bounded maps, expired by their timeouts.
 *
 * One small mutable structure touched only from the service's effects, each access synchronous (so
 * atomic on the single JavaScript thread): counters and sketches are mutable arrays, and copying them
 * into a `Ref` on every `trackFeature` would cost kilobytes per call.
 */
import { DistinctCounter } from "../../internal/DistinctCounter.js"
import type {
  ConversationEnd,
  ConversationMetrics,
  FeatureStats,
  ProviderRequest,
  ProviderStats,
  SuggestionStats,
  UsageSummary,
  UserSessionStats
} from "../../schemas/UsageEvents.js"
import { Bucket, entryOverheadBytes, increment, type UsageLimits } from "./Bucket.js"
import {
  type BucketSource,
  OpenConversations,
  OpenSessions,
  PendingSuggestions,
  type SessionEnd,
  type SuggestionResolution
} from "./OpenItems.js"
import {
  conversationMetricsOf,
  featureStatsOf,
  providerStatsOf,
  sessionStatsOf,
  suggestionStatsOf,
  unionOf
} from "./reports.js"

export { otherKey, type UsageLimits } from "./Bucket.js"
export type { SessionEnd, SuggestionResolution } from "./OpenItems.js"

/** What timed out in one pass, each as its event reports it. */
export interface Expired {
  readonly conversations: ReadonlyArray<ConversationEnd>
  readonly suggestions: ReadonlyArray<SuggestionResolution>
  readonly sessions: ReadonlyArray<SessionEnd>
}

/** Every aggregate and open item of one `UsageAnalytics` service. */
export class UsageState {
  private readonly buckets = new Map<number, Bucket>()
  private readonly source: BucketSource = {
    at: (now) => this.bucket(now),
    // A bucket emptied by `clear` is made again (answers after a clear count); one past retention is not.
    shownIn: (index, shownAt, now) =>
      this.buckets.get(index) ?? (index >= this.firstRetained(now) ? this.bucket(shownAt) : undefined)
  }
  /** Conversations open now. */
  readonly conversations: OpenConversations
  /** Suggestions shown and not answered yet. */
  readonly suggestions: PendingSuggestions
  /** User sessions open now. */
  readonly sessions: OpenSessions

  constructor(private readonly limits: UsageLimits) {
    this.conversations = new OpenConversations(this.source, limits)
    this.suggestions = new PendingSuggestions(this.source, limits)
    this.sessions = new OpenSessions(this.source, limits)
  }

  private indexOf(at: number): number {
    return Math.floor(at / this.limits.bucketMillis)
  }

  private bucket(at: number): Bucket {
    const index = this.indexOf(at)
    let bucket = this.buckets.get(index)
    if (bucket === undefined) {
      bucket = new Bucket(index, this.limits)
      this.buckets.set(index, bucket)
    }
    return bucket
  }

  /** The first bucket kept at `now`: every bucket from it on began less than `retention` ago. */
  private firstRetained(now: number): number {
    return Math.ceil((now - this.limits.retentionMillis) / this.limits.bucketMillis)
  }

  /** Buckets within retention, oldest first; with `window`, only those overlapping the last `window` ms. */
  private retained(now: number, window?: number): Array<Bucket> {
    let from = this.firstRetained(now)
    if (window !== undefined) from = Math.max(from, this.indexOf(now - window))
    const out: Array<Bucket> = []
    for (const bucket of this.buckets.values()) if (bucket.index >= from) out.push(bucket)
    return out.sort((a, b) => a.index - b.index)
  }

  /** Drops buckets past retention; returns how many. */
  dropExpired(now: number): number {
    const from = this.firstRetained(now)
    let dropped = 0
    for (const index of [...this.buckets.keys()]) {
      if (index < from) {
        this.buckets.delete(index)
        dropped++
      }
    }
    return dropped
  }

  // --- users and features -------------------------------------------------------------------------

  seeUser(userId: string | undefined, now: number): void {
    if (userId !== undefined) this.bucket(now).users.add(userId)
  }

  useFeature(feature: string, action: string, userId: string | undefined, now: number): void {
    const bucket = this.bucket(now)
    const f = bucket.feature(feature)
    f.uses++
    f.lastUsedAt = now
    increment(f.actions, action)
    if (userId !== undefined) {
      f.users.add(userId)
      bucket.users.add(userId)
    }
  }

  private allUsers(now: number, window?: number): DistinctCounter {
    return unionOf(this.limits.counter, this.retained(now, window).map((b) => b.users))
  }

  /** Stats of every feature seen within retention, most used first. */
  features(now: number): Array<FeatureStats> {
    const buckets = this.retained(now)
    const reading = this.featureReading(now)
    const names = new Set<string>()
    for (const b of buckets) for (const name of b.features.keys()) names.add(name)
    return [...names].map((name) => featureStatsOf(buckets, name, reading))
      .sort((a, b) => b.uses - a.uses || a.feature.localeCompare(b.feature))
  }

  /** Stats of one feature (zeros when it was not used within retention). */
  feature(name: string, now: number): FeatureStats {
    return featureStatsOf(this.retained(now), name, this.featureReading(now))
  }

  private featureReading(now: number) {
    return {
      counter: this.limits.counter,
      windowFrom: this.indexOf(now - this.limits.activeWindowMillis),
      everyone: this.allUsers(now).estimate()
    }
  }

  // --- conversations ------------------------------------------------------------------------------

  conversationMetrics(now: number): ConversationMetrics {
    return conversationMetricsOf(this.retained(now), this.conversations.open.size)
  }

  // --- providers ----------------------------------------------------------------------------------

  recordProviderRequest(request: ProviderRequest, now: number): void {
    const p = this.bucket(now).provider(request.provider, request.model)
    p.requests++
    if (request.success) p.successes++
    else {
      p.failures++
      increment(p.errorsByType, request.errorType ?? "unknown")
    }
    p.totalMs += request.durationMs
    p.responseTime.add(request.durationMs)
    p.promptTokens += request.promptTokens ?? 0
    p.completionTokens += request.completionTokens ?? 0
  }

  providers(now: number): Array<ProviderStats> {
    return providerStatsOf(this.retained(now))
  }

  // --- suggestions --------------------------------------------------------------------------------

  suggestionStats(now: number): { readonly all: SuggestionStats; readonly byKind: Record<string, SuggestionStats> } {
    const pendingKinds = Array.from(this.suggestions.open.values(), (p) => p.kind)
    return suggestionStatsOf(this.retained(now), pendingKinds, this.limits.sketch)
  }

  // --- user sessions ------------------------------------------------------------------------------

  sessionStats(now: number): UserSessionStats {
    return sessionStatsOf(this.retained(now), this.sessions.open.size, this.limits.counter)
  }

  // --- timeouts -----------------------------------------------------------------------------------

  /** Settles, in one step, everything that timed out by `now`: idle conversations, suggestions, sessions. */
  expire(now: number): Expired {
    return {
      conversations: this.conversations.expire(now),
      suggestions: this.suggestions.expire(now),
      sessions: this.sessions.expire(now)
    }
  }

  // --- clearing -----------------------------------------------------------------------------------

  /**
   * Forgets every aggregate (all buckets: features, users, conversations, providers, suggestions,
   * sessions). Open conversations, pending suggestions and open sessions carry on: what happens to
   * them afterwards is counted, what happened before is not.
   */
  clear(): void {
    this.buckets.clear()
  }

  /** `clear`, and forgets open conversations, pending suggestions and open sessions: as newly built. */
  reset(): void {
    this.clear()
    this.conversations.open.clear()
    this.suggestions.open.clear()
    this.sessions.open.clear()
  }

  // --- summary ------------------------------------------------------------------------------------

  summary(now: number): Omit<UsageSummary, "tracking"> {
    const suggestions = this.suggestionStats(now)
    let bytes = 0
    for (const b of this.buckets.values()) bytes += b.byteSize
    bytes += (this.conversations.open.size + this.suggestions.open.size + this.sessions.open.size) * 2 * entryOverheadBytes
    return {
      totalUsers: Math.round(this.allUsers(now).estimate()),
      activeUsers: Math.round(this.allUsers(now, this.limits.activeWindowMillis).estimate()),
      features: this.features(now),
      conversations: this.conversationMetrics(now),
      providers: this.providers(now),
      suggestions: suggestions.all,
      suggestionsByKind: suggestions.byKind,
      sessions: this.sessionStats(now),
      storage: { buckets: this.buckets.size, approximateBytes: bytes }
    }
  }
}
