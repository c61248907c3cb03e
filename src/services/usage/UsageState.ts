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
import { DistinctCounter, type DistinctCounterOptions } from "../../internal/DistinctCounter.js"
import { QuantileSketch, type QuantileSketchOptions } from "../../internal/QuantileSketch.js"
import type {
  ConversationEnd,
  ConversationMetrics,
  ConversationOutcome,
  FeatureStats,
  MessageRole,
  ProviderRequest,
  ProviderStats,
  SuggestionOutcome,
  SuggestionStats,
  UsageSummary,
  UserSessionStats
} from "../../schemas/UsageEvents.js"

/** The shape and bounds of the aggregates. */
export interface UsageLimits {
  readonly bucketMillis: number
  readonly retentionMillis: number
  readonly activeWindowMillis: number
  readonly conversationTimeoutMillis: number
  readonly suggestionTimeoutMillis: number
  readonly sessionTimeoutMillis: number
  readonly counter: DistinctCounterOptions
  readonly sketch: QuantileSketchOptions
  /** Features per bucket; further features are counted under `otherKey`. */
  readonly maxFeatures: number
  /** Provider/model pairs per bucket; further pairs are counted under `otherKey`. */
  readonly maxProviders: number
  /** Suggestion kinds per bucket; further kinds are counted under `otherKey`. */
  readonly maxSuggestionKinds: number
  readonly maxOpenConversations: number
  readonly maxPendingSuggestions: number
  readonly maxOpenSessions: number
}

/** Where names past a `max…` bound are counted. */
export const otherKey = "(other)"

/** Distinct actions (or error types) kept per feature (or provider) per bucket; the rest go to `otherKey`. */
const maxLabels = 32

const entryOverheadBytes = 64

interface FeatureBucket {
  readonly users: DistinctCounter
  uses: number
  readonly actions: Map<string, number>
  lastUsedAt: number
}

interface ProviderBucket {
  readonly provider: string
  readonly model: string
  requests: number
  successes: number
  failures: number
  totalMs: number
  promptTokens: number
  completionTokens: number
  readonly responseTime: QuantileSketch
  readonly errorsByType: Map<string, number>
}

interface SuggestionBucket {
  shown: number
  accepted: number
  dismissed: number
  ignored: number
  readonly timeToInteract: QuantileSketch
}

class Bucket {
  readonly users: DistinctCounter
  readonly features = new Map<string, FeatureBucket>()
  readonly conversations = {
    started: 0,
    completed: 0,
    abandoned: 0,
    endedMessages: 0,
    durationMs: 0,
    messages: 0,
    messageChars: 0,
    byRole: new Map<string, number>()
  }
  readonly providers = new Map<string, ProviderBucket>()
  readonly suggestions = new Map<string, SuggestionBucket>()
  readonly sessions: { started: number; ended: number; expired: number; durationMs: number; users: DistinctCounter }

  constructor(readonly index: number, private readonly limits: UsageLimits) {
    this.users = new DistinctCounter(limits.counter)
    this.sessions = { started: 0, ended: 0, expired: 0, durationMs: 0, users: new DistinctCounter(limits.counter) }
  }

  feature(name: string): FeatureBucket {
    const key = this.features.has(name) || this.features.size < this.limits.maxFeatures ? name : otherKey
    let found = this.features.get(key)
    if (found === undefined) {
      found = { users: new DistinctCounter(this.limits.counter), uses: 0, actions: new Map(), lastUsedAt: 0 }
      this.features.set(key, found)
    }
    return found
  }

  provider(provider: string, model: string): ProviderBucket {
    const wanted = `${provider}\u0000${model}`
    const key = this.providers.has(wanted) || this.providers.size < this.limits.maxProviders ? wanted : otherKey
    let found = this.providers.get(key)
    if (found === undefined) {
      found = {
        provider: key === otherKey ? otherKey : provider,
        model: key === otherKey ? otherKey : model,
        requests: 0,
        successes: 0,
        failures: 0,
        totalMs: 0,
        promptTokens: 0,
        completionTokens: 0,
        responseTime: new QuantileSketch(this.limits.sketch),
        errorsByType: new Map()
      }
      this.providers.set(key, found)
    }
    return found
  }

