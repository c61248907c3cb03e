/**
 * Performance metrics: AI operation timing, a combinator that times any effect, marks and measures,
 * Core Web Vitals, resource snapshots, and percentiles — exact for small samples, from a bounded,
 * mergeable quantile sketch beyond, per metric and per set of dimensions (`provider`, `model`). Every
 * record also flows through the `EventSink` as a `performance.*` event; `snapshot` gives it all as OTLP
 * metrics. Web vitals and resource snapshots can be switched off.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { eventRecorder } from "../internal/recording.js"
import {
  type AIOperation,
  InvalidMetricError,
  MarkNotFoundError,
  type MeasureRange,
  type MetricAttributes,
  MetricNotFoundError,
  type PerformanceSummary,
  type PerformanceTracking,
  type ResourceSnapshot,
  type TimingSample,
  type WebVital,
  type WebVitalReport
} from "../schemas/PerformanceEvents.js"
import type { Metric } from "../transports/otlp/Model.js"
import { EventSink } from "./EventSink.js"
import { makeDimensionReader } from "./performance/dimensions.js"
import {
  decodePerformanceOptions,
  PerformanceMetricsOptionsError,
  type PerformanceMetricsOptions
} from "./performance/options.js"
import { nameMatcher } from "./performance/patterns.js"
import { PerformanceState } from "./performance/PerformanceState.js"
import { globalResourceSources, makeResourceProbe } from "./performance/resources.js"
import { otlpMetrics } from "./performance/otlpMetrics.js"
import { makeRecords } from "./performance/records.js"
import { makeTiming } from "./performance/timing.js"
import { invalidMetric } from "./performance/validation.js"

export { PerformanceMetricsOptionsError, type PerformanceMetricsOptions } from "./performance/options.js"

/**
 * Builds the service over the `EventSink` in context; an event-loop delay monitor and the optional
 * snapshot fiber live in the scope. Fails with a `PerformanceMetricsOptionsError` for a wrong option.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options?: PerformanceMetricsOptions
): Effect.Effect<PerformanceMetrics.Service, PerformanceMetricsOptionsError, EventSink | Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* decodePerformanceOptions(options)
    const sink = yield* EventSink
    const { track, trackQuietly } = eventRecorder(sink, invalidMetric, "performance event")
    const dimensions = makeDimensionReader(settings.dimensions)
    const state = new PerformanceState({
      sketch: { relativeAccuracy: settings.relativeAccuracy, maxBuckets: settings.maxBuckets },
      maxMetrics: settings.maxMetrics,
      maxSeries: settings.maxSeries,
      maxMarks: settings.maxMarks,
      maxWebVitalInstances: settings.maxWebVitalInstances,
      dimensions
    }, yield* Clock.currentTimeNanos)
    const tracking: PerformanceTracking = { webVitals: settings.trackWebVitals, resources: settings.trackResources }
    // Switched off, no probe is made: no event-loop monitor runs and no runtime API is touched.
    const readResources = tracking.resources
      ? yield* makeResourceProbe(settings.resourceSources ?? globalResourceSources())
      : undefined

    const { recordWebVital, snapshotResources, trackAIOperation } = makeRecords({
      state,
      dimensions,
      track,
      trackQuietly,
      tracking,
      readResources
    })

    if (settings.resourceInterval !== undefined && tracking.resources) {
      yield* Effect.forkScoped(Effect.schedule(snapshotResources, Schedule.spaced(settings.resourceInterval)))
    }

    return {
      ...makeTiming({ state, dimensions, track, sink }),
      trackAIOperation,
      recordWebVital,
      snapshotResources,
      percentiles: (name: string, dimensions?: Readonly<Record<string, string>>) =>
        Effect.suspend(() => {
          const found = state.percentiles(name, dimensions)
          return found === undefined ? Effect.fail(new MetricNotFoundError({ metric: name })) : Effect.succeed(found)
        }),
      timings: (pattern?: string | RegExp) =>
        Effect.flatMap(nameMatcher(pattern), (matches) => Effect.sync(() => state.matching(matches))),
      getSummary: Effect.sync((): PerformanceSummary => ({ ...state.summary(), tracking })),
      snapshot: Effect.map(Clock.currentTimeNanos, (now) => otlpMetrics(state, now)),
      clear: Effect.map(Clock.currentTimeNanos, (now) => state.clear(now)),
      reset: Effect.map(Clock.currentTimeNanos, (now) => state.reset(now)),
      tracking
    }
  })

/**
 * The service as a layer over the `EventSink` (which the collector's layer provides); fails only when an
 * option is wrong.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options?: PerformanceMetricsOptions
): Layer.Layer<PerformanceMetrics, PerformanceMetricsOptionsError, EventSink> =>
  Layer.scoped(PerformanceMetrics, make(options))

/**
 * Records performance metrics — timings, marks and measures, AI operations, Core Web Vitals, resource
 * snapshots — and reports their distributions.
 *
 * @since 0.2.0
 * @category tags
 */
export class PerformanceMetrics extends Context.Tag("effect-telemetry/PerformanceMetrics")<
  PerformanceMetrics,
  PerformanceMetrics.Service
