/**
 * The health state machine, pure: how one check result moves a service between statuses, how
 * dependencies and non-critical services weigh on the whole, and why a service has its status.
 *
 * A service's own status comes from a phase (`unknown → ok ⇄ failing → down`) and its latency:
 *
 * | phase    | meaning                                                              | status      |
 * |----------|----------------------------------------------------------------------|-------------|
 * | unknown  | no result yet                                                        | UNKNOWN     |
 * | ok       | healthy; slower than the latency threshold → DEGRADED                | HEALTHY     |
 * | failing  | 1..failureThreshold-1 failures, or recovering from them              | DEGRADED    |
 * | down     | failureThreshold consecutive failures, until recoveryThreshold successes | UNHEALTHY |
 */
import type { HealthStatus } from "../../schemas/HealthEvents.js"

/** Results kept for the success rate. */
export const successRateWindow = 20

export type Phase = "unknown" | "ok" | "failing" | "down"

/** What the machine keeps per service. */
export interface CheckState {
  readonly phase: Phase
  /** The last successful check was slower than the latency threshold. */
  readonly slow: boolean
  readonly consecutiveFailures: number
  readonly consecutiveSuccesses: number
  /** The last `successRateWindow` results, oldest first. */
  readonly recent: ReadonlyArray<boolean>
  readonly checks: number
  readonly lastLatencyMs: number | null
  readonly lastError: string | null
  readonly lastCheckedAt: number | null
  /** When the service went `down`; `null` when it is not. */
  readonly downSince: number | null
}

export interface Thresholds {
  /** Consecutive failures that make a service UNHEALTHY. */
  readonly failureThreshold: number
  /** Consecutive successes that bring a failing or UNHEALTHY service back to HEALTHY. */
  readonly recoveryThreshold: number
  /** A success slower than this is DEGRADED; `undefined` for no latency threshold. */
  readonly degradedLatencyMs: number | undefined
}

/** The outcome of one check. */
export type CheckResult =
  | { readonly _tag: "success"; readonly at: number; readonly latencyMs: number }
  | { readonly _tag: "failure"; readonly at: number; readonly latencyMs: number; readonly error: string }

export const initial: CheckState = {
  phase: "unknown",
  slow: false,
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  recent: [],
  checks: 0,
  lastLatencyMs: null,
  lastError: null,
  lastCheckedAt: null,
  downSince: null
}

/**
 * The state without its statistics — checks run, the results behind the success rate — and with all
 * that decides the status: phase, latency flag, consecutive results, last error and times.
 */
export const withoutHistory = (state: CheckState): CheckState => ({ ...state, checks: 0, recent: [] })

/** A service that met its recovery threshold after being UNHEALTHY. */
export interface Recovery {
  readonly downSince: number
  readonly recoveredAt: number
}

/** Applies one result. */
export const step = (
  state: CheckState,
  result: CheckResult,
  t: Thresholds
): { readonly state: CheckState; readonly recovered: Recovery | undefined } => {
  const recent = [...state.recent, result._tag === "success"].slice(-successRateWindow)
  const common = { recent, checks: state.checks + 1, lastLatencyMs: result.latencyMs, lastCheckedAt: result.at }
  if (result._tag === "failure") {
    const consecutiveFailures = state.consecutiveFailures + 1
    const down = consecutiveFailures >= t.failureThreshold || state.phase === "down"
    return {
      state: {
        ...common,
        phase: down ? "down" : "failing",
        slow: false,
        consecutiveFailures,
        consecutiveSuccesses: 0,
        lastError: result.error,
        downSince: down ? state.downSince ?? result.at : null
      },
      recovered: undefined
    }
  }
  const consecutiveSuccesses = state.consecutiveSuccesses + 1
  const slow = t.degradedLatencyMs !== undefined && result.latencyMs > t.degradedLatencyMs
  const recovering = state.phase === "failing" || state.phase === "down"
  const backUp = !recovering || consecutiveSuccesses >= t.recoveryThreshold
  const next: CheckState = {
    ...common,
    phase: backUp ? "ok" : state.phase,
    slow,
    consecutiveFailures: 0,
    consecutiveSuccesses,
    // The last error stays visible while the service is still recovering.
    lastError: backUp ? null : state.lastError,
    downSince: backUp ? null : state.downSince
  }
  const recovered = backUp && state.phase === "down" && state.downSince !== null
    ? { downSince: state.downSince, recoveredAt: result.at }
    : undefined
  return { state: next, recovered }
}

/** The status a service has from its own checks alone. */
export const ownStatus = (state: CheckState): HealthStatus => {
  switch (state.phase) {
    case "unknown":
      return "UNKNOWN"
    case "ok":
      return state.slow ? "DEGRADED" : "HEALTHY"
    case "failing":
      return "DEGRADED"
    case "down":
      return "UNHEALTHY"
  }
}