  suggestion(kind: string): SuggestionBucket {
    const key = this.suggestions.has(kind) || this.suggestions.size < this.limits.maxSuggestionKinds ? kind : otherKey
    let found = this.suggestions.get(key)
    if (found === undefined) {
      found = { shown: 0, accepted: 0, dismissed: 0, ignored: 0, timeToInteract: new QuantileSketch(this.limits.sketch) }
      this.suggestions.set(key, found)
    }
    return found
  }

  get byteSize(): number {
    let bytes = this.users.byteSize + this.sessions.users.byteSize + 512
    for (const f of this.features.values()) bytes += f.users.byteSize + entryOverheadBytes * (2 + f.actions.size)
    for (const p of this.providers.values()) {
      bytes += p.responseTime.byteSize + entryOverheadBytes * (2 + p.errorsByType.size)
    }
    for (const s of this.suggestions.values()) bytes += s.timeToInteract.byteSize + entryOverheadBytes * 2
    return bytes
  }
}

const increment = (map: Map<string, number>, key: string, by = 1): void => {
  const k = map.has(key) || map.size < maxLabels ? key : otherKey
  map.set(k, (map.get(k) ?? 0) + by)
}

const addInto = (target: Record<string, number>, source: ReadonlyMap<string, number>): void => {
  for (const [key, value] of source) target[key] = (target[key] ?? 0) + value
}

const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0)

interface OpenConversation {
  readonly startedAt: number
  lastActivityAt: number
  messages: number
}

interface PendingSuggestion {
  readonly kind: string
  readonly shownAt: number
  readonly bucket: number
}

interface OpenSession {
  readonly userId: string
  readonly startedAt: number
}

/** A suggestion answered or ignored: what the event reports. */
export interface SuggestionResolution {
  readonly suggestionId: string
  readonly kind: string
  readonly outcome: SuggestionOutcome
  readonly timeToInteractMs: number
}

/** A session ended or expired: what the event reports. */
export interface SessionEnd {
  readonly sessionId: string
  readonly userId: string
  readonly durationMs: number
  readonly expired: boolean
}

export class UsageState {
  private readonly buckets = new Map<number, Bucket>()
  private readonly conversations = new Map<string, OpenConversation>()
  private readonly pending = new Map<string, PendingSuggestion>()
  private readonly sessions = new Map<string, OpenSession>()

  constructor(private readonly limits: UsageLimits) {}

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

  private union(counters: Iterable<DistinctCounter>): DistinctCounter {
    const total = new DistinctCounter(this.limits.counter)
    for (const c of counters) total.merge(c)
    return total
  }

  private allUsers(now: number, window?: number): DistinctCounter {
    return this.union(this.retained(now, window).map((b) => b.users))
  }

  /** Stats of every feature seen within retention, most used first. */
  features(now: number): Array<FeatureStats> {
    const buckets = this.retained(now)
    const everyone = this.allUsers(now).estimate()
    const names = new Set<string>()
    for (const b of buckets) for (const name of b.features.keys()) names.add(name)
    return [...names].map((name) => this.featureOver(buckets, name, now, everyone))
      .sort((a, b) => b.uses - a.uses || a.feature.localeCompare(b.feature))
  }

  /** Stats of one feature (zeros when it was not used within retention). */
  feature(name: string, now: number): FeatureStats {
    return this.featureOver(this.retained(now), name, now, this.allUsers(now).estimate())
  }

