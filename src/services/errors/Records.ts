/**
 * Reading what ErrorTracking kept — groups, captured errors by id, recovery statistics — and counting
 * recovery attempts, which are reported as `error.recovery` events. Error ids and fingerprints are
 * accepted as callers give them, a caller-given fingerprint included.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as LruMap from "../../internal/LruMap.js"
import type { ErrorRecoveryData } from "../../schemas/ErrorEvents.js"
import type { JsonObject } from "../../schemas/TelemetryEvent.js"
import * as ErrorGroups from "./ErrorGroups.js"
import { givenFingerprint } from "./Fingerprint.js"
import type { Outcomes } from "./Outcomes.js"
import type { ErrorTrackingService } from "./Service.js"

/** The calls of one ErrorTracking service that read or count what it kept. */
export type RecordCalls = Pick<
  ErrorTrackingService,
  "recordRecovery" | "attemptRecovery" | "recoveryStats" | "groups" | "group" | "getError"
>

/** Those calls over the groups state, sending through `outcomes` and redacting with `redactString`. */
export const makeRecords = (
  state: Ref.Ref<ErrorGroups.ErrorGroupsState>,
  outcomes: Outcomes,
  redactString: (text: string) => string
): RecordCalls => {
  /** An error id or fingerprint as callers give it, as the state knows it. */
  const stateKey = (s: ErrorGroups.ErrorGroupsState, key: string): string =>
    LruMap.get(s.errors, key) !== undefined || LruMap.get(s.groups, key) !== undefined
      ? key
      : givenFingerprint(key, redactString)

  const recordRecovery = (key: string, succeeded: boolean) =>
    Ref.modify(state, (s) => ErrorGroups.recordRecovery(s, stateKey(s, key), succeeded)).pipe(
      Effect.map(Option.fromNullable),
      Effect.tap(Option.match({
        onNone: () => Effect.void,
        onSome: (report) => {
          const data: { -readonly [K in keyof ErrorRecoveryData]: ErrorRecoveryData[K] } = {
            fingerprint: report.fingerprint,
            succeeded,
            group: report.group
          }
          if (report.errorId !== undefined) data.errorId = report.errorId
          if (report.error !== undefined) data.error = report.error
          return outcomes.send("error.recovery", data as unknown as JsonObject, {})
        }
      }))
    )

  const attemptRecovery = <A, E, R>(key: string, recovery: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.onExit(recovery, (exit) =>
      Exit.isInterrupted(exit) ? Effect.void : recordRecovery(key, Exit.isSuccess(exit)).pipe(Effect.asVoid))

  return {
    recordRecovery,
    attemptRecovery,
    recoveryStats: (key) =>
      Effect.map(Ref.get(state), (s) => Option.fromNullable(ErrorGroups.recoveryOf(s, stateKey(s, key)))),
    groups: Effect.map(Ref.get(state), (s) => LruMap.values(s.groups).map(ErrorGroups.toErrorGroup)),
    group: (fp) =>
      Effect.map(
        Ref.get(state),
        (s) => Option.map(Option.fromNullable(LruMap.get(s.groups, stateKey(s, fp))), ErrorGroups.toErrorGroup)
      ),
    getError: (errorId) => Effect.map(Ref.get(state), (s) => Option.fromNullable(ErrorGroups.recordOf(s, errorId)))
  }
}
