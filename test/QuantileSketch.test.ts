import { describe, expect, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import * as fc from "fast-check"
import { defaultMaxBuckets, QuantileSketch } from "../src/internal/QuantileSketch.js"

const n = 100_000

/** Draws `count` samples from a distribution using a seeded Effect `Random`. */
const samples = (seed: number, draw: (random: Random.Random) => Effect.Effect<number>, count = n) =>
  Effect.gen(function*() {
    const random = Random.make(seed)
    const out = new Array<number>(count)
    for (let i = 0; i < count; i++) out[i] = yield* draw(random)
    return out
  })

/** A standard normal variate (Box–Muller). */
const gaussian = (random: Random.Random) =>
  Effect.map(Effect.zip(random.next, random.next), ([u, v]) =>
    Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v))

const distributions: ReadonlyArray<readonly [string, (random: Random.Random) => Effect.Effect<number>]> = [
  ["uniform on [0, 1000)", (random) => Effect.map(random.next, (u) => u * 1000)],
  ["exponential with mean 100", (random) => Effect.map(random.next, (u) => -Math.log(1 - u) * 100)],
  ["log-normal (median 200 ms, σ = 1)", (random) => Effect.map(gaussian(random), (z) => Math.exp(Math.log(200) + z))],
  [
    "bimodal (70 % around 50 ms, 30 % around 2 s)",
    (random) =>
      Effect.flatMap(random.next, (u) =>
        Effect.map(gaussian(random), (z) => (u < 0.7 ? Math.abs(50 + 5 * z) : Math.abs(2000 + 200 * z))))
  ]
]

/**
 * The R-7 quantile (numpy's default), the definition the sketch reads: with h = (n − 1)·q, the sample of
 * rank ⌊h⌋ plus (h − ⌊h⌋) of the way to the next.
 */
const exactQuantile = (sorted: ReadonlyArray<number>, q: number) => {
  const h = q * (sorted.length - 1)
  const k = Math.floor(h)
  return k + 1 < sorted.length ? sorted[k]! + (h - k) * (sorted[k + 1]! - sorted[k]!) : sorted[k]!
}

const relativeError = (estimate: number, exact: number) => Math.abs(estimate - exact) / exact

/** The error the default sketch promises: scale 6, (2^(1/64) − 1) / (2^(1/64) + 1) ≈ 0.54 %. */
const alpha = new QuantileSketch().relativeAccuracy

