/**
 * Instrument by writing plain Effect code: Effect's own spans, logs and metrics feed the telemetry
 * services. `layerTracer` wraps the current tracer (Effect's, or `@effect/opentelemetry`'s: provide it *to*
 * this layer) and turns every ended span into a timing, a captured failure, an AI operation and an OTLP span;
 * `layerLogger` turns logs into breadcrumbs and error logs into captures; `effectMetrics` reads the
 * program's `Metric`s as OTLP metrics.
 *
 * @since 0.3.0
 */
import * as Layer from "effect/Layer"
import type { Metric } from "../transports/otlp/Model.js"
import * as EffectMetricsModule from "./EffectMetrics.js"
import * as LogBridge from "./LogBridge.js"
import * as TracerBridgeModule from "./TracerBridge.js"

/**
 * The tracer bridge's options: `maxSpanNames` (100), `queueCapacity` (4,096), `timingAttributes` (none),
 * `captureErrors` (true).
 *
 * @since 0.3.0
 * @category models
 */
export type TracerOptions = TracerBridgeModule.TracerOptions

/**
 * The logger bridge's options: `minimumLevel` (`Info`), `captureLevel` (`Error`), `queueCapacity` (1,024).
 *
 * @since 0.3.0
 * @category models
 */
export type LoggerOptions = LogBridge.LoggerOptions

/**
 * Both bridges' options.
 *
 * @since 0.3.0
 * @category models
 */
export interface Options {
  readonly tracer?: TracerOptions
  readonly logger?: LoggerOptions
}

/**
 * What the tracer bridge has seen: spans ended, dropped, folded into `span.other`, errors captured, …
 *
 * @since 0.3.0
 * @category models
 */
export type TracerBridgeStats = TracerBridgeModule.TracerBridgeStats

/**
 * What the logger bridge has seen: logs, dropped, errors captured.
 *
 * @since 0.3.0
 * @category models
 */
export type LoggerBridgeStats = LogBridge.LoggerBridgeStats

export {
  /**
   * The installed tracer bridge: `stats` (spans ended, dropped, folded into `span.other`, errors captured, …)
   * and `flush` (waits until every span ended so far is handled).
   *
   * @since 0.3.0
   * @category tags
   */
  TracerBridge
} from "./TracerBridge.js"

export {
  /**
   * The installed logger bridge: `stats` (logs seen, dropped, errors captured) and `flush`.
   *
   * @since 0.3.0
   * @category tags
   */
  LoggerBridge
} from "./LogBridge.js"

/**
 * The name spans are timed under once `maxSpanNames` distinct names are taken: `span.other`.
 *
 * @since 0.3.0
 * @category constants
 */
export const otherSpanName: string = TracerBridgeModule.otherSpanName

/**
 * The log annotation that marks a log as this library's own: a breadcrumb, never a capture.
 *
 * @since 0.3.0
 * @category constants
 */
export const internalLogAnnotation: string = LogBridge.internalLogAnnotation

/**
 * Wraps the tracer current when the layer is built and installs the wrapper: every span is the inner
 * tracer's, and when it ends its duration and outcome go to `PerformanceMetrics.recordTimings`, its failure
 * to `ErrorTracking` (once per error, with the span's ids), its GenAI attributes to `trackAIOperation` and
 * `trackProviderRequest`, and the span to the OTLP `SpanSink` — each when found in context at build time.
 * With `@effect/opentelemetry`: `layerTracer().pipe(Layer.provide(NodeSdk.layer(...)))`.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerTracer: (options?: TracerOptions) => Layer.Layer<TracerBridgeModule.TracerBridge> =
  TracerBridgeModule.layer

/**
 * Adds a logger: `Effect.log*` at or above `minimumLevel` (default `Info`) becomes an ErrorTracking
 * breadcrumb (category `log`), and a log at or above `captureLevel` (default `Error`) carrying a failure or
 * defect is captured, once (shared with the tracer bridge). Needs `ErrorTracking` in context at build time,
 * else it logs nothing.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerLogger: (options?: LoggerOptions) => Layer.Layer<LogBridge.LoggerBridge> = LogBridge.layer

/**
 * The tracer and logger bridges together.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<TracerBridgeModule.TracerBridge | LogBridge.LoggerBridge> =>
  Layer.merge(layerTracer(options.tracer), layerLogger(options.logger))

/**
 * The program's Effect metrics as OTLP metrics, read from Effect's registry: counters as sums, gauges,
 * histograms (per-bucket counts), summaries, frequencies as sums with a `key` attribute; tags as attributes.
 * `TelemetryLive` with the `otlp` transport exports them on the metrics schedule.
 *
 * @since 0.3.0
 * @category metrics
 */
export const effectMetrics: (startTimeUnixNano: bigint, nowUnixNano: bigint) => ReadonlyArray<Metric> =
  EffectMetricsModule.effectMetrics
