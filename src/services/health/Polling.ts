/**
 * How HealthCheck runs checks and records their results: a check under its timeout, timed by the `Clock`;
 * its failure as a safe text; the result applied under the registry's lock; the status changes it causes
 * tracked through the `EventSink`, in the order of the changes; and the polling fiber of each service.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as SynchronizedRef from "effect/SynchronizedRef"
import type { HealthRecoveredData, HealthStatusChangedData } from "../../schemas/HealthEvents.js"
import type { JsonObject } from "../../schemas/TelemetryEvent.js"
import { messageOf, typeOf } from "../errors/ErrorValues.js"
import type { EventSink } from "../EventSink.js"
import type { Redactor } from "../Redactor.js"
import { withoutInternals } from "./ErrorText.js"
import * as Registry from "./Registry.js"
import type * as Machine from "./StatusMachine.js"

/** What the polling needs: the registry, the pollers, where events go and how errors are made safe. */
export interface PollingContext {
  readonly registry: SynchronizedRef.SynchronizedRef<Registry.Registry>
  readonly pollers: FiberMap.FiberMap<string>
  readonly sink: EventSink["Type"]
  readonly redactor: Redactor["Type"]
  readonly exposeErrorDetails: boolean
}

/** The polling's operations over its context. */
export const makePolling = ({ exposeErrorDetails, pollers, redactor, registry, sink }: PollingContext) => {
  // A refused or failed event never stops the health machinery: it is logged and the status still moves.
  const track = (type: string, data: HealthStatusChangedData | HealthRecoveredData) =>
    sink.track({ type, data: data as unknown as JsonObject }).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning("HealthCheck could not track an event", cause).pipe(Effect.annotateLogs({ eventType: type }))
      )
    )

  /**
   * Settles every effective status after a change and tracks the ones that moved, then the recoveries.
   * Runs inside the registry's lock, so events leave in the order of changes.
   */
  const publish = (
    entries: Map<string, Registry.Entry>,
    at: number,
    recovered: ReadonlyArray<HealthRecoveredData>,
    nextId: number
  ): Effect.Effect<Registry.Registry> => {
    const { changes, registry: next } = Registry.settle(entries, at, nextId)
    return Effect.forEach(changes, (c) => track("health.status_changed", c), { discard: true }).pipe(
      Effect.zipRight(Effect.forEach(recovered, (r) => track("health.recovered", r), { discard: true })),
      Effect.as(next)
    )
  }

  /**
   * The one text kept of a failure — its first defect, else its first failure, as `type: message` — made
   * safe here, since it is stored, served and tracked.
   */
  const errorText = (cause: Cause.Cause<unknown>): string => {
    const leaf = Option.orElse(Cause.dieOption(cause), () => Cause.failureOption(cause))
    if (Option.isNone(leaf)) return "interrupted"
    const type = typeOf(leaf.value)
    const message = messageOf(leaf.value)
    const text = message.length > 0 ? `${type}: ${message}` : type
    return redactor.redactString(exposeErrorDetails ? text : withoutInternals(text))
  }

  /** Runs a check with its timeout, timing it by the Clock; never fails. */
  const runCheck = (entry: Registry.Entry): Effect.Effect<Machine.CheckResult> =>
    Effect.gen(function*() {
      const start = yield* Clock.currentTimeMillis
      const { timeout } = entry.settings
      const exit = yield* entry.check.pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new Cause.TimeoutException(`timed out after ${Duration.format(timeout)}`)
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
  const record = (checked: Registry.Entry, result: Machine.CheckResult) =>
    SynchronizedRef.updateEffect(registry, (reg) => {
      const applied = Registry.applyResult(reg, checked, result)
      return applied === undefined ? Effect.succeed(reg) : publish(applied.entries, result.at, applied.recovered, reg.nextId)
    })

  const checkAndRecord = (entry: Registry.Entry): Effect.Effect<void> =>
    runCheck(entry).pipe(
      Effect.flatMap((result) => record(entry, result)),
      // Never let a poll end the polling loop: a bug here is logged and the next poll runs.
      Effect.catchAllDefect((defect) => Effect.logError("HealthCheck poll failed", defect))
    )

  /** Starts polling a service at once, then every `interval` after each check ends. */
  const startPolling = (entry: Registry.Entry) =>
    FiberMap.run(
      pollers,
      entry.name,
      checkAndRecord(entry).pipe(Effect.repeat(Schedule.spaced(entry.settings.interval)), Effect.asVoid)
    )

  return { publish, checkAndRecord, startPolling } as const
}
