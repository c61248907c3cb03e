/**
 * The aggregates `PerformanceMetrics` keeps: the series of each metric name (see `series`), timing
 * outcomes, marks, web vitals (with their instances by id), AI totals and the GenAI series.
 *
 * It is one small mutable structure touched only from the service's effects, each access synchronous
 * (so atomic on the single JavaScript thread), because `timed` runs on the host's hot path and a sketch is a
 * mutable array of counts: putting it in a `Ref` would mean copying 4 KiB per sample.
 */
import type { QuantileSketchOptions } from "../../internal/QuantileSketch.js"
import type {
  AIOperation,
  AIOperationTotals,
  MetricPercentiles,
  Percentiles,
  PerformanceSummary,
  ResourceSnapshot,
  TimingOutcome,
  TimingOutcomes,
  WebVital
} from "../../schemas/PerformanceEvents.js"
import type { DimensionReader, SeriesDimensions } from "./dimensions.js"
import { GenAiMetrics } from "./genAi.js"
import { listed, MetricSeries, percentilesOf } from "./series.js"

export { percentilesOf } from "./series.js"

/** The limits of what is held. */
export interface PerformanceLimits {
  readonly sketch: QuantileSketchOptions
  /** Distinct metric names kept; samples of further names are counted in `droppedSamples`. */
  readonly maxMetrics: number
  /** Series with dimensions kept (and GenAI attribute sets); a sample past them is counted dropped. */
  readonly maxSeries: number
  /** Marks kept; setting one more forgets the oldest. */
  readonly maxMarks: number
  /** Web-vital instances remembered by id for de-duplication; the oldest is forgotten first. */
  readonly maxWebVitalInstances: number
  /** Reads a sample's dimensions. */
  readonly dimensions: DimensionReader
}

/** The name of the metric holding a web vital's values, e.g. `web_vital.LCP`. */
export const webVitalMetric = (name: string): string => `web_vital.${name}`

/** AI operations' durations are kept under these metric names. */
export const aiMetric = {
  total: "ai.total",
  contextGathering: "ai.context_gathering",
  compression: "ai.compression",
  apiCall: "ai.api_call"
} as const

export class PerformanceState {
  private readonly metrics = new Map<string, MetricSeries>()
  private readonly marks = new Map<string, number>()
  private readonly vitals = new Map<string, WebVital>()
  private readonly vitalInstances = new Map<string, number>()
  private ai = { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 }
  private resources: ResourceSnapshot | undefined = undefined
  private droppedSamples = 0
  private dimensionedSeries = 0
  readonly genAi: GenAiMetrics

  constructor(private readonly limits: PerformanceLimits, private started: bigint) {
    this.genAi = new GenAiMetrics(limits.sketch, limits.maxSeries)
  }

  /** When the aggregates began: the service was built or last cleared (nanoseconds by `Clock`). */
  get startedAt(): bigint {
    return this.started
  }

  /** Samples not kept. */
  get dropped(): number {
    return this.droppedSamples
  }

  /** The series of a metric name, created on first use unless `maxMetrics` are held already. */
  private entry(name: string): MetricSeries | undefined {
    let entry = this.metrics.get(name)
    if (entry === undefined && this.metrics.size < this.limits.maxMetrics) {
      entry = new MetricSeries(name, this.limits.sketch)
      this.metrics.set(name, entry)
    }
    return entry
  }

  /** Adds a sample to a metric (and its series of `dimensions`); `undefined` when the name found no room. */
  private add(
    name: string,
    value: number,
    outcome: TimingOutcome | undefined,
    dimensions: SeriesDimensions | undefined
  ): MetricSeries | undefined {
    const entry = this.entry(name)
    if (entry === undefined) {
      this.droppedSamples++
      return undefined
    }
    const before = entry.dimensionedCount
    if (!entry.add(value, outcome, dimensions, this.dimensionedSeries < this.limits.maxSeries)) this.droppedSamples++
    this.dimensionedSeries += entry.dimensionedCount - before
    return entry
  }

  /** Adds a sample to a metric. */
  observe(name: string, value: number, dimensions?: SeriesDimensions): void {
    this.add(name, value, undefined, dimensions)
  }

  /** Adds a timed run: its duration to the metric, its outcome to the counts. */
  recordTiming(name: string, durationMs: number, outcome: TimingOutcome, dimensions?: SeriesDimensions): void {
    const entry = this.add(name, durationMs, outcome, dimensions)
    if (entry !== undefined) entry.timed = true
  }

  /** Counts a sample refused before recording (`recordTimings`). */
  drop(): void {
    this.droppedSamples++
  }