/** Share of successes among the recent results; `null` before the first. */
export const successRate = (state: CheckState): number | null =>
  state.recent.length === 0 ? null : state.recent.filter(Boolean).length / state.recent.length

/** What `effectiveStatuses` needs per service. */
export interface Node {
  readonly state: CheckState
  readonly dependencies: ReadonlyArray<string>
}

/**
 * Each service's status with its dependencies weighed in: a service that is HEALTHY on its own is
 * DEGRADED when a dependency is DEGRADED, UNHEALTHY or not registered. A dependency still UNKNOWN
 * (not checked yet) does not count, so services registered together do not flap at start-up.
 */
export const effectiveStatuses = (nodes: ReadonlyMap<string, Node>): ReadonlyMap<string, HealthStatus> => {
  const result = new Map<string, HealthStatus>()
  const visiting = new Set<string>()
  const visit = (name: string): HealthStatus => {
    const known = result.get(name)
    if (known !== undefined) return known
    const node = nodes.get(name)
    if (node === undefined || visiting.has(name)) return "UNKNOWN"
    visiting.add(name)
    const own = ownStatus(node.state)
    const dependenciesHealthy = node.dependencies.every((d) => nodes.has(d) && dependencyOk(visit(d)))
    visiting.delete(name)
    const status = own === "HEALTHY" && !dependenciesHealthy ? "DEGRADED" : own
    result.set(name, status)
    return status
  }
  for (const name of nodes.keys()) visit(name)
  return result
}

/** Whether a dependency's status leaves its dependents healthy. */
const dependencyOk = (status: HealthStatus): boolean => status === "HEALTHY" || status === "UNKNOWN"

const rank: { readonly [S in HealthStatus]: number } = { HEALTHY: 0, UNKNOWN: 1, DEGRADED: 2, UNHEALTHY: 3 }

/** The worse of two statuses: UNHEALTHY > DEGRADED > UNKNOWN > HEALTHY. */
export const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (rank[a] >= rank[b] ? a : b)

/**
 * The overall status: the worst critical service; a non-critical service that is DEGRADED or
 * UNHEALTHY makes the whole at most DEGRADED (one still UNKNOWN does not count). No services: HEALTHY.
 */
export const overallStatus = (
  services: Iterable<{ readonly status: HealthStatus; readonly critical: boolean }>
): HealthStatus => {
  let overall: HealthStatus = "HEALTHY"
  for (const s of services) {
    if (s.critical) overall = worse(overall, s.status)
    else if (s.status === "DEGRADED" || s.status === "UNHEALTHY") overall = worse(overall, "DEGRADED")
  }
  return overall
}

/** Why a service has its effective status, in words. */
export const explain = (
  state: CheckState,
  t: Thresholds,
  dependencies: ReadonlyArray<string>,
  statuses: ReadonlyMap<string, HealthStatus>
): string => {
  switch (state.phase) {
    case "unknown":
      return "not checked yet"
    case "down":
    case "failing":
      return state.consecutiveSuccesses > 0
        ? `recovering: ${state.consecutiveSuccesses} of ${t.recoveryThreshold} successes needed`
        : `${state.consecutiveFailures} consecutive failure${state.consecutiveFailures === 1 ? "" : "s"} (threshold ${t.failureThreshold})`
    case "ok": {
      if (state.slow) return `latency ${state.lastLatencyMs} ms over ${t.degradedLatencyMs} ms`
      const sick = dependencies.filter((d) => {
        const status = statuses.get(d)
        return status === undefined || !dependencyOk(status)
      })
      return sick.length === 0
        ? "healthy"
        : `dependency ${sick.map((d) => `${d} is ${statuses.get(d) ?? "not registered"}`).join(", ")}`
    }
  }
}

/** A cycle that `name` with `dependencies` would close in the graph, as a path, or `undefined`. */
export const findCycle = (
  graph: ReadonlyMap<string, ReadonlyArray<string>>,
  name: string,
  dependencies: ReadonlyArray<string>
): ReadonlyArray<string> | undefined => {
  const edges = new Map(graph).set(name, dependencies)
  const path: Array<string> = []
  const onPath = new Set<string>()
  const done = new Set<string>()
  const visit = (node: string): ReadonlyArray<string> | undefined => {
    if (onPath.has(node)) return [...path.slice(path.indexOf(node)), node]
    if (done.has(node)) return undefined
    onPath.add(node)
    path.push(node)
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next)
      if (cycle !== undefined) return cycle
    }
    path.pop()
    onPath.delete(node)
    done.add(node)
    return undefined
  }
  return visit(name)
}
