/**
 * Health checks: each registered service is polled by its own fiber on a `Schedule`, its results move
 * it through `UNKNOWN → HEALTHY ⇄ DEGRADED → UNHEALTHY` (see `health/StatusMachine.ts`), and status
 * changes — only changes — are tracked as `health.*` events. Reports read the cached state.
 */
import {
  Cause,
  Clock,
  Context,
  Duration,
  Effect,
  FiberMap,
  Layer,
  Ref,
  Schedule,
  type Scope,
  SynchronizedRef
} from "effect"
import {
  type HealthRecoveredData,
  type HealthReport,
  type HealthStatus,
  type HealthStatusChangedData,
  HealthCheckRegistrationError,
  type Liveness,
  type Readiness,
  type ServiceHealth,
  UnknownServiceError
} from "../schemas/HealthEvents.js"
import type { JsonObject } from "../schemas/TelemetryEvent.js"
import { describeError } from "./errors/ErrorDescription.js"
import { withoutInternals } from "./health/ErrorText.js"
import * as Machine from "./health/StatusMachine.js"
import { Redactor } from "./Redactor.js"
import { TelemetryCollector } from "./TelemetryCollector.js"

/** How one service is checked. */
export interface HealthCheckOptions {
  /** Time between the end of one check and the start of the next; default 60 seconds. */
  readonly interval?: Duration.DurationInput
  /** A check running longer fails with a timeout; default 5 seconds. */
  readonly timeout?: Duration.DurationInput
  /** Whether the overall status follows this service; a non-critical one only degrades it. Default true. */
  readonly critical?: boolean
  /** Other registered services this one needs: when one is not HEALTHY, this one is at most DEGRADED. */
  readonly dependencies?: ReadonlyArray<string>
  /** A successful check slower than this makes the service DEGRADED; default none. */
  readonly degradedLatency?: Duration.DurationInput
  /** Consecutive failures that make the service UNHEALTHY; default 3. */
  readonly failureThreshold?: number
  /** Consecutive successes that bring a failing service back to HEALTHY; default 2. */
  readonly recoveryThreshold?: number
}

/** The defaults of `HealthCheckOptions`. */
export const defaultHealthCheckOptions = {
  interval: Duration.seconds(60),
  timeout: Duration.seconds(5),
  critical: true,
  failureThreshold: 3,
  recoveryThreshold: 2
} as const

/** A check: succeeds when the service is healthy; any failure, defect or timeout counts as a failed check. */
export type ServiceCheck = Effect.Effect<unknown, unknown>

/** Watches registered services and reports their health. */
export class HealthCheck extends Context.Tag("effect-telemetry/HealthCheck")<HealthCheck, {
  /** Registers a service and starts polling it at once, then every `interval`. */
  readonly register: (
    name: string,
    check: ServiceCheck,
    options?: HealthCheckOptions
  ) => Effect.Effect<void, HealthCheckRegistrationError>
  /** Stops polling a service and forgets it; false when it was not registered. */
  readonly unregister: (name: string) => Effect.Effect<boolean>
  /** Runs one service's check now and returns its updated health. */
  readonly checkNow: (name: string) => Effect.Effect<ServiceHealth, UnknownServiceError>
  /** The report from cached results; with `refresh`, every check runs first (concurrently). */
  readonly getHealthReport: (options?: { readonly refresh?: boolean }) => Effect.Effect<HealthReport>
  /** Whether every registered service still has its polling fiber. */
  readonly liveness: Effect.Effect<Liveness>
  /** Whether every critical service is HEALTHY or DEGRADED. */
  readonly readiness: Effect.Effect<Readiness>
  /**
   * Forgets each service's statistics — checks run, the results behind its success rate — and keeps the
   * services, their polling, their status and what it rests on (consecutive results, last error). Tracks nothing.
   */
  readonly clear: Effect.Effect<void>
  /**
   * Unregisters every service (stopping its polling) without tracking a status change, and restarts the
   * uptime: the service is as newly built. Options given to the layer stay.
   */
  readonly reset: Effect.Effect<void>
}>() {}

/** Settings of the HealthCheck layer. */
export interface HealthCheckLayerOptions {
  /** Options every registration starts from (each registration may override them). */
  readonly defaults?: HealthCheckOptions
  /**
   * Whether a failed check's error keeps its stack frames and file-system paths in the report, the health
   * routes and the `health.*` events; default `false`: the health server answers any network peer. The
   * error is redacted either way.
   */
  readonly exposeErrorDetails?: boolean
}