describe("QuantileSketch", () => {
  for (const [name, draw] of distributions) {
    it.effect(`${name}: p50/p95/p99 within 1 % of the exact quantiles of 100k samples, in ≤ 5 KB`, () =>
      Effect.gen(function*() {
        const values = yield* samples(name.length * 7919, draw)
        const sketch = new QuantileSketch()
        for (const v of values) sketch.add(v)
        const sorted = [...values].sort((a, b) => a - b)
        for (const q of [0.5, 0.95, 0.99]) {
          expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(0.01)
        }
        // The bound the sketch promises holds at every quantile the window covers.
        for (const q of [0.05, 0.25, 0.75, 0.9, 0.999]) {
          expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(alpha + 1e-12)
        }
        // 1,088 four-byte counts (17 octaves at scale 6) and the fixed overhead.
        expect(sketch.byteSize).toBeLessThanOrEqual(5120)
        expect(sketch.bucketCount).toBeLessThanOrEqual(defaultMaxBuckets)
        // count, min, max and mean are exact.
        expect(sketch.count).toBe(n)
        expect(sketch.min).toBe(sorted[0])
        expect(sketch.max).toBe(sorted[n - 1])
        expect(sketch.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / n, 9)
        expect(sketch.quantile(0)).toBe(sorted[0])
        expect(sketch.quantile(1)).toBe(sorted[n - 1])
      }))
  }

  it.effect("memory does not grow with the number of samples", () =>
    Effect.gen(function*() {
      const values = yield* samples(1, (random) => Effect.map(random.next, (u) => Math.exp(u * 20)), 200_000)
      const sketch = new QuantileSketch()
      const sizes: Array<number> = []
      for (let i = 0; i < values.length; i++) {
        sketch.add(values[i]!)
        if ((i + 1) % 50_000 === 0) sizes.push(sketch.byteSize)
      }
      // Values span e^20, more than the window: the lowest buckets collapse, the size stays put.
      expect(new Set(sizes).size).toBe(1)
      expect(sketch.bucketCount).toBe(defaultMaxBuckets)
      expect(sketch.byteSize).toBeLessThanOrEqual(5120)
      const sorted = [...values].sort((a, b) => a - b)
      for (const q of [0.5, 0.95, 0.99]) {
        expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(alpha)
      }
      // Below the window, quantiles collapse into its lowest bucket: accuracy is given up only there.
      expect(relativeError(sketch.quantile(0.01), exactQuantile(sorted, 0.01))).toBeGreaterThan(alpha)
    }))

  it.effect("merging sketches of parts equals the sketch of the whole", () =>
    Effect.gen(function*() {
      const values = yield* samples(99, distributions[2]![1])
      const whole = new QuantileSketch()
      for (const v of values) whole.add(v)
      const parts = [0, 1, 2, 3].map(() => new QuantileSketch())
      values.forEach((v, i) => parts[i % 4]!.add(v))
      const merged = parts.reduce((a, b) => a.merge(b), new QuantileSketch())
      for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1]) expect(merged.quantile(q)).toBe(whole.quantile(q))
      expect(merged.count).toBe(whole.count)
      expect(merged.min).toBe(whole.min)
      expect(merged.max).toBe(whole.max)
      expect(merged.sum).toBeCloseTo(whole.sum, 6)
      // Merging leaves the parts alone.
      expect(parts[0]!.count).toBe(n / 4)
    }))

  it("merging a sketch whose range lies far above collapses the lowest buckets", () => {
    const low = new QuantileSketch({ maxBuckets: 64 })
    const high = new QuantileSketch({ maxBuckets: 64 })
    for (let i = 1; i <= 100; i++) low.add(i / 1000)
    for (let i = 1; i <= 100; i++) high.add(1e6 + i)
    const merged = low.copy().merge(high)
    expect(merged.bucketCount).toBeLessThanOrEqual(64)
    expect(merged.count).toBe(200)
    expect(relativeError(merged.quantile(0.99), 1e6 + 99)).toBeLessThanOrEqual(alpha)
    expect(merged.min).toBe(0.001)
  })

  it("refuses sketches of different scales; accuracies giving one scale merge", () => {
    // 0.02 gives scale 5 (error 1.08 %), the default 1 % scale 6.
    expect(new QuantileSketch({ relativeAccuracy: 0.02 }).scale).toBe(5)
    expect(() => new QuantileSketch({ relativeAccuracy: 0.02 }).merge(new QuantileSketch())).toThrow(RangeError)
    // 0.0075 and 0.01 both give scale 6: the same buckets.
    const finer = new QuantileSketch({ relativeAccuracy: 0.0075, exactThreshold: 0 })
    finer.add(42)
    expect(new QuantileSketch().merge(finer).quantile(0.5)).toBe(finer.quantile(0.5))
  })

  it("the scale is the coarsest whose error (γ − 1)/(γ + 1) is within the requested accuracy", () => {
    for (const [accuracy, scale] of [[0.01, 6], [0.0075, 6], [0.005, 7], [0.4, 0], [0.3, 1], [1e-6, 19]] as const) {
      const sketch = new QuantileSketch({ relativeAccuracy: accuracy })
      expect(sketch.scale).toBe(scale)
      expect(sketch.relativeAccuracy).toBeLessThanOrEqual(accuracy)
      const coarser = Math.pow(2, Math.pow(2, -(scale - 1)))
      expect((coarser - 1) / (coarser + 1)).toBeGreaterThan(accuracy)
    }
    expect(new QuantileSketch().relativeAccuracy).toBeCloseTo(0.005415, 6)
    expect(() => new QuantileSketch({ relativeAccuracy: 1e-9 })).toThrow(RangeError)
  })

  it("ignores negative, NaN and infinite values and keeps zeros", () => {
    const sketch = new QuantileSketch()
    expect(sketch.add(-1)).toBe(false)
    expect(sketch.add(Number.NaN)).toBe(false)
    expect(sketch.add(Number.POSITIVE_INFINITY)).toBe(false)
    expect(sketch.count).toBe(0)
    expect(sketch.quantile(0.5)).toBeNaN()
    sketch.add(0)
    sketch.add(0)
    sketch.add(10)
    expect(sketch.quantile(0.5)).toBe(0)
    expect(sketch.quantile(1)).toBe(10)
    expect(sketch.min).toBe(0)
  })

  it("removing a value takes it back out of count, sum and quantiles", () => {
    const sketch = new QuantileSketch()
    for (const v of [1, 2, 3, 100]) sketch.add(v)
    expect(sketch.remove(100)).toBe(true)
    expect(sketch.count).toBe(3)
    expect(sketch.sum).toBe(6)
    expect(relativeError(sketch.quantile(1), 3)).toBeLessThanOrEqual(alpha)
    expect(sketch.max).toBeLessThan(3.05)
    expect(sketch.remove(42)).toBe(false)
    for (const v of [1, 2, 3]) sketch.remove(v)
    expect(sketch.count).toBe(0)
    expect(sketch.bucketCount).toBe(0)
  })

  it("every quantile of any sample set is within α of the exact one (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const sketch = new QuantileSketch({ maxBuckets: 4096 })
          for (const v of values) sketch.add(v)
          const sorted = [...values].sort((a, b) => a - b)
          return relativeError(sketch.quantile(q), exactQuantile(sorted, q)) <= alpha + 1e-12
        }
      ),
      { numRuns: 300 }
    )
  })

  describe("small samples", () => {
    // Hand-computed R-7 quantiles: h = (n − 1)·q, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
    const table: ReadonlyArray<readonly [string, ReadonlyArray<number>, number, number]> = [
      ["two provider calls", [30, 800], 0.5, 415],
      ["two provider calls", [30, 800], 0.95, 761.5],
      ["two provider calls", [30, 800], 0.99, 792.3],
      ["the same, added the other way round", [800, 30], 0.95, 761.5],
      ["one sample", [150], 0.5, 150],
      ["one sample", [150], 0.99, 150],
      ["four samples", [4, 1, 3, 2], 0, 1],
      ["four samples", [4, 1, 3, 2], 0.5, 2.5],
      ["four samples", [4, 1, 3, 2], 0.95, 3.85],
      ["four samples", [4, 1, 3, 2], 1, 4],
      ["nine evenly spaced", [100, 150, 200, 250, 300, 350, 400, 450, 500], 0.5, 300],
      ["nine evenly spaced", [100, 150, 200, 250, 300, 350, 400, 450, 500], 0.95, 480],
      ["nine evenly spaced", [100, 150, 200, 250, 300, 350, 400, 450, 500], 0.99, 496],
      ["zeros and one value", [0, 10, 0], 0.5, 0],
      ["zeros and one value", [0, 10, 0], 0.95, 9],
      ["repeated values", [5, 5, 5, 7], 0.5, 5],
      ["repeated values", [5, 5, 5, 7], 0.9, 6.4]
    ]
    for (const [name, values, q, expected] of table) {
      it(`${name} ${JSON.stringify(values)}: q${q} is exactly ${expected}`, () => {
        const sketch = new QuantileSketch()
        for (const v of values) sketch.add(v)
        expect(sketch.isExact).toBe(true)
        expect(sketch.quantile(q)).toBeCloseTo(expected, 9)
      })
    }

    it("a p95 of two samples is never below their mean", () => {
      const sketch = new QuantileSketch()
      sketch.add(800)
      sketch.add(30)
      expect(sketch.mean).toBe(415)
      expect(sketch.quantile(0.95)).toBeGreaterThan(sketch.mean)
    })

    it("up to exactThreshold samples every quantile is the exact one (property)", () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 128 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (values, q) => {
            const sketch = new QuantileSketch()
            for (const v of values) sketch.add(v)
            const sorted = [...values].sort((a, b) => a - b)
            return sketch.isExact && sketch.bucketCount === 0 &&
              sketch.quantile(q) === exactQuantile(sorted, q) &&
              sketch.min === sorted[0] && sketch.max === sorted[sorted.length - 1]
          }
        ),
        { numRuns: 300 }
      )
    })

    it("bucketed from the first sample (exactThreshold 0), interpolated quantiles stay within α (property)", () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (values, q) => {
            const sketch = new QuantileSketch({ exactThreshold: 0, maxBuckets: 4096 })
            for (const v of values) sketch.add(v)
            const sorted = [...values].sort((a, b) => a - b)
            return !sketch.isExact && relativeError(sketch.quantile(q), exactQuantile(sorted, q)) <= alpha + 1e-12
          }
        ),
        { numRuns: 300 }
      )
    })

    it.effect("exact through 128 samples, bucketed from the 129th, within α either side", () =>
      Effect.gen(function*() {
        const values = yield* samples(128, (random) => Effect.map(random.next, (u) => 10 + u * 990), 129)
        const sketch = new QuantileSketch()
        for (const v of values.slice(0, 128)) sketch.add(v)
        const first = [...values.slice(0, 128)].sort((a, b) => a - b)
        expect(sketch.isExact).toBe(true)
        expect(sketch.bucketCount).toBe(0)
        for (const q of [0.5, 0.95, 0.99]) expect(sketch.quantile(q)).toBe(exactQuantile(first, q))

        sketch.add(values[128]!)
        const all = [...values].sort((a, b) => a - b)
        expect(sketch.isExact).toBe(false)
        expect(sketch.bucketCount).toBeGreaterThan(0)
        expect(sketch.count).toBe(129)
        expect([sketch.min, sketch.max]).toEqual([all[0], all[128]])
        for (const q of [0.5, 0.95, 0.99]) {
          expect(relativeError(sketch.quantile(q), exactQuantile(all, q))).toBeLessThanOrEqual(alpha + 1e-12)
        }
        // Removing samples does not bring the values back: it stays bucketed.
        sketch.remove(values[128]!)
        expect(sketch.isExact).toBe(false)
      }))

    it("exact values take 8 bytes each, growing by doubling up to the threshold, and are freed past it", () => {
      const sketch = new QuantileSketch()
      const empty = sketch.byteSize
      const sizes = new Set<number>()
      for (let i = 1; i <= 128; i++) {
        sketch.add(i)
        sizes.add(sketch.byteSize - empty)
      }
      expect([...sizes]).toEqual([64, 128, 256, 512, 1024])
      sketch.add(129)
      // Past the threshold only the bucket counts are held, as in a sketch bucketed from the start.
      const bucketed = new QuantileSketch({ exactThreshold: 0 })
      for (let i = 1; i <= 129; i++) bucketed.add(i)
      expect(sketch.byteSize).toBe(bucketed.byteSize)
    })

    it("an exact sample can be removed, with min and max exact afterwards", () => {
      const sketch = new QuantileSketch()
      for (const v of [3, 1, 100, 2]) sketch.add(v)
      expect(sketch.remove(100)).toBe(true)
      expect(sketch.remove(99.5)).toBe(false)
      expect([sketch.count, sketch.sum, sketch.min, sketch.max]).toEqual([3, 6, 1, 3])
      expect(sketch.quantile(0.5)).toBe(2)
      expect(sketch.remove(1)).toBe(true)
      expect([sketch.min, sketch.quantile(0.5)]).toEqual([2, 2.5])
    })

    it("merging exact sketches stays exact while the total fits, and is bucketed past it", () => {
      const a = new QuantileSketch()
      const b = new QuantileSketch()
      for (let i = 1; i <= 60; i++) a.add(i * 10)
      for (let i = 61; i <= 120; i++) b.add(i * 10)
      const merged = a.copy().merge(b)
      expect(merged.isExact).toBe(true)
      expect(merged.count).toBe(120)
      expect(merged.quantile(0.95)).toBeCloseTo(10 + 0.95 * 119 * 10, 9)
      // The copy is independent of the original.
      expect(a.count).toBe(60)

      const c = new QuantileSketch()
      for (let i = 1; i <= 100; i++) c.add(i)
      const big = merged.copy().merge(c)
      expect(big.isExact).toBe(false)
      expect(big.count).toBe(220)
      const sorted = [...Array.from({ length: 120 }, (_, i) => (i + 1) * 10), ...Array.from({ length: 100 }, (_, i) => i + 1)]
        .sort((x, y) => x - y)
      for (const q of [0.25, 0.5, 0.95]) {
        expect(relativeError(big.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(alpha + 1e-12)
      }
      // An exact sketch merged into a bucketed one adds its values to the buckets.
      const bucketed = new QuantileSketch({ exactThreshold: 0 })
      bucketed.merge(a)
      expect([bucketed.isExact, bucketed.count, bucketed.min, bucketed.max]).toEqual([false, 60, 10, 600])
    })

    it("a whole-number weight is kept exactly; a fractional one goes to buckets", () => {
      const sketch = new QuantileSketch()
      sketch.add(5, 3)
      sketch.add(9)
      expect([sketch.isExact, sketch.count, sketch.quantile(0.5)]).toEqual([true, 4, 5])
      sketch.add(7, 0.5)
      expect(sketch.isExact).toBe(false)
      expect(sketch.count).toBe(4.5)
    })

    it("an exactThreshold that is not a whole number ≥ 0 is refused", () => {
      expect(() => new QuantileSketch({ exactThreshold: -1 })).toThrow(RangeError)
      expect(() => new QuantileSketch({ exactThreshold: 1.5 })).toThrow(RangeError)
    })
  })
})
