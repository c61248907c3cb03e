/**
 * HealthCheck's service: registration, reports, liveness and readiness over the registry (`Registry.ts`)
 * and its pollers (`Polling.ts`). `HealthCheck.ts` publishes it as `HealthCheck.make` / `HealthCheck.layer`.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as SynchronizedRef from "effect/SynchronizedRef"
import {
  HealthCheckRegistrationError,
  type HealthReport,
  type Liveness,
  type ServiceHealth,
  UnknownServiceError
} from "../../schemas/HealthEvents.js"
import { EventSink } from "../EventSink.js"
import type { HealthCheck } from "../HealthCheck.js"
import { Redactor } from "../Redactor.js"
import {
  decodeLayerOptions,
  type HealthCheckLayerOptions,
  type HealthCheckOptions,
  type HealthCheckOptionsError,
  resolveRegistration
} from "./Options.js"
import { makePolling } from "./Polling.js"
import * as Registry from "./Registry.js"

/**
 * Builds the service over the `EventSink` and `Redactor` in context; the polling fibers live in the scope.
 * Fails with `HealthCheckOptionsError` when an option (or a default in `defaults`) does not decode.
 */
export const make = (
  options?: HealthCheckLayerOptions
): Effect.Effect<HealthCheck.Service, HealthCheckOptionsError, EventSink | Redactor | Scope.Scope> =>
  Effect.gen(function*() {
    const { exposeErrorDetails } = yield* decodeLayerOptions(options)
    const defaults = options?.defaults
    const sink = yield* EventSink
    const redactor = yield* Redactor
    const startedAt = yield* Ref.make(yield* Clock.currentTimeMillis)
    const registry = yield* SynchronizedRef.make(Registry.empty(0))
    const pollers = yield* FiberMap.make<string>()
    const { checkAndRecord, publish, startPolling } = makePolling({ registry, pollers, sink, redactor, exposeErrorDetails })

    const register = (name: string, check: Registry.ServiceCheck, options?: HealthCheckOptions) =>
      Effect.gen(function*() {
        const settings = yield* resolveRegistration(name, options, defaults)
        const now = yield* Clock.currentTimeMillis
        yield* SynchronizedRef.updateEffect(registry, (reg) => {
          if (reg.entries.has(name)) {
            return Effect.fail(
              new HealthCheckRegistrationError({ service: name, problem: "duplicate", detail: "unregister it first" })
            )
          }
          const cycle = Registry.cycleWith(reg, name, settings.dependencies)
          if (cycle !== undefined) {
            const detail = `dependencies would form the cycle ${cycle.join(" → ")}`
            return Effect.fail(
              new HealthCheckRegistrationError({ service: name, problem: "dependency-cycle", detail, path: cycle })
            )
          }
          const entry = Registry.newEntry(reg.nextId, name, check, settings, now)
          const entries = new Map(reg.entries).set(name, entry)
          // Started under the registry's lock, so an `unregister` or `reset` running meanwhile cannot leave
          // a poller without its service. The poller's first result waits for the lock like any other.
          // A new UNKNOWN service can degrade its dependents (and the whole): that is published too.
          return startPolling(entry).pipe(Effect.zipRight(publish(entries, now, [], reg.nextId + 1)))
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

    const unknown = (name: string, reg: Registry.Registry) =>
      new UnknownServiceError({ service: name, registered: [...reg.entries.keys()] })

    const checkNow = (name: string) =>
      Effect.gen(function*() {
        const reg = yield* SynchronizedRef.get(registry)
        const entry = reg.entries.get(name)
        if (entry === undefined) return yield* unknown(name, reg)
        yield* checkAndRecord(entry)
        const after = yield* SynchronizedRef.get(registry)
        const updated = after.entries.get(name)
        if (updated === undefined) return yield* unknown(name, after)
        return Registry.serviceHealth(updated, Registry.statusesOf(after.entries))
      })

    const getHealthReport = (options: { readonly refresh?: boolean } = {}) =>
      Effect.gen(function*() {
        if (options.refresh === true) {
          const reg = yield* SynchronizedRef.get(registry)
          yield* Effect.forEach(reg.entries.values(), checkAndRecord, { concurrency: "unbounded", discard: true })
        }
        const reg = yield* SynchronizedRef.get(registry)
        const statuses = Registry.statusesOf(reg.entries)
        const now = yield* Clock.currentTimeMillis
        const since = yield* Ref.get(startedAt)
        const services: Record<string, ServiceHealth> = {}
        for (const e of reg.entries.values()) services[e.name] = Registry.serviceHealth(e, statuses)
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

    const reset = SynchronizedRef.updateEffect(registry, (reg) =>
      // Under the lock: no registration, result or report interleaves with the pollers stopping.
      FiberMap.clear(pollers).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((now) => Ref.set(startedAt, now)),
        Effect.as(Registry.empty(reg.nextId))
      ))

    return {
      register,
      unregister,
      checkNow,
      getHealthReport,
      liveness,
      readiness: Effect.map(SynchronizedRef.get(registry), Registry.readinessOf),
      clear: SynchronizedRef.update(registry, Registry.withoutHistory),
      reset
    }
  })