interface Settings {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration
  readonly critical: boolean
  readonly dependencies: ReadonlyArray<string>
  readonly thresholds: Machine.Thresholds
}

interface Entry {
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

interface Registry {
  readonly entries: ReadonlyMap<string, Entry>
  readonly overall: HealthStatus
  /** The id of the next registration; never reused, also across `reset`. */
  readonly nextId: number
}

const nameProblem = (name: string): string | undefined =>
  name.length === 0
    ? "the name is empty"
    : name.length > 128
    ? "the name is longer than 128 characters"
    : name.includes(":")
    ? "the name holds \":\", which separates component and measurement in health+json"
    : undefined

const resolveSettings = (
  name: string,
  options: HealthCheckOptions
): Effect.Effect<Settings, HealthCheckRegistrationError> => {
  const d = defaultHealthCheckOptions
  const invalid = (option: string, detail: string) =>
    Effect.fail(new HealthCheckRegistrationError({ service: name, problem: "invalid-option", option, detail }))
  const interval = Duration.decode(options.interval ?? d.interval)
  const timeout = Duration.decode(options.timeout ?? d.timeout)
  const degradedLatency = options.degradedLatency === undefined ? undefined : Duration.decode(options.degradedLatency)
  const failureThreshold = options.failureThreshold ?? d.failureThreshold
  const recoveryThreshold = options.recoveryThreshold ?? d.recoveryThreshold
  if (!Duration.greaterThan(interval, Duration.zero)) return invalid("interval", "expected a positive duration")
  if (!Duration.greaterThan(timeout, Duration.zero)) return invalid("timeout", "expected a positive duration")
  if (degradedLatency !== undefined && !Duration.greaterThan(degradedLatency, Duration.zero)) {
    return invalid("degradedLatency", "expected a positive duration")
  }
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    return invalid("failureThreshold", `expected an integer ≥ 1, got ${failureThreshold}`)
  }
  if (!Number.isInteger(recoveryThreshold) || recoveryThreshold < 1) {
    return invalid("recoveryThreshold", `expected an integer ≥ 1, got ${recoveryThreshold}`)
  }
  return Effect.succeed({
    interval,
    timeout,
    critical: options.critical ?? d.critical,
    dependencies: [...new Set(options.dependencies ?? [])],
    thresholds: {
      failureThreshold,
      recoveryThreshold,
      degradedLatencyMs: degradedLatency === undefined ? undefined : Duration.toMillis(degradedLatency)
    }
  })
}

const nodesOf = (entries: ReadonlyMap<string, Entry>): ReadonlyMap<string, Machine.Node> =>
  new Map([...entries].map(([name, e]) => [name, { state: e.state, dependencies: e.settings.dependencies }]))

