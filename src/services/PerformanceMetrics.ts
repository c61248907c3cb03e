/**
 * Performance metrics: AI operation timing, a combinator that times any effect, marks and measures,
 * Core Web Vitals, resource snapshots, and percentiles — exact for small samples, from a bounded,
 * mergeable quantile sketch beyond. Every record also flows through the collector as a
 * `performance.*` event. Web vitals and resource snapshots can be switched off.
 */
import {
  Cause,
  Context,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Schedule,
  type Schema,
  type Scope
} from "effect"
import { defaultMaxBuckets, defaultRelativeAccuracy } from "../internal/QuantileSketch.js"
import {
  AIOperation,
  InvalidMetricError,
  MarkNotFoundError,
  MeasureRange,
  MetricAttributes,
  MetricName,
  MetricNotFoundError,
  MetricPattern,
  type MetricPercentiles,
  type Percentiles,
  PerformanceEventType,
  type PerformanceSummary,
  type PerformanceTracking,
  rateWebVital,
  type ResourceSnapshot,
  type TimingOutcome,
  type WebVital,
  WebVitalReport
} from "../schemas/PerformanceEvents.js"
import type { EventInput, JsonObject } from "../schemas/TelemetryEvent.js"
import { PerformanceState } from "./performance/PerformanceState.js"
import { globalResourceSources, makeResourceProbe, type ResourceSources } from "./performance/resources.js"
import { TelemetryCollector } from "./TelemetryCollector.js"
import { firstIssue } from "../internal/decode.js"

/** Records performance metrics and reports their distributions. */
export class PerformanceMetrics extends Context.Tag("effect-telemetry/PerformanceMetrics")<PerformanceMetrics, {
  /** Records one AI operation (phases, total, tokens, context size) and tracks `performance.ai_operation`. */
  readonly trackAIOperation: (operation: AIOperation) => Effect.Effect<void, InvalidMetricError>
  /**
   * Times an effect with `Clock` under `name` and tracks `performance.timing` with its outcome
   * (`success`, `failure` or `interrupted`). The effect's result, error or interruption is returned
   * unchanged; recording never fails it (an invalid name or attribute is logged and not recorded).
   */
  readonly timed: (
    name: string,
    attributes?: MetricAttributes
  ) => <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Sets a mark at the current `Clock` time (replacing a mark of the same name). */
  readonly mark: (name: string) => Effect.Effect<void, InvalidMetricError>
  /**
   * Measures from mark `start` to mark `end` (or to now), records the duration under `name`, tracks
   * `performance.measure`, and returns the duration in milliseconds.
   */
  readonly measure: (
    name: string,
    range: MeasureRange
  ) => Effect.Effect<number, InvalidMetricError | MarkNotFoundError>
  /** Forgets one mark, or every mark. */
  readonly clearMarks: (name?: string) => Effect.Effect<void>
  /**
   * Records a Core Web Vital, rating it from Google's thresholds when the report carries no rating. A
   * report with an `id` seen before replaces that instance's value rather than adding another sample.
   */
  readonly recordWebVital: (report: WebVitalReport) => Effect.Effect<WebVital, InvalidMetricError>
  /** Reads memory, event-loop and connection figures now, keeps them and tracks `performance.resource`. */
  readonly snapshotResources: Effect.Effect<ResourceSnapshot>
  /**
   * The distribution of a metric: exact count/min/max/mean; p50/p95/p99 interpolated between ranks,
   * exact up to 128 samples and within 0.75 % beyond.
   */
  readonly percentiles: (name: string) => Effect.Effect<Percentiles, MetricNotFoundError>
  /**
   * The metrics whose names match `pattern` — a glob (`ai.*`, `*` any run, `?` one character, whole
   * name) or a `RegExp` (tested as given) — with their percentiles, ordered by name; default every metric.
   */
  readonly timings: (pattern?: string | RegExp) => Effect.Effect<ReadonlyArray<MetricPercentiles>, InvalidMetricError>
  /** Every metric's percentiles, the latest web vitals, timing outcomes, AI totals, resources and switches. */
  readonly getSummary: Effect.Effect<PerformanceSummary>
  /**
   * Forgets what was recorded — metrics, timing outcomes, web vitals, AI totals, the latest resource
   * snapshot, dropped samples — and keeps the marks. Tracks nothing; events already tracked stay tracked.
   */
  readonly clear: Effect.Effect<void>
  /** `clear`, and forgets the marks too: the service is as newly built. */
  readonly reset: Effect.Effect<void>
  /** Which areas record (options `trackWebVitals`, `trackResources`); settled when the service is built. */
  readonly tracking: PerformanceTracking
}>() {}

