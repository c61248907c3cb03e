/**
 * Events folded into a `Snapshot`, as the services would have aggregated them, for the static report of a
 * file. Everything held is bounded — metrics, groups, features, providers, time buckets, distinct-user
 * counters — so memory does not grow with the number of events; beyond a bound, the newcomers are counted
 * as omitted rather than kept.
 *
 * @internal
 */
import { DistinctCounter } from "../internal/DistinctCounter.js"
import { QuantileSketch } from "../internal/QuantileSketch.js"
import type { Breadcrumb, ErrorCategory, Severity, StackFrame } from "../schemas/ErrorEvents.js"
import { severityRank } from "../schemas/ErrorEvents.js"
import { groupSummary } from "../services/errors/ErrorGroups.js"
import type { HealthStatus } from "../schemas/HealthEvents.js"
import type { MetricPercentiles, WebVital } from "../schemas/PerformanceEvents.js"
import type { FeatureStats, ProviderStats, SuggestionStats } from "../schemas/UsageEvents.js"
import type { TelemetryEvent } from "../schemas/TelemetryEvent.js"
import type { ErrorGroupView, HealthServiceView, HistorySample, InputView, Snapshot } from "./Snapshot.js"
import { maxGroupsShown, maxHistoryMetrics } from "./Snapshot.js"

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

interface Bucket {
  readonly byKind: Map<string, number>
  readonly metrics: Map<string, QuantileSketch>
  readonly health: Map<string, HealthStatus>
}

interface Group {
  fingerprint: string
  type: string
  message: string
  category: ErrorCategory
  severity: Severity
  count: number
  firstSeen: number
  lastSeen: number
  users: Set<string>
  usersCapped: boolean
  attempts: number
  successes: number
  sample: NonNullable<ErrorGroupView["sample"]> | undefined
}

interface Provider {
  provider: string
  model: string
  requests: number
  successes: number
  durations: QuantileSketch
  promptTokens: number
  completionTokens: number
  errorsByType: Record<string, number>
}

