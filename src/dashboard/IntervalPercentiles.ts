/**
 * The live dashboard's percentiles per interval: each sampling tick takes `PerformanceMetrics.snapshot`
 * (cumulative exponential histograms, one point per series) and subtracts the previous tick's bucket counts
 * of the same series (name and attributes), which leaves the samples recorded during the interval.
 *
 * Quantiles of an interval follow the sketch's own rule (`QuantileSketch.quantile`, R-7): the samples of
 * ranks `⌊h⌋` and `⌊h⌋ + 1` with `h = q·(n − 1)`, each read as its bucket's representative
 * `2γ^i / (γ + 1)` (clamped to the series' cumulative min and max), interpolated linearly. Every value read
 * is within the bucket error `(γ − 1) / (γ + 1)` — 0.54 % at the default scale 6 — of the samples its bucket
 * holds, so the interval's p50/p95/p99 are within the 1 % the percentiles promise. The interval's own
 * min and max are not known, so its extreme ranks are read from buckets too.
 *
 * A series whose count went down, whose start time changed (`clear`, `reset`) or whose buckets went down
 * restarts from its new cumulative. Memory: the previous cumulative of each series the last snapshot held,
 * so bounded as the service bounds its series (`maxMetrics`, `maxSeries`).
 *
 * @internal
 */
import type { Attributes, ExponentialHistogramPoint, Metric } from "../transports/otlp/Model.js"

/** The samples of one series recorded during one interval, as bucket counts (OTLP indices). */
export interface Interval {
  readonly count: number
  readonly scale: number
  readonly zeroCount: number
  /** `counts[k]` values in OTLP bucket `offset + k`: `(base^(offset+k), base^(offset+k+1)]`. */
  readonly offset: number
  readonly counts: ArrayLike<number>
  /** Bounds every sample of the interval lies within (the series' cumulative min and max). */
  readonly min: number
  readonly max: number
}

/** An interval's distribution: how many samples, and their p50/p95/p99 (absent when there were none). */
export interface Windowed {
  readonly count: number
  readonly percentiles?: readonly [number, number, number]
}

/** One tick's intervals: per metric name (all its series merged), and per series with dimensions. */
export interface Tick {
  readonly metrics: ReadonlyMap<string, Windowed>
  /** By `name` and the series' attribute values joined with `/` (e.g. `ai.total openai/gpt-4o`). */
  readonly series: ReadonlyMap<string, Windowed>
}

const seriesKey = (name: string, attributes: Attributes): string => `${name}\u0000${JSON.stringify(attributes)}`

/** The counts of `point` minus those of `previous`, or `undefined` when the series restarted. */
const subtract = (point: ExponentialHistogramPoint, previous: ExponentialHistogramPoint): Float64Array | undefined => {
  if (
    previous.scale !== point.scale || previous.startTimeUnixNano !== point.startTimeUnixNano ||
    previous.count > point.count || previous.zeroCount > point.zeroCount
  ) return undefined
  const low = point.positive.offset
  const counts = Float64Array.from(point.positive.bucketCounts)
  const before = previous.positive.bucketCounts
  for (let k = 0; k < before.length; k++) {
    const c = before[k]!
    if (c === 0) continue
    // Buckets the sketch has since collapsed into its lowest one are subtracted from that one, as it did.
    const at = Math.max(low, previous.positive.offset + k) - low
    if (at >= counts.length || (counts[at]! -= c) < 0) return undefined
  }
  return counts
}

const intervalOf = (point: ExponentialHistogramPoint, previous: ExponentialHistogramPoint | undefined): Interval => {
  const base = { scale: point.scale, offset: point.positive.offset, min: point.min ?? 0, max: point.max ?? Number.POSITIVE_INFINITY }
  const delta = previous === undefined ? undefined : subtract(point, previous)
  return delta === undefined
    ? { ...base, count: point.count, zeroCount: point.zeroCount, counts: point.positive.bucketCounts }
    : { ...base, count: point.count - previous!.count, zeroCount: point.zeroCount - previous!.zeroCount, counts: delta }
}

