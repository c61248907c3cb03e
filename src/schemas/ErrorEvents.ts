/**
 * The shapes ErrorTracking works with: severities and categories, parsed stack frames, breadcrumbs,
 * error groups and the data of the `error.*` events it records. Published as types through the
 * `ErrorTracking` namespace (`ErrorTracking.Severity`, `ErrorTracking.CapturedData`, …).
 */
import * as Schema from "effect/Schema"
import { JsonObject, Timestamp } from "./TelemetryEvent.js"

/** How bad an error is, from `DEBUG` to `CRITICAL`. @since 0.2.0 @category models */
export const Severity = Schema.Literal("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL").annotations({
  identifier: "Severity"
})
export type Severity = typeof Severity.Type

/** The order of severities: a larger rank is worse. @since 0.2.0 @category models */
export const severityRank: { readonly [S in Severity]: number } = {
  DEBUG: 0,
  INFO: 1,
  WARNING: 2,
  ERROR: 3,
  CRITICAL: 4
}

/** What kind of failure an error is; see `docs/error-tracking.md` for how each is recognised. @since 0.2.0 @category models */
export const ErrorCategory = Schema.Literal(
  "network",
  "timeout",
  "authentication",
  "authorization",
  "rate_limit",
  "validation",
  "not_found",
  "api",
  "runtime",
  "interruption",
  "unknown"
).annotations({ identifier: "ErrorCategory" })
export type ErrorCategory = typeof ErrorCategory.Type

/** How an error reached ErrorTracking: a thrown value, a leaf of an Effect `Cause`, or a `captureMessage` text. @since 0.2.0 @category models */
export const ErrorKind = Schema.Literal("thrown", "fail", "die", "interrupt", "message").annotations({
  identifier: "ErrorKind"
})
export type ErrorKind = typeof ErrorKind.Type

/** One parsed stack frame; `inApp` is false for `node_modules`, `node:`/internal and native frames. @since 0.2.0 @category models */
export const StackFrame = Schema.Struct({
  function: Schema.optional(Schema.String),
  file: Schema.optional(Schema.String),
  line: Schema.optional(Schema.Int),
  column: Schema.optional(Schema.Int),
  inApp: Schema.Boolean
}).annotations({ identifier: "StackFrame" })
export type StackFrame = typeof StackFrame.Type

/** Something that happened before an error, kept in a bounded ring and attached to captured errors. @since 0.2.0 @category models */
export const Breadcrumb = Schema.Struct({
  timestamp: Timestamp,
  category: Schema.String,
  message: Schema.String,
  level: Severity,
  data: Schema.optional(JsonObject)
}).annotations({ identifier: "Breadcrumb" })
export type Breadcrumb = typeof Breadcrumb.Type

/** One error of a `cause` chain (`new Error("…", { cause })`), outermost first. @since 0.2.0 @category models */
export const ChainedError = Schema.Struct({
  type: Schema.String,
  message: Schema.String
}).annotations({ identifier: "ChainedError" })
export type ChainedError = typeof ChainedError.Type

/** One leaf of an Effect `Cause`: a failure, a defect or an interruption. @since 0.2.0 @category models */
export const CauseReason = Schema.Struct({
  kind: ErrorKind,
  type: Schema.String,
  message: Schema.String,
  /** The group of a failure or defect (its own `error.captured` carries it); absent for interruptions. */
  fingerprint: Schema.optional(Schema.String)
}).annotations({ identifier: "CauseReason" })
export type CauseReason = typeof CauseReason.Type

/** How the leaves of a `Cause` were combined: one leaf, one after another, or concurrently. @since 0.2.0 @category models */
export const CauseComposition = Schema.Literal("single", "sequential", "parallel")
export type CauseComposition = typeof CauseComposition.Type

/** Attempts to recover from an error (or from every error of a group) and how many worked. @since 0.2.0 @category models */
export const RecoveryStats = Schema.Struct({
  attempts: Schema.Int,
  successes: Schema.Int,
  /** `successes / attempts`, or `null` before the first attempt. */
  recoveryRate: Schema.NullOr(Schema.Number)
}).annotations({ identifier: "RecoveryStats" })
export type RecoveryStats = typeof RecoveryStats.Type

