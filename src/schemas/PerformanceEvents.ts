/**
 * What `PerformanceMetrics` accepts, records and reports: AI operations, timings, measures, Core Web
 * Vitals and resource snapshots, the `performance.*` events they become, and the service's errors.
 */
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { ResourceSnapshot } from "../services/performance/ResourceSnapshot.js"

/** A field of an input was invalid; nothing was recorded. `field` is the path, e.g. `"tokens.prompt"`. */
export class InvalidMetricError extends Data.TaggedError("InvalidMetricError")<{
  readonly field: string
  readonly message: string
}> {}

/** `measure` named a mark that was never set (or was cleared). */
export class MarkNotFoundError extends Data.TaggedError("MarkNotFoundError")<{
  readonly mark: string
}> {
  override get message(): string {
    return `no performance mark named "${this.mark}"`
  }
}

/** `percentiles` asked for a metric that has no samples. */
export class MetricNotFoundError extends Data.TaggedError("MetricNotFoundError")<{
  /** The metric asked for (a field named `name` would shadow `Error.name`, which shows the tag). */
  readonly metric: string
}> {
  override get message(): string {
    return `no samples recorded for metric "${this.metric}"`
  }
}

/** An optional field that, when present, holds a value (never `undefined`), so the data stays JSON. */
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** The event types `PerformanceMetrics` tracks through the collector. */
export const PerformanceEventType = {
  /** One AI operation (`trackAIOperation`). */
  aiOperation: "performance.ai_operation",
  /** One effect run through `timed`. */
  timing: "performance.timing",
  /** A measure between marks. */
  measure: "performance.measure",
  /** A Core Web Vital report. */
  webVital: "performance.web_vital",
  /** A resource snapshot. */
  resource: "performance.resource"
} as const

/** A metric or mark name such as `ai.chat` or `render:start`: 1–128 letters, digits and `. _ - : /`. */
export const MetricName = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(128, { message: () => "is longer than 128 characters" }),
  Schema.pattern(/^[A-Za-z0-9_.:/-]+$/, { message: () => "may hold only letters, digits and . _ - : /" })
).annotations({ identifier: "MetricName" })

/**
 * A glob over metric names for `timings`, e.g. `ai.*` or `web_vital.?CP`: the characters of a
 * `MetricName` plus `*` (any run of characters, `.` included) and `?` (any one character), matched
 * against the whole name.
 */
