/**
 * Events folded into a `Snapshot`, as the services would have aggregated them, for the static report of a
 * file. Everything held is bounded — metrics, groups, features, providers, time buckets, distinct-user
 * counters — so memory does not grow with the number of events; beyond a bound, the newcomers are counted
 * as omitted rather than kept.
 *
 * @internal
 */
import { QuantileSketch } from "../internal/QuantileSketch.js"
import type { HealthStatus } from "../schemas/HealthEvents.js"
import type { MetricPercentiles, WebVital } from "../schemas/PerformanceEvents.js"
import type { TelemetryEvent } from "../schemas/TelemetryEvent.js"
import * as ErrorFold from "./ErrorFold.js"
import type { HealthServiceView, InputView, Snapshot } from "./Snapshot.js"
import { maxHistoryMetrics } from "./Snapshot.js"
import * as TimeBuckets from "./TimeBuckets.js"
import * as UsageFold from "./UsageFold.js"

/** The bounds of what is kept. */
export const limits = {
  metrics: 256,
  groups: 1_000,
  usersPerGroup: 100,
  features: 200,
  providers: 100,
  types: 200,
  services: 100,
  buckets: 120,
  framesShown: 10,
  breadcrumbsShown: 10
} as const

type Json = Record<string, unknown>
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

const percentilesOf = (name: string, s: QuantileSketch): MetricPercentiles => ({
  name,
  count: s.count,
  min: s.min,
  max: s.max,
  mean: s.mean,
  p50: s.quantile(0.5),
  p95: s.quantile(0.95),
  p99: s.quantile(0.99)
})

const statuses: ReadonlyArray<HealthStatus> = ["HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN"]
const asStatus = (u: unknown): HealthStatus => (statuses.includes(u as HealthStatus) ? (u as HealthStatus) : "UNKNOWN")
const healthRank: Readonly<Record<HealthStatus, number>> = { HEALTHY: 0, DEGRADED: 1, UNKNOWN: 2, UNHEALTHY: 3 }
const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (healthRank[b] > healthRank[a] ? b : a)

/** `health.status_changed` events folded into each service's latest status, marked in the time buckets. */
const healthFold = (buckets: ReturnType<typeof TimeBuckets.make>) => {
  const health = new Map<string, HealthServiceView>()
  const onHealth = (event: TelemetryEvent, d: Json) => {
    const name = str(d["service"])
    if (name === undefined || event.type !== "health.status_changed") return
    if (!health.has(name) && health.size >= limits.services) return
    const previous = health.get(name)
    if (previous !== undefined && previous.statusSince > event.timestamp) return
    const status = asStatus(d["to"])
    health.set(name, {
      name,
      status,
      reason: str(d["reason"]) ?? "",
      critical: d["critical"] !== false,
      lastError: str(d["lastError"]) ?? null,
      statusSince: event.timestamp,
      dependencies: [],
      successRate: null,
      lastLatencyMs: null,
      checks: null
    })
    buckets.at(event.timestamp).health.set(name, status)
  }

  const view = (): Snapshot["health"] => {
    const services = [...health.values()]
    const status = services.reduce<HealthStatus>((s, x) => (x.critical ? worse(s, x.status) : s), services.length === 0 ? "UNKNOWN" : "HEALTHY")
    return { status, services }
  }
  return { add: onHealth, view }
}

