/**
 * What the dashboard and the static report show: one JSON document built either from the in-process
 * services (`read`, the live dashboard) or from a file of events (`EventAggregate`, the report). Reading it
 * costs O(metrics + error groups + providers + features + history), never O(events): every part comes from
 * the services' own bounded aggregates.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Breadcrumb, ErrorGroup, ErrorSample, StackFrame } from "../schemas/ErrorEvents.js"
import type { HealthStatus, ServiceHealth } from "../schemas/HealthEvents.js"
import type { AIOperationTotals, MetricPercentiles, WebVital } from "../schemas/PerformanceEvents.js"
import type { UsageSummary } from "../schemas/UsageEvents.js"
import { ErrorTracking } from "../services/ErrorTracking.js"
import { HealthCheck } from "../services/HealthCheck.js"
import { PerformanceMetrics } from "../services/PerformanceMetrics.js"
import { TelemetryCollector } from "../services/TelemetryCollector.js"
import { UsageAnalytics } from "../services/UsageAnalytics.js"
import type * as IntervalPercentiles from "./IntervalPercentiles.js"

/** The collector's books as the dashboard shows them (`TelemetryCollector.stats`). */
export type CollectorView = TelemetryCollector.Stats

/**
 * An error group with its latest occurrence and that occurrence's in-app frames (live: `ErrorGroup.frames`;
 * from a file, the `error.captured` event's, with its breadcrumbs).
 */
export type ErrorGroupView = Omit<ErrorGroup, "samples" | "frames"> & {
  readonly sample?: ErrorSample & {
    readonly frames?: ReadonlyArray<StackFrame>
    readonly breadcrumbList?: ReadonlyArray<Breadcrumb>
  }
}

/** One service's health; fields a file of events cannot tell are `null`. */
export type HealthServiceView =
  & Pick<ServiceHealth, "name" | "status" | "reason" | "critical" | "lastError" | "statusSince">
  & {
    readonly dependencies: ReadonlyArray<string>
    readonly successRate: number | null
    readonly lastLatencyMs: number | null
    readonly checks: number | null
  }

/** One point of the "over time" series. */
export interface HistorySample {
  /** Epoch milliseconds. */
  readonly t: number
  /** Live: the collector's cumulative books (`tracked`, `sent`, `buffered`, `outboxed`, `dropped`). */
  readonly accounting?: Readonly<Record<string, number>>
  /** Whether the receiver was considered down. */
  readonly offline?: boolean
  /** Events per second by kind during the interval that ends at this point (live: accepted by the collector). */
  readonly rates: Readonly<Record<string, number>>
  /** Live: the collector's cumulative `acceptedByKind`, which the next point's rates are taken against. */
  readonly acceptedByKind?: Readonly<Record<string, number>>
  /**
   * `[p50, p95, p99]` of the first `maxHistoryMetrics` metrics by name, of the samples recorded during the
   * interval that ends at this point (live: since the previous point, see `IntervalPercentiles`; from a
   * file: the time bucket's events). A metric with no samples in the interval is absent: a gap, not a zero.
   */
  readonly metrics: Readonly<Record<string, readonly [number, number, number]>>
  /** Samples of each drawn metric recorded during the interval (0 included). */
  readonly counts?: Readonly<Record<string, number>>
  /**
   * Live: the interval's p95 (ms) of the first `maxHistoryMetrics` series with dimensions, keyed by metric
   * and dimension values (`ai.total openai/gpt-4o`); a series with no samples in the interval is absent.
   */
  readonly providers?: Readonly<Record<string, number>>
  /** Each health service's status at that time. */
  readonly health: Readonly<Record<string, HealthStatus>>
}

/** What the report read from a file. */
export interface InputView {
  readonly file: string
  readonly bytes: number
  readonly lines: number
  readonly events: number
  /** Lines that were not JSON, not events, too long, or cut off. */
  readonly malformed: number
  readonly malformedByReason: Readonly<Record<string, number>>
  readonly firstTimestamp: number | null
  readonly lastTimestamp: number | null
}

/** The whole document. */
export interface Snapshot {
  readonly source: "live" | "file"
  readonly title: string
  readonly generatedAt: number
  /** Live only: the collector's books. */
  readonly collector?: CollectorView
  /** Events by kind and by type (from a file; live, what the collector cannot tell is left out). */
  readonly events?: {
    readonly total: number
    readonly byKind: Readonly<Record<string, number>>
    readonly byType: ReadonlyArray<{ readonly type: string; readonly count: number }>
  }
  readonly metrics: ReadonlyArray<MetricPercentiles>
  readonly ai: AIOperationTotals
  readonly webVitals: ReadonlyArray<WebVital>
  readonly errors: {
    /** Groups held (live: `ErrorTracking.stats.groups`). */
    readonly groupCount: number
    readonly captured: number
    /** The most recently seen groups, at most `maxGroupsShown`. */
    readonly groups: ReadonlyArray<ErrorGroupView>
    /** Live: the breadcrumb ring now. */
    readonly breadcrumbs?: ReadonlyArray<Breadcrumb>
  }
  readonly usage: Pick<
    UsageSummary,
    "totalUsers" | "activeUsers" | "features" | "conversations" | "providers" | "suggestions" | "sessions"
  >
  readonly health: {
    readonly status: HealthStatus
    readonly services: ReadonlyArray<HealthServiceView>
  }
  readonly history: ReadonlyArray<HistorySample>
  /**
   * Set when `history` holds only the points after a given time (`Recorder.snapshotSince`): the time of the
   * oldest point the recorder holds, so a page merging the answer into its own points drops the older ones.
   */
  readonly historyStart?: number
  readonly input?: InputView
}

