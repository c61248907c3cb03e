/**
 * Decides which events are kept. `error.*` and `session.*` events are kept whatever the policy, unless
 * the caller overrides that.
 */
import { Context, Data, Duration, Effect, Layer, Random } from "effect"
import { mulberry32 } from "../internal/mulberry32.js"

/** Keep every event, no event, a random share, or at most `limit` events per type per `window`. */
export type SamplingPolicy = Data.TaggedEnum<{
  Always: {}
  Never: {}
  Probabilistic: { readonly rate: number }
  Throttled: { readonly limit: number; readonly window: Duration.DurationInput }
}>

/** Constructors for `SamplingPolicy`: `SamplingPolicy.Probabilistic({ rate: 0.1 })`. */
export const SamplingPolicy = Data.taggedEnum<SamplingPolicy>()

/** A policy for all events, with policies for chosen types (`"chat.message"`) or prefixes (`"chat.*"`). */
export interface SamplerOptions {
  /** The policy for types no override names; default `Always`. */
  readonly policy: SamplingPolicy
  /** Per-type policies, exact names first, then the longest matching `prefix.*`. */
  readonly overrides?: { readonly [typeOrPrefix: string]: SamplingPolicy }
  /** Types always kept whatever the policies; default `["error.*", "session.*"]`. */
  readonly alwaysKeep?: ReadonlyArray<string>
  /** Types with their own throttle bucket; later types share one; default 1,000. */
  readonly maxThrottledTypes?: number
}

/** Decides whether an event of a given type is kept. */
export class Sampler extends Context.Tag("effect-telemetry/Sampler")<Sampler, {
  /** `true` to keep the event. */
  readonly shouldSample: (type: string) => Effect.Effect<boolean>
  /**
   * The same decision taken synchronously, for the collector's hot path, where running an effect per
   * event would cost more than deciding.
   */
  readonly unsafeShouldSample: (type: string) => boolean
}>() {}

type Decision = (type: string) => boolean

/**
 * Builds a sampler. Throttles read the `Clock` of the fiber that builds it. Probabilistic policies draw
 * from a generator seeded from Effect's `Random` at that moment: a fixed `Random` makes them repeatable.
 */
export const make = (options: SamplerOptions): Effect.Effect<Sampler["Type"]> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const seed = yield* Random.nextInt
    const maxTypes = options.maxThrottledTypes ?? 1_000
    const decide = (policy: SamplingPolicy): Decision => {
      switch (policy._tag) {
        case "Always":
          return () => true
        case "Never":
          return () => false
        case "Probabilistic": {
          const rate = policy.rate
          const next = mulberry32(seed)
          return () => next() < rate
        }
        case "Throttled": {
          const buckets = new TokenBuckets(policy.limit, Duration.toMillis(policy.window), maxTypes)
          return (type) => buckets.take(type, clock.unsafeCurrentTimeMillis())
        }
      }
    }
    const rules = new TypeRules(options, decide)
    const unsafeShouldSample = (type: string) => rules.lookup(type)(type)
    return { unsafeShouldSample, shouldSample: (type) => Effect.sync(() => unsafeShouldSample(type)) }
  })

/** A sampler as a layer. */
export const layer = (options: SamplerOptions): Layer.Layer<Sampler> => Layer.effect(Sampler, make(options))

/** Keeps every event. */
export const layerAlways: Layer.Layer<Sampler> = layer({ policy: SamplingPolicy.Always() })

/**
 * Resolves a type to its decision function once and caches it (bounded), since matching prefixes on
 * every tracked event would cost more than the decision itself.
 */
class TypeRules {
  private readonly cache = new Map<string, Decision>()
  private readonly exact = new Map<string, Decision>()
  private readonly prefixes: Array<readonly [string, Decision]> = []
  private readonly fallback: Decision

  constructor(options: SamplerOptions, decide: (policy: SamplingPolicy) => Decision) {
    const always = () => true
    const add = (pattern: string, decision: Decision) => {
      if (pattern.endsWith(".*")) this.prefixes.push([pattern.slice(0, -1), decision])
      else this.exact.set(pattern, decision)
    }
    for (const [pattern, policy] of Object.entries(options.overrides ?? {})) add(pattern, decide(policy))
    for (const pattern of options.alwaysKeep ?? ["error.*", "session.*"]) {
      if (!this.exact.has(pattern) && !this.prefixes.some(([p]) => p === pattern.slice(0, -1))) add(pattern, always)
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length)
    this.fallback = decide(options.policy)
  }

  lookup(type: string): Decision {
    const cached = this.cache.get(type)
    if (cached !== undefined) return cached
    const found = this.exact.get(type) ?? this.prefixes.find(([prefix]) => type.startsWith(prefix))?.[1] ??
      this.fallback
    if (this.cache.size < 4_096) this.cache.set(type, found)
    return found
  }
}

/**
 * One token bucket per event type: `limit` tokens refilled evenly over `window`. Memory is bounded: past
 * `maxTypes` distinct types, new types share one overflow bucket, so the limit still holds for them together.
 */
class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>()
  private readonly overflow: { tokens: number; updatedAt: number }
  private readonly perMilli: number

  constructor(private readonly limit: number, windowMillis: number, private readonly maxTypes: number) {
    this.perMilli = limit / Math.max(windowMillis, 1)
    this.overflow = { tokens: limit, updatedAt: Number.NEGATIVE_INFINITY }
  }

  take(type: string, now: number): boolean {
    let bucket = this.buckets.get(type)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxTypes) bucket = this.overflow
      else {
        bucket = { tokens: this.limit, updatedAt: now }
        this.buckets.set(type, bucket)
      }
    }
    if (now > bucket.updatedAt) {
      bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.updatedAt) * this.perMilli)
      bucket.updatedAt = now
    }
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