/** Builds the service; the polling fibers live in the given scope. */
export const make = (
  layerOptions: HealthCheckLayerOptions = {}
): Effect.Effect<Context.Tag.Service<HealthCheck>, never, TelemetryCollector | Redactor | Scope.Scope> =>
  Effect.gen(function*() {
    const collector = yield* TelemetryCollector
    const redactor = yield* Redactor
    const startedAt = yield* Ref.make(yield* Clock.currentTimeMillis)
    const registry = yield* SynchronizedRef.make<Registry>({ entries: new Map(), overall: "HEALTHY", nextId: 0 })
    const pollers = yield* FiberMap.make<string>()

    const track = (type: string, data: HealthStatusChangedData | HealthRecoveredData) =>
      collector.track({ type, data: data as unknown as JsonObject }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logWarning("HealthCheck could not track an event", cause).pipe(Effect.annotateLogs({ eventType: type }))
        )
      )

    const serviceHealth = (e: Entry, statuses: ReadonlyMap<string, HealthStatus>): ServiceHealth => ({
      name: e.name,
      status: statuses.get(e.name) ?? "UNKNOWN",
      reason: Machine.explain(e.state, e.settings.thresholds, e.settings.dependencies, statuses),
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
     * Recomputes every effective status after a change and publishes the ones that moved (a result can
     * change its dependents too). Runs inside the registry's lock, so events leave in the order of changes.
     */
    const publish = (
      entries: Map<string, Entry>,
      at: number,
      recovered: ReadonlyArray<HealthRecoveredData>,
      nextId: number
    ): Effect.Effect<Registry> => {
      const statuses = Machine.effectiveStatuses(nodesOf(entries))
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
          reason: Machine.explain(e.state, e.settings.thresholds, e.settings.dependencies, statuses),
          critical: e.settings.critical,
          consecutiveFailures: e.state.consecutiveFailures,
          lastError: e.state.lastError,
          overall
        })
        entries.set(e.name, { ...e, published: status, statusSince: at })
      }
      return Effect.forEach(changes, (c) => track("health.status_changed", c), { discard: true }).pipe(
        Effect.zipRight(Effect.forEach(recovered, (r) => track("health.recovered", r), { discard: true })),
        Effect.as({ entries, overall, nextId })
      )
    }

    /** The one text kept of a failure: it is stored, served and tracked, so it is made safe here. */
    const errorText = (cause: Cause.Cause<unknown>): string => {
      if (Cause.isInterruptedOnly(cause)) return "interrupted"
      const d = describeError(cause)
      const text = d.message.length > 0 ? `${d.type}: ${d.message}` : d.type
      return redactor.redactString(layerOptions.exposeErrorDetails === true ? text : withoutInternals(text))
    }

    /** Runs a check with its timeout, timing it by the Clock; never fails. */
    const runCheck = (entry: Entry): Effect.Effect<Machine.CheckResult> =>
      Effect.gen(function*() {
        const start = yield* Clock.currentTimeMillis
        const exit = yield* entry.check.pipe(
          Effect.timeoutFail({
            duration: entry.settings.timeout,
            onTimeout: () => new Cause.TimeoutException(`timed out after ${Duration.format(entry.settings.timeout)}`)
          }),
          Effect.exit
        )
        const at = yield* Clock.currentTimeMillis
        const latencyMs = at - start
        return exit._tag === "Success"
          ? { _tag: "success", at, latencyMs } as const
          : { _tag: "failure", at, latencyMs, error: errorText(exit.cause) } as const
      })

    /** Applies a result to the registration it came from (if still registered) and publishes what changed. */
    const record = (checked: Entry, result: Machine.CheckResult) =>
      SynchronizedRef.updateEffect(registry, (reg) => {
        const name = checked.name
        const entry = reg.entries.get(name)
        if (entry === undefined || entry.id !== checked.id) return Effect.succeed(reg)
        const { recovered, state } = Machine.step(entry.state, result, entry.settings.thresholds)
        const entries = new Map(reg.entries).set(name, { ...entry, state })
        return publish(
          entries,
          result.at,
          recovered === undefined ? [] : [{
            service: name,
            downtimeMs: recovered.recoveredAt - recovered.downSince,
            downSince: recovered.downSince,
            recoveredAt: recovered.recoveredAt
          }],
          reg.nextId
        )
      })

    const checkAndRecord = (entry: Entry) =>
      runCheck(entry).pipe(
        Effect.flatMap((result) => record(entry, result)),
        // Never let a poll end the polling loop: a bug here is logged and the next poll runs.
        Effect.catchAllDefect((defect) => Effect.logError("HealthCheck poll failed", defect))
      )

    const register = (name: string, check: ServiceCheck, options: HealthCheckOptions = {}) =>
      Effect.gen(function*() {
        const problem = nameProblem(name)
        if (problem !== undefined) {
          return yield* new HealthCheckRegistrationError({ service: name, problem: "invalid-name", detail: problem })
        }
        const settings = yield* resolveSettings(name, { ...layerOptions.defaults, ...options })
        const now = yield* Clock.currentTimeMillis
        yield* SynchronizedRef.updateEffect(registry, (reg) => {
          if (reg.entries.has(name)) {
            return Effect.fail(
              new HealthCheckRegistrationError({ service: name, problem: "duplicate", detail: "unregister it first" })
            )
          }
          const graph = new Map([...reg.entries].map(([n, e]) => [n, e.settings.dependencies]))
          const cycle = Machine.findCycle(graph, name, settings.dependencies)
          if (cycle !== undefined) {
            return Effect.fail(
              new HealthCheckRegistrationError({
                service: name,
                problem: "dependency-cycle",
                detail: `dependencies would form the cycle ${cycle.join(" → ")}`,
                path: cycle
              })
            )
          }
          const entry: Entry = {
            id: reg.nextId,
            name,
            check,
            settings,
            registeredAt: now,
            state: Machine.initial,
            published: "UNKNOWN",
            statusSince: now
          }
          const entries = new Map(reg.entries).set(name, entry)
          // Started under the registry's lock, so an `unregister` or `reset` running meanwhile cannot leave
          // a poller without its service. The poller's first result waits for the lock like any other.
          return FiberMap.run(
            pollers,
            name,
            checkAndRecord(entry).pipe(Effect.repeat(Schedule.spaced(settings.interval)), Effect.asVoid)
          ).pipe(
            // A new UNKNOWN service can degrade its dependents (and the whole): publish that too.
            Effect.zipRight(publish(entries, now, [], reg.nextId + 1))
          )
        })
      })

    const unregister = (name: string) =>
      SynchronizedRef.modifyEffect(registry, (reg) => {
        if (!reg.entries.has(name)) return Effect.succeed([false, reg] as const)
        const entries = new Map(reg.entries)
        entries.delete(name)
        return FiberMap.remove(pollers, name).pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.flatMap((now) => publish(entries, now, [], reg.nextId)),
          Effect.map((next) => [true, next] as const)
        )
      })

    const snapshot = Effect.map(SynchronizedRef.get(registry), (reg) => ({
      reg,
      statuses: Machine.effectiveStatuses(nodesOf(reg.entries))
    }))

    const checkNow = (name: string) =>
      Effect.gen(function*() {
        const reg = yield* SynchronizedRef.get(registry)
        const entry = reg.entries.get(name)
        if (entry === undefined) {
          return yield* new UnknownServiceError({ service: name, registered: [...reg.entries.keys()] })
        }
        yield* checkAndRecord(entry)
        const { reg: after, statuses } = yield* snapshot
        const updated = after.entries.get(name)
        if (updated === undefined) return yield* new UnknownServiceError({ service: name, registered: [...after.entries.keys()] })
        return serviceHealth(updated, statuses)
      })

    const getHealthReport = (options: { readonly refresh?: boolean } = {}) =>
      Effect.gen(function*() {
        if (options.refresh === true) {
          const reg = yield* SynchronizedRef.get(registry)
          yield* Effect.forEach(reg.entries.values(), checkAndRecord, { concurrency: "unbounded", discard: true })
        }
        const { reg, statuses } = yield* snapshot
        const now = yield* Clock.currentTimeMillis
        const since = yield* Ref.get(startedAt)
        const services: Record<string, ServiceHealth> = {}
        for (const e of reg.entries.values()) services[e.name] = serviceHealth(e, statuses)
        return { status: reg.overall, timestamp: now, uptimeMs: now - since, services } satisfies HealthReport
      })

    const liveness = Effect.gen(function*() {
      const reg = yield* SynchronizedRef.get(registry)
      const stopped: Array<string> = []
      for (const name of reg.entries.keys()) {
        // A finished fiber leaves the FiberMap, so a registered name without one is no longer polled.
        if (!(yield* FiberMap.has(pollers, name))) stopped.push(name)
      }
      return { alive: stopped.length === 0, polling: reg.entries.size - stopped.length, stopped } satisfies Liveness
    })

    const readiness = Effect.map(snapshot, ({ reg, statuses }): Readiness => {
      const notReady = [...reg.entries.values()]
        .filter((e) => e.settings.critical)
        .filter((e) => {
          const s = statuses.get(e.name)
          return s !== "HEALTHY" && s !== "DEGRADED"
        })
        .map((e) => e.name)
      return { ready: notReady.length === 0, notReady }
    })

    const clear = SynchronizedRef.update(registry, (reg) => ({
      ...reg,
      entries: new Map([...reg.entries].map(([name, e]) => [name, { ...e, state: Machine.withoutHistory(e.state) }]))
    }))

    const reset = SynchronizedRef.updateEffect(registry, (reg) =>
      // Under the lock: no registration, result or report interleaves with the pollers stopping.
      FiberMap.clear(pollers).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((now) => Ref.set(startedAt, now)),
        Effect.as<Registry>({ entries: new Map(), overall: "HEALTHY", nextId: reg.nextId })
      ))

    return HealthCheck.of({ register, unregister, checkNow, getHealthReport, liveness, readiness, clear, reset })
  })

/** HealthCheck over the collector and the Redactor; scoped: closing it stops every polling fiber. */
export const layer = (
  options: HealthCheckLayerOptions = {}
): Layer.Layer<HealthCheck, never, TelemetryCollector | Redactor> => Layer.scoped(HealthCheck, make(options))

/** Registers a check with the `HealthCheck` in context. */
export const register = (
  name: string,
  check: ServiceCheck,
  options?: HealthCheckOptions
): Effect.Effect<void, HealthCheckRegistrationError, HealthCheck> =>
  Effect.flatMap(HealthCheck, (h) => h.register(name, check, options))

/** The health report of the `HealthCheck` in context. */
export const getHealthReport = (options?: { readonly refresh?: boolean }): Effect.Effect<HealthReport, never, HealthCheck> =>
  Effect.flatMap(HealthCheck, (h) => h.getHealthReport(options))
