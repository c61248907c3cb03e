/**
 * What `UsageAnalytics` holds open between calls — conversations, pending suggestions, user sessions —
 * each a bounded map in the order its timeout reads it (oldest or least recently active first), counted
 * into the time buckets as it opens and ends.
 *
 * Mutable and synchronous, like `UsageState` that owns them (see there why).
 */
import type { ConversationEnd, ConversationOutcome, MessageRole, SuggestionOutcome } from "../../schemas/UsageEvents.js"
import { type Bucket, increment, type UsageLimits } from "./Bucket.js"

/** Where open items count what they do: the bucket of a time, and the bucket a suggestion was shown in. */
export interface BucketSource {
  /** The bucket holding time `now`, made when missing. */
  readonly at: (now: number) => Bucket
  /** The bucket of index `index` (shown at `shownAt`), made again when emptied by `clear`; none once past retention. */
  readonly shownIn: (index: number, shownAt: number, now: number) => Bucket | undefined
}

export interface OpenConversation {
  readonly startedAt: number
  lastActivityAt: number
  messages: number
}

export interface PendingSuggestion {
  readonly kind: string
  readonly shownAt: number
  readonly bucket: number
}

export interface OpenSession {
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

/** Conversations open now, least recently active first. */
export class OpenConversations {
  readonly open = new Map<string, OpenConversation>()

  constructor(private readonly buckets: BucketSource, private readonly limits: UsageLimits) {}

  has(id: string): boolean {
    return this.open.has(id)
  }

  start(id: string, now: number): Array<ConversationEnd> {
    const evicted: Array<ConversationEnd> = []
    while (this.open.size >= this.limits.maxOpenConversations) {
      const oldest = this.open.keys().next()
      if (oldest.done === true) break
      evicted.push(this.end(oldest.value, "abandoned", now, true)!)
    }
    this.open.set(id, { startedAt: now, lastActivityAt: now, messages: 0 })
    this.buckets.at(now).conversations.started++
    return evicted
  }

  /** Records a message; `false` when the conversation is not open. */
  addMessage(id: string, role: MessageRole, length: number, now: number): boolean {
    const open = this.open.get(id)
    if (open === undefined) return false
    open.messages++
    open.lastActivityAt = now
    // Re-inserting keeps the map ordered by last activity, so idle ones are found at its front.
    this.open.delete(id)
    this.open.set(id, open)
    const c = this.buckets.at(now).conversations
    c.messages++
    c.messageChars += length
    increment(c.byRole, role)
    return true
  }

  end(id: string, outcome: ConversationOutcome, now: number, timedOut = false): ConversationEnd | undefined {
    const open = this.open.get(id)
    if (open === undefined) return undefined
    this.open.delete(id)
    const c = this.buckets.at(now).conversations
    if (outcome === "completed") c.completed++
    else c.abandoned++
    c.endedMessages += open.messages
    const durationMs = Math.max(0, (timedOut ? open.lastActivityAt : now) - open.startedAt)
    c.durationMs += durationMs
    const end: ConversationEnd = { conversationId: id, outcome, messages: open.messages, durationMs }
    return timedOut ? { ...end, timedOut } : end
  }

  /** Abandons conversations idle for `conversationTimeout`. */
  expire(now: number): Array<ConversationEnd> {
    const ended: Array<ConversationEnd> = []
    for (const [id, open] of this.open) {
      if (open.lastActivityAt + this.limits.conversationTimeoutMillis > now) break
      ended.push(this.end(id, "abandoned", now, true)!)
    }
    return ended
  }
}

/** Suggestions shown and not yet answered, oldest first. */
export class PendingSuggestions {
  readonly open = new Map<string, PendingSuggestion>()

  constructor(private readonly buckets: BucketSource, private readonly limits: UsageLimits) {}

  has(id: string): boolean {
    return this.open.has(id)
  }

  /** Records a suggestion shown; returns the oldest pending ones it pushed out (counted as ignored). */
  show(id: string, kind: string, now: number): Array<SuggestionResolution> {
    const evicted: Array<SuggestionResolution> = []
    while (this.open.size >= this.limits.maxPendingSuggestions) {
      const oldest = this.open.keys().next()
      if (oldest.done === true) break
      evicted.push(this.resolve(oldest.value, "ignored", now)!)
    }
    const bucket = this.buckets.at(now)
    bucket.suggestion(kind).shown++
    this.open.set(id, { kind, shownAt: now, bucket: bucket.index })
    return evicted
  }

  /**
   * Settles a pending suggestion, counting it in the bucket it was shown in — unless retention dropped
   * that bucket. (A bucket emptied by `clear` is made again: answers after a clear count.)
   */
  resolve(id: string, outcome: SuggestionOutcome, now: number): SuggestionResolution | undefined {
    const pending = this.open.get(id)
    if (pending === undefined) return undefined
    this.open.delete(id)
    const timeToInteractMs = Math.max(0, now - pending.shownAt)
    const bucket = this.buckets.shownIn(pending.bucket, pending.shownAt, now)
    if (bucket !== undefined) {
      const s = bucket.suggestion(pending.kind)
      s[outcome]++
      if (outcome !== "ignored") s.timeToInteract.add(timeToInteractMs)
    }
    return { suggestionId: id, kind: pending.kind, outcome, timeToInteractMs }
  }

  /** Marks suggestions pending for `suggestionTimeout` as ignored. */
  expire(now: number): Array<SuggestionResolution> {
    const ignored: Array<SuggestionResolution> = []
    for (const [id, pending] of this.open) {
      if (pending.shownAt + this.limits.suggestionTimeoutMillis > now) break
      ignored.push(this.resolve(id, "ignored", now)!)
    }
    return ignored
  }
}

/** User sessions open now, oldest first. */
export class OpenSessions {
  readonly open = new Map<string, OpenSession>()

  constructor(private readonly buckets: BucketSource, private readonly limits: UsageLimits) {}

  has(id: string): boolean {
    return this.open.has(id)
  }

  start(id: string, userId: string, now: number): Array<SessionEnd> {
    const evicted: Array<SessionEnd> = []
    while (this.open.size >= this.limits.maxOpenSessions) {
      const oldest = this.open.keys().next()
      if (oldest.done === true) break
      evicted.push(this.end(oldest.value, now, true)!)
    }
    this.open.set(id, { userId, startedAt: now })
    const bucket = this.buckets.at(now)
    bucket.sessions.started++
    bucket.sessions.users.add(userId)
    bucket.users.add(userId)
    return evicted
  }

  end(id: string, now: number, expired = false): SessionEnd | undefined {
    const open = this.open.get(id)
    if (open === undefined) return undefined
    this.open.delete(id)
    const durationMs = Math.max(0, now - open.startedAt)
    const s = this.buckets.at(now).sessions
    if (expired) s.expired++
    else {
      s.ended++
      s.durationMs += durationMs
    }
    return { sessionId: id, userId: open.userId, durationMs, expired }
  }

  /** Closes sessions open for `sessionTimeout`. */
  expire(now: number): Array<SessionEnd> {
    const expired: Array<SessionEnd> = []
    for (const [id, open] of this.open) {
      if (open.startedAt + this.limits.sessionTimeoutMillis > now) break
      expired.push(this.end(id, now, true)!)
    }
    return expired
  }
}
