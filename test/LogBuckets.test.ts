import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { LogBuckets } from "../src/internal/LogBuckets.js"

const bits = new Float64Array(1)
const asInt = new BigInt64Array(bits.buffer)
/** The adjacent double above (`+1`) or below (`-1`) a positive `value`. */
const adjacent = (value: number, step: 1 | -1) => {
  bits[0] = value
  asInt[0] = asInt[0]! + BigInt(step)
  return bits[0]
}

/** OTLP's index of one value at `scale`: the `offset` of a histogram holding only it. */
const otlpIndex = (scale: number, value: number) => {
  const buckets = new LogBuckets(scale, 64)
  buckets.add(value, 1)
  return buckets.exponential().offset
}

describe("LogBuckets", () => {
  it("reads every rank back within the relative accuracy, zeros first", () => {
    const buckets = new LogBuckets(6, 2048)
    const values = [0, 0, 1, 5, 20, 300, 4_000]
    for (const v of values) buckets.add(v, 1)
    values.forEach((v, rank) => {
      const read = buckets.valueAt(rank)
      if (v === 0) expect(read).toBe(0)
      else expect(Math.abs(read - v) / v).toBeLessThanOrEqual(0.01)
    })
  })

  it("keeps at most maxBuckets buckets: values below the window join its lowest bucket", () => {
    const buckets = new LogBuckets(6, 16)
    for (let i = 0; i < 200; i++) buckets.add(Math.exp(i / 10), 1)
    expect(buckets.bucketCount).toBe(16)
    expect(buckets.byteLength).toBeLessThanOrEqual(16 * 4)
  })

  it("remove takes back a value's count and trims empty ends; nothing to remove is false", () => {
    const buckets = new LogBuckets(6, 2048)
    buckets.add(10, 1)
    buckets.add(1_000, 1)
    expect(buckets.remove(1_000)).toBe(true)
    expect(Math.abs(buckets.highest() - 10) / 10).toBeLessThanOrEqual(0.01)
    expect(buckets.remove(1_000)).toBe(false)
    expect(buckets.remove(0)).toBe(false)
    expect(buckets.remove(10)).toBe(true)
    expect(buckets.bucketCount).toBe(0)
    expect(buckets.highest()).toBe(0)
  })

  it("merging adds the counts of the other, zeros included", () => {
    const a = new LogBuckets(6, 2048)
    const b = new LogBuckets(6, 2048)
    a.add(5, 2)
    b.add(0, 1)
    b.add(500, 3)
    a.merge(b)
    expect(a.zeroCount).toBe(1)
    expect(a.valueAt(0)).toBe(0)
    expect(Math.abs(a.valueAt(2) - 5) / 5).toBeLessThanOrEqual(0.01)
    expect(Math.abs(a.valueAt(5) - 500) / 500).toBeLessThanOrEqual(0.01)
    expect(a.lowest()).toBe(0)
  })

  it("a bucket past 2^32 samples widens its counts instead of wrapping", () => {
    const buckets = new LogBuckets(6, 64)
    buckets.add(7, 0xffffffff)
    buckets.add(7, 2)
    buckets.add(9, 1)
    // Rank 2^32 + 1 is the last 7: were the count wrapped to 1, that rank would read 9.
    expect(Math.abs(buckets.valueAt(0x100000000) - 7) / 7).toBeLessThanOrEqual(0.01)
  })

  describe("OTLP base-2 exponential buckets", () => {
    const scales = [-2, 0, 1, 3, 6, 8, 20]

    it("2^k is the upper bound of index k·2^s − 1, the double below it too; the double above starts index k·2^s", () => {
      for (const scale of scales) {
        for (let k = -1074; k <= 1023; k += scale > 8 ? 37 : 1) {
          const power = Math.pow(2, k)
          // At negative scales only every 2^-s-th power of two is a boundary.
          const expected = scale >= 0 ? k * 2 ** scale - 1 : Math.ceil(k * 2 ** scale) - 1
          expect(otlpIndex(scale, power)).toBe(expected)
          const isBoundary = Number.isInteger(k * 2 ** scale)
          // (Among subnormals the adjacent double may skip whole buckets: neighbours are checked from 2^-1022.)
          if (k >= -1022 && k < 1023) expect(otlpIndex(scale, adjacent(power, 1))).toBe(isBoundary ? expected + 1 : expected)
          if (k >= -1022) expect(otlpIndex(scale, adjacent(power, -1))).toBe(expected)
        }
      }
    })

    it("every value lands in the bucket whose bounds contain it (property)", () => {
      fc.assert(
        fc.property(
          fc.constantFrom(0, 1, 4, 6, 10),
          fc.oneof(
            fc.double({ min: 1e-300, max: 1e300, noNaN: true }),
            fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
            fc.integer({ min: -1000, max: 1000 }).map((k) => Math.pow(2, k))
          ),
          (scale, value) => {
            const index = otlpIndex(scale, value)
            const base = Math.pow(2, Math.pow(2, -scale))
            const lower = Math.pow(2, index / 2 ** scale)
            const upper = Math.pow(2, (index + 1) / 2 ** scale)
            return lower < value && value <= upper && base > 1
          }
        ),
        { numRuns: 2_000 }
      )
    })

    it("exports counts from the lowest index in use, collapsed buckets counted there, zeros apart", () => {
      const buckets = new LogBuckets(0, 4)
      for (const v of [0, 1, 3, 3, 16, 1024]) buckets.add(v, 1)
      // Scale 0: (2^i, 2^(i+1)]. 1024 is index 9; the window of 4 keeps 6..9, the rest collapse into 6.
      expect(buckets.exponential()).toEqual({ scale: 0, zeroCount: 1, offset: 6, bucketCounts: [4, 0, 0, 1] })
      expect(new LogBuckets(6, 4).exponential()).toEqual({ scale: 6, zeroCount: 0, offset: 0, bucketCounts: [] })
    })
  })
})
