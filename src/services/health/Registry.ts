/**
 * What HealthCheck keeps of its registered services, and the pure steps over it: applying a check result,
 * settling every effective status after a change (the status changes to publish), and the views of the
 * registry the report, readiness and events show.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type {
  HealthRecoveredData,
  HealthStatus,
  HealthStatusChangedData,
  Readiness,
  ServiceHealth
} from "../../schemas/HealthEvents.js"
import type { Settings } from "./Options.js"
import * as Machine from "./StatusMachine.js"

/** A check: succeeds when the service is healthy; any failure, defect or timeout counts as a failed check. */
export type ServiceCheck = Effect.Effect<unknown, unknown>

/** One registered service. */
export interface Entry {
  /** Tells this registration from an earlier one of the same name, whose late results are dropped. */
  readonly id: number
  readonly name: string
  readonly check: ServiceCheck
  readonly settings: Settings
  readonly registeredAt: number
  readonly state: Machine.CheckState
  /** The effective status last published (tracked as an event). */
  readonly published: HealthStatus
  readonly statusSince: number
}

/** Every registered service and the overall status last published. */
export interface Registry {
  readonly entries: ReadonlyMap<string, Entry>
  readonly overall: HealthStatus
  /** The id of the next registration; never reused, also across `reset`. */
  readonly nextId: number
}

/** A registry without services; `nextId` carries over a `reset`. */
export const empty = (nextId: number): Registry => ({ entries: new Map(), overall: "HEALTHY", nextId })

/** The entry a new registration starts as: UNKNOWN, not checked yet. */
export const newEntry = (id: number, name: string, check: ServiceCheck, settings: Settings, now: number): Entry => ({
  id,
  name,
  check,
  settings,
  registeredAt: now,
  state: Machine.initial,
  published: "UNKNOWN",
  statusSince: now
})

const nodesOf = (entries: ReadonlyMap<string, Entry>): ReadonlyMap<string, Machine.Node> =>
  new Map([...entries].map(([name, e]) => [name, { state: e.state, dependencies: e.settings.dependencies }]))

/** Each service's status with its dependencies weighed in. */
export const statusesOf = (entries: ReadonlyMap<string, Entry>): ReadonlyMap<string, HealthStatus> =>
  Machine.effectiveStatuses(nodesOf(entries))

const reasonOf = (e: Entry, statuses: ReadonlyMap<string, HealthStatus>): string =>
  Machine.explain(e.state, e.settings.thresholds, e.settings.dependencies, statuses)

/** One service as the report shows it. */
export const serviceHealth = (e: Entry, statuses: ReadonlyMap<string, HealthStatus>): ServiceHealth => ({
  name: e.name,
  status: statuses.get(e.name) ?? "UNKNOWN",
  reason: reasonOf(e, statuses),
  critical: e.settings.critical,
  dependencies: e.settings.dependencies,
  consecutiveFailures: e.state.consecutiveFailures,
  consecutiveSuccesses: e.state.consecutiveSuccesses,
  successRate: Machine.successRate(e.state),
  checks: e.state.checks,
  lastLatencyMs: e.state.lastLatencyMs,
  lastError: e.state.lastError,
  lastCheckedAt: e.state.lastCheckedAt,
  statusSince: e.statusSince,
  registeredAt: e.registeredAt
})

/**
 * Every effective status recomputed after a change (a result can change its dependents too): the registry
 * with the moved ones published at `at`, and the `health.status_changed` data of each, in order.
 */
export const settle = (
  entries: Map<string, Entry>,
  at: number,
  nextId: number
): { readonly registry: Registry; readonly changes: ReadonlyArray<HealthStatusChangedData> } => {
  const statuses = statusesOf(entries)
  const overall = Machine.overallStatus(
    [...entries.values()].map((e) => ({ status: statuses.get(e.name) ?? "UNKNOWN", critical: e.settings.critical }))
  )
  const changes: Array<HealthStatusChangedData> = []
  for (const e of entries.values()) {
    const status = statuses.get(e.name) ?? "UNKNOWN"
    if (status === e.published) continue
    changes.push({
      service: e.name,
      from: e.published,
      to: status,
      reason: reasonOf(e, statuses),
      critical: e.settings.critical,
      consecutiveFailures: e.state.consecutiveFailures,
      lastError: e.state.lastError,
      overall
    })
    entries.set(e.name, { ...e, published: status, statusSince: at })
  }
  return { registry: { entries, overall, nextId }, changes }
}

/**
 * A check result applied to the registration it came from: the entries after it and the recovery it
 * completed, if any; `undefined` when that registration is gone (unregistered, or replaced by a new one).
 */
export const applyResult = (
  registry: Registry,
  checked: Entry,
  result: Machine.CheckResult
): { readonly entries: Map<string, Entry>; readonly recovered: ReadonlyArray<HealthRecoveredData> } | undefined => {
  const entry = registry.entries.get(checked.name)
  if (entry === undefined || entry.id !== checked.id) return undefined
  const { recovered, state } = Machine.step(entry.state, result, entry.settings.thresholds)
  return {
    entries: new Map(registry.entries).set(checked.name, { ...entry, state }),
    recovered: recovered === undefined ? [] : [{
      service: checked.name,
      downtimeMs: recovered.recoveredAt - recovered.downSince,
      downSince: recovered.downSince,
      recoveredAt: recovered.recoveredAt
    }]
  }
}

/** Whether every critical service is HEALTHY or DEGRADED, and which are not. */
export const readinessOf = (registry: Registry): Readiness => {
  const statuses = statusesOf(registry.entries)
  const notReady = [...registry.entries.values()]
    .filter((e) => e.settings.critical)
    .filter((e) => {
      const s = statuses.get(e.name)
      return s !== "HEALTHY" && s !== "DEGRADED"
    })
    .map((e) => e.name)
  return { ready: notReady.length === 0, notReady }
}

/** The registry with each service's statistics forgotten (see `HealthCheck.clear`). */
export const withoutHistory = (registry: Registry): Registry => ({
  ...registry,
  entries: new Map([...registry.entries].map(([name, e]) => [name, { ...e, state: Machine.withoutHistory(e.state) }]))
})

/** A cycle the new registration's dependencies would close, as a path, or `undefined`. */
export const cycleWith = (registry: Registry, name: string, dependencies: ReadonlyArray<string>) =>
  Machine.findCycle(new Map([...registry.entries].map(([n, e]) => [n, e.settings.dependencies])), name, dependencies)
