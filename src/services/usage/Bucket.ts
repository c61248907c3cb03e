/**
 * One time bucket of `UsageAnalytics`' aggregates — features, all users, conversations, providers,
 * suggestions and sessions of one `bucketDuration` — and the bounds every bucket keeps.
 *
 * Mutable and synchronous, like `UsageState` that owns the buckets (see there why).
 */
import { DistinctCounter, type DistinctCounterOptions } from "../../internal/DistinctCounter.js"
import { QuantileSketch, type QuantileSketchOptions } from "../../internal/QuantileSketch.js"

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

/** Bytes a map entry costs beside its value, for `approximateBytes`. */
export const entryOverheadBytes = 64

export interface FeatureBucket {
  readonly users: DistinctCounter
  uses: number
  readonly actions: Map<string, number>
  lastUsedAt: number
}

export interface ProviderBucket {
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

export interface SuggestionBucket {
  shown: number
  accepted: number
  dismissed: number
  ignored: number
  readonly timeToInteract: QuantileSketch
}

const emptyFeature = (limits: UsageLimits): FeatureBucket => ({
  users: new DistinctCounter(limits.counter),
  uses: 0,
  actions: new Map(),
  lastUsedAt: 0
})

/** A suggestion bucket counting nothing yet. */
export const emptySuggestions = (limits: { readonly sketch: QuantileSketchOptions }): SuggestionBucket => ({
  shown: 0,
  accepted: 0,
  dismissed: 0,
  ignored: 0,
  timeToInteract: new QuantileSketch(limits.sketch)
})

/**
 * The entry for a `key` not held yet: a new one of its own, or once `max` keys are held the one under
 * `otherKey` (made when missing). Callers look the key up first, so a hit reads nothing else.
 */
const entryFor = <A>(
  map: Map<string, A>,
  key: string,
  max: number,
  limits: UsageLimits,
  make: (limits: UsageLimits, key: string) => A
): A => {
  const held = map.size < max ? key : otherKey
  let found = map.get(held)
  if (found === undefined) map.set(held, found = make(limits, held))
  return found
}

/** The aggregates of one time bucket. */
export class Bucket {
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
    return this.features.get(name) ??
      entryFor(this.features, name, this.limits.maxFeatures, this.limits, emptyFeature)
  }

  provider(provider: string, model: string): ProviderBucket {
    const key = `${provider}\u0000${model}`
    return this.providers.get(key) ??
      entryFor(this.providers, key, this.limits.maxProviders, this.limits, (limits, held) => ({
        provider: held === otherKey ? otherKey : provider,
        model: held === otherKey ? otherKey : model,
        requests: 0,
        successes: 0,
        failures: 0,
        totalMs: 0,
        promptTokens: 0,
        completionTokens: 0,
        responseTime: new QuantileSketch(limits.sketch),
        errorsByType: new Map()
      }))
  }

  suggestion(kind: string): SuggestionBucket {
    return this.suggestions.get(kind) ??
      entryFor(this.suggestions, kind, this.limits.maxSuggestionKinds, this.limits, emptySuggestions)
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

/** Counts `by` under `key`, or under `otherKey` once `maxLabels` keys are held. */
export const increment = (map: Map<string, number>, key: string, by = 1): void => {
  const held = map.get(key)
  if (held !== undefined) map.set(key, held + by)
  else if (map.size < maxLabels) map.set(key, by)
  else map.set(otherKey, (map.get(otherKey) ?? 0) + by)
}

/** Adds the counts of `source` into `target`. */
export const addInto = (target: Record<string, number>, source: ReadonlyMap<string, number>): void => {
  for (const [key, value] of source) target[key] = (target[key] ?? 0) + value
}

/** `part / whole`, 0 when `whole` is 0. */
export const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0)