/** How `PerformanceMetrics` is set up. */
export interface PerformanceMetricsOptions {
  /** Relative accuracy of percentiles; default 0.0075. */
  readonly relativeAccuracy?: number
  /** Buckets per metric sketch; default 768 (≈ 3.5 KB per metric). */
  readonly maxBuckets?: number
  /** Distinct metric names held; default 256. Samples of further names are only counted. */
  readonly maxMetrics?: number
  /** Marks held; default 1,000, the least recently set forgotten first. */
  readonly maxMarks?: number
  /** Web-vital instance ids remembered for de-duplication; default 1,000. */
  readonly maxWebVitalInstances?: number
  /** Take a resource snapshot this often, in the layer's scope; default never (call `snapshotResources`). */
  readonly resourceInterval?: Duration.DurationInput
  /** Where resource figures come from; default the running runtime's (`globalResourceSources()`). */
  readonly resourceSources?: ResourceSources
  /**
   * Record Core Web Vitals; default `true`. When `false`, `recordWebVital` still validates and returns
   * the rated vital but records and tracks nothing, and `layerWebVitals` does not subscribe.
   */
  readonly trackWebVitals?: boolean
  /**
   * Take resource snapshots; default `true`. When `false`, `snapshotResources` returns `{}` without
   * reading the runtime, nothing is kept or tracked, and `resourceInterval` is ignored.
   */
  readonly trackResources?: boolean
}

const defaults = {
  relativeAccuracy: defaultRelativeAccuracy,
  maxBuckets: defaultMaxBuckets,
  maxMetrics: 256,
  maxMarks: 1_000,
  maxWebVitalInstances: 1_000,
  trackWebVitals: true as boolean,
  trackResources: true as boolean
} satisfies PerformanceMetricsOptions