/** Error groups listed in a snapshot; the count covers all of them. */
export const maxGroupsShown = 50

/** Metrics (and providers/models) drawn over time (the first by name); every one is in the tables. */
export const maxHistoryMetrics = 6

/** The services a live snapshot reads. */
export type Services = TelemetryCollector | PerformanceMetrics | ErrorTracking | UsageAnalytics | HealthCheck

/** What the live services hold now, without history. */
export type Current = Omit<Snapshot, "history">

/** A group as the page shows it: its latest sample, with the group's in-app frames. */
export const toGroupView = (group: ErrorGroup): ErrorGroupView => {
  const { frames, samples, ...rest } = group
  const sample = samples[0]
  if (sample === undefined) return rest
  return frames === undefined ? { ...rest, sample } : { ...rest, sample: { ...sample, frames } }
}

const toHealthView = (service: ServiceHealth): HealthServiceView => ({
  name: service.name,
  status: service.status,
  reason: service.reason,
  critical: service.critical,
  lastError: service.lastError,
  statusSince: service.statusSince,
  dependencies: service.dependencies,
  successRate: service.successRate,
  lastLatencyMs: service.lastLatencyMs,
  checks: service.checks
})

/** Reads every service's aggregates (O(metrics + groups + …), never O(events)). */
export const read = (title = "effect-telemetry"): Effect.Effect<Current, never, Services> =>
  Effect.gen(function*() {
    const collector = yield* TelemetryCollector
    const performance = yield* PerformanceMetrics
    const errors = yield* ErrorTracking
    const usage = yield* UsageAnalytics
    const health = yield* HealthCheck
    const [stats, summary, groups, errorStats, breadcrumbs, usageSummary, report] = yield* Effect.all([
      collector.stats,
      performance.getSummary,
      errors.groups,
      errors.stats,
      errors.breadcrumbs,
      usage.getSummary,
      health.getHealthReport()
    ])
    const generatedAt = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    return {
      source: "live" as const,
      title,
      generatedAt,
      collector: stats,
      metrics: Object.entries(summary.metrics)
        .map(([name, p]) => ({ name, ...p }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      ai: summary.ai,
      webVitals: Object.values(summary.webVitals),
      errors: {
        groupCount: errorStats.groups,
        captured: errorStats.captured,
        groups: groups.slice(0, maxGroupsShown).map(toGroupView),
        breadcrumbs: breadcrumbs.slice(-20)
      },
      usage: {
        totalUsers: usageSummary.totalUsers,
        activeUsers: usageSummary.activeUsers,
        features: usageSummary.features,
        conversations: usageSummary.conversations,
        providers: usageSummary.providers,
        suggestions: usageSummary.suggestions,
        sessions: usageSummary.sessions
      },
      health: {
        status: report.status,
        services: Object.values(report.services).map(toHealthView)
      }
    }
  })

/**
 * The samples of `current`'s metrics recorded since `intervals` last stepped, from
 * `PerformanceMetrics.snapshot` (O(series × buckets)).
 */
export const intervalsSince = (
  intervals: IntervalPercentiles.Differ,
  current: Current
): Effect.Effect<IntervalPercentiles.Tick, never, PerformanceMetrics> =>
  Effect.flatMap(PerformanceMetrics, (performance) =>
    Effect.map(performance.snapshot, (metrics) => {
      const names = new Set(current.metrics.map((m) => m.name))
      return intervals.step(metrics, (name) => names.has(name))
    }))

/** One history point from a live reading, the previous point (for the rate) and the interval's percentiles. */
export const sampleOf = (current: Current, previous: HistorySample | undefined, tick: IntervalPercentiles.Tick): HistorySample => {
  const stats = current.collector!
  const accounting = {
    tracked: stats.tracked,
    sent: stats.sent,
    buffered: stats.buffered,
    outboxed: stats.outboxed,
    dropped: stats.dropped.total
  }
  const seconds = previous === undefined ? 0 : (current.generatedAt - previous.t) / 1000
  const rates: Record<string, number> = {}
  for (const [kind, accepted] of Object.entries(stats.acceptedByKind)) {
    const before = previous?.acceptedByKind?.[kind]
    if (accepted === 0 && before === undefined) continue
    rates[kind] = seconds <= 0 || before === undefined ? 0 : Math.max(0, (accepted - before) / seconds)
  }
  const metrics: Record<string, readonly [number, number, number]> = {}
  const counts: Record<string, number> = {}
  for (const m of current.metrics.slice(0, maxHistoryMetrics)) {
    const interval = tick.metrics.get(m.name)
    counts[m.name] = interval?.count ?? 0
    if (interval?.percentiles !== undefined) metrics[m.name] = interval.percentiles
  }
  const providers: Record<string, number> = {}
  for (const key of [...tick.series.keys()].sort().slice(0, maxHistoryMetrics)) {
    const p95 = tick.series.get(key)!.percentiles?.[1]
    if (p95 !== undefined) providers[key] = p95
  }
  const health: Record<string, HealthStatus> = {}
  for (const s of current.health.services) health[s.name] = s.status
  return { t: current.generatedAt, accounting, offline: stats.offline, rates, acceptedByKind: stats.acceptedByKind, metrics, counts, providers, health }
}
