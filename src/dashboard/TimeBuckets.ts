/**
 * The report's time buckets: events per kind, per-interval metric sketches and health changes, in at most
 * `limits.buckets` buckets whose width doubles (neighbours merging) whenever more would be held.
 *
 * @internal
 */
import { QuantileSketch } from "../internal/QuantileSketch.js"
import type { HealthStatus } from "../schemas/HealthEvents.js"
import type { HistorySample } from "./Snapshot.js"

/** What one interval holds. */
export interface Bucket {
  readonly byKind: Map<string, number>
  readonly metrics: Map<string, QuantileSketch>
  readonly health: Map<string, HealthStatus>
}

/** Buckets of at most `max`, starting one second wide. */
export const make = (max: number) => {
  let width = 1_000
  let buckets = new Map<number, Bucket>()

  const merge = (into: Bucket, from: Bucket) => {
    for (const [k, v] of from.byKind) into.byKind.set(k, (into.byKind.get(k) ?? 0) + v)
    for (const [k, s] of from.metrics) {
      const mine = into.metrics.get(k)
      if (mine === undefined) into.metrics.set(k, s)
      else mine.merge(s)
    }
    for (const [k, v] of from.health) into.health.set(k, v)
  }

  const bucketAt = (at: number): Bucket => {
    let index = Math.floor(at / width)
    let bucket = buckets.get(index)
    if (bucket !== undefined) return bucket
    while (buckets.size >= max) {
      // Double the width: pairs of neighbours become one bucket.
      width *= 2
      const merged = new Map<number, Bucket>()
      for (const [i, b] of [...buckets].sort((x, y) => x[0] - y[0])) {
        const j = Math.floor(i / 2)
        const into = merged.get(j)
        if (into === undefined) merged.set(j, b)
        else merge(into, b)
      }
      buckets = merged
      index = Math.floor(at / width)
      const found = buckets.get(index)
      if (found !== undefined) return found
    }
    bucket = { byKind: new Map(), metrics: new Map(), health: new Map() }
    buckets.set(index, bucket)
    return bucket
  }

  const history = (): ReadonlyArray<HistorySample> => {
    const current: Record<string, HealthStatus> = {}
    const seconds = width / 1000
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([index, b]) => {
      for (const [k, v] of b.health) current[k] = v
      const rates: Record<string, number> = {}
      for (const [k, v] of b.byKind) rates[k] = v / seconds
      const ms: Record<string, readonly [number, number, number]> = {}
      const counts: Record<string, number> = {}
      for (const [k, s] of b.metrics) {
        ms[k] = [s.quantile(0.5), s.quantile(0.95), s.quantile(0.99)]
        counts[k] = s.count
      }
      return { t: index * width, rates, metrics: ms, counts, health: { ...current } }
    })
  }

  return { at: bucketAt, history }
}