export const MetricPattern = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(128, { message: () => "is longer than 128 characters" }),
  Schema.pattern(/^[A-Za-z0-9_.:/*?-]+$/, {
    message: () => "may hold only letters, digits, . _ - : / and the wildcards * and ?"
  })
).annotations({ identifier: "MetricPattern" })

/** A short free-form label (provider, model, operation): 1–128 characters. */
const Label = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(128, { message: () => "is longer than 128 characters" })
).annotations({ identifier: "Label" })

/** Milliseconds: finite and ≥ 0. */
const Millis = Schema.Number.pipe(
  Schema.finite({ message: () => "must be a finite number of milliseconds" }),
  Schema.nonNegative({ message: () => "must not be negative" })
).annotations({ identifier: "Millis" })

/** A whole count ≥ 0 (tokens, bytes). */
const Count = Schema.Number.pipe(
  Schema.int({ message: () => "must be a whole number" }),
  Schema.nonNegative({ message: () => "must not be negative" })
).annotations({ identifier: "Count" })

/** Attributes attached to a timing: at most 32 string, finite number or boolean values. */
export const MetricAttributes = Schema.Record({
  key: Schema.String.pipe(Schema.maxLength(128)),
  value: Schema.Union(Schema.String.pipe(Schema.maxLength(1024)), Schema.Number.pipe(Schema.finite()), Schema.Boolean)
}).pipe(Schema.filter((attributes) => Object.keys(attributes).length <= 32 || "at most 32 attributes"))
  .annotations({ identifier: "MetricAttributes" })
export type MetricAttributes = typeof MetricAttributes.Type

/** One AI operation: its phases, total, tokens and context size. The data of a `performance.ai_operation`. */
export const AIOperation = Schema.Struct({
  /** What was done, e.g. `chat` or `summarize`. */
  operation: optional(Label),
  provider: optional(Label),
  model: optional(Label),
  /** Wall time of the whole operation. */
  totalMs: Millis,
  /** Time spent gathering context. */
  contextGatheringMs: optional(Millis),
  /** Time spent compressing context. */
  compressionMs: optional(Millis),
  /** Time spent in the provider's API call. */
  apiCallMs: optional(Millis),
  promptTokens: optional(Count),
  completionTokens: optional(Count),
  /** Size of the context sent, in tokens. */
  contextSize: optional(Count),
  /** Whether the operation succeeded; absent means it did. */
  success: optional(Schema.Boolean),
  attributes: optional(MetricAttributes)
}).annotations({ identifier: "AIOperation" })
export type AIOperation = typeof AIOperation.Type

/** How an effect run through `timed` ended. */
export const TimingOutcome = Schema.Literal("success", "failure", "interrupted")
export type TimingOutcome = typeof TimingOutcome.Type

/** The data of a `performance.timing` event. */
export const TimingEvent = Schema.Struct({
  name: MetricName,
  durationMs: Millis,
  outcome: TimingOutcome,
  attributes: optional(MetricAttributes)
}).annotations({ identifier: "TimingEvent" })
export type TimingEvent = typeof TimingEvent.Type

/** A duration measured outside `timed` (a span), recorded as `timed` records it but without tracking an event. */
export interface TimingSample {
  readonly name: string
  readonly durationMs: number
  readonly outcome: TimingOutcome
  readonly attributes?: MetricAttributes
}

/** Where a measure starts and (optionally) ends; without `end` it ends now. */
export const MeasureRange = Schema.Struct({
  start: MetricName,
  end: optional(MetricName)
}).annotations({ identifier: "MeasureRange" })
export type MeasureRange = typeof MeasureRange.Type

/** The data of a `performance.measure` event. */
export const MeasureEvent = Schema.Struct({
  name: MetricName,
  start: MetricName,
  end: optional(MetricName),
  durationMs: Millis
}).annotations({ identifier: "MeasureEvent" })
export type MeasureEvent = typeof MeasureEvent.Type

/** The Core Web Vitals (FID only when a caller supplies it: INP replaced it in 2024). */
export const WebVitalName = Schema.Literal("LCP", "INP", "CLS", "FCP", "TTFB", "FID")
export type WebVitalName = typeof WebVitalName.Type

/** Google's rating of a web vital. */
export const WebVitalRating = Schema.Literal("good", "needs-improvement", "poor")
export type WebVitalRating = typeof WebVitalRating.Type

/**
 * Google's thresholds `[good, poor]`: a value ≤ good is `good`, ≤ poor is `needs-improvement`, above is
 * `poor`. Milliseconds, except CLS (a unitless score).
 */
export const webVitalThresholds: { readonly [Name in WebVitalName]: readonly [number, number] } = {
  LCP: [2500, 4000],
  INP: [200, 500],
  CLS: [0.1, 0.25],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
  FID: [100, 300]
}

/** The rating of a web vital value from Google's thresholds. */
export const rateWebVital = (name: WebVitalName, value: number): WebVitalRating => {
  const [good, poor] = webVitalThresholds[name]
  return value <= good ? "good" : value <= poor ? "needs-improvement" : "poor"
}

/**
 * A web vital report, shaped like the `web-vitals` library's `Metric`. Reports sharing an `id` are one
 * metric instance: a later one replaces the earlier (its `delta` is the change), it is not counted twice.
 */
export const WebVitalReport = Schema.Struct({
  name: WebVitalName,
  value: Schema.Number.pipe(
    Schema.finite({ message: () => "must be a finite number" }),
    Schema.nonNegative({ message: () => "must not be negative" })
  ),
  /** Computed from `webVitalThresholds` when absent. */
  rating: optional(WebVitalRating),
  /** The metric instance id from `web-vitals`; without it every report counts as a new instance. */
  id: optional(Label),
  /** Change since the previous report of the same `id`. */
  delta: optional(Schema.Number.pipe(Schema.finite({ message: () => "must be a finite number" }))),
  /** `navigate`, `reload`, `back-forward`, `back-forward-cache`, `prerender` or `restore`. */
  navigationType: optional(Schema.String.pipe(Schema.maxLength(64)))
}).annotations({ identifier: "WebVitalReport" })
export type WebVitalReport = typeof WebVitalReport.Type

/** A web vital as recorded: the report with its rating settled. The data of a `performance.web_vital`. */
export const WebVital = Schema.Struct({
  ...WebVitalReport.fields,
  rating: WebVitalRating
}).annotations({ identifier: "WebVital" })
export type WebVital = typeof WebVital.Type

export {
  ConnectionInfo,
  EventLoopUsage,
  MemoryUsage,
  ResourceSnapshot
} from "../services/performance/ResourceSnapshot.js"

/**
 * A metric's distribution: exact count, min, max, mean; p50/p95/p99 by linear interpolation between
 * ranks, exact up to 128 samples and within 1 % beyond (0.54 % at the default scale 6).
 */
export const Percentiles = Schema.Struct({
  count: Schema.Number,
  min: Schema.Number,
  max: Schema.Number,
  mean: Schema.Number,
  p50: Schema.Number,
  p95: Schema.Number,
  p99: Schema.Number
}).annotations({ identifier: "Percentiles" })
export type Percentiles = typeof Percentiles.Type

/**
 * The dimensions of a series, e.g. `{ provider: "anthropic", model: "claude-sonnet" }`: the attributes
 * of its samples named by the `dimensions` option, as strings.
 */
export const MetricDimensions = Schema.Record({ key: Schema.String, value: Schema.String })
  .annotations({ identifier: "MetricDimensions" })
export type MetricDimensions = typeof MetricDimensions.Type

/** One series' name, dimensions (absent for a metric's series of every sample) and distribution, as `timings` lists them. */
export const MetricPercentiles = Schema.Struct({
  name: Schema.String,
  dimensions: optional(MetricDimensions),
  ...Percentiles.fields
}).annotations({ identifier: "MetricPercentiles" })
export type MetricPercentiles = typeof MetricPercentiles.Type

/** Which switchable areas `PerformanceMetrics` records; an area switched off records nothing. */
export const PerformanceTracking = Schema.Struct({
  /** `recordWebVital` (and `WebVitals.layer`) record; option `trackWebVitals`, default on. */
  webVitals: Schema.Boolean,
  /** `snapshotResources` reads the runtime; option `trackResources`, default on. */
  resources: Schema.Boolean
}).annotations({ identifier: "PerformanceTracking" })
export type PerformanceTracking = typeof PerformanceTracking.Type

/** How the runs of one `timed` name ended. */
export const TimingOutcomes = Schema.Struct({
  success: Schema.Number,
  failure: Schema.Number,
  interrupted: Schema.Number
}).annotations({ identifier: "TimingOutcomes" })
export type TimingOutcomes = typeof TimingOutcomes.Type

/** Totals over every `trackAIOperation`. */
export const AIOperationTotals = Schema.Struct({
  operations: Schema.Number,
  failures: Schema.Number,
  totalMs: Schema.Number,
  promptTokens: Schema.Number,
  completionTokens: Schema.Number
}).annotations({ identifier: "AIOperationTotals" })
export type AIOperationTotals = typeof AIOperationTotals.Type

/** Everything `PerformanceMetrics` holds, as `getSummary` reports it. */
export const PerformanceSummary = Schema.Struct({
  /** Every metric's distribution, by name (timings, measures, `ai.*`, `web_vital.*`). */
  metrics: Schema.Record({ key: Schema.String, value: Percentiles }),
  /** How the runs of each `timed` name ended. */
  timings: Schema.Record({ key: Schema.String, value: TimingOutcomes }),
  /** The latest report of each web vital. */
  webVitals: Schema.Record({ key: Schema.String, value: WebVital }),
  ai: AIOperationTotals,
  /** The latest resource snapshot, if one was taken. */
  resources: optional(ResourceSnapshot),
  /**
   * The series of samples carrying dimensions (option `dimensions`), ordered by name then dimensions;
   * absent when none did. `metrics` keeps every sample of a name whatever its dimensions.
   */
  series: optional(Schema.Array(MetricPercentiles)),
  /**
   * Samples not kept: of a name past `maxMetrics`, of a series past `maxSeries` (still kept under its
   * name), or invalid in `recordTimings`.
   */
  droppedSamples: Schema.Number,
  /** Which areas are recorded: a switched-off one shows `false` here and nothing above. */
  tracking: PerformanceTracking
}).annotations({ identifier: "PerformanceSummary" })
export type PerformanceSummary = typeof PerformanceSummary.Type