/** The data of an `error.captured` event. @since 0.2.0 @category models */
export const ErrorCapturedData = Schema.Struct({
  errorId: Schema.String,
  fingerprint: Schema.String,
  type: Schema.String,
  message: Schema.String,
  severity: Severity,
  category: ErrorCategory,
  /** What decided the classification: `override`, `status 503`, `TimeoutException`, `message`, … */
  classifiedBy: Schema.String,
  kind: ErrorKind,
  /** False for errors no code handled: global handlers, defects. */
  handled: Schema.Boolean,
  /** Where the error was captured: `captureError`, `captureErrors`, `uncaughtException`, … */
  mechanism: Schema.String,
  frames: Schema.Array(StackFrame),
  causeChain: Schema.Array(ChainedError),
  reasons: Schema.Array(CauseReason),
  /** Leaves of the `Cause` beyond the 10 listed in `reasons`; absent when none were left out. */
  omittedReasons: Schema.optional(Schema.Int),
  composition: CauseComposition,
  /**
   * Links the events of one `Cause` with several distinct failures or defects: the `errorId` of its
   * primary (most severe) event, present on every event of that `Cause`, the primary's included.
   */
  causeId: Schema.optional(Schema.String),
  breadcrumbs: Schema.Array(Breadcrumb),
  context: JsonObject
}).annotations({ identifier: "ErrorCapturedData" })
export type ErrorCapturedData = typeof ErrorCapturedData.Type

/**
 * One captured occurrence as ErrorTracking keeps it in memory (for `getError` and a group's `samples`):
 * what its `error.captured` event says, without frames, context, tags or the breadcrumbs themselves.
 *
 * @since 0.2.0
 * @category models
 */
export const ErrorSample = Schema.Struct({
  // type and message are the redacted ones (`Message` for `captureMessage`), as the event carries them
  ...ErrorCapturedData.pick(
    "errorId",
    "fingerprint",
    "type",
    "message",
    "severity",
    "category",
    "kind",
    "handled",
    "mechanism",
    "causeId"
  ).fields,
  timestamp: Timestamp,
  /** The affected user as the event names it (a PII-shaped id pseudonymised); absent when none. */
  userId: Schema.optional(Schema.String),
  /** Breadcrumbs the event carried. */
  breadcrumbs: Schema.Int
}).annotations({ identifier: "ErrorSample" })
export type ErrorSample = typeof ErrorSample.Type

/** A captured error found by its id (`getError`): the occurrence and its recovery attempts. @since 0.2.0 @category models */
export const ErrorRecord = Schema.Struct({
  ...ErrorSample.fields,
  recovery: RecoveryStats
}).annotations({ identifier: "ErrorRecord" })
export type ErrorRecord = typeof ErrorRecord.Type

/** Errors sharing a fingerprint. @since 0.2.0 @category models */
export const ErrorGroup = Schema.Struct({
  fingerprint: Schema.String,
  /** The redacted type name. */
  type: Schema.String,
  /** The redacted message of the latest occurrence. */
  message: Schema.String,
  category: ErrorCategory,
  /** The worst severity seen in the group. */
  severity: Severity,
  /** Occurrences captured, duplicates included. */
  count: Schema.Int,
  firstSeen: Timestamp,
  lastSeen: Timestamp,
  /** Distinct users affected, counted exactly up to `maxUsersPerGroup`. */
  affectedUsers: Schema.Int,
  /** True once `affectedUsers` reached the cap: read it as "at least". */
  affectedUsersCapped: Schema.Boolean,
  recovery: RecoveryStats,
  /** The latest occurrences, newest first: at most `maxSamplesPerGroup` (default 5). */
  samples: Schema.Array(ErrorSample),
  /**
   * The first in-app frames (at most 10, as redacted for its event) of the latest occurrence, innermost
   * first; absent when it had none. Kept for that occurrence only: the older samples hold none.
   */
  frames: Schema.optional(Schema.Array(StackFrame))
}).annotations({ identifier: "ErrorGroup" })
export type ErrorGroup = typeof ErrorGroup.Type