>() {
  /**
   * The service over the `EventSink` in context; defaults: percentiles within 1 % (0.54 %), 256 metrics,
   * series by `provider` and `model` (256 at most), 1,000 marks, web vitals and resource snapshots on, no
   * snapshot schedule.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: PerformanceMetrics.Options
  ): Layer.Layer<PerformanceMetrics, PerformanceMetricsOptionsError, EventSink> => Layer.scoped(this, make(options))

  /**
   * Builds the service as an effect needing the `EventSink` and a `Scope` (for the event-loop monitor and
   * the snapshot fiber).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make

  /**
   * The resource sources of the running runtime (Node, a browser, or neither), the default of the
   * `resourceSources` option.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly globalResourceSources = globalResourceSources

  /**
   * `percentiles` asked for a metric that has no samples.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly MetricNotFoundError = MetricNotFoundError

  /**
   * `measure` named a mark that was never set (or was cleared).
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly MarkNotFoundError = MarkNotFoundError

  /**
   * A field of a caller's input was invalid (`field` is its path); nothing was recorded.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly InvalidMetricError = InvalidMetricError

  /**
   * An option given to `make` / `layer` does not decode (`option` names it, `reason` says why).
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = PerformanceMetricsOptionsError
}

/** @since 0.2.0 */
export declare namespace PerformanceMetrics {
  /**
   * What `PerformanceMetrics` offers: every method returns an `Effect` and none throws.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service {
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
    /**
     * Records durations measured elsewhere (spans) as `timed` records its runs — same series, outcomes
     * and dimensions — without tracking events. An invalid sample (bad name or attributes, negative or
     * non-finite duration, unknown outcome) is skipped and counted in `droppedSamples`; never fails.
     */
    readonly recordTimings: (samples: Iterable<TimingSample>) => Effect.Effect<void>
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
     * The distribution of a metric — or, given `dimensions` (e.g. `{ provider: "anthropic" }`), of its
     * series of exactly those: exact count/min/max/mean; p50/p95/p99 interpolated between ranks, exact up
     * to 128 samples and within 1 % beyond (0.54 % by default).
     */
    readonly percentiles: (
      name: string,
      dimensions?: Readonly<Record<string, string>>
    ) => Effect.Effect<Percentiles, MetricNotFoundError>
    /**
     * The metrics whose names match `pattern` — a glob (`ai.*`, `*` any run, `?` one character, whole
     * name) or a `RegExp` (tested as given) — with their percentiles, ordered by name; default every metric.
     * Each name's series of every sample comes first, then its series with `dimensions`.
     */
    readonly timings: (
      pattern?: string | RegExp
    ) => Effect.Effect<ReadonlyArray<MetricPercentiles>, InvalidMetricError>
    /** Every metric's percentiles, the latest web vitals, timing outcomes, AI totals, resources and switches. */
    readonly getSummary: Effect.Effect<PerformanceSummary>
    /**
     * Everything held as OTLP metrics, cumulative since the service was built or last cleared: one
     * exponential histogram per metric name (a point per series), `effect_telemetry.timing.count`,
     * `gen_ai.client.operation.duration` / `gen_ai.client.token.usage`, `web_vital.<name>.latest`
     * gauges and `effect_telemetry.performance.dropped_samples`.
     */
    readonly snapshot: Effect.Effect<ReadonlyArray<Metric>>
    /**
     * Forgets what was recorded — metrics, timing outcomes, web vitals, AI totals, the latest resource
     * snapshot, dropped samples — and keeps the marks. Tracks nothing; events already tracked stay tracked.
     */
    readonly clear: Effect.Effect<void>
    /** `clear`, and forgets the marks too: the service is as newly built. */
    readonly reset: Effect.Effect<void>
    /** Which areas record (options `trackWebVitals`, `trackResources`); settled when the service is built. */
    readonly tracking: PerformanceTracking
  }

  /**
   * A duration measured outside `timed` (a span), as `recordTimings` takes it.
   *
   * @since 0.3.0
   * @category models
   */
  export type TimingSample = import("../schemas/PerformanceEvents.js").TimingSample

  /**
   * One OTLP metric of `snapshot`.
   *
   * @since 0.3.0
   * @category models
   */
  export type Metric = import("../transports/otlp/Model.js").Metric

  /**
   * Options of `make` / `layer`; every field has a default (see each field).
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = PerformanceMetricsOptions

  /**
   * The error of an option that does not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = PerformanceMetricsOptionsError

  /**
   * Where resource figures come from (`globalResourceSources()` by default; tests pass their own).
   *
   * @since 0.2.0
   * @category models
   */
  export type ResourceSources = import("./performance/resources.js").ResourceSources

  /**
   * Node's event-loop delay histogram (`perf_hooks.monitorEventLoopDelay`), as far as it is read.
   *
   * @since 0.2.0
   * @category models
   */
  export type EventLoopDelayHistogram = import("./performance/resources.js").EventLoopDelayHistogram

  /**
   * Node's `performance.eventLoopUtilization` result.
   *
   * @since 0.2.0
   * @category models
   */
  export type EventLoopUtilization = import("./performance/resources.js").EventLoopUtilization

  /**
   * A metric's distribution: count, min, max, mean, p50, p95, p99.
   *
   * @since 0.2.0
   * @category models
   */
  export type Percentiles = import("../schemas/PerformanceEvents.js").Percentiles

  /**
   * One metric's name and distribution, as `timings` lists them.
   *
   * @since 0.2.0
   * @category models
   */
  export type MetricPercentiles = import("../schemas/PerformanceEvents.js").MetricPercentiles

  /**
   * Everything the service holds, as `getSummary` reports it.
   *
   * @since 0.2.0
   * @category models
   */
  export type Summary = import("../schemas/PerformanceEvents.js").PerformanceSummary

  /**
   * Which switchable areas record.
   *
   * @since 0.2.0
   * @category models
   */
  export type Tracking = import("../schemas/PerformanceEvents.js").PerformanceTracking
}