  private featureOver(buckets: ReadonlyArray<Bucket>, name: string, now: number, everyone: number): FeatureStats {
    const windowFrom = this.indexOf(now - this.limits.activeWindowMillis)
    const total = new DistinctCounter(this.limits.counter)
    const active = new DistinctCounter(this.limits.counter)
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

  // --- conversations ------------------------------------------------------------------------------

  isOpenConversation(id: string): boolean {
    return this.conversations.has(id)
  }

  startConversation(id: string, now: number): Array<ConversationEnd> {
    const evicted: Array<ConversationEnd> = []
    while (this.conversations.size >= this.limits.maxOpenConversations) {
      const oldest = this.conversations.keys().next()
      if (oldest.done === true) break
      evicted.push(this.endConversation(oldest.value, "abandoned", now, true)!)
    }
    this.conversations.set(id, { startedAt: now, lastActivityAt: now, messages: 0 })
    this.bucket(now).conversations.started++
    return evicted
  }

  /** Records a message; `false` when the conversation is not open. */
  addMessage(id: string, role: MessageRole, length: number, now: number): boolean {
    const open = this.conversations.get(id)
    if (open === undefined) return false
    open.messages++
    open.lastActivityAt = now
    // Re-inserting keeps the map ordered by last activity, so idle ones are found at its front.
    this.conversations.delete(id)
    this.conversations.set(id, open)
    const c = this.bucket(now).conversations
    c.messages++
    c.messageChars += length
    increment(c.byRole, role)
    return true
  }

  endConversation(id: string, outcome: ConversationOutcome, now: number, timedOut = false): ConversationEnd | undefined {
    const open = this.conversations.get(id)
    if (open === undefined) return undefined
    this.conversations.delete(id)
    const c = this.bucket(now).conversations
    if (outcome === "completed") c.completed++
    else c.abandoned++
    c.endedMessages += open.messages
    const durationMs = Math.max(0, (timedOut ? open.lastActivityAt : now) - open.startedAt)
    c.durationMs += durationMs
    const end: ConversationEnd = { conversationId: id, outcome, messages: open.messages, durationMs }
    return timedOut ? { ...end, timedOut } : end
  }

  /** Abandons conversations idle for `conversationTimeout`. */
  expireConversations(now: number): Array<ConversationEnd> {
    const ended: Array<ConversationEnd> = []
    for (const [id, open] of this.conversations) {
      if (open.lastActivityAt + this.limits.conversationTimeoutMillis > now) break
      ended.push(this.endConversation(id, "abandoned", now, true)!)
    }
    return ended
  }

  conversationMetrics(now: number): ConversationMetrics {
    let started = 0, completed = 0, abandoned = 0, endedMessages = 0, durationMs = 0, messages = 0, chars = 0
    const messagesByRole: Record<string, number> = {}
    for (const b of this.retained(now)) {
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
      open: this.conversations.size,
      completionRate: ratio(completed, ended),
      averageLength: ratio(endedMessages, ended),
      averageMessageLength: ratio(chars, messages),
      averageDurationMs: ratio(durationMs, ended),
      messagesByRole
    }
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
    const merged = new Map<string, ProviderBucket>()
    for (const b of this.retained(now)) {
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
    return [...merged.values()].map((p) => {
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
  }

  // --- suggestions --------------------------------------------------------------------------------

  isPendingSuggestion(id: string): boolean {
    return this.pending.has(id)
  }

  /** Records a suggestion shown; returns the oldest pending ones it pushed out (counted as ignored). */
  showSuggestion(id: string, kind: string, now: number): Array<SuggestionResolution> {
    const evicted: Array<SuggestionResolution> = []
    while (this.pending.size >= this.limits.maxPendingSuggestions) {
      const oldest = this.pending.keys().next()
      if (oldest.done === true) break
      evicted.push(this.resolveSuggestion(oldest.value, "ignored", now)!)
    }
    const bucket = this.bucket(now)
    bucket.suggestion(kind).shown++
    this.pending.set(id, { kind, shownAt: now, bucket: bucket.index })
    return evicted
  }

  /**
   * Settles a pending suggestion, counting it in the bucket it was shown in — unless retention dropped
   * that bucket. (A bucket emptied by `clear` is made again: answers after a clear count.)
   */
  resolveSuggestion(id: string, outcome: SuggestionOutcome, now: number): SuggestionResolution | undefined {
    const pending = this.pending.get(id)
    if (pending === undefined) return undefined
    this.pending.delete(id)
    const timeToInteractMs = Math.max(0, now - pending.shownAt)
    const bucket = this.buckets.get(pending.bucket) ??
      (pending.bucket >= this.firstRetained(now) ? this.bucket(pending.shownAt) : undefined)
    if (bucket !== undefined) {
      const s = bucket.suggestion(pending.kind)
      s[outcome]++
      if (outcome !== "ignored") s.timeToInteract.add(timeToInteractMs)
    }
    return { suggestionId: id, kind: pending.kind, outcome, timeToInteractMs }
  }

  /** Marks suggestions pending for `suggestionTimeout` as ignored. */
  expireSuggestions(now: number): Array<SuggestionResolution> {
    const ignored: Array<SuggestionResolution> = []
    for (const [id, pending] of this.pending) {
      if (pending.shownAt + this.limits.suggestionTimeoutMillis > now) break
      ignored.push(this.resolveSuggestion(id, "ignored", now)!)
    }
    return ignored
  }

  suggestionStats(now: number): { readonly all: SuggestionStats; readonly byKind: Record<string, SuggestionStats> } {
    const merged = new Map<string, SuggestionBucket>()
    const all: SuggestionBucket = {
      shown: 0,
      accepted: 0,
      dismissed: 0,
      ignored: 0,
      timeToInteract: new QuantileSketch(this.limits.sketch)
    }
    for (const b of this.retained(now)) {
      for (const [kind, s] of b.suggestions) {
        let into = merged.get(kind)
        if (into === undefined) {
          into = { shown: 0, accepted: 0, dismissed: 0, ignored: 0, timeToInteract: new QuantileSketch(this.limits.sketch) }
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
    for (const p of this.pending.values()) increment(pendingByKind, p.kind)
    const stats = (s: SuggestionBucket, pending: number): SuggestionStats => {
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
    const byKind: Record<string, SuggestionStats> = {}
    for (const [kind, s] of merged) byKind[kind] = stats(s, pendingByKind.get(kind) ?? 0)
    return { all: stats(all, this.pending.size), byKind }
  }

  // --- user sessions ------------------------------------------------------------------------------

  isOpenSession(id: string): boolean {
    return this.sessions.has(id)
  }

  startSession(id: string, userId: string, now: number): Array<SessionEnd> {
    const evicted: Array<SessionEnd> = []
    while (this.sessions.size >= this.limits.maxOpenSessions) {
      const oldest = this.sessions.keys().next()
      if (oldest.done === true) break
      evicted.push(this.endSession(oldest.value, now, true)!)
    }
    this.sessions.set(id, { userId, startedAt: now })
    const bucket = this.bucket(now)
    bucket.sessions.started++
    bucket.sessions.users.add(userId)
    bucket.users.add(userId)
    return evicted
  }

  endSession(id: string, now: number, expired = false): SessionEnd | undefined {
    const open = this.sessions.get(id)
    if (open === undefined) return undefined
    this.sessions.delete(id)
    const durationMs = Math.max(0, now - open.startedAt)
    const s = this.bucket(now).sessions
    if (expired) s.expired++
    else {
      s.ended++
      s.durationMs += durationMs
    }
    return { sessionId: id, userId: open.userId, durationMs, expired }
  }

  /** Closes sessions open for `sessionTimeout`. */
  expireSessions(now: number): Array<SessionEnd> {
    const expired: Array<SessionEnd> = []
    for (const [id, open] of this.sessions) {
      if (open.startedAt + this.limits.sessionTimeoutMillis > now) break
      expired.push(this.endSession(id, now, true)!)
    }
    return expired
  }

  sessionStats(now: number): UserSessionStats {
    let started = 0, ended = 0, expired = 0, durationMs = 0
    const users = new DistinctCounter(this.limits.counter)
    for (const b of this.retained(now)) {
      started += b.sessions.started
      ended += b.sessions.ended
      expired += b.sessions.expired
      durationMs += b.sessions.durationMs
      users.merge(b.sessions.users)
    }
    return {
      started,
      ended,
      expired,
      active: this.sessions.size,
      averageDurationMs: ratio(durationMs, ended),
      users: Math.round(users.estimate())
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
    this.conversations.clear()
    this.pending.clear()
    this.sessions.clear()
  }

  // --- summary ------------------------------------------------------------------------------------

  summary(now: number): Omit<UsageSummary, "tracking"> {
    const suggestions = this.suggestionStats(now)
    let bytes = 0
    for (const b of this.buckets.values()) bytes += b.byteSize
    bytes += (this.conversations.size + this.pending.size + this.sessions.size) * 2 * entryOverheadBytes
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
