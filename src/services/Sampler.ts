/**
 * Decides which events are kept. A sampler is one synchronous decision function; its Effect method is
 * derived from it, so the two cannot disagree. `error.*` and `session.*` events are kept whatever the
 * policy, unless the options override that.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../internal/decode.js"
import { PositiveDuration } from "../internal/DurationOption.js"
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
  readonly policy?: SamplingPolicy
  /** Per-type policies, exact names first, then the longest matching `prefix.*`. */
  readonly overrides?: { readonly [typeOrPrefix: string]: SamplingPolicy }
  /** Types always kept whatever the policies; default `["error.*", "session.*"]`. */
  readonly alwaysKeep?: ReadonlyArray<string>
  /** Types with their own throttle bucket; later types share one; default 1,000. */
  readonly maxThrottledTypes?: number
}

const Policy = Schema.Union(
  Schema.TaggedStruct("Always", {}),
  Schema.TaggedStruct("Never", {}),
  Schema.TaggedStruct("Probabilistic", { rate: Schema.Number.pipe(Schema.between(0, 1)) }),
  Schema.TaggedStruct("Throttled", { limit: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), window: PositiveDuration })
)

const Options = Schema.Struct({
  policy: Schema.optionalWith(Policy, { default: () => ({ _tag: "Always" as const }) }),
  overrides: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Policy }), { default: () => ({}) }),
  alwaysKeep: Schema.optionalWith(Schema.Array(Schema.String), { default: () => ["error.*", "session.*"] }),
  maxThrottledTypes: Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => 1_000 })
})

/** Sampler options that do not decode: a rate outside 0…1, a limit below 1, a window of zero, a misspelt option. */
export class SamplerOptionsError extends OptionsError("SamplerOptionsError") {}

const decode = decodeOptions(Options, (fields) => new SamplerOptionsError(fields))

type Decision = (type: string) => boolean

/**
 * A sampler from one synchronous decision function (`true` keeps an event of that type); the Effect
 * method is derived from it.
 */
export const fromDecision = (decide: Decision): Sampler["Type"] => ({
  unsafeShouldSample: decide,
  shouldSample: (type) => Effect.sync(() => decide(type))
})

/**
 * Builds a sampler from policies. Throttles read the `Clock` of the fiber that builds it. Probabilistic
 * policies draw from a generator seeded from Effect's `Random` at that moment: a fixed `Random` makes them
 * repeatable. Fails with `SamplerOptionsError` when an option is out of range.
 */
export const make = (options?: SamplerOptions): Effect.Effect<Sampler["Type"], SamplerOptionsError> =>
  Effect.gen(function*() {
    const o = yield* decode(options)
    const clock = yield* Effect.clock
    const seed = yield* Random.nextInt
    const decide = (policy: typeof Policy.Type): Decision => {
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
        case "Throttled":
          return tokenBuckets(policy.limit, Duration.toMillis(policy.window), o.maxThrottledTypes, () =>
            clock.unsafeCurrentTimeMillis())
      }
    }
    return fromDecision(typeRules(o, decide))
  })

/**
 * Decides whether an event of a given type is kept. `TelemetryLive` builds one from `TELEMETRY_SAMPLING`;
 * a sampler layer provided around it replaces that one.
 *
 * @since 0.2.0
 * @category tags
 */