/** A fold of events into the report's aggregates. */
export const make = (title = "effect-telemetry report") => {
  let total = 0
  let first: number | null = null
  let last: number | null = null
  const byKind = new Map<string, number>()
  const byType = new Map<string, number>()
  let otherTypes = 0
  const metrics = new Map<string, QuantileSketch>()
  let metricsOmitted = 0
  const ai = { operations: 0, failures: 0, totalMs: 0, promptTokens: 0, completionTokens: 0 }
  const webVitals = new Map<string, WebVital & { readonly at: number }>()
  const buckets = TimeBuckets.make(limits.buckets)
  const errors = ErrorFold.make(limits)
  const usage = UsageFold.make(limits)
  const health = healthFold(buckets)
  const historyMetrics: Array<string> = []

  const observe = (name: string, value: number | undefined, at: number) => {
    if (value === undefined || value < 0) return
    let sketch = metrics.get(name)
    if (sketch === undefined) {
      if (metrics.size >= limits.metrics) return void metricsOmitted++
      sketch = new QuantileSketch()
      metrics.set(name, sketch)
      if (historyMetrics.length < maxHistoryMetrics) historyMetrics.push(name)
    }
    sketch.add(value)
    if (historyMetrics.includes(name)) {
      const b = buckets.at(at)
      let s = b.metrics.get(name)
      if (s === undefined) b.metrics.set(name, s = new QuantileSketch())
      s.add(value)
    }
  }

  const count = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by)

  const onPerformance = (event: TelemetryEvent, d: Json) => {
    switch (event.type) {
      case "performance.timing":
      case "performance.measure": {
        const name = str(d["name"])
        if (name !== undefined) observe(name, num(d["durationMs"]), event.timestamp)
        return
      }
      case "performance.ai_operation":
        ai.operations++
        if (d["success"] === false) ai.failures++
        ai.totalMs += num(d["totalMs"]) ?? 0
        ai.promptTokens += num(d["promptTokens"]) ?? 0
        ai.completionTokens += num(d["completionTokens"]) ?? 0
        observe("ai.total", num(d["totalMs"]), event.timestamp)
        observe("ai.context_gathering", num(d["contextGatheringMs"]), event.timestamp)
        observe("ai.compression", num(d["compressionMs"]), event.timestamp)
        observe("ai.api_call", num(d["apiCallMs"]), event.timestamp)
        return
      case "performance.web_vital": {
        const name = str(d["name"])
        const value = num(d["value"])
        if (name === undefined || value === undefined) return
        observe(`web_vital.${name}`, value, event.timestamp)
        const previous = webVitals.get(name)
        if (previous === undefined || previous.at <= event.timestamp) {
          webVitals.set(name, { ...(d as unknown as WebVital), at: event.timestamp })
        }
        return
      }
    }
  }

  const add = (event: TelemetryEvent): void => {
    total++
    const at = event.timestamp
    first = first === null ? at : Math.min(first, at)
    last = last === null ? at : Math.max(last, at)
    const kind = typeof event.kind === "string" ? event.kind : event.type.split(".")[0]!
    count(byKind, kind)
    if (byType.has(event.type) || byType.size < limits.types) count(byType, event.type)
    else otherTypes++
    count(buckets.at(at).byKind, kind)
    const d = event.data as Json
    if (event.type.startsWith("performance.")) onPerformance(event, d)
    else if (event.type.startsWith("error.")) errors.add(event, d)
    else if (event.type.startsWith("usage.")) usage.add(event, d)
    else if (event.type.startsWith("health.")) health.add(event, d)
    else if (event.userId !== undefined) usage.addUser(event.userId)
  }

  const snapshot = (input: Omit<InputView, "firstTimestamp" | "lastTimestamp" | "events">, generatedAt: number): Snapshot => {
    const byTypeList = [...byType].map(([type, n]) => ({ type, count: n })).sort((a, b) => b.count - a.count)
    if (otherTypes > 0) byTypeList.push({ type: "(other types)", count: otherTypes })
    return {
      source: "file",
      title,
      generatedAt,
      events: { total, byKind: Object.fromEntries(byKind), byType: byTypeList },
      metrics: [...metrics].map(([name, s]) => percentilesOf(name, s)).sort((a, b) => (a.name < b.name ? -1 : 1)),
      ai,
      webVitals: [...webVitals.values()].map(({ at: _, ...vital }) => vital),
      errors: errors.view(),
      usage: usage.view(),
      health: health.view(),
      history: buckets.history(),
      input: { ...input, events: total, firstTimestamp: first, lastTimestamp: last }
    }
  }

  return { add, snapshot, omitted: () => ({ metrics: metricsOmitted, groups: errors.omitted() }) }
}