/** The data of an `error.repeated` event: occurrences suppressed as duplicates within one window. @since 0.2.0 @category models */
export const ErrorRepeatedData = Schema.Struct({
  fingerprint: Schema.String,
  type: Schema.String,
  message: Schema.String,
  /** Occurrences after the first one in the window (the first was sent as `error.captured`). */
  count: Schema.Int,
  firstSeen: Timestamp,
  lastSeen: Timestamp
}).annotations({ identifier: "ErrorRepeatedData" })
export type ErrorRepeatedData = typeof ErrorRepeatedData.Type

/** The data of an `error.recovery` event. @since 0.2.0 @category models */
export const ErrorRecoveryData = Schema.Struct({
  errorId: Schema.optional(Schema.String),
  fingerprint: Schema.String,
  succeeded: Schema.Boolean,
  error: Schema.optional(RecoveryStats),
  group: RecoveryStats
}).annotations({ identifier: "ErrorRecoveryData" })
export type ErrorRecoveryData = typeof ErrorRecoveryData.Type

/** What `captureError` did with an error. @since 0.2.0 @category models */
export const CaptureOutcome = Schema.Literal(
  /** tracked as `error.captured`: the collector accepted it */
  "sent",
  /** same fingerprint within the duplicate window: counted, sent later in one `error.repeated` */
  "suppressed",
  /** matched an ignore pattern: not grouped, not sent */
  "ignored",
  /** `beforeSend` returned `undefined`: grouped, not sent */
  "dropped",
  /** the collector refused the `error.captured` event as invalid (`reason` says why): grouped, not sent */
  "refused",
  /** the collector failed, or capturing itself did (`reason` says why): not sent */
  "failed"
)
export type CaptureOutcome = typeof CaptureOutcome.Type

/** What became of one error: the primary one of a capture, or one linked to it. @since 0.2.0 @category models */
export interface LeafCaptureResult {
  /** Identifies this occurrence (for `recordRecovery`); empty when ignored or failed before grouping. */
  readonly errorId: string
  readonly fingerprint: string
  readonly outcome: CaptureOutcome
  /** Why the event was `refused` or `failed`; absent otherwise. */
  readonly reason?: string
}

/** The result of `captureError`: its primary (most severe) error, and the other distinct errors of a `Cause`. @since 0.2.0 @category models */
export interface CaptureResult extends LeafCaptureResult {
  /** The other distinct failures and defects of a `Cause`, each its own event; absent when there are none. */
  readonly linked?: ReadonlyArray<LeafCaptureResult>
}

/**
 * ErrorTracking's counters. Every captured error has one outcome:
 * `captured = sent + suppressed + ignored + droppedByBeforeSend + refused + failed`.
 *
 * @since 0.2.0
 * @category models
 */
export interface ErrorTrackingStats {
  /** Errors captured; a `Cause` counts each of its distinct failures and defects. */
  readonly captured: number
  readonly sent: number
  readonly suppressed: number
  readonly ignored: number
  readonly droppedByBeforeSend: number
  /** `error.captured` events the collector refused as invalid. */
  readonly refused: number
  /** Captures that failed: the collector failed, or capturing itself did. */
  readonly failed: number
  /** Every `error.*` event (`captured`, `repeated`, `recovery`) the collector refused or could not take. */
  readonly trackFailures: number
  readonly groups: number
  /** Groups evicted, least recently seen first, to stay within `maxGroups`. */
  readonly groupsEvicted: number
  /**
   * Errors grouped, by severity: every captured error except the ignored ones and captures that failed
   * before grouping; duplicates included. Each severity is present, zero when none.
   */
  readonly bySeverity: { readonly [S in Severity]: number }
  /** The same errors by category; each category present, zero when none. */
  readonly byCategory: { readonly [C in ErrorCategory]: number }
}