export class Sampler extends Context.Tag("effect-telemetry/Sampler")<Sampler, {
  /** `true` to keep the event. */
  readonly shouldSample: (type: string) => Effect.Effect<boolean>
  /** The same decision taken synchronously, for the collector's hot path. */
  readonly unsafeShouldSample: (type: string) => boolean
}>() {
  /**
   * A sampler from policies (default: keep everything, and always `error.*` and `session.*`).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make
  /**
   * A sampler from one synchronous decision function, its Effect method derived from it.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly fromDecision = fromDecision
  /**
   * The sampler of `options` as a layer; fails with `SamplerOptionsError` when an option is out of range.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (options?: SamplerOptions): Layer.Layer<Sampler, SamplerOptionsError> =>
    Layer.effect(this, make(options))
  /**
   * A sampler from a decision function as a layer.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layerDecision = (decide: (type: string) => boolean): Layer.Layer<Sampler> =>
    Layer.succeed(this, fromDecision(decide))
  /**
   * Keeps every event.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly always: Layer.Layer<Sampler> = Layer.succeed(this, fromDecision(() => true))
  /**
   * Keeps no event other than `error.*` and `session.*`.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly never: Layer.Layer<Sampler> = Layer.orDie(this.layer({ policy: SamplingPolicy.Never() }))
  /**
   * Keeps a random share `rate` (0…1) of the events, and every `error.*` and `session.*` one.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly probabilistic = (rate: number): Layer.Layer<Sampler, SamplerOptionsError> =>
    this.layer({ policy: SamplingPolicy.Probabilistic({ rate }) })
  /**
   * Keeps at most `limit` events of each type per `window` (a token bucket per type), and every `error.*`
   * and `session.*` one.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly throttled = (
    limit: number,
    window: Duration.DurationInput
  ): Layer.Layer<Sampler, SamplerOptionsError> => this.layer({ policy: SamplingPolicy.Throttled({ limit, window }) })
  /**
   * The policies: `Sampler.Policy.Probabilistic({ rate: 0.1 })`, `Sampler.Policy.Throttled({ limit, window })`.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly Policy = SamplingPolicy
  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = SamplerOptionsError
}

/** @since 0.2.0 */
export declare namespace Sampler {
  /**
   * What a sampler does.
   *
   * @since 0.2.0
   * @category models
   */
  export type Service = Sampler["Type"]
  /**
   * Policies for all events and per type; every field has a default.
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = SamplerOptions
  /**
   * A sampling policy.
   *
   * @since 0.2.0
   * @category models
   */
  export type Policy = SamplingPolicy
  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = SamplerOptionsError
}

/**
 * A sampler as a layer, for options already validated (the configuration's): an out-of-range option is a defect.
 *
 * @internal
 */
export const layer = (options?: SamplerOptions): Layer.Layer<Sampler> => Layer.orDie(Sampler.layer(options))

/**
 * The decision of the policy each type resolves to: an exact override, else the longest matching prefix
 * override or `alwaysKeep` entry, else the default. A type is resolved once and cached (bounded), since
 * matching prefixes on every tracked event would cost more than the decision itself.
 */
const typeRules = (options: typeof Options.Type, decide: (policy: typeof Policy.Type) => Decision): Decision => {
  const exact = new Map<string, Decision>()
  const prefixes: Array<readonly [prefix: string, decision: Decision]> = []
  const add = (pattern: string, decision: Decision) => {
    if (pattern.endsWith(".*")) prefixes.push([pattern.slice(0, -1), decision])
    else exact.set(pattern, decision)
  }
  for (const [pattern, policy] of Object.entries(options.overrides)) add(pattern, decide(policy))
  for (const pattern of options.alwaysKeep) {
    if (!exact.has(pattern) && !prefixes.some(([p]) => p === pattern.slice(0, -1))) add(pattern, () => true)
  }
  prefixes.sort((a, b) => b[0].length - a[0].length)
  const fallback = decide(options.policy)
  const cache = new Map<string, Decision>()
  return (type) => {
    let found = cache.get(type)
    if (found === undefined) {
      found = exact.get(type) ?? prefixes.find(([prefix]) => type.startsWith(prefix))?.[1] ?? fallback
      if (cache.size < 4_096) cache.set(type, found)
    }
    return found(type)
  }
}

/**
 * One token bucket per event type: `limit` tokens refilled evenly over `windowMillis`. Memory is bounded:
 * past `maxTypes` distinct types, new types share one overflow bucket, so the limit still holds for them together.
 */
const tokenBuckets = (limit: number, windowMillis: number, maxTypes: number, now: () => number): Decision => {
  type Bucket = [tokens: number, updatedAt: number]
  const buckets = new Map<string, Bucket>()
  const overflow: Bucket = [limit, Number.NEGATIVE_INFINITY]
  const perMilli = limit / Math.max(windowMillis, 1)
  return (type) => {
    const at = now()
    let bucket = buckets.get(type)
    if (bucket === undefined) {
      if (buckets.size >= maxTypes) bucket = overflow
      else {
        bucket = [limit, at]
        buckets.set(type, bucket)
      }
    }
    if (at > bucket[1]) {
      bucket[0] = Math.min(limit, bucket[0] + (at - bucket[1]) * perMilli)
      bucket[1] = at
    }
    if (bucket[0] < 1) return false
    bucket[0] -= 1
    return true
  }
}
