import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Random, TestClock } from "effect"
import { Sampler } from "../src/index.js"
import { make, SamplingPolicy } from "../src/services/Sampler.js"

const decide = (sampler: Effect.Effect.Success<ReturnType<typeof make>>, types: ReadonlyArray<string>) =>
  Effect.forEach(types, (type) => sampler.shouldSample(type))

describe("Sampler", () => {
  it.effect("always and never", () =>
    Effect.gen(function*() {
      const always = yield* make({ policy: SamplingPolicy.Always() })
      const never = yield* make({ policy: SamplingPolicy.Never() })
      expect(yield* decide(always, ["a", "b"])).toEqual([true, true])
      expect(yield* decide(never, ["a", "b", "error.x", "session.start"])).toEqual([false, false, true, true])
    }))

  it.effect("probabilistic keeps about `rate` of the events, repeatably for the same Random", () =>
    Effect.gen(function*() {
      const policy = { policy: SamplingPolicy.Probabilistic({ rate: 0.25 }) }
      const types = Array.from({ length: 10_000 }, () => "a")
      const first = yield* Effect.flatMap(make(policy), (s) => decide(s, types)).pipe(
        Effect.withRandom(Random.make("seed-1"))
      )
      const again = yield* Effect.flatMap(make(policy), (s) => decide(s, types)).pipe(
        Effect.withRandom(Random.make("seed-1"))
      )
      const other = yield* Effect.flatMap(make(policy), (s) => decide(s, types)).pipe(
        Effect.withRandom(Random.make("seed-2"))
      )
      const kept = first.filter(Boolean).length
      expect(kept).toBeGreaterThan(2_300)
      expect(kept).toBeLessThan(2_700)
      expect(again).toEqual(first)
      expect(other).not.toEqual(first)
    }))

  it.effect("rates 0 and 1 keep nothing and everything", () =>
    Effect.gen(function*() {
      const none = yield* make({ policy: SamplingPolicy.Probabilistic({ rate: 0 }) })
      const all = yield* make({ policy: SamplingPolicy.Probabilistic({ rate: 1 }) })
      const types = Array.from({ length: 1_000 }, () => "a")
      expect((yield* decide(none, types)).some(Boolean)).toBe(false)
      expect((yield* decide(all, types)).every(Boolean)).toBe(true)
    }))

  it.effect("unsafeShouldSample takes the same decisions synchronously", () =>
    Effect.gen(function*() {
      const sampler = yield* make({ policy: SamplingPolicy.Throttled({ limit: 1, window: "1 hour" }) })
      expect([sampler.unsafeShouldSample("a"), sampler.unsafeShouldSample("a")]).toEqual([true, false])
      expect(yield* sampler.shouldSample("a")).toBe(false)
    }))

  it.effect("throttled refills a bucket per type over the window", () =>
    Effect.gen(function*() {
      const sampler = yield* make({ policy: SamplingPolicy.Throttled({ limit: 2, window: "1 minute" }) })
      expect(yield* decide(sampler, ["a", "a", "a", "b", "b", "b"])).toEqual([true, true, false, true, true, false])
      yield* TestClock.adjust("29 seconds")
      expect(yield* decide(sampler, ["a"])).toEqual([false])
      yield* TestClock.adjust("1 second")
      expect(yield* decide(sampler, ["a", "a"])).toEqual([true, false])
    }))

  it.effect("past maxThrottledTypes new types share one bucket, so memory and the limit both hold", () =>
    Effect.gen(function*() {
      const sampler = yield* make({
        policy: SamplingPolicy.Throttled({ limit: 3, window: "1 hour" }),
        maxThrottledTypes: 2
      })
      expect(yield* decide(sampler, ["a", "b"])).toEqual([true, true])
      expect(yield* decide(sampler, ["c", "d", "e", "f"])).toEqual([true, true, true, false])
    }))

  it.effect("overrides: exact types before the longest prefix before the default", () =>
    Effect.gen(function*() {
      const sampler = yield* make({
        policy: SamplingPolicy.Never(),
        overrides: {
          "chat.*": SamplingPolicy.Always(),
          "chat.debug.*": SamplingPolicy.Never(),
          "chat.debug.keep": SamplingPolicy.Always()
        }
      })
      expect(yield* decide(sampler, ["chat.message", "chat.debug.x", "chat.debug.keep", "other"])).toEqual([
        true,
        false,
        true,
        false
      ])
    }))

  it.effect("error and session events can be overridden, and alwaysKeep replaced", () =>
    Effect.gen(function*() {
      const sampler = yield* make({
        policy: SamplingPolicy.Never(),
        overrides: { "error.*": SamplingPolicy.Never() },
        alwaysKeep: ["audit.*"]
      })
      expect(yield* decide(sampler, ["error.x", "session.start", "audit.login"])).toEqual([false, false, true])
    }))

  it.effect("a sampler from a decision function answers the same through both methods", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const sampler = Sampler.fromDecision((type) => {
        seen.push(type)
        return type.startsWith("keep")
      })
      expect([sampler.unsafeShouldSample("keep.a"), sampler.unsafeShouldSample("drop.a")]).toEqual([true, false])
      expect(yield* decide(sampler, ["keep.b", "drop.b"])).toEqual([true, false])
      expect(seen).toEqual(["keep.a", "drop.a", "keep.b", "drop.b"])
    }))

  it.effect("the layers Sampler.throttled, probabilistic, always and never install those policies", () =>
    Effect.gen(function*() {
      const through = (layer: Layer.Layer<Sampler, unknown>, types: ReadonlyArray<string>) =>
        Effect.flatMap(Sampler, (s) => decide(s, types)).pipe(Effect.provide(layer))
      expect(yield* through(Sampler.throttled(2, "1 minute"), ["a", "a", "a"])).toEqual([true, true, false])
      expect(yield* through(Sampler.probabilistic(0), ["a", "error.x"])).toEqual([false, true])
      expect(yield* through(Sampler.always, ["a", "b"])).toEqual([true, true])
      expect(yield* through(Sampler.never, ["a", "session.start"])).toEqual([false, true])
      expect(yield* through(Sampler.layerDecision((type) => type === "b"), ["a", "b"])).toEqual([false, true])
    }))

  it.effect("options out of range fail with SamplerOptionsError naming the option", () =>
    Effect.gen(function*() {
      const failure = (options: Sampler.Options) => Effect.flip(Sampler.make(options))
      const rate = yield* failure({ policy: Sampler.Policy.Probabilistic({ rate: 1.5 }) })
      expect(rate._tag).toBe("SamplerOptionsError")
      expect(rate).toBeInstanceOf(Sampler.OptionsError)
      expect(rate.option).toBe("policy.rate")
      expect(String(rate)).toMatch(/^SamplerOptionsError: option policy\.rate: /)
      expect((yield* failure({ policy: Sampler.Policy.Throttled({ limit: 0, window: "1 minute" }) })).option).toBe(
        "policy.limit"
      )
      expect((yield* failure({ policy: Sampler.Policy.Throttled({ limit: 1, window: 0 }) })).option).toBe("policy.window")
      expect((yield* failure({ overrides: { "chat.*": Sampler.Policy.Probabilistic({ rate: -1 }) } })).option).toBe(
        "overrides.chat.*.rate"
      )
      expect((yield* failure({ maxThrottledTypes: 0 })).option).toBe("maxThrottledTypes")
      const misspelt = yield* failure({ polcy: Sampler.Policy.Never() } as Sampler.Options)
      expect(misspelt.option).toBe("polcy")
      const exit = yield* Effect.exit(Layer.build(Sampler.probabilistic(2)).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