  recordAIOperation(op: AIOperation, dimensions: SeriesDimensions | undefined): void {
    this.ai.operations++
    if (op.success === false) this.ai.failures++
    this.ai.totalMs += op.totalMs
    this.ai.promptTokens += op.promptTokens ?? 0
    this.ai.completionTokens += op.completionTokens ?? 0
    this.observe(aiMetric.total, op.totalMs, dimensions)
    if (op.contextGatheringMs !== undefined) this.observe(aiMetric.contextGathering, op.contextGatheringMs, dimensions)
    if (op.compressionMs !== undefined) this.observe(aiMetric.compression, op.compressionMs, dimensions)
    if (op.apiCallMs !== undefined) this.observe(aiMetric.apiCall, op.apiCallMs, dimensions)
    if (!this.genAi.add(op)) this.droppedSamples++
  }

  setMark(name: string, atMs: number): void {
    // Re-inserting moves the mark to the end, so eviction always takes the least recently set.
    this.marks.delete(name)
    this.marks.set(name, atMs)
    if (this.marks.size > this.limits.maxMarks) {
      const oldest = this.marks.keys().next()
      if (oldest.done !== true) this.marks.delete(oldest.value)
    }
  }

  getMark(name: string): number | undefined {
    return this.marks.get(name)
  }

  clearMarks(name: string | undefined): void {
    if (name === undefined) this.marks.clear()
    else this.marks.delete(name)
  }

  /**
   * Records a web vital. A report whose `id` was seen before replaces that instance's value in the
   * metric instead of adding a second sample.
   */
  recordWebVital(vital: WebVital): void {
    const metric = webVitalMetric(vital.name)
    if (vital.id !== undefined) {
      const key = `${vital.name}\u0000${vital.id}`
      const previous = this.vitalInstances.get(key)
      if (previous !== undefined) {
        this.metrics.get(metric)?.remove(previous)
        this.vitalInstances.delete(key)
      }
      this.vitalInstances.set(key, vital.value)
      if (this.vitalInstances.size > this.limits.maxWebVitalInstances) {
        const oldest = this.vitalInstances.keys().next()
        if (oldest.done !== true) this.vitalInstances.delete(oldest.value)
      }
    }
    this.observe(metric, vital.value)
    this.vitals.set(vital.name, vital)
  }

  setResources(snapshot: ResourceSnapshot): void {
    this.resources = snapshot
  }

  /** The distribution of a metric, or of its series of exactly `dimensions`. */
  percentiles(name: string, dimensions?: Readonly<Record<string, string>>): Percentiles | undefined {
    const key = dimensions === undefined ? "" : this.limits.dimensions.keyOf(dimensions)
    const series = key === undefined ? undefined : this.metrics.get(name)?.get(key)
    return series === undefined || series.sketch.count === 0 ? undefined : percentilesOf(series.sketch)
  }

  /**
   * The series with samples whose names pass `matches`, ordered by name (UTF-16 code units, as `sort`):
   * each name's series of every sample, then its series with dimensions.
   */
  matching(matches: (name: string) => boolean): Array<MetricPercentiles> {
    const names: Array<string> = []
    for (const [name, entry] of this.metrics) if (entry.all.sketch.count > 0 && matches(name)) names.push(name)
    return names.sort().flatMap((name) => {
      const entry = this.metrics.get(name)!
      return [entry.all, ...entry.dimensioned()].filter((series) => series.sketch.count > 0).map(listed)
    })
  }

  /** Every metric name's series. */
  entries(): IterableIterator<MetricSeries> {
    return this.metrics.values()
  }

  /** The latest report of each web vital. */
  webVitals(): IterableIterator<WebVital> {
    return this.vitals.values()
  }

  /**
   * Forgets what was recorded: every metric, timing outcome, web vital (and the instance ids kept for
   * de-duplication), the AI totals, the latest resource snapshot and the dropped-sample count. Marks stay.
   */
  clear(at: bigint): void {
    this.started = at
    this.metrics.clear()
    this.dimensionedSeries = 0
    this.genAi.clear()
    this.vitals.clear()
    this.vitalInstances.clear()
    this.ai = { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 }
    this.resources = undefined
    this.droppedSamples = 0
  }

  /** `clear`, and the marks too: as newly built. */
  reset(at: bigint): void {
    this.clear(at)
    this.marks.clear()
  }

  summary(): Omit<PerformanceSummary, "tracking"> {
    const metrics: Record<string, Percentiles> = {}
    const timings: Record<string, TimingOutcomes> = {}
    const series: Array<MetricPercentiles> = []
    for (const [name, entry] of this.metrics) {
      if (entry.all.sketch.count > 0) metrics[name] = percentilesOf(entry.all.sketch)
      if (entry.timed) timings[name] = { ...entry.all.outcomes }
      for (const one of entry.dimensioned()) if (one.sketch.count > 0) series.push(listed(one))
    }
    const webVitals: Record<string, WebVital> = {}
    for (const [name, vital] of this.vitals) webVitals[name] = vital
    const ai: AIOperationTotals = { ...this.ai }
    series.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const base = { metrics, timings, webVitals, ai, droppedSamples: this.droppedSamples }
    const withSeries = series.length === 0 ? base : { ...base, series }
    return this.resources === undefined ? withSeries : { ...withSeries, resources: this.resources }
  }
}
