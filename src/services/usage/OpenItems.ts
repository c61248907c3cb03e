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

// What each kind of item times out from; module constants, so an expiry pass allocates nothing.
const lastActivity = (c: OpenConversation) => c.lastActivityAt
const shownAt = (s: PendingSuggestion) => s.shownAt
const startedAt = (s: OpenSession) => s.startedAt

/**
 * A bounded map of open items in the order their timeout reads them; `timeOut` closes one as its timeout
 * does and says what the event reports.
 */
abstract class OpenItems<Item, Closed> {
  readonly open = new Map<string, Item>()

  constructor(protected readonly buckets: BucketSource, protected readonly limits: UsageLimits) {}

  has(id: string): boolean {
    return this.open.has(id)
  }

  protected abstract timeOut(id: string, now: number): Closed

  /** Removes the open item `id` and returns it. */
  protected take(id: string): Item | undefined {
    const item = this.open.get(id)
    if (item !== undefined) this.open.delete(id)
    return item
  }

  /** Times out the oldest items until one more fits within `max`. */
  protected makeRoom(max: number, now: number): Array<Closed> {
    const evicted: Array<Closed> = []
    while (this.open.size >= max) {
      const oldest = this.open.keys().next()
      if (oldest.done === true) break
      evicted.push(this.timeOut(oldest.value, now))
    }
    return evicted
  }

  /** Times out the items whose `since` is `timeout` or more before `now` (the map is in `since` order). */
  protected expireAfter(timeout: number, since: (item: Item) => number, now: number): Array<Closed> {
    const closed: Array<Closed> = []
    for (const [id, item] of this.open) {
      if (since(item) + timeout > now) break
      closed.push(this.timeOut(id, now))
    }
    return closed
  }
}

/** Conversations open now, least recently active first. */
export class OpenConversations extends OpenItems<OpenConversation, ConversationEnd> {
  start(id: string, now: number): Array<ConversationEnd> {
    const evicted = this.makeRoom(this.limits.maxOpenConversations, now)
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
    const open = this.take(id)
    if (open === undefined) return undefined
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
    return this.expireAfter(this.limits.conversationTimeoutMillis, lastActivity, now)
  }

  protected timeOut(id: string, now: number): ConversationEnd {
    return this.end(id, "abandoned", now, true)!
  }
}

/** Suggestions shown and not yet answered, oldest first. */
export class PendingSuggestions extends OpenItems<PendingSuggestion, SuggestionResolution> {
  /** Records a suggestion shown; returns the oldest pending ones it pushed out (counted as ignored). */
  show(id: string, kind: string, now: number): Array<SuggestionResolution> {
    const evicted = this.makeRoom(this.limits.maxPendingSuggestions, now)
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
    const pending = this.take(id)
    if (pending === undefined) return undefined
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
    return this.expireAfter(this.limits.suggestionTimeoutMillis, shownAt, now)
  }

  protected timeOut(id: string, now: number): SuggestionResolution {
    return this.resolve(id, "ignored", now)!
  }
}

/** User sessions open now, oldest first. */
export class OpenSessions extends OpenItems<OpenSession, SessionEnd> {
  start(id: string, userId: string, now: number): Array<SessionEnd> {
    const evicted = this.makeRoom(this.limits.maxOpenSessions, now)
    this.open.set(id, { userId, startedAt: now })
    const bucket = this.buckets.at(now)
    bucket.sessions.started++
    bucket.sessions.users.add(userId)
    bucket.users.add(userId)
    return evicted
  }

  end(id: string, now: number, expired = false): SessionEnd | undefined {
    const open = this.take(id)
    if (open === undefined) return undefined
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
    return this.expireAfter(this.limits.sessionTimeoutMillis, startedAt, now)
  }

  protected timeOut(id: string, now: number): SessionEnd {
    return this.end(id, now, true)!
  }
}
