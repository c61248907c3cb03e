/**
 * The metric bridge: the program's own Effect metrics (`Metric.counter`, `gauge`, `histogram`, `summary`,
 * `frequency`), read from Effect's process-wide registry and shaped as OTLP metrics for the exporter.
 *
 * @internal
 */
import * as Metric from "effect/Metric"
import type * as MetricKey from "effect/MetricKey"
import * as MetricKeyType from "effect/MetricKeyType"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"
import type {
  Attributes,
  HistogramPoint,
  Metric as OtlpMetric,
  MetricData,
  NumberPoint,
  PointBase,
  SummaryPoint
} from "../transports/otlp/Model.js"

/** Our own metrics (the collector's `effect_telemetry_*` gauges) are exported by the library's own signals, not here. */
const ownPrefix = "effect_telemetry_"

/** The attribute a frequency's points name their word by. */
export const frequencyKeyAttribute = "key"

/**
 * Every Effect metric of the process as OTLP metrics, one per name with a point per tag set: counters as
 * sums (monotonic when created `incremental`), gauges as gauges, histograms as explicit-bucket histograms
 * (per-bucket counts), summaries as summaries, frequencies as monotonic sums with a `key` attribute per
 * word. Tags become point attributes; sums and histograms are cumulative from `startTimeUnixNano`. Our
 * library's own metrics are left out.
 */
export const effectMetrics = (startTimeUnixNano: bigint, nowUnixNano: bigint): ReadonlyArray<OtlpMetric> =>
  fromSnapshot(Metric.unsafeSnapshot(), startTimeUnixNano, nowUnixNano)

/** `effectMetrics` over a given snapshot. */
export const fromSnapshot = (
  snapshot: ReadonlyArray<MetricPair.MetricPair.Untyped>,
  startTimeUnixNano: bigint,
  nowUnixNano: bigint
): ReadonlyArray<OtlpMetric> => {
  const byName = new Map<string, { readonly metric: OtlpMetric; readonly points: Array<unknown> }>()
  for (const { metricKey, metricState } of snapshot) {
    if (metricKey.name.startsWith(ownPrefix)) continue
    const base: PointBase = { attributes: attributesOf(metricKey), startTimeUnixNano, timeUnixNano: nowUnixNano }
    const converted = convert(metricKey, metricState, base)
    if (converted === undefined) continue
    const existing = byName.get(metricKey.name)
    if (existing !== undefined && existing.metric.data._tag === converted.data._tag) {
      existing.points.push(...converted.data.points)
      continue
    }
    if (existing !== undefined) continue // one name, two kinds: the first kind seen wins
    const points = [...converted.data.points]
    const data = { ...converted.data, points } as MetricData
    const metric: OtlpMetric = Option.isSome(metricKey.description)
      ? { name: metricKey.name, description: metricKey.description.value, data }
      : { name: metricKey.name, data }
    byName.set(metricKey.name, { metric, points })
  }
  return Array.from(byName.values(), (entry) => entry.metric)
}

const attributesOf = (key: MetricKey.MetricKey.Untyped): Attributes => {
  const attributes: Record<string, string> = {}
  for (const tag of key.tags) attributes[tag.key] = tag.value
  return attributes
}

const numberPoint = (base: PointBase, value: number | bigint, bigint: boolean): NumberPoint => ({
  ...base,
  value: Number(value),
  integer: bigint || typeof value === "bigint" || Number.isInteger(value)
})

const convert = (
  key: MetricKey.MetricKey.Untyped,
  state: MetricState.MetricState.Untyped,
  base: PointBase
): { readonly data: MetricData } | undefined => {
  const keyType: unknown = key.keyType
  if (MetricState.isCounterState(state)) {
    const counter = MetricKeyType.isCounterKey(keyType) ? keyType : undefined
    return {
      data: {
        _tag: "Sum",
        monotonic: counter?.incremental ?? false,
        points: [numberPoint(base, state.count, counter?.bigint ?? false)]
      }
    }
  }
  if (MetricState.isGaugeState(state)) {
    const bigint = MetricKeyType.isGaugeKey(keyType) && keyType.bigint
    return { data: { _tag: "Gauge", points: [numberPoint(base, state.value, bigint)] } }
  }
  if (MetricState.isHistogramState(state)) return { data: { _tag: "Histogram", points: [histogramPoint(base, state)] } }
  if (MetricState.isSummaryState(state)) return { data: { _tag: "Summary", points: [summaryPoint(base, state)] } }
  if (MetricState.isFrequencyState(state)) {
    const points: Array<NumberPoint> = []
    for (const [word, count] of state.occurrences) {
      points.push({ ...base, attributes: { ...base.attributes, [frequencyKeyAttribute]: word }, value: count, integer: true })
    }
    return { data: { _tag: "Sum", monotonic: true, points } }
  }
  return undefined
}

/** Effect's buckets are `[upper bound, cumulative count]`, the last bound `+Infinity`: OTLP wants counts per bucket. */
export const histogramPoint = (base: PointBase, state: MetricState.MetricState.Histogram): HistogramPoint => {
  const buckets = [...state.buckets].sort((a, b) => a[0] - b[0])
  const bounds: Array<number> = []
  const bucketCounts: Array<number> = []
  let below = 0
  for (const [bound, cumulative] of buckets) {
    if (bound === Number.POSITIVE_INFINITY) break
    bounds.push(bound)
    bucketCounts.push(Math.max(0, cumulative - below))
    below = Math.max(below, cumulative)
  }
  bucketCounts.push(Math.max(0, state.count - below))
  const point: { -readonly [K in keyof HistogramPoint]: HistogramPoint[K] } = {
    ...base,
    count: state.count,
    sum: state.sum,
    bounds,
    bucketCounts
  }
  if (state.count > 0) {
    point.min = state.min
    point.max = state.max
  }
  return point
}

const summaryPoint = (base: PointBase, state: MetricState.MetricState.Summary): SummaryPoint => {
  const quantiles: Array<{ readonly quantile: number; readonly value: number }> = []
  for (const [quantile, value] of state.quantiles) {
    if (Option.isSome(value)) quantiles.push({ quantile, value: value.value })
  }
  return { ...base, count: state.count, sum: state.sum, quantiles }
}
