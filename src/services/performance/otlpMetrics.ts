/**
 * `PerformanceMetrics.snapshot`: what the service holds as OTLP metrics, cumulative since it was built or
 * last cleared.
 *
 * - Each metric name is an exponential histogram (unit `ms`; `web_vital.CLS` unitless) whose points are
 *   its series: the samples without dimensions, one point per set of dimensions, and one marked
 *   `otel.metric.overflow = true` for samples past `maxSeries` — a partition, so summing across
 *   attributes counts each sample once. The sketches' buckets are OTLP's at their scale: nothing is lost.
 * - `effect_telemetry.timing.count`: a monotonic sum of timed runs by `metric`, `outcome` and dimensions.
 * - AI operations under the GenAI semantic conventions: `gen_ai.client.operation.duration` (seconds)
 *   and `gen_ai.client.token.usage` (`gen_ai.token.type` `input` / `output`).
 * - `web_vital.<name>.latest`: a gauge of each web vital's latest value, with its `web_vital.rating`.
 * - `effect_telemetry.performance.dropped_samples`: a monotonic sum of the samples not kept.
 *
 * @internal
 */
import type { QuantileSketch } from "../../internal/QuantileSketch.js"
import type { Attributes, ExponentialHistogramPoint, Metric, NumberPoint } from "../../transports/otlp/Model.js"
import { genAiAttribute, type GenAiMetrics } from "./genAi.js"
import type { Series } from "./series.js"
import type { PerformanceState } from "./PerformanceState.js"

/** The names of the metrics the snapshot holds besides one per metric name. */
export const otlpMetricName = {
  timingCount: "effect_telemetry.timing.count",
  droppedSamples: "effect_telemetry.performance.dropped_samples",
  operationDuration: "gen_ai.client.operation.duration",
  tokenUsage: "gen_ai.client.token.usage"
} as const

interface Window {
  readonly startTimeUnixNano: bigint
  readonly timeUnixNano: bigint
}

/** One sketch as an exponential-histogram point. */
export const exponentialPoint = (
  sketch: QuantileSketch,
  attributes: Attributes,
  window: Window
): ExponentialHistogramPoint => {
  const { bucketCounts, offset, scale, zeroCount } = sketch.exponentialBuckets()
  return {
    ...window,
    attributes,
    count: sketch.count,
    sum: sketch.sum,
    min: sketch.min,
    max: sketch.max,
    scale,
    zeroCount,
    positive: { offset, bucketCounts }
  }
}

const attributesOf = (series: Series): Attributes =>
  series.overflow ? { "otel.metric.overflow": true } : series.dimensions

const count = (value: number, attributes: Attributes, window: Window): NumberPoint => ({
  ...window,
  attributes,
  value,
  integer: true
})

const genAiMetrics = (genAi: GenAiMetrics, window: Window): Array<Metric> => {
  const durations: Array<ExponentialHistogramPoint> = []
  const tokens: Array<ExponentialHistogramPoint> = []
  for (const series of genAi.values()) {
    durations.push(exponentialPoint(series.seconds, series.attributes, window))
    for (const [type, sketch] of [["input", series.inputTokens], ["output", series.outputTokens]] as const) {
      if (sketch.count > 0) {
        tokens.push(exponentialPoint(sketch, { ...series.attributes, [genAiAttribute.tokenType]: type }, window))
      }
    }
  }
  const metrics: Array<Metric> = []
  if (durations.length > 0) {
    metrics.push({
      name: otlpMetricName.operationDuration,
      description: "GenAI operation duration.",
      unit: "s",
      data: { _tag: "ExponentialHistogram", points: durations }
    })
  }
  if (tokens.length > 0) {
    metrics.push({
      name: otlpMetricName.tokenUsage,
      description: "Number of input and output tokens used.",
      unit: "{token}",
      data: { _tag: "ExponentialHistogram", points: tokens }
    })
  }
  return metrics
}

/** Everything `state` holds as OTLP metrics at `now` (nanoseconds by `Clock`). */
export const otlpMetrics = (state: PerformanceState, now: bigint): Array<Metric> => {
  const window: Window = { startTimeUnixNano: state.startedAt, timeUnixNano: now }
  const metrics: Array<Metric> = []
  const outcomes: Array<NumberPoint> = []
  const names = [...state.entries()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of names) {
    const parts = entry.partition().filter((series) => series.sketch.count > 0)
    if (parts.length === 0) continue
    metrics.push({
      name: entry.name,
      unit: entry.name === "web_vital.CLS" ? "1" : "ms",
      data: { _tag: "ExponentialHistogram", points: parts.map((s) => exponentialPoint(s.sketch, attributesOf(s), window)) }
    })
    if (!entry.timed) continue
    for (const series of parts) {
      for (const outcome of ["success", "failure", "interrupted"] as const) {
        outcomes.push(count(series.outcomes[outcome], { metric: entry.name, outcome, ...attributesOf(series) }, window))
      }
    }
  }
  if (outcomes.length > 0) {
    metrics.push({
      name: otlpMetricName.timingCount,
      description: "Runs timed by PerformanceMetrics, by metric and outcome.",
      unit: "{run}",
      data: { _tag: "Sum", monotonic: true, points: outcomes }
    })
  }
  metrics.push(...genAiMetrics(state.genAi, window))
  for (const vital of state.webVitals()) {
    metrics.push({
      name: `web_vital.${vital.name}.latest`,
      unit: vital.name === "CLS" ? "1" : "ms",
      data: {
        _tag: "Gauge",
        points: [{ ...window, attributes: { "web_vital.rating": vital.rating }, value: vital.value, integer: false }]
      }
    })
  }
  metrics.push({
    name: otlpMetricName.droppedSamples,
    description: "Samples PerformanceMetrics did not keep (past maxMetrics or maxSeries, or invalid).",
    unit: "{sample}",
    data: { _tag: "Sum", monotonic: true, points: [count(state.dropped, {}, window)] }
  })
  return metrics
}
