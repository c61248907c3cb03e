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

  it("two maps written from the same one stay independent", () => {
    const base = LruMap.set(LruMap.set(LruMap.empty<string, number>(3), "a", 1), "b", 2)
    const left = LruMap.set(base, "c", 3)
    const right = LruMap.set(LruMap.set(base, "a", 10), "d", 4)
    const leftAgain = LruMap.set(left, "e", 5)
    expect(LruMap.values(base)).toEqual([2, 1])
    expect(LruMap.values(left)).toEqual([3, 2, 1])
    expect(LruMap.values(right)).toEqual([4, 10, 2])
    expect(LruMap.values(leftAgain)).toEqual([5, 3, 2])
    expect([leftAgain.evicted, right.evicted]).toEqual([1, 0])
  })

  it("rewriting the same keys keeps the write log bounded and the order exact", () => {
    let map = LruMap.empty<number, number>(4)
    for (let i = 0; i < 10_000; i++) map = LruMap.set(map, i % 5, i)
    expect(LruMap.values(map)).toEqual([9_999, 9_998, 9_997, 9_996])
    expect(map.evicted).toBe(9_996 - 4 + 4)
    expect(map.end - map.start).toBeLessThanOrEqual(2 * 4 + 33)
    expect(map.log.length).toBeLessThanOrEqual(2 * 4 + 33)
  })

  it("matches a model LRU over random writes, rewrites and replacements", () => {
    let map = LruMap.empty<number, number>(8)
    const model = new Map<number, number>()
    let evicted = 0
    let seed = 7
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648)
    for (let i = 0; i < 5_000; i++) {
      const key = next() % 20
      if (next() % 4 === 0) {
        map = LruMap.replace(map, key, (v) => v + 1)
        if (model.has(key)) model.set(key, model.get(key)! + 1)
      } else {
        map = LruMap.set(map, key, i)
        model.delete(key)
        model.set(key, i)
        if (model.size > 8) {
          model.delete(model.keys().next().value!)
          evicted++
        }
      }
    }
    expect(LruMap.values(map)).toEqual([...model.values()].reverse())
    expect(map.evicted).toBe(evicted)
    expect(LruMap.size(map)).toBe(model.size)
  })

  it("every version keeps its own entries however versions are interleaved", () => {
    type Model = ReadonlyArray<readonly [number, number]>
    const versions: Array<{ map: LruMap.LruMap<number, number>; model: Model }> = [
      { map: LruMap.empty(3), model: [] }
    ]
    let seed = 11
    const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n
    for (let i = 0; i < 2_000; i++) {
      const from = versions[next(versions.length)]!
      const key = next(6)
      const kept = from.model.filter(([k]) => k !== key)
      const model: Model = [...kept, [key, i] as const].slice(-3)
      versions.push({ map: LruMap.set(from.map, key, i), model })
      const check = versions[next(versions.length)]!
      expect(LruMap.values(check.map)).toEqual(check.model.map(([, v]) => v).reverse())
      expect(LruMap.get(check.map, key)).toBe(check.model.find(([k]) => k === key)?.[1])
    }
  })
})
