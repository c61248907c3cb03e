/**
 * The OTLP metrics exporter: every `metricsInterval` it gathers the metrics of its producers and POSTs
 * them to `/v1/metrics`, with cumulative temporality (every point counts from the exporter's start), so
 * a failed export is simply superseded by the next one. Also the collector's books as metrics.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Stats } from "../../internal/collector/accounting.js"
import type { HttpTransportConfigError } from "../internal/httpOptions.js"
import type { EndpointSettings } from "./EndpointOptions.js"
import { encodingOf } from "./EndpointOptions.js"
import { makeSignalSender } from "./ExportSender.js"
import { metricsJson } from "./Json.js"
import type { Metric, NumberPoint, Resource, ScopeMetrics } from "./Model.js"
import { metricsProtobuf } from "./Protobuf.js"
import { scope } from "./Resource.js"

/**
 * Where exported metrics come from: given the exporter's start and now (nanoseconds since the epoch), the
 * metrics to export, cumulative from the start. A producer that fails or dies is skipped for that export.
 *
 * @since 0.3.0
 * @category models
 */
export type MetricProducer = (startNanos: bigint, nowNanos: bigint) => Effect.Effect<ReadonlyArray<Metric>>

/** How an exporter's requests went; plain fields, changed only inside `Effect.sync` blocks. */
export interface ExportCounters {
  /** Export requests the collector accepted. */
  exported: number
  /** Export requests given up after their retries. */
  failed: number
}

const sum = (
  name: string,
  description: string,
  unit: string,
  points: ReadonlyArray<readonly [Readonly<Record<string, string>>, number]>,
  startTimeUnixNano: bigint,
  timeUnixNano: bigint,
  monotonic = true
): Metric => ({
  name,
  description,
  unit,
  data: {
    _tag: "Sum",
    monotonic,
    points: points.map(([attributes, value]): NumberPoint => ({
      attributes,
      startTimeUnixNano,
      timeUnixNano,
      value,
      integer: true
    }))
  }
})

/**
 * The collector's books as metrics: `effect_telemetry.events` (a monotonic sum of events, by `state`:
 * `tracked`, `invalid`, `disabled`, `sampled_out`, `accepted`, `sent`, and `dropped` with its `reason`),
 * `effect_telemetry.events.pending` (a gauge, by `state`: `buffered`, `outboxed`) and
 * `effect_telemetry.batches` (batches sent).
 *
 * @internal
 */
export const accountingMetrics = (stats: Stats, startNanos: bigint, nowNanos: bigint): ReadonlyArray<Metric> => {
  const { dropped } = stats
  return [
    sum("effect_telemetry.events", "Events by where they went, since the collector started.", "{event}", [
      [{ state: "tracked" }, stats.tracked],
      [{ state: "invalid" }, stats.invalid],
      [{ state: "disabled" }, stats.disabled],
      [{ state: "sampled_out" }, stats.sampledOut],
      [{ state: "accepted" }, stats.accepted],
      [{ state: "sent" }, stats.sent],
      [{ state: "dropped", reason: "buffer_overflow" }, dropped.bufferOverflow],
      [{ state: "dropped", reason: "rejected" }, dropped.rejected],
      [{ state: "dropped", reason: "outbox_full" }, dropped.outboxFull],
      [{ state: "dropped", reason: "corrupted" }, dropped.corrupted],
      [{ state: "dropped", reason: "send_failed" }, dropped.sendFailed],
      [{ state: "dropped", reason: "unencodable" }, dropped.unencodable],
      [{ state: "dropped", reason: "erased" }, dropped.erased]
    ], startNanos, nowNanos),
    {
      name: "effect_telemetry.events.pending",
      description: "Events waiting for delivery, in memory or in the outbox.",
      unit: "{event}",
      data: {
        _tag: "Gauge",
        points: [["buffered", stats.buffered], ["outboxed", stats.outboxed]].map(([state, value]) => ({
          attributes: { state },
          startTimeUnixNano: startNanos,
          timeUnixNano: nowNanos,
          value: value as number,
          integer: true
        }))
      }
    },
    sum("effect_telemetry.batches", "Batches of events a transport confirmed.", "{batch}", [[{}, stats.batches]], startNanos, nowNanos)
  ]
}

/** The exporter's own counters as a sum, `effect_telemetry.export.requests` by `signal` and `outcome`. */
export const exportMetrics = (
  counters: { readonly [signal: string]: ExportCounters },
  startNanos: bigint,
  nowNanos: bigint
): Metric =>
  sum(
    "effect_telemetry.export.requests",
    "OTLP export requests, by signal and outcome (a failed one was given up after its retries).",
    "{request}",
    Object.entries(counters).flatMap(([signal, { exported, failed }]) => [
      [{ signal, outcome: "exported" }, exported] as const,
      [{ signal, outcome: "failed" }, failed] as const
    ]),
    startNanos,
    nowNanos
  )

/** A metrics exporter: `exportNow` gathers and sends once (never fails); its counters. */
export interface MetricsExporter {
  readonly exportNow: Effect.Effect<void>
  readonly counters: ExportCounters
}

/**
 * A metrics exporter over the `HttpClient` in context, gathering from `producers`; the caller schedules
 * `exportNow`. Fails when the URL or a header cannot be used.
 *
 * @internal
 */
export const makeMetricsExporter = (
  settings: EndpointSettings,
  resource: Resource,
  producers: ReadonlyArray<MetricProducer>
): Effect.Effect<MetricsExporter, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const sender = yield* makeSignalSender(settings, "metrics")
    const json = encodingOf(settings) === "json"
    const startNanos = yield* Clock.currentTimeNanos
    const counters: ExportCounters = { exported: 0, failed: 0 }

    const gather = (nowNanos: bigint): Effect.Effect<ReadonlyArray<Metric>> =>
      Effect.map(
        Effect.forEach(producers, (produce) =>
          Effect.suspend(() => produce(startNanos, nowNanos)).pipe(
            Effect.catchAllCause((cause) =>
              Effect.as(Effect.logWarning("telemetry metrics producer failed; skipped for this export", cause), [])
            )
          )),
        (lists) => lists.flat()
      )

    const exportNow = Effect.gen(function*() {
      const nowNanos = yield* Clock.currentTimeNanos
      const metrics = yield* gather(nowNanos)
      if (metrics.length === 0) return
      const scopes: ReadonlyArray<ScopeMetrics> = [{ scope, metrics }]
      const body = yield* Effect.try(() =>
        json ? new TextEncoder().encode(metricsJson(resource, scopes)) : metricsProtobuf(resource, scopes)
      )
      const receipt = yield* sender.send(body)
      yield* Effect.sync(() => counters.exported++)
      if (receipt !== undefined && (receipt.rejected > 0 || receipt.message !== undefined)) {
        yield* Effect.logWarning("telemetry metrics partly rejected by the collector").pipe(
          Effect.annotateLogs({ rejected: receipt.rejected, reason: receipt.message ?? "" })
        )
      }
    }).pipe(
      Effect.catchAll((error) =>
        Effect.zipRight(
          Effect.sync(() => counters.failed++),
          Effect.logWarning("telemetry metrics export failed; the next export supersedes it").pipe(
            Effect.annotateLogs({ reason: error instanceof Error ? error.message : String(error) })
          )
        )
      )
    )

    return { exportNow, counters }
  })
