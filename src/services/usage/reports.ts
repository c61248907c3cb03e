/**
 * What `UsageAnalytics` reports, read from the time buckets within retention: feature adoption,
 * conversation metrics, provider stats, suggestion stats and session stats. Counters and sketches of
 * several buckets are merged into fresh ones, so reading never changes a bucket.
 */
import { DistinctCounter, type DistinctCounterOptions } from "../../internal/DistinctCounter.js"
import type { QuantileSketchOptions } from "../../internal/QuantileSketch.js"
import type {
  ConversationMetrics,
  FeatureStats,
  ProviderStats,
  SuggestionStats,
  UserSessionStats
} from "../../schemas/UsageEvents.js"
import { addInto, type Bucket, emptySuggestions, increment, type ProviderBucket, ratio, type SuggestionBucket } from "./Bucket.js"

/** The union of distinct-user counters. */
export const unionOf = (options: DistinctCounterOptions, counters: Iterable<DistinctCounter>): DistinctCounter => {
  const total = new DistinctCounter(options)
  for (const c of counters) total.merge(c)
  return total
}

/**
 * Stats of feature `name` over `buckets`: its users active from bucket `windowFrom` on, and adoption as
 * its users over `everyone` (the distinct users seen by any record).
 */
export const featureStatsOf = (
  buckets: ReadonlyArray<Bucket>,
  name: string,
  { counter, everyone, windowFrom }: {
    readonly counter: DistinctCounterOptions
    readonly windowFrom: number
    readonly everyone: number
  }
): FeatureStats => {
  const total = new DistinctCounter(counter)
  const active = new DistinctCounter(counter)
  const actions: Record<string, number> = {}
  let uses = 0
  let lastUsedAt: number | undefined
  for (const b of buckets) {
    const f = b.features.get(name)
    if (f === undefined) continue
    total.merge(f.users)
    if (b.index >= windowFrom) active.merge(f.users)
    uses += f.uses
    lastUsedAt = Math.max(lastUsedAt ?? 0, f.lastUsedAt)
    addInto(actions, f.actions)
  }
  const totalUsers = Math.round(total.estimate())
  const stats: FeatureStats = {
    feature: name,
    uses,
    totalUsers,
    activeUsers: Math.min(Math.round(active.estimate()), totalUsers),
    adoptionRate: Math.min(1, ratio(total.estimate(), everyone)),
    approximate: !total.isExact,
    actions
  }
  return lastUsedAt === undefined ? stats : { ...stats, lastUsedAt }
}

/** Conversation metrics over `buckets`, with `open` conversations open now. */
export const conversationMetricsOf = (buckets: ReadonlyArray<Bucket>, open: number): ConversationMetrics => {
  let started = 0, completed = 0, abandoned = 0, endedMessages = 0, durationMs = 0, messages = 0, chars = 0
  const messagesByRole: Record<string, number> = {}
  for (const b of buckets) {
    const c = b.conversations
    started += c.started
    completed += c.completed
    abandoned += c.abandoned
    endedMessages += c.endedMessages
    durationMs += c.durationMs
    messages += c.messages
    chars += c.messageChars
    addInto(messagesByRole, c.byRole)
  }
  const ended = completed + abandoned
  return {
    started,
    completed,
    abandoned,
    open,
    completionRate: ratio(completed, ended),
    averageLength: ratio(endedMessages, ended),
    averageMessageLength: ratio(chars, messages),
    averageDurationMs: ratio(durationMs, ended),
    messagesByRole
  }
}

const mergeProviders = (buckets: ReadonlyArray<Bucket>): Map<string, ProviderBucket> => {
  const merged = new Map<string, ProviderBucket>()
  for (const b of buckets) {
    for (const [key, p] of b.providers) {
      const into = merged.get(key)
      if (into === undefined) {
        merged.set(key, { ...p, responseTime: p.responseTime.copy(), errorsByType: new Map(p.errorsByType) })
        continue
      }
      into.requests += p.requests
      into.successes += p.successes
      into.failures += p.failures
      into.totalMs += p.totalMs
      into.promptTokens += p.promptTokens
      into.completionTokens += p.completionTokens
      into.responseTime.merge(p.responseTime)
      for (const [type, n] of p.errorsByType) increment(into.errorsByType, type, n)
    }
  }
  return merged
}

