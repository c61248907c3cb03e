import { describe, expect, it } from "@effect/vitest"
import * as LruMap from "../src/internal/LruMap.js"

describe("LruMap", () => {
  it("evicts the least recently written entry beyond its capacity and counts it", () => {
    let map = LruMap.empty<string, number>(2)
    map = LruMap.set(map, "a", 1)
    map = LruMap.set(map, "b", 2)
    map = LruMap.set(map, "a", 10) // a is now the most recent
    map = LruMap.set(map, "c", 3)
    expect(LruMap.get(map, "b")).toBeUndefined()
    expect(LruMap.values(map)).toEqual([3, 10])
    expect(LruMap.size(map)).toBe(2)
    expect(map.evicted).toBe(1)
  })

  it("replace changes a value without making it recent, and leaves an absent key absent", () => {
    let map = LruMap.set(LruMap.set(LruMap.empty<string, number>(2), "a", 1), "b", 2)
    map = LruMap.replace(map, "a", (n) => n + 1)
    expect(LruMap.replace(map, "zz", () => 0)).toBe(map)
    map = LruMap.set(map, "c", 3)
    expect(LruMap.get(map, "a")).toBeUndefined()
    expect(LruMap.values(map)).toEqual([3, 2])
  })

  it("every operation leaves the map it was given unchanged", () => {
    const before = LruMap.set(LruMap.empty<string, number>(1), "a", 1)
    LruMap.set(before, "b", 2)
    LruMap.replace(before, "a", () => 5)
    expect(LruMap.values(before)).toEqual([1])
    expect(before.evicted).toBe(0)
  })
})
