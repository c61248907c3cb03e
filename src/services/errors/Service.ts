/**
 * What ErrorTracking offers (the service interface) and what its calls take; published through the
 * `ErrorTracking` namespace (`ErrorTracking.Service`, `ErrorTracking.CaptureOptions`, …).
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type {
  Breadcrumb,
  CaptureResult,
  ErrorCategory,
  ErrorGroup,
  ErrorRecord,
  ErrorTrackingStats,
  Severity
} from "../../schemas/ErrorEvents.js"
import type { BreadcrumbInput } from "./Breadcrumbs.js"
import type { RecoveryReport } from "./ErrorGroups.js"

export type { BreadcrumbInput } from "./Breadcrumbs.js"
export type { RecoveryReport } from "./ErrorGroups.js"

/** What a caller may add to, or decide about, one captured error. */
export interface CaptureOptions {
  /** Free-form state at the time of the error; copied as plain JSON (bounded, see the docs) and redacted. */
  readonly context?: Readonly<Record<string, unknown>>
  /** Event tags; the first 32 kept, keys cut to 256 and values to 1,024 characters. */
  readonly tags?: Readonly<Record<string, string>>
  /** The affected user, cut to 256 characters; defaults (also when empty) to the session's user. */
  readonly userId?: string
  /** Overrides the classified severity. */
  readonly severity?: Severity
  /** Overrides the classified category. */
  readonly category?: ErrorCategory
  /**
   * Overrides the computed fingerprint: errors with the same value form one group. Stored redacted, and
   * replaced by its hash when longer than 128 characters.
   */
  readonly fingerprint?: string
  /** Where the error was captured, cut to 128 characters; default `captureError`. */
  readonly mechanism?: string
  /** Whether code handled the error; default true, except for defects. */
  readonly handled?: boolean
  /**
   * The trace the error happened in (32 lowercase hex), with `spanId`: for a capture made outside the span
   * (e.g. by the tracer bridge). Default: the current span's; ids of another shape are left out.
   */
  readonly traceId?: string
  /** The span the error happened in (16 lowercase hex), with `traceId`. Default: the current span's. */
  readonly spanId?: string
}

/** What a caller may add to a `captureMessage`: the options of `captureError` but its severity and `handled`. */
export type MessageOptions = Omit<CaptureOptions, "severity" | "handled">

/** The ErrorTracking service: captures errors and keeps their groups, breadcrumbs and recovery statistics. */
export interface ErrorTrackingService {
  /**
   * Captures a thrown value, an `Error` (with its `cause` chain) or an Effect `Cause` (each of its distinct
   * failures and defects, linked). Never fails; its `outcome` says whether the collector took the event.
   */
  readonly captureError: (error: unknown, options?: CaptureOptions) => Effect.Effect<CaptureResult>
  /**
   * Captures a message as an event of the given severity (default `INFO`, as Sentry's), without a stack:
   * grouped by its normalized text, redacted, suppressed as a duplicate, ignored and answered like an error.
   */
  readonly captureMessage: (
    message: string,
    severity?: Severity,
    options?: MessageOptions
  ) => Effect.Effect<CaptureResult>
  /** Runs `self`, capturing its failures and defects (not interruptions), which it re-raises unchanged. */
  readonly captureErrors: <A, E, R>(self: Effect.Effect<A, E, R>, options?: CaptureOptions) => Effect.Effect<A, E, R>
  /** Records a breadcrumb (after `beforeBreadcrumb`), dropping the oldest beyond `maxBreadcrumbs`. */
  readonly addBreadcrumb: (breadcrumb: BreadcrumbInput) => Effect.Effect<void>
  /** The breadcrumbs kept, oldest first. */
  readonly breadcrumbs: Effect.Effect<ReadonlyArray<Breadcrumb>>
  /** Empties the breadcrumb ring. */
  readonly clearBreadcrumbs: Effect.Effect<void>
  /** Counts a recovery attempt for an error id (and its group) or a fingerprint; `None` when unknown. */
  readonly recordRecovery: (
    errorIdOrFingerprint: string,
    succeeded: boolean
  ) => Effect.Effect<Option.Option<RecoveryReport>>
  /** Runs a recovery and counts it as succeeded or failed by its outcome (interruptions are not counted). */
  readonly attemptRecovery: <A, E, R>(
    errorIdOrFingerprint: string,
    recovery: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  /** Recovery statistics of an error id (and its group) or a fingerprint. */
  readonly recoveryStats: (errorIdOrFingerprint: string) => Effect.Effect<Option.Option<RecoveryReport>>
  /** The groups kept, most recently seen first, each with its latest samples. */
  readonly groups: Effect.Effect<ReadonlyArray<ErrorGroup>>
  /** One group by fingerprint (or the caller-given value that made it). */
  readonly group: (fingerprint: string) => Effect.Effect<Option.Option<ErrorGroup>>
  /** A captured error by its `errorId`, with its recovery; `None` once forgotten (beyond `maxTrackedErrors`). */
  readonly getError: (errorId: string) => Effect.Effect<Option.Option<ErrorRecord>>
  /** Counters by outcome, totals by severity and category, groups kept and evicted. */
  readonly stats: Effect.Effect<ErrorTrackingStats>
  /**
   * Forgets what was recorded — groups and their samples, captured errors, recovery counts, `stats` —
   * and keeps breadcrumbs and open duplicate windows (which still report their counts). Tracks nothing.
   */
  readonly clear: Effect.Effect<void>
  /** `clear`, and forgets breadcrumbs and open duplicate windows without reporting them: as newly built. */
  readonly reset: Effect.Effect<void>
}