/** Builds the service; an event-loop delay monitor and the optional snapshot fiber live in the scope. */
export const make = (
  options: PerformanceMetricsOptions = {}
): Effect.Effect<PerformanceMetrics["Type"], InvalidMetricError, TelemetryCollector | Scope.Scope> =>
  Effect.gen(function*() {
    const settings = { ...defaults, ...options }
    yield* checkOptions(settings)
    const collector = yield* TelemetryCollector
    const state = new PerformanceState({
      sketch: { relativeAccuracy: settings.relativeAccuracy, maxBuckets: settings.maxBuckets },
      maxMetrics: settings.maxMetrics,
      maxMarks: settings.maxMarks,
      maxWebVitalInstances: settings.maxWebVitalInstances
    })
    const tracking: PerformanceTracking = { webVitals: settings.trackWebVitals, resources: settings.trackResources }
    // Switched off, no probe is made: no event-loop monitor runs and no runtime API is touched.
    const readResources = tracking.resources
      ? yield* makeResourceProbe(settings.resourceSources ?? globalResourceSources())
      : undefined

    const track = (type: string, data: JsonObject) =>
      collector.track({ type, data }).pipe(
        Effect.mapError((error) => {
          const [issue] = error.issues
          return new InvalidMetricError({
            field: issue === undefined ? "data" : issue.path.join("."),
            message: issue?.message ?? error.message
          })
        })
      )

    /** Tracking whose failure must not reach the caller: logged at debug level and dropped. */
    const trackQuietly = (input: EventInput) =>
      collector.track(input).pipe(
        Effect.catchAllCause((cause) => Effect.logDebug("performance event not tracked", cause))
      )

    const nowMillis = Effect.clockWith((clock) => Effect.sync(() => nanosToMillis(clock.unsafeCurrentTimeNanos())))

    const trackAIOperation = (input: AIOperation) =>
      Effect.flatMap(decode(AIOperation)(input), (op) =>
        Effect.zipRight(
          Effect.sync(() => state.recordAIOperation(op)),
          track(PerformanceEventType.aiOperation, op)
        ))

    const recordTiming = (name: string, attributes: MetricAttributes | undefined, outcome: TimingOutcome, ms: number) =>
      Effect.zipRight(
        Effect.sync(() => state.recordTiming(name, ms, outcome)),
        trackQuietly({
          type: PerformanceEventType.timing,
          data: attributes === undefined
            ? { name, durationMs: ms, outcome }
            : { name, durationMs: ms, outcome, attributes }
        })
      ).pipe(Effect.catchAllCause((cause) => Effect.logDebug("timing not recorded", cause)))

    const timed = (name: string, attributes?: MetricAttributes) => {
      const checked = Either.all([
        decodeEither(MetricName, "name")(name),
        attributes === undefined ? Either.right(undefined) : decodeEither(MetricAttributes, "attributes")(attributes)
      ])
      return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
        if (Either.isLeft(checked)) {
          return Effect.zipRight(
            Effect.logWarning(`timed: ${checked.left.field} ${checked.left.message}; not recorded`),
            self
          )
        }
        const [metric, attrs] = checked.right
        return Effect.clockWith((clock) => {
          const start = clock.unsafeCurrentTimeNanos()
          return Effect.onExit(self, (exit) =>
            recordTiming(metric, attrs, outcomeOf(exit), nanosToMillis(clock.unsafeCurrentTimeNanos() - start)))
        })
      }
    }

    const mark = (name: string) =>
      Effect.flatMap(decode(MetricName, "name")(name), (valid) =>
        Effect.flatMap(nowMillis, (now) => Effect.sync(() => state.setMark(valid, now))))

    const measure = (name: string, range: MeasureRange) =>
      Effect.gen(function*() {
        const metric = yield* decode(MetricName, "name")(name)
        const { end, start } = yield* decode(MeasureRange, "range")(range)
        const now = yield* nowMillis
        const startAt = state.getMark(start)
        if (startAt === undefined) return yield* new MarkNotFoundError({ mark: start })
        const endAt = end === undefined ? now : state.getMark(end)
        if (endAt === undefined) return yield* new MarkNotFoundError({ mark: end! })
        if (endAt < startAt) {
          return yield* new InvalidMetricError({ field: "range.end", message: `mark "${end}" was set before "${start}"` })
        }
        const durationMs = endAt - startAt
        state.observe(metric, durationMs)
        yield* track(
          PerformanceEventType.measure,
          end === undefined ? { name: metric, start, durationMs } : { name: metric, start, end, durationMs }
        )
        return durationMs
      })

    const rateReport = (input: WebVitalReport) =>
      Effect.map(decode(WebVitalReport)(input), (report): WebVital => ({
        ...report,
        rating: report.rating ?? rateWebVital(report.name, report.value)
      }))

    // Each switch picks an implementation here, once, rather than being tested on every call.
    const recordWebVital = tracking.webVitals
      ? (input: WebVitalReport) =>
        Effect.gen(function*() {
          const vital = yield* rateReport(input)
          state.recordWebVital(vital)
          yield* track(PerformanceEventType.webVital, vital)
          return vital
        })
      : rateReport

    const snapshotResources: Effect.Effect<ResourceSnapshot> = readResources === undefined
      ? Effect.succeed({})
      : Effect.gen(function*() {
        const snapshot = yield* readResources
        state.setResources(snapshot)
        yield* trackQuietly({ type: PerformanceEventType.resource, data: snapshot })
        return snapshot
      })

    if (settings.resourceInterval !== undefined && tracking.resources) {
      yield* Effect.forkScoped(Effect.schedule(snapshotResources, Schedule.spaced(settings.resourceInterval)))
    }

    const checkPattern = decode(MetricPattern, "pattern")
    const timings = (pattern?: string | RegExp) =>
      Effect.suspend(() => {
        if (pattern === undefined) return Effect.sync(() => state.matching(() => true))
        if (pattern instanceof RegExp) {
          // A private copy, rewound before each name: with g or y, `test` moves `lastIndex` on, which would
          // skip names (and leave the caller's RegExp changed).
          const regExp = new RegExp(pattern)
          return Effect.sync(() =>
            state.matching((name) => {
              regExp.lastIndex = 0
              return regExp.test(name)
            })
          )
        }
        return Effect.map(checkPattern(pattern), (glob) => {
          const regExp = globToRegExp(glob)
          return state.matching((name) => regExp.test(name))
        })
      })

    return {
      trackAIOperation,
      timed,
      mark,
      measure,
      clearMarks: (name?: string) => Effect.sync(() => state.clearMarks(name)),
      recordWebVital,
      snapshotResources,
      percentiles: (name: string) =>
        Effect.suspend(() => {
          const found = state.percentiles(name)
          return found === undefined ? Effect.fail(new MetricNotFoundError({ metric: name })) : Effect.succeed(found)
        }),
      timings,
      getSummary: Effect.sync((): PerformanceSummary => ({ ...state.summary(), tracking })),
      clear: Effect.sync(() => state.clear()),
      reset: Effect.sync(() => state.reset()),
      tracking
    }
  })