/** The intervals of one metric's series together (they partition its samples); same scale required. */
export const mergeIntervals = (intervals: ReadonlyArray<Interval>): Interval | undefined => {
  const first = intervals[0]
  if (first === undefined) return undefined
  if (intervals.length === 1) return first
  const same = intervals.filter((i) => i.scale === first.scale && i.count > 0)
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const i of same) {
    if (i.counts.length === 0) continue
    low = Math.min(low, i.offset)
    high = Math.max(high, i.offset + i.counts.length)
  }
  const counts = new Float64Array(high > low ? high - low : 0)
  let count = 0
  let zeroCount = 0
  let min = Number.POSITIVE_INFINITY
  let max = 0
  for (const i of same) {
    count += i.count
    zeroCount += i.zeroCount
    min = Math.min(min, i.min)
    max = Math.max(max, i.max)
    for (let k = 0; k < i.counts.length; k++) counts[i.offset - low + k]! += i.counts[k]!
  }
  return { count, zeroCount, scale: first.scale, offset: counts.length === 0 ? 0 : low, counts, min: min === Number.POSITIVE_INFINITY ? 0 : min, max }
}

/**
 * The R-7 quantiles `qs` (ascending, in [0, 1]) of an interval's samples, by the sketch's rule (see the
 * module), in one pass over its buckets; `NaN`s when it is empty.
 */
export const quantiles = (interval: Interval, qs: ReadonlyArray<number>): Array<number> => {
  if (interval.count === 0) return qs.map(() => Number.NaN)
  // The same expressions as LogBuckets', so the same buckets read back the same floats.
  const factor = Math.pow(2, interval.scale)
  const gamma = Math.pow(2, 1 / factor)
  const { counts, zeroCount } = interval
  let k = -1
  let seen = zeroCount
  const valueAt = (rank: number): number => {
    let value = 0
    if (rank >= zeroCount) {
      // Ranks are asked in ascending order: the walk resumes where it stopped.
      while (seen <= rank && k < counts.length - 1) seen += counts[++k]!
      // OTLP index j is the sketch's bucket j + 1.
      value = (2 * Math.pow(2, (interval.offset + k + 1) / factor)) / (gamma + 1)
    }
    return Math.min(Math.max(value, interval.min), interval.max)
  }
  return qs.map((q) => {
    const h = q * (interval.count - 1)
    const rank = Math.floor(h)
    const fraction = h - rank
    const lower = valueAt(rank)
    return fraction === 0 ? lower : lower + fraction * (valueAt(rank + 1) - lower)
  })
}

const windowed = (interval: Interval): Windowed => {
  if (interval.count === 0) return { count: 0 }
  const [p50, p95, p99] = quantiles(interval, [0.5, 0.95, 0.99])
  return { count: interval.count, percentiles: [p50!, p95!, p99!] }
}

const hasDimensions = (attributes: Attributes): boolean => {
  const keys = Object.keys(attributes)
  return keys.length > 0 && !keys.includes("otel.metric.overflow")
}

/** Turns successive cumulative snapshots into intervals (see `make`). */
export interface Differ {
  readonly step: (metrics: ReadonlyArray<Metric>, include: (name: string) => boolean) => Tick
}

/**
 * A differ over successive snapshots: `step` returns the intervals since the previous call (the first call's
 * interval starts when the series did) for the exponential histograms whose name `include` accepts.
 */
export const make = (): Differ => {
  let previous = new Map<string, ExponentialHistogramPoint>()
  const step = (metrics: ReadonlyArray<Metric>, include: (name: string) => boolean): Tick => {
    const next = new Map<string, ExponentialHistogramPoint>()
    const byName = new Map<string, Windowed>()
    const bySeries = new Map<string, Windowed>()
    for (const metric of metrics) {
      if (metric.data._tag !== "ExponentialHistogram" || !include(metric.name)) continue
      const intervals: Array<Interval> = []
      for (const point of metric.data.points) {
        const key = seriesKey(metric.name, point.attributes)
        next.set(key, point)
        const interval = intervalOf(point, previous.get(key))
        intervals.push(interval)
        if (hasDimensions(point.attributes)) {
          bySeries.set(`${metric.name} ${Object.values(point.attributes).map(String).join("/")}`, windowed(interval))
        }
      }
      const merged = mergeIntervals(intervals)
      if (merged !== undefined) byName.set(metric.name, windowed(merged))
    }
    previous = next
    return { metrics: byName, series: bySeries }
  }
  return { step }
}