/** Stats per provider and model over `buckets`, most requested first. */
export const providerStatsOf = (buckets: ReadonlyArray<Bucket>): Array<ProviderStats> =>
  [...mergeProviders(buckets).values()].map((p) => {
    const errorsByType: Record<string, number> = {}
    addInto(errorsByType, p.errorsByType)
    return {
      provider: p.provider,
      model: p.model,
      requests: p.requests,
      successes: p.successes,
      failures: p.failures,
      successRate: ratio(p.successes, p.requests),
      averageResponseMs: ratio(p.totalMs, p.requests),
      p95ResponseMs: p.requests > 0 ? p.responseTime.quantile(0.95) : 0,
      promptTokens: p.promptTokens,
      completionTokens: p.completionTokens,
      totalTokens: p.promptTokens + p.completionTokens,
      errorsByType
    }
  }).sort((a, b) => b.requests - a.requests)

/** The stats of suggestions never shown (or not tracked). */
export const noSuggestions: SuggestionStats = {
  shown: 0,
  accepted: 0,
  dismissed: 0,
  ignored: 0,
  pending: 0,
  acceptanceRate: 0
}

const suggestionStatsFrom = (s: SuggestionBucket, pending: number): SuggestionStats => {
  const base = {
    shown: s.shown,
    accepted: s.accepted,
    dismissed: s.dismissed,
    ignored: s.ignored,
    pending,
    acceptanceRate: ratio(s.accepted, s.accepted + s.dismissed + s.ignored)
  }
  return s.timeToInteract.count > 0 ? { ...base, medianTimeToInteractMs: s.timeToInteract.quantile(0.5) } : base
}

/** Suggestion stats over `buckets`, for all kinds and by kind, with the kinds of the suggestions pending now. */
export const suggestionStatsOf = (
  buckets: ReadonlyArray<Bucket>,
  pendingKinds: ReadonlyArray<string>,
  sketch: QuantileSketchOptions
): { readonly all: SuggestionStats; readonly byKind: Record<string, SuggestionStats> } => {
  const merged = new Map<string, SuggestionBucket>()
  const all = emptySuggestions({ sketch })
  for (const b of buckets) {
    for (const [kind, s] of b.suggestions) {
      let into = merged.get(kind)
      if (into === undefined) {
        into = emptySuggestions({ sketch })
        merged.set(kind, into)
      }
      for (const target of [into, all]) {
        target.shown += s.shown
        target.accepted += s.accepted
        target.dismissed += s.dismissed
        target.ignored += s.ignored
        target.timeToInteract.merge(s.timeToInteract)
      }
    }
  }
  const pendingByKind = new Map<string, number>()
  for (const kind of pendingKinds) increment(pendingByKind, kind)
  const byKind: Record<string, SuggestionStats> = {}
  for (const [kind, s] of merged) byKind[kind] = suggestionStatsFrom(s, pendingByKind.get(kind) ?? 0)
  return { all: suggestionStatsFrom(all, pendingKinds.length), byKind }
}

/** Session stats over `buckets`, with `active` sessions open now. */
export const sessionStatsOf = (
  buckets: ReadonlyArray<Bucket>,
  active: number,
  counter: DistinctCounterOptions
): UserSessionStats => {
  let started = 0, ended = 0, expired = 0, durationMs = 0
  const users = unionOf(counter, buckets.map((b) => b.sessions.users))
  for (const b of buckets) {
    started += b.sessions.started
    ended += b.sessions.ended
    expired += b.sessions.expired
    durationMs += b.sessions.durationMs
  }
  return { started, ended, expired, active, averageDurationMs: ratio(durationMs, ended), users: Math.round(users.estimate()) }
}