/** The service as a layer over the `TelemetryCollector`; fails only when an option is out of range. */
export const layer = (
  options: PerformanceMetricsOptions = {}
): Layer.Layer<PerformanceMetrics, InvalidMetricError, TelemetryCollector> =>
  Layer.scoped(PerformanceMetrics, make(options))

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1e6

/** A `MetricPattern` as an anchored RegExp: `*` any run of characters, `?` one, `.` itself. */
const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/\./g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".")}$`)

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): TimingOutcome =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

/** Validates input against a schema; the error names the first offending field (see `firstIssue`). */
const decodeEither = <A, I>(schema: Schema.Schema<A, I>, root?: string) =>
  firstIssue(schema, (field, message) => new InvalidMetricError({ field, message }), root)

const decode = <A, I>(schema: Schema.Schema<A, I>, root?: string) => {
  const run = decodeEither(schema, root)
  return (input: unknown): Effect.Effect<A, InvalidMetricError> => run(input)
}

const checkOptions = (settings: Omit<PerformanceMetricsOptions, keyof typeof defaults> & typeof defaults) =>
  Effect.suspend(() => {
    const bad = (field: string, message: string) => Effect.fail(new InvalidMetricError({ field, message }))
    if (!(settings.relativeAccuracy > 0 && settings.relativeAccuracy < 0.5)) {
      return bad("relativeAccuracy", "must be between 0 and 0.5")
    }
    for (const field of ["trackWebVitals", "trackResources"] as const) {
      if (typeof settings[field] !== "boolean") return bad(field, "must be true or false")
    }
    for (const field of ["maxBuckets", "maxMetrics", "maxMarks", "maxWebVitalInstances"] as const) {
      const value = settings[field]
      if (!(Number.isInteger(value) && value >= (field === "maxBuckets" ? 2 : 1))) {
        return bad(field, "must be a positive whole number")
      }
    }
    if (settings.resourceInterval !== undefined) {
      const interval = Duration.decodeUnknown(settings.resourceInterval)
      if (interval._tag === "None" || Duration.lessThanOrEqualTo(interval.value, Duration.zero)) {
        return bad("resourceInterval", "must be a positive duration")
      }
    }
    return Effect.void
  })
