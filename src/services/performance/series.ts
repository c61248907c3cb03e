/**
 * The series `PerformanceState` keeps per metric name: one of every sample (what `percentiles(name)`
 * reads), and — once some sample carried dimensions — one per set of dimensions plus one of the samples
 * without any, so that the exported series of a name partition its samples (OpenTelemetry backends sum
 * across attribute sets) and a sample is never counted twice.
 *
 * @internal
 */
import { QuantileSketch, type QuantileSketchOptions } from "../../internal/QuantileSketch.js"
import type { MetricDimensions, MetricPercentiles, Percentiles, TimingOutcome } from "../../schemas/PerformanceEvents.js"
import type { SeriesDimensions } from "./dimensions.js"

/** How the timed runs of a series ended. */
export interface OutcomeCounts {
  success: number
  failure: number
  interrupted: number
}

const noDimensions: MetricDimensions = {}

/** One series: a sketch of its samples and the outcomes of its timed runs. */
export class Series {
  readonly outcomes: OutcomeCounts = { success: 0, failure: 0, interrupted: 0 }
  constructor(
    readonly name: string,
    readonly dimensions: MetricDimensions,
    readonly sketch: QuantileSketch,
    /** The series of samples past `maxSeries`: exported with `otel.metric.overflow = true`. */
    readonly overflow = false
  ) {}

  add(value: number, outcome: TimingOutcome | undefined): void {
    this.sketch.add(value)
    if (outcome !== undefined) this.outcomes[outcome]++
  }

  /** An independent copy under other dimensions. */
  copyAs(dimensions: MetricDimensions): Series {
    const copy = new Series(this.name, dimensions, this.sketch.copy())
    Object.assign(copy.outcomes, this.outcomes)
    return copy
  }
}

/** The distribution of a sketch as `Percentiles`. */
export const percentilesOf = (sketch: QuantileSketch): Percentiles => ({
  count: sketch.count,
  min: sketch.min,
  max: sketch.max,
  mean: sketch.mean,
  p50: sketch.quantile(0.5),
  p95: sketch.quantile(0.95),
  p99: sketch.quantile(0.99)
})

/** A series as `timings` and `getSummary` list it. */
export const listed = (series: Series): MetricPercentiles =>
  series.dimensions === noDimensions
    ? { name: series.name, ...percentilesOf(series.sketch) }
    : { name: series.name, dimensions: series.dimensions, ...percentilesOf(series.sketch) }

const sortKey = (dimensions: MetricDimensions): string =>
  Object.entries(dimensions).map(([name, value]) => `${name}\u0001${value}`).join("\u0000")

/** Every series of one metric name. */
export class MetricSeries {
  /** Every sample of the name, whatever its dimensions. */
  readonly all: Series
  /** Whether `timed` (or `recordTimings`) recorded under this name: its outcomes are reported. */
  timed = false
  /** The samples without dimensions, kept apart once a sample had some. */
  private rest: Series | undefined = undefined
  private readonly byDimensions = new Map<string, Series>()
  private overflow: Series | undefined = undefined

  constructor(readonly name: string, private readonly sketch: QuantileSketchOptions) {
    this.all = new Series(name, noDimensions, new QuantileSketch(sketch))
  }

  /** Series with dimensions held. */
  get dimensionedCount(): number {
    return this.byDimensions.size
  }

  /**
   * Adds a sample to `all` and to the series of its dimensions. `room` says whether a new series may be
   * made; without it the sample goes to the overflow series and `false` is returned.
   */
  add(value: number, outcome: TimingOutcome | undefined, dimensions: SeriesDimensions | undefined, room: boolean): boolean {
    let kept = true
    let series: Series | undefined
    if (dimensions === undefined) series = this.rest
    else {
      series = this.byDimensions.get(dimensions.key)
      if (series === undefined) {
        this.rest ??= this.all.copyAs(noDimensions)
        if (room) {
          series = new Series(this.name, dimensions.values, new QuantileSketch(this.sketch))
          this.byDimensions.set(dimensions.key, series)
        } else {
          kept = false
          series = this.overflow ??= new Series(this.name, noDimensions, new QuantileSketch(this.sketch), true)
        }
      }
    }
    this.all.add(value, outcome)
    series?.add(value, outcome)
    return kept
  }

  /** Takes back a sample without dimensions (a web vital reported again). */
  remove(value: number): void {
    this.all.sketch.remove(value)
    this.rest?.sketch.remove(value)
  }

  /** The series of exactly these dimensions (by key, `""` for `all`). */
  get(key: string): Series | undefined {
    return key === "" ? this.all : this.byDimensions.get(key)
  }

  /** The series with dimensions, ordered by their dimensions (names and values in option order). */
  dimensioned(): Array<Series> {
    return [...this.byDimensions.values()]
      .map((series) => [sortKey(series.dimensions), series] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, series]) => series)
  }

  /** The series that partition the samples: `all` alone until a sample had dimensions. */
  partition(): Array<Series> {
    if (this.rest === undefined) return [this.all]
    const parts = [this.rest, ...this.dimensioned()]
    return this.overflow === undefined ? parts : [...parts, this.overflow]
  }
}
