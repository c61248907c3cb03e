import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { DistinctCounter, hashString, registerBytes, standardError } from "../src/internal/DistinctCounter.js"

const fill = (counter: DistinctCounter, from: number, to: number, prefix = "user-") => {
  for (let i = from; i < to; i++) counter.add(`${prefix}${i}`)
  return counter
}

describe("DistinctCounter", () => {
  it("counts exactly up to the threshold, ignoring repeats", () => {
    const counter = new DistinctCounter()
    expect(counter.exactThreshold).toBe(768)
    for (let round = 0; round < 3; round++) fill(counter, 0, 768)
    expect(counter.isExact).toBe(true)
    expect(counter.estimate()).toBe(768)
    // The exact table never outgrows the 5 KiB the registers would take.
    expect(counter.byteSize).toBeLessThanOrEqual(registerBytes(13) + 320)
  })

  it("switches to HyperLogLog past the threshold, keeping memory at 5 bits per register", () => {
    const counter = fill(new DistinctCounter(), 0, 769)
    expect(counter.isExact).toBe(false)
    expect(Math.abs(counter.estimate() - 769) / 769).toBeLessThan(3 * standardError(13))
    const before = counter.byteSize
    fill(counter, 769, 200_000)
    expect(counter.byteSize).toBe(before)
    expect(registerBytes(13)).toBe(5121)
    expect(before).toBeLessThanOrEqual(5121 + 320)
  })

  for (const n of [1_000, 10_000, 100_000, 1_000_000]) {
    it(`estimates ${n.toLocaleString("en")} distinct values within 3 standard errors (3.4 %)`, () => {
      const counter = fill(new DistinctCounter(), 0, n, `n${n}-`)
      expect(Math.abs(counter.estimate() - n) / n).toBeLessThan(3 * standardError(13))
    })
  }

  it("its error over many independent counts matches 1.04/√m", () => {
    const errors: Array<number> = []
    for (let trial = 0; trial < 40; trial++) {
      const counter = fill(new DistinctCounter({ precision: 10 }), 0, 20_000, `t${trial}-`)
      errors.push(counter.estimate() / 20_000 - 1)
    }
    const rms = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length)
    const bias = errors.reduce((a, e) => a + e, 0) / errors.length
    expect(rms).toBeLessThan(1.5 * standardError(10))
    expect(rms).toBeGreaterThan(0.5 * standardError(10))
    expect(Math.abs(bias)).toBeLessThan(standardError(10))
  })

  it("a union of counters counts each value once", () => {
    const a = fill(new DistinctCounter(), 0, 60_000)
    const b = fill(new DistinctCounter(), 40_000, 100_000)
    const union = a.copy().merge(b)
    expect(Math.abs(union.estimate() - 100_000) / 100_000).toBeLessThan(3 * standardError(13))
    expect(a.estimate()).toBeLessThan(union.estimate())
    const smallA = fill(new DistinctCounter(), 0, 300)
    const smallB = fill(new DistinctCounter(), 200, 500)
    const smallUnion = smallA.copy().merge(smallB)
    expect(smallUnion.isExact).toBe(true)
    expect(smallUnion.estimate()).toBe(500)
    // An exact union that passes the threshold becomes a HyperLogLog.
    const big = fill(new DistinctCounter(), 0, 700).merge(fill(new DistinctCounter(), 700, 1_400))
    expect(big.isExact).toBe(false)
    expect(Math.abs(big.estimate() - 1_400) / 1_400).toBeLessThan(3 * standardError(13))
    // Exact into HyperLogLog.
    const mixed = fill(new DistinctCounter(), 0, 5_000).merge(fill(new DistinctCounter(), 4_900, 5_100))
    expect(Math.abs(mixed.estimate() - 5_100) / 5_100).toBeLessThan(3 * standardError(13))
  })

  it("a union equals the counter fed every value (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 16 }),
        fc.array(fc.integer(), { maxLength: 3_000 }),
        fc.array(fc.integer(), { maxLength: 3_000 }),
        (precision, left, right) => {
          const a = new DistinctCounter({ precision })
          const b = new DistinctCounter({ precision })
          const both = new DistinctCounter({ precision })
          for (const v of left) a.addHash(v >>> 0), both.addHash(v >>> 0)
          for (const v of right) b.addHash(v >>> 0), both.addHash(v >>> 0)
          return a.merge(b).estimate() === both.estimate()
        }
      ),
      { numRuns: 60 }
    )
  })

  it("the largest rank fits a register's 5 bits at every bit alignment without touching its neighbours", () => {
    for (const precision of [4, 13, 16]) {
      // Hashes whose bits after the index are all zero carry the largest rank, 33 − precision.
      const maxRank = (index: number) => (index << (32 - precision)) >>> 0
      const estimates = new Set<number>()
      for (let index = 0; index < 16; index++) {
        const counter = new DistinctCounter({ precision, exactThreshold: 0 })
        counter.addHash(maxRank(index))
        // Any single register at the top rank is the same state up to order: a write that spilled
        // into a neighbour would show as a different estimate for some alignment (index mod 8).
        estimates.add(counter.estimate())
      }
      expect(estimates.size).toBe(1)
      const two = new DistinctCounter({ precision, exactThreshold: 0 })
      two.addHash(maxRank(3))
      two.addHash(maxRank(4))
      expect(two.estimate()).toBeGreaterThan([...estimates][0]!)
    }
  })

  it("refuses counters of different precision and precisions out of range", () => {
    expect(() => new DistinctCounter({ precision: 12 }).merge(new DistinctCounter({ precision: 14 }))).toThrow(
      RangeError
    )
    expect(() => new DistinctCounter({ precision: 3 })).toThrow(RangeError)
    expect(() => new DistinctCounter({ precision: 17 })).toThrow(RangeError)
  })

  it("counts a zero hash like any other", () => {
    const counter = new DistinctCounter()
    counter.addHash(0)
    counter.addHash(0)
    counter.addHash(7)
    expect(counter.estimate()).toBe(2)
    const copy = counter.copy()
    expect(copy.estimate()).toBe(2)
  })

  it("an exact count equals the number of distinct strings (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 700 }), (values) => {
        const counter = new DistinctCounter()
        for (const v of values) counter.add(v)
        return counter.estimate() === new Set(values).size
      }),
      { numRuns: 200 }
    )
  })

  it("hashes are pinned and spread evenly", () => {
    // Pinned so that a change of hash function, which would make stored counters meaningless, is noticed.
    expect([hashString(""), hashString("user-1"), hashString("abc"), hashString("abc", 0)]).toEqual([
      3954623016,
      2102849038,
      2647089982,
      1118836419
    ])
    // 100k ids into 256 buckets by their top 8 bits: each holds 390.6 ± 19.7; none strays 5σ.
    const buckets = new Array<number>(256).fill(0)
    for (let i = 0; i < 100_000; i++) buckets[hashString(`user-${i}`) >>> 24]! += 1
    for (const count of buckets) expect(Math.abs(count - 390.625)).toBeLessThan(5 * 19.7)
  })
})