const statuses: ReadonlyArray<HealthStatus> = ["HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN"]
const asStatus = (u: unknown): HealthStatus => (statuses.includes(u as HealthStatus) ? (u as HealthStatus) : "UNKNOWN")
const healthRank: Readonly<Record<HealthStatus, number>> = { HEALTHY: 0, DEGRADED: 1, UNKNOWN: 2, UNHEALTHY: 3 }
const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (healthRank[b] > healthRank[a] ? b : a)

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
  const groups = new Map<string, Group>()
  let captured = 0
  let groupsOmitted = 0
  const users = new DistinctCounter()
  const features = new Map<string, { uses: number; users: DistinctCounter; actions: Record<string, number>; last: number }>()
  const conversations = {
    started: 0,
    completed: 0,
    abandoned: 0,
    messages: 0,
    messageLength: 0,
    ended: 0,
    endedMessages: 0,
    durationMs: 0,
    byRole: {} as Record<string, number>
  }
  const providers = new Map<string, Provider>()
  const suggestions = { shown: 0, accepted: 0, dismissed: 0 }
  const sessions = { started: 0, ended: 0, durationMs: 0, users: new DistinctCounter() }
  const health = new Map<string, HealthServiceView>()
  // Time buckets: width doubles (and neighbours merge) whenever more than `limits.buckets` would be held.
  let width = 1_000
  let buckets = new Map<number, Bucket>()
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
      const b = bucketAt(at)
      let s = b.metrics.get(name)
      if (s === undefined) b.metrics.set(name, s = new QuantileSketch())
      s.add(value)
    }
  }

  const merge = (into: Bucket, from: Bucket) => {
    for (const [k, v] of from.byKind) into.byKind.set(k, (into.byKind.get(k) ?? 0) + v)
    for (const [k, s] of from.metrics) {
      const mine = into.metrics.get(k)
      if (mine === undefined) into.metrics.set(k, s)
      else mine.merge(s)
    }
    for (const [k, v] of from.health) into.health.set(k, v)
  }

  const bucketAt = (at: number): Bucket => {
    let index = Math.floor(at / width)
    let bucket = buckets.get(index)
    if (bucket !== undefined) return bucket
    while (buckets.size >= limits.buckets) {
      // Double the width: pairs of neighbours become one bucket.
      width *= 2
      const merged = new Map<number, Bucket>()
      for (const [i, b] of [...buckets].sort((x, y) => x[0] - y[0])) {
        const j = Math.floor(i / 2)
        const into = merged.get(j)
        if (into === undefined) merged.set(j, b)
        else merge(into, b)
      }
      buckets = merged
      index = Math.floor(at / width)
      const found = buckets.get(index)
      if (found !== undefined) return found
    }
    bucket = { byKind: new Map(), metrics: new Map(), health: new Map() }
    buckets.set(index, bucket)
    return bucket
  }

  const count = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by)

  const onError = (event: TelemetryEvent, d: Json) => {
    const fingerprint = str(d["fingerprint"])
    if (fingerprint === undefined) return
    let group = groups.get(fingerprint)
    if (event.type === "error.captured") captured++
    if (group === undefined) {
      if (event.type !== "error.captured") return
      if (groups.size >= limits.groups) return void groupsOmitted++
      group = {
        fingerprint,
        type: str(d["type"]) ?? "Error",
        message: str(d["message"]) ?? "",
        category: (str(d["category"]) ?? "unknown") as ErrorCategory,
        severity: (str(d["severity"]) ?? "ERROR") as Severity,
        count: 0,
        firstSeen: event.timestamp,
        lastSeen: event.timestamp,
        users: new Set(),
        usersCapped: false,
        attempts: 0,
        successes: 0,
        sample: undefined
      }
      groups.set(fingerprint, group)
    }
    if (event.type === "error.captured") {
      group.count++
      const severity = str(d["severity"]) as Severity | undefined
      if (severity !== undefined && (severityRank[severity] ?? 0) > severityRank[group.severity]) group.severity = severity
      if (event.userId !== undefined) {
        if (group.users.size < limits.usersPerGroup) group.users.add(event.userId)
        else if (!group.users.has(event.userId)) group.usersCapped = true
      }
      if (event.timestamp >= group.lastSeen || group.sample === undefined) {
        group.message = str(d["message"]) ?? group.message
        const frames = Array.isArray(d["frames"]) ? (d["frames"] as Array<StackFrame>) : []
        const crumbs = Array.isArray(d["breadcrumbs"]) ? (d["breadcrumbs"] as Array<Breadcrumb>) : []
        group.sample = {
          errorId: str(d["errorId"]) ?? "",
          fingerprint,
          type: group.type,
          message: group.message,
          severity: (severity ?? group.severity),
          category: group.category,
          kind: (str(d["kind"]) ?? "thrown") as NonNullable<ErrorGroupView["sample"]>["kind"],
          handled: d["handled"] !== false,
          mechanism: str(d["mechanism"]) ?? "",
          timestamp: event.timestamp,
          ...(event.userId === undefined ? {} : { userId: event.userId }),
          breadcrumbs: crumbs.length,
          frames: frames.filter((f) => isRecord(f) && f.inApp === true).slice(0, limits.framesShown),
          breadcrumbList: crumbs.slice(-limits.breadcrumbsShown)
        }
      }
    } else if (event.type === "error.repeated") {
      group.count += num(d["count"]) ?? 0
    } else if (event.type === "error.recovery") {
      group.attempts++
      if (d["succeeded"] === true) group.successes++
    }
    group.firstSeen = Math.min(group.firstSeen, event.timestamp)
    group.lastSeen = Math.max(group.lastSeen, event.timestamp)
  }

  const onUsage = (event: TelemetryEvent, d: Json) => {
    if (event.userId !== undefined) users.add(event.userId)
    switch (event.type) {
      case "usage.feature": {
        const name = str(d["feature"])
        if (name === undefined) return
        let f = features.get(name)
        if (f === undefined) {
          if (features.size >= limits.features) return
          features.set(name, f = { uses: 0, users: new DistinctCounter(), actions: {}, last: 0 })
        }
        f.uses++
        const action = str(d["action"]) ?? "use"
        f.actions[action] = (f.actions[action] ?? 0) + 1
        f.last = Math.max(f.last, event.timestamp)
        const user = str(d["userId"]) ?? event.userId
        if (user !== undefined) f.users.add(user)
        return
      }
      case "usage.conversation.start":
        conversations.started++
        return
      case "usage.conversation.message": {
        conversations.messages++
        conversations.messageLength += num(d["length"]) ?? 0
        const role = str(d["role"]) ?? "user"
        conversations.byRole[role] = (conversations.byRole[role] ?? 0) + 1
        return
      }
      case "usage.conversation.end":
        conversations.ended++
        if (d["outcome"] === "abandoned") conversations.abandoned++
        else conversations.completed++
        conversations.endedMessages += num(d["messages"]) ?? 0
        conversations.durationMs += num(d["durationMs"]) ?? 0
        return
      case "usage.provider.request": {
        const provider = str(d["provider"]) ?? "unknown"
        const model = str(d["model"]) ?? "unknown"
        const key = `${provider}\u0000${model}`
        let p = providers.get(key)
        if (p === undefined) {
          if (providers.size >= limits.providers) return
          p = {
            provider,
            model,
            requests: 0,
            successes: 0,
            durations: new QuantileSketch(),
            promptTokens: 0,
            completionTokens: 0,
            errorsByType: {}
          }
          providers.set(key, p)
        }
        p.requests++
        if (d["success"] !== false) p.successes++
        else {
          const type = str(d["errorType"]) ?? "unknown"
          p.errorsByType[type] = (p.errorsByType[type] ?? 0) + 1
        }
        const duration = num(d["durationMs"])
        if (duration !== undefined) p.durations.add(duration)
        p.promptTokens += num(d["promptTokens"]) ?? 0
        p.completionTokens += num(d["completionTokens"]) ?? 0
        return
      }
      case "usage.suggestion.shown":
        suggestions.shown++
        return
      case "usage.suggestion.accepted":
        suggestions.accepted++
        return
      case "usage.suggestion.dismissed":
        suggestions.dismissed++
        return
      case "usage.session.start":
        sessions.started++
        if (event.userId !== undefined) sessions.users.add(event.userId)
        return
      case "usage.session.end":
        sessions.ended++
        sessions.durationMs += num(d["durationMs"]) ?? 0
        return
    }
  }

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
    bucketAt(event.timestamp).health.set(name, status)
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
    count(bucketAt(at).byKind, kind)
    const d = event.data as Json
    if (event.type.startsWith("performance.")) onPerformance(event, d)
    else if (event.type.startsWith("error.")) onError(event, d)
    else if (event.type.startsWith("usage.")) onUsage(event, d)
    else if (event.type.startsWith("health.")) onHealth(event, d)
    else if (event.userId !== undefined) users.add(event.userId)
  }

  const history = (): ReadonlyArray<HistorySample> => {
    const current: Record<string, HealthStatus> = {}
    const seconds = width / 1000
    return [...buckets].sort((a, b) => a[0] - b[0]).map(([index, b]) => {
      for (const [k, v] of b.health) current[k] = v
      const rates: Record<string, number> = {}
      for (const [k, v] of b.byKind) rates[k] = v / seconds
      const ms: Record<string, readonly [number, number, number]> = {}
      for (const [k, s] of b.metrics) ms[k] = [s.quantile(0.5), s.quantile(0.95), s.quantile(0.99)]
      return { t: index * width, rates, metrics: ms, health: { ...current } }
    })
  }

  const snapshot = (input: Omit<InputView, "firstTimestamp" | "lastTimestamp" | "events">, generatedAt: number): Snapshot => {
    const totalUsers = Math.round(users.estimate())
    const featureList: Array<FeatureStats> = [...features].map(([feature, f]) => {
      const featureUsers = Math.round(f.users.estimate())
      return {
        feature,
        uses: f.uses,
        totalUsers: featureUsers,
        activeUsers: featureUsers,
        adoptionRate: totalUsers === 0 ? 0 : Math.min(1, featureUsers / totalUsers),
        approximate: false,
        actions: f.actions,
        lastUsedAt: f.last
      }
    }).sort((a, b) => b.uses - a.uses)
    const providerList: Array<ProviderStats> = [...providers.values()].map((p) => ({
      provider: p.provider,
      model: p.model,
      requests: p.requests,
      successes: p.successes,
      failures: p.requests - p.successes,
      successRate: p.requests === 0 ? 0 : p.successes / p.requests,
      averageResponseMs: p.durations.count === 0 ? 0 : p.durations.mean,
      p95ResponseMs: p.durations.count === 0 ? 0 : p.durations.quantile(0.95),
      promptTokens: p.promptTokens,
      completionTokens: p.completionTokens,
      totalTokens: p.promptTokens + p.completionTokens,
      errorsByType: p.errorsByType
    }))
    const decided = suggestions.accepted + suggestions.dismissed
    const suggestionStats: SuggestionStats = {
      shown: suggestions.shown,
      accepted: suggestions.accepted,
      dismissed: suggestions.dismissed,
      ignored: 0,
      pending: Math.max(0, suggestions.shown - decided),
      acceptanceRate: suggestions.shown === 0 ? 0 : suggestions.accepted / suggestions.shown
    }
    const sortedGroups = [...groups.values()].sort((a, b) => b.lastSeen - a.lastSeen)
    const services = [...health.values()]
    const byTypeList = [...byType].map(([type, n]) => ({ type, count: n })).sort((a, b) => b.count - a.count)
    if (otherTypes > 0) byTypeList.push({ type: "(other types)", count: otherTypes })
    const ended = conversations.ended
    return {
      source: "file",
      title,
      generatedAt,
      events: { total, byKind: Object.fromEntries(byKind), byType: byTypeList },
      metrics: [...metrics].map(([name, s]) => percentilesOf(name, s)).sort((a, b) => (a.name < b.name ? -1 : 1)),
      ai,
      webVitals: [...webVitals.values()].map(({ at: _, ...vital }) => vital),
      errors: {
        groupCount: groups.size + groupsOmitted,
        captured,
        groups: sortedGroups.slice(0, maxGroupsShown).map((g) => ({
          ...groupSummary(g),
          ...(g.sample === undefined ? {} : { sample: g.sample })
        }))
      },
      usage: {
        totalUsers,
        activeUsers: totalUsers,
        features: featureList,
        conversations: {
          started: conversations.started,
          completed: conversations.completed,
          abandoned: conversations.abandoned,
          open: Math.max(0, conversations.started - ended),
          completionRate: ended === 0 ? 0 : conversations.completed / ended,
          averageLength: ended === 0 ? 0 : conversations.endedMessages / ended,
          averageMessageLength: conversations.messages === 0 ? 0 : conversations.messageLength / conversations.messages,
          averageDurationMs: ended === 0 ? 0 : conversations.durationMs / ended,
          messagesByRole: conversations.byRole
        },
        providers: providerList,
        suggestions: suggestionStats,
        sessions: {
          started: sessions.started,
          ended: sessions.ended,
          expired: 0,
          active: Math.max(0, sessions.started - sessions.ended),
          averageDurationMs: sessions.ended === 0 ? 0 : sessions.durationMs / sessions.ended,
          users: Math.round(sessions.users.estimate())
        }
      },
      health: {
        status: services.reduce<HealthStatus>((s, x) => (x.critical ? worse(s, x.status) : s), services.length === 0 ? "UNKNOWN" : "HEALTHY"),
        services
      },
      history: history(),
      input: { ...input, events: total, firstTimestamp: first, lastTimestamp: last }
    }
  }

  return { add, snapshot, omitted: () => ({ metrics: metricsOmitted, groups: groupsOmitted }) }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null
