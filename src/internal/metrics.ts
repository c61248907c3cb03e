/**
 * The collector's accounting as Effect `Metric`s, set from `stats` after every flush. Metrics are
 * process-wide: with several collectors in one process, the last to flush is what they show.
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { dropReasons, type Stats } from "./collector/accounting.js"

const gauge = (name: string, description: string) => Metric.gauge(name, { description })

/** The collector's gauges, named `effect_telemetry_*`. */
export const telemetryMetrics = {
  accepted: gauge("effect_telemetry_events_accepted", "events that entered the pipeline"),
  sent: gauge("effect_telemetry_events_sent", "events a transport confirmed"),
  buffered: gauge("effect_telemetry_events_buffered", "events in memory, waiting or in flight"),
  outboxed: gauge("effect_telemetry_events_outboxed", "events stored in the outbox"),
  dropped: gauge("effect_telemetry_events_dropped", "events dropped, tagged by reason")
} as const

const droppedBy = (reason: string) => telemetryMetrics.dropped.pipe(Metric.tagged("reason", reason))
const droppedGauges = dropReasons.map((reason) => [reason, droppedBy(reason)] as const)

/** Sets every gauge from a stats snapshot. */
export const recordMetrics = (stats: Stats): Effect.Effect<void> =>
  Effect.all([
    Metric.set(telemetryMetrics.accepted, stats.accepted),
    Metric.set(telemetryMetrics.sent, stats.sent),
    Metric.set(telemetryMetrics.buffered, stats.buffered),
    Metric.set(telemetryMetrics.outboxed, stats.outboxed),
    ...droppedGauges.map(([reason, metric]) => Metric.set(metric, stats.dropped[reason]))
  ], { discard: true })
