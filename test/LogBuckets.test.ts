import { describe, expect, it } from "@effect/vitest"
import { LogBuckets } from "../src/internal/LogBuckets.js"

describe("LogBuckets", () => {
  it("reads every rank back within the relative accuracy, zeros first", () => {
    const buckets = new LogBuckets(0.01, 2048)
    const values = [0, 0, 1, 5, 20, 300, 4_000]
    for (const v of values) buckets.add(v, 1)
    values.forEach((v, rank) => {
      const read = buckets.valueAt(rank)
      if (v === 0) expect(read).toBe(0)
      else expect(Math.abs(read - v) / v).toBeLessThanOrEqual(0.01)
    })
  })

  it("keeps at most maxBuckets buckets: values below the window join its lowest bucket", () => {
    const buckets = new LogBuckets(0.01, 16)
    for (let i = 0; i < 200; i++) buckets.add(Math.exp(i / 10), 1)
    expect(buckets.bucketCount).toBe(16)
    expect(buckets.byteLength).toBeLessThanOrEqual(16 * 4)
  })

  it("remove takes back a value's count and trims empty ends; nothing to remove is false", () => {
    const buckets = new LogBuckets(0.01, 2048)
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
    const a = new LogBuckets(0.01, 2048)
    const b = new LogBuckets(0.01, 2048)
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
    const buckets = new LogBuckets(0.01, 64)
    buckets.add(7, 0xffffffff)
    buckets.add(7, 2)
    buckets.add(9, 1)
    // Rank 2^32 + 1 is the last 7: were the count wrapped to 1, that rank would read 9.
    expect(Math.abs(buckets.valueAt(0x100000000) - 7) / 7).toBeLessThanOrEqual(0.01)
  })
})
