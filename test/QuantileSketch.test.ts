import { describe, expect, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import * as fc from "fast-check"
import { QuantileSketch } from "../src/internal/QuantileSketch.js"

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

/** The sample of rank ⌊q·(n − 1)⌋: the same rank the sketch reads. */
const exactQuantile = (sorted: ReadonlyArray<number>, q: number) => sorted[Math.floor(q * (sorted.length - 1))]!

const relativeError = (estimate: number, exact: number) => Math.abs(estimate - exact) / exact

describe("QuantileSketch", () => {
  for (const [name, draw] of distributions) {
    it.effect(`${name}: p50/p95/p99 within 1 % of the exact quantiles of 100k samples, in ≤ 4 KB`, () =>
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
          expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(0.0075 + 1e-12)
        }
        expect(sketch.byteSize).toBeLessThanOrEqual(4096)
        expect(sketch.bucketCount).toBeLessThanOrEqual(768)
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
      expect(sketch.bucketCount).toBe(768)
      expect(sketch.byteSize).toBeLessThanOrEqual(4096)
      const sorted = [...values].sort((a, b) => a - b)
      for (const q of [0.5, 0.95, 0.99]) {
        expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(0.0075)
      }
      // Below the window, quantiles collapse into its lowest bucket: accuracy is given up only there.
      expect(relativeError(sketch.quantile(0.01), exactQuantile(sorted, 0.01))).toBeGreaterThan(0.0075)
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
    expect(relativeError(merged.quantile(0.99), 1e6 + 99)).toBeLessThanOrEqual(0.0075)
    expect(merged.min).toBe(0.001)
  })

  it("refuses sketches of different accuracy", () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 0.01 }).merge(new QuantileSketch())).toThrow(RangeError)
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
    expect(relativeError(sketch.quantile(1), 3)).toBeLessThanOrEqual(0.0075)
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
          return relativeError(sketch.quantile(q), exactQuantile(sorted, q)) <= 0.0075 + 1e-12
        }
      ),
      { numRuns: 300 }
    )
  })
})
