/**
 * The aggregates `PerformanceMetrics` keeps: one quantile sketch per metric name, timing outcomes,
 * marks, web vitals (with their instances by id) and AI totals.
 *
 * It is one small mutable structure touched only from the service's effects, each access synchronous
 * (so atomic on the single JavaScript thread), because `timed` runs on the host's hot path and a sketch is a
 * mutable array of counts: putting it in a `Ref` would mean copying 3 KiB per sample.
 */
import { QuantileSketch, type QuantileSketchOptions } from "../../internal/QuantileSketch.js"
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

/** The limits of what is held. */
export interface PerformanceLimits {
  readonly sketch: QuantileSketchOptions
  /** Distinct metric names kept; samples of further names are counted in `droppedSamples`. */
  readonly maxMetrics: number
  /** Marks kept; setting one more forgets the oldest. */
  readonly maxMarks: number
  /** Web-vital instances remembered by id for de-duplication; the oldest is forgotten first. */
  readonly maxWebVitalInstances: number
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
  private readonly metrics = new Map<string, QuantileSketch>()
  private readonly timings = new Map<string, { success: number; failure: number; interrupted: number }>()
  private readonly marks = new Map<string, number>()
  private readonly vitals = new Map<string, WebVital>()
  private readonly vitalInstances = new Map<string, number>()
  private ai = { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 }
  private resources: ResourceSnapshot | undefined = undefined
  private droppedSamples = 0

  constructor(private readonly limits: PerformanceLimits) {}

  /** The sketch of a metric, created on first use unless `maxMetrics` are held already. */
  private sketch(name: string): QuantileSketch | undefined {
    let sketch = this.metrics.get(name)
    if (sketch === undefined && this.metrics.size < this.limits.maxMetrics) {
      sketch = new QuantileSketch(this.limits.sketch)
      this.metrics.set(name, sketch)
    }
    return sketch
  }

  /** Adds a sample to a metric. */
  observe(name: string, value: number): void {
    const sketch = this.sketch(name)
    if (sketch === undefined) this.droppedSamples++
    else sketch.add(value)
  }

  /** Adds a `timed` run: its duration to the metric, its outcome to the counts. */
  recordTiming(name: string, durationMs: number, outcome: TimingOutcome): void {
    this.observe(name, durationMs)
    let outcomes = this.timings.get(name)
    if (outcomes === undefined) {
      if (!this.metrics.has(name)) return
      outcomes = { success: 0, failure: 0, interrupted: 0 }
      this.timings.set(name, outcomes)
    }
    outcomes[outcome]++
  }

  recordAIOperation(op: AIOperation): void {
    this.ai.operations++
    if (op.success === false) this.ai.failures++
    this.ai.totalMs += op.totalMs
    this.ai.promptTokens += op.promptTokens ?? 0
    this.ai.completionTokens += op.completionTokens ?? 0
    this.observe(aiMetric.total, op.totalMs)
    if (op.contextGatheringMs !== undefined) this.observe(aiMetric.contextGathering, op.contextGatheringMs)
    if (op.compressionMs !== undefined) this.observe(aiMetric.compression, op.compressionMs)
    if (op.apiCallMs !== undefined) this.observe(aiMetric.apiCall, op.apiCallMs)
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

  percentiles(name: string): Percentiles | undefined {
    const sketch = this.metrics.get(name)
    return sketch === undefined || sketch.count === 0 ? undefined : percentilesOf(sketch)
  }

  /** The metrics with samples whose names pass `matches`, ordered by name (UTF-16 code units, as `sort`). */
  matching(matches: (name: string) => boolean): Array<MetricPercentiles> {
    const names: Array<string> = []
    for (const [name, sketch] of this.metrics) if (sketch.count > 0 && matches(name)) names.push(name)
    return names.sort().map((name) => ({ name, ...percentilesOf(this.metrics.get(name)!) }))
  }

  /**
   * Forgets what was recorded: every metric, timing outcome, web vital (and the instance ids kept for
   * de-duplication), the AI totals, the latest resource snapshot and the dropped-sample count. Marks stay.
   */
  clear(): void {
    this.metrics.clear()
    this.timings.clear()
    this.vitals.clear()
    this.vitalInstances.clear()
    this.ai = { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 }
    this.resources = undefined
    this.droppedSamples = 0
  }

  /** `clear`, and the marks too: as newly built. */
  reset(): void {
    this.clear()
    this.marks.clear()
  }

  summary(): Omit<PerformanceSummary, "tracking"> {
    const metrics: Record<string, Percentiles> = {}
    for (const [name, sketch] of this.metrics) if (sketch.count > 0) metrics[name] = percentilesOf(sketch)
    const timings: Record<string, TimingOutcomes> = {}
    for (const [name, outcomes] of this.timings) timings[name] = { ...outcomes }
    const webVitals: Record<string, WebVital> = {}
    for (const [name, vital] of this.vitals) webVitals[name] = vital
    const ai: AIOperationTotals = { ...this.ai }
    const base = { metrics, timings, webVitals, ai, droppedSamples: this.droppedSamples }
    return this.resources === undefined ? base : { ...base, resources: this.resources }
  }
}
