/**
 * OTLP export of metrics and traces beside the logs the OTLP transport sends: `OtlpExport.layer(options)`
 * forks a metrics exporter (every `metricsInterval`, to `/v1/metrics`) and, with `traces: true`, provides
 * the `SpanSink` the tracer bridge feeds and a loop exporting its spans to `/v1/traces`. Both send a last
 * time when the layer closes, within `shutdownTimeout`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { decodeOptions } from "../../internal/decode.js"
import { PerformanceMetrics } from "../../services/PerformanceMetrics.js"
import { TelemetryCollector } from "../../services/TelemetryCollector.js"
import { HttpTransportConfigError } from "../internal/httpOptions.js"
import { durationOption, EndpointOptions } from "./EndpointOptions.js"
import { accountingMetrics, exportMetrics, makeMetricsExporter, type MetricProducer } from "./ExportMetrics.js"
import { makeTracesExporter, type SpanCounters } from "./ExportTraces.js"
import type { Metric } from "./Model.js"
import { makeResource } from "./Resource.js"
import { SpanSink } from "./SpanSink.js"

export type { MetricProducer }

const positiveInt = (fallback: number) =>
  Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => fallback })

/** The exporters' options: the shared OTLP ones (endpoint, protocol, compression, headers, resource) and these. */
const ExportOptions = Schema.Struct({
  ...EndpointOptions.fields,
  /** Export metrics at all; default `true`. */
  metrics: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** Time between metrics exports; default 60 seconds (OpenTelemetry's `OTEL_METRIC_EXPORT_INTERVAL` default). */
  metricsInterval: durationOption("60 seconds"),
  /** Export spans (and provide the `SpanSink`); default `false`. */
  traces: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** Spans held waiting for export; more are dropped and counted; default 2,048. */
  maxQueueSize: positiveInt(2048),
  /** Spans per export request; default 512. */
  maxExportBatchSize: positiveInt(512),
  /** The longest an ended span waits for export; default 5 seconds. */
  tracesInterval: durationOption("5 seconds"),
  /** How long the last exports may take when the layer closes; default 5 seconds. */
  shutdownTimeout: durationOption("5 seconds")
})

const decode = decodeOptions(ExportOptions, (fields) => new HttpTransportConfigError(fields))

/** The Effect-side view of a `PerformanceMetrics` service that can report its metrics (newer versions). */
const performanceSnapshot = (service: unknown): Effect.Effect<ReadonlyArray<Metric>> | undefined => {
  const snapshot = (service as { readonly snapshot?: unknown }).snapshot
  return Effect.isEffect(snapshot) ? snapshot as Effect.Effect<ReadonlyArray<Metric>> : undefined
}

/**
 * The OTLP exporters of metrics and traces: what they sent and lost, and a way to export now.
 *
 * @since 0.3.0
 * @category tags
 */
export class OtlpExport extends Context.Tag("effect-telemetry/OtlpExport")<OtlpExport, {
  /** Gathers and exports the metrics now (a failure is logged and counted, never raised). */
  readonly exportMetrics: Effect.Effect<void>
  /** Exports every span queued now. */
  readonly flushSpans: Effect.Effect<void>
  /** The exporters' counters. */
  readonly stats: Effect.Effect<OtlpExport.Stats>
}>() {
  /**
   * Forks the metrics exporter — gathering the collector's books, `PerformanceMetrics`' snapshot when it
   * offers one, and `producers` — and, with `traces: true`, adds the `SpanSink` to the context and forks the
   * span exporter. Options: `endpoint` (`http://localhost:4318`), `protocol` (`http/protobuf`), `compression`
   * (`none`), `headers`, resource fields, `metricsInterval` (60 s), `traces` (false), `maxQueueSize` (2,048),
   * `maxExportBatchSize` (512), `tracesInterval` (5 s), `shutdownTimeout` (5 s).
   *
   * @since 0.3.0
   * @category layers
   */
  static readonly layer = (
    options: OtlpExport.Options = {},
    producers: ReadonlyArray<MetricProducer> = []
  ): Layer.Layer<OtlpExport, HttpTransportConfigError, HttpClient.HttpClient> =>
    Layer.scopedContext(make(options, producers)) as Layer.Layer<OtlpExport, HttpTransportConfigError, HttpClient.HttpClient>
}

/** @since 0.3.0 */
export declare namespace OtlpExport {
  /**
   * Options of `OtlpExport.layer`, as users write them.
   *
   * @since 0.3.0
   * @category models
   */
  export type Options = Schema.Schema.Encoded<typeof ExportOptions>
  /**
   * The exporters' counters: export requests sent and given up per signal, spans dropped (queue full) and lost.
   *
   * @since 0.3.0
   * @category models
   */
  export interface Stats {
    readonly metrics: { readonly exported: number; readonly failed: number }
    readonly traces: Readonly<SpanCounters>
  }
}

const make = (options: OtlpExport.Options, producers: ReadonlyArray<MetricProducer>) =>
  Effect.gen(function*() {
    const settings = yield* decode(options)
    const resource = makeResource({
      serviceName: settings.serviceName,
      serviceVersion: settings.serviceVersion,
      deploymentEnvironment: settings.deploymentEnvironment,
      attributes: settings.resourceAttributes
    })
    const collector = yield* Effect.serviceOption(TelemetryCollector)
    const performance = Option.flatMapNullable(yield* Effect.serviceOption(PerformanceMetrics), performanceSnapshot)
    const traces = settings.traces
      ? yield* makeTracesExporter(settings, resource, settings)
      : undefined
    const spanCounters: SpanCounters = traces?.counters ?? { exported: 0, failed: 0, dropped: 0, lost: 0 }
    const own: MetricProducer = (start, now) =>
      Effect.sync(() => {
        const counters = { metrics: metricsCounters(), ...(traces === undefined ? {} : { traces: spanCounters }) }
        return [
          exportMetrics(counters, start, now),
          ...(traces === undefined ? [] : [{
            name: "effect_telemetry.spans.dropped",
            description: "Spans dropped because the export queue was full.",
            unit: "{span}",
            data: {
              _tag: "Sum" as const,
              monotonic: true,
              points: [{ attributes: {}, startTimeUnixNano: start, timeUnixNano: now, value: spanCounters.dropped, integer: true }]
            }
          }])
        ]
      })
    const builtIn: Array<MetricProducer> = [own]
    if (Option.isSome(collector)) {
      const stats = collector.value.stats
      builtIn.unshift((start, now) => Effect.map(stats, (s) => accountingMetrics(s, start, now)))
    }
    if (Option.isSome(performance)) builtIn.push(() => performance.value)
    const metrics = settings.metrics ? yield* makeMetricsExporter(settings, resource, [...builtIn, ...producers]) : undefined
    const metricsCounters = () => metrics?.counters ?? { exported: 0, failed: 0 }

    const exportMetricsNow = metrics?.exportNow ?? Effect.void
    const flushSpans = traces?.flush ?? Effect.void
    // Registered before the loops are forked, so they are stopped before this last export runs.
    yield* Effect.addFinalizer(() =>
      Effect.all([flushSpans, exportMetricsNow], { concurrency: 2, discard: true }).pipe(
        Effect.interruptible,
        Effect.timeout(settings.shutdownTimeout),
        Effect.ignore
      )
    )
    if (metrics !== undefined) {
      yield* Effect.forkScoped(Effect.schedule(exportMetricsNow, Schedule.spaced(settings.metricsInterval)))
    }
    if (traces !== undefined) yield* Effect.forkScoped(traces.loop)

    const service: OtlpExport["Type"] = {
      exportMetrics: exportMetricsNow,
      flushSpans,
      stats: Effect.sync(() => ({ metrics: { ...metricsCounters() }, traces: { ...spanCounters } }))
    }
    const context = Context.make(OtlpExport, service)
    return traces === undefined ? context : Context.add(context, SpanSink, traces.sink)
  })
