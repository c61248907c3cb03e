/**
 * Error tracking: captures thrown values and Effect `Cause`s, groups them by fingerprint, classifies
 * them, keeps breadcrumbs, suppresses duplicates and tracks recovery — shipping `error.*` events
 * through the collector. Capturing never fails the caller.
 */
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  FiberMap,
  Function as Fn,
  HashMap,
  Layer,
  Option,
  Random,
  Ref,
  type Scope
} from "effect"
import type { YieldWrap } from "effect/Utils"
import { jsonByteLength } from "../internal/json.js"
import {
  type Breadcrumb,
  type CaptureOutcome,
  type CaptureResult,
  type CauseReason,
  type ErrorCapturedData,
  type ErrorCategory,
  type ErrorGroup,
  type ErrorRecord,
  type ErrorRecoveryData,
  type ErrorRepeatedData,
  type ErrorSample,
  type ErrorTrackingStats,
  ErrorTrackingOptionError,
  type LeafCaptureResult,
  type Severity,
  severityRank
} from "../schemas/ErrorEvents.js"
import { maxEventBytes } from "../schemas/EventValidation.js"
import type { EventInput, JsonObject } from "../schemas/TelemetryEvent.js"
import {
  bounded,
  type Classification,
  classify,
  classifyMessage,
  priority,
  statedSeverityEvidence
} from "./errors/Classification.js"
import {
  describeError,
  type ErrorDescription,
  type LeafDescription,
  maxMessageLength,
  messageOf,
  setOwn,
  toJsonObject
} from "./errors/ErrorDescription.js"
import * as ErrorGroups from "./errors/ErrorGroups.js"
import { fingerprint as computeFingerprint, hash64 } from "./errors/Fingerprint.js"
import * as LruMap from "../internal/LruMap.js"
import { Redactor } from "./Redactor.js"
import { TelemetryCollector } from "./TelemetryCollector.js"

export type { RecoveryReport } from "./errors/ErrorGroups.js"

/** What a caller may add to, or decide about, one captured error. */
export interface CaptureOptions {
  /** Free-form state at the time of the error; copied as plain JSON (bounded, see the docs) and redacted. */
  readonly context?: Readonly<Record<string, unknown>>
  /** Event tags; the first 32 kept, keys cut to 256 and values to 1,024 characters. */
  readonly tags?: Readonly<Record<string, string>>
  /** The affected user, cut to 256 characters; defaults (also when empty) to the collector's session user. */
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
}

/** What a caller may add to a `captureMessage`: the options of `captureError` but its severity and `handled`. */
export type MessageOptions = Omit<CaptureOptions, "severity" | "handled">

/** A breadcrumb as given to `addBreadcrumb`; the rest is filled in. */
export interface BreadcrumbInput {
  readonly message: string
  /** Default `default`. */
  readonly category?: string
  /** Default `INFO`. */
  readonly level?: Severity
  /** Copied as JSON and redacted. */
  readonly data?: Readonly<Record<string, unknown>>
  /** Default: the `Clock` time. */
  readonly timestamp?: number
}

/** Settings of the ErrorTracking layer. */
export interface ErrorTrackingOptions {
  /** Breadcrumbs kept (the oldest are dropped); default 50. `0` keeps none. */
  readonly maxBreadcrumbs?: number
  /** Error groups kept; the least recently seen is evicted beyond it (and counted); default 1,000. */
  readonly maxGroups?: number
  /** Distinct users counted exactly per group; past it the count reads "at least"; default 100. */
  readonly maxUsersPerGroup?: number
  /** Captured errors remembered by id, for `getError` and `recordRecovery`; the oldest forgotten beyond it; default 1,000. */
  readonly maxTrackedErrors?: number
  /** Latest occurrences kept per group as its `samples`; default 5, `0` keeps none. */
  readonly maxSamplesPerGroup?: number
  /** Same fingerprint within this window is sent once, then one `error.repeated` with the count; default 1 second, `0` disables. */
  readonly duplicateWindow?: Duration.DurationInput
  /**
   * Errors to drop, matched against the text as thrown (before redaction): a string matches a substring
   * of the message or the whole type name; a RegExp is tested on both. Default none.
   */
  readonly ignore?: ReadonlyArray<string | RegExp>
  /** Sees every `error.captured` event (redacted) before it is tracked: return it (edited or not) or `undefined` to drop it. */
  readonly beforeSend?: (event: ErrorCapturedData) => ErrorCapturedData | undefined
  /** Sees every breadcrumb (redacted) before it is stored: return it (edited or not) or `undefined` to drop it. */
  readonly beforeBreadcrumb?: (breadcrumb: Breadcrumb) => Breadcrumb | undefined
}

/** The defaults of `ErrorTrackingOptions`. */
export const defaultErrorTrackingOptions = {
  maxBreadcrumbs: 50,
  maxGroups: 1_000,
  maxUsersPerGroup: 100,
  maxTrackedErrors: 1_000,
  maxSamplesPerGroup: 5,
  duplicateWindow: Duration.seconds(1)
} as const

/** Captures errors and keeps their groups, breadcrumbs and recovery statistics. */
export class ErrorTracking extends Context.Tag("effect-telemetry/ErrorTracking")<ErrorTracking, {
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
  readonly clearBreadcrumbs: Effect.Effect<void>
  /** Counts a recovery attempt for an error id (and its group) or a fingerprint; `None` when unknown. */
  readonly recordRecovery: (
    errorIdOrFingerprint: string,
    succeeded: boolean
  ) => Effect.Effect<Option.Option<ErrorGroups.RecoveryReport>>
  /** Runs a recovery and counts it as succeeded or failed by its outcome (interruptions are not counted). */
  readonly attemptRecovery: <A, E, R>(
    errorIdOrFingerprint: string,
    recovery: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  /** Recovery statistics of an error id (and its group) or a fingerprint. */
  readonly recoveryStats: (errorIdOrFingerprint: string) => Effect.Effect<Option.Option<ErrorGroups.RecoveryReport>>
  /** The groups kept, most recently seen first. */
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
}>() {}

/** The type of every `captureMessage` event. */
const messageType = "Message"

/** Frames kept in an event. */
const maxEventFrames = 30
/** Longest breadcrumb message kept. */
const maxBreadcrumbMessage = 1_000
/** Longest caller-given fingerprint kept as it is; a longer one is replaced by its 16-hex-digit hash. */
const maxFingerprintLength = 128
/** Longest mechanism and breadcrumb category kept. */
const maxLabelLength = 128
/** Tags kept per event, and their longest key and value (the collector takes at most 32 values of 1,024). */
const maxTags = 32
const maxTagKeyLength = 256
const maxTagValueLength = 1_024
/** Longest user id (the collector's limit). */
const maxUserIdLength = 256
/** Longest `reason` in a capture result. */
const maxReasonLength = 500
/** Event data is kept under this many bytes so the collector never refuses it (its limit is 32 KiB). */
const eventBudget = maxEventBytes - 4 * 1024

type Counters = Pick<
  ErrorTrackingStats,
  "captured" | "sent" | "suppressed" | "ignored" | "droppedByBeforeSend" | "refused" | "failed" | "trackFailures"
>

const noCounters: Counters = {
  captured: 0,
  sent: 0,
  suppressed: 0,
  ignored: 0,
  droppedByBeforeSend: 0,
  refused: 0,
  failed: 0,
  trackFailures: 0
}

/** The counter of each outcome. */
const outcomeCounter = {
  sent: "sent",
  suppressed: "suppressed",
  ignored: "ignored",
  dropped: "droppedByBeforeSend",
  refused: "refused",
  failed: "failed"
} as const satisfies Record<CaptureOutcome, keyof Counters>

/** What became of one tracked event. */
type Delivery =
  | { readonly outcome: "sent" }
  | { readonly outcome: "refused" | "failed"; readonly reason: string }

const deliveredOk: Delivery = { outcome: "sent" }

/** Occurrences of one fingerprint inside one duplicate window. */
interface DuplicateWindow {
  readonly firstSeen: number
  readonly lastSeen: number
  /** Occurrences after the first. */
  readonly duplicates: number
  readonly type: string
  readonly message: string
}

interface WindowDecision {
  readonly duplicate: boolean
  /** A window of the same fingerprint that had run out but was not closed yet. */
  readonly expired: Option.Option<DuplicateWindow>
}

/** One error to report, with its classification. */
interface Candidate {
  /** Its index in the description's `leaves`. */
  readonly index: number
  readonly leaf: LeafDescription
  readonly classification: Classification
}

/** A candidate ready to report: redacted, bounded and fingerprinted. */
interface Prepared extends Candidate {
  readonly type: string
  readonly message: string
  readonly fingerprint: string
}

/** What every event of one capture shares. */
interface Shared {
  readonly now: number
  readonly userId: string | undefined
  readonly tags: Readonly<Record<string, string>> | undefined
  readonly mechanism: string
  readonly context: JsonObject
  readonly breadcrumbs: ReadonlyArray<Breadcrumb>
  readonly composition: ErrorDescription["composition"]
  readonly causeId: string | undefined
}

const positiveInt = (option: string, value: number, min: number) =>
  Number.isInteger(value) && value >= min
    ? Effect.succeed(value)
    : Effect.fail(new ErrorTrackingOptionError({ option, value, expected: `an integer ≥ ${min}` }))

/** Validates options over the defaults. */
const resolveOptions = (options: ErrorTrackingOptions) =>
  Effect.gen(function*() {
    const d = defaultErrorTrackingOptions
    const duplicateWindow = Duration.decode(options.duplicateWindow ?? d.duplicateWindow)
    return {
      maxBreadcrumbs: yield* positiveInt("maxBreadcrumbs", options.maxBreadcrumbs ?? d.maxBreadcrumbs, 0),
      maxGroups: yield* positiveInt("maxGroups", options.maxGroups ?? d.maxGroups, 1),
      maxUsersPerGroup: yield* positiveInt("maxUsersPerGroup", options.maxUsersPerGroup ?? d.maxUsersPerGroup, 0),
      maxTrackedErrors: yield* positiveInt("maxTrackedErrors", options.maxTrackedErrors ?? d.maxTrackedErrors, 1),
      maxSamplesPerGroup: yield* positiveInt("maxSamplesPerGroup", options.maxSamplesPerGroup ?? d.maxSamplesPerGroup, 0),
      duplicateWindowMillis: Duration.toMillis(duplicateWindow),
      // A global or sticky RegExp keeps state between `test` calls; a copy without those flags does not.
      ignore: (options.ignore ?? []).map((p) => typeof p === "string" ? p : new RegExp(p.source, p.flags.replace(/[gy]/g, ""))),
      beforeSend: options.beforeSend,
      beforeBreadcrumb: options.beforeBreadcrumb
    }
  })

/** A UUID v4 drawn from Effect's `Random`, so tests can fix it. */
const randomUuid = Effect.map(
  Effect.all(Array.from({ length: 8 }, () => Random.nextIntBetween(0, 0x10000))),
  (parts) => {
    const hex = parts.map((p) => p.toString(16).padStart(4, "0")).join("")
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  }
)

/**
 * The errors of a description to report, most severe first: a thrown value itself; for a `Cause`, each
 * failure and defect (its interruptions only when it has nothing else, and then the first).
 */
const candidatesOf = (d: ErrorDescription): ReadonlyArray<Candidate> => {
  if (d.leaves.length === 1) {
    const leaf = d.leaves[0]!
    return [{ index: 0, leaf, classification: classify(leaf.error, leaf.kind) }]
  }
  const failures: Array<Candidate> = []
  d.leaves.forEach((leaf, index) => {
    if (leaf.kind !== "interrupt") failures.push({ index, leaf, classification: classify(leaf.error, leaf.kind) })
  })
  if (failures.length === 0) return [{ index: 0, leaf: d.leaves[0]!, classification: classify(d.leaves[0]!.error, "interrupt") }]
  // A stable sort: among equals, the earlier error stays the primary, as in `describeError`.
  return failures.sort((a, b) => priority(b.classification, b.leaf.kind) - priority(a.classification, a.leaf.kind))
}

/** Cuts an event down until its data fits the collector's size limit: breadcrumbs first, then context, frames, chains. */
const fitToBudget = (data: ErrorCapturedData): ErrorCapturedData => {
  let fitted = data
  while (jsonByteLength(fitted as unknown as JsonObject) > eventBudget) {
    if (fitted.breadcrumbs.length > 0) {
      fitted = { ...fitted, breadcrumbs: fitted.breadcrumbs.slice(Math.ceil(fitted.breadcrumbs.length / 2)) }
    } else if (Object.keys(fitted.context).length > 0) {
      fitted = { ...fitted, context: { truncated: true } }
      if (jsonByteLength(fitted as unknown as JsonObject) > eventBudget) fitted = { ...fitted, context: {} }
    } else if (fitted.frames.length > 5 || fitted.reasons.length > 1 || fitted.causeChain.length > 1) {
      fitted = {
        ...fitted,
        frames: fitted.frames.slice(0, 5),
        reasons: fitted.reasons.slice(0, 1),
        causeChain: fitted.causeChain.slice(0, 1)
      }
    } else {
      // Every other string of an event is bounded where it is made, so this always fits.
      fitted = { ...fitted, message: fitted.message.slice(0, 500), frames: [], reasons: [], causeChain: [] }
      break
    }
  }
  return fitted
}

/** Tags within the collector's limits, copied into a plain object (a `__proto__` key stays a tag). */
const boundTags = (tags: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  let kept = 0
  for (const key of Object.keys(tags)) {
    const value = tags[key]
    if (typeof value !== "string") continue
    if (++kept > maxTags) break
    setOwn(out, bounded(key, maxTagKeyLength), bounded(value, maxTagValueLength))
  }
  return out
}

const isTimestamp = (t: unknown): t is number => typeof t === "number" && Number.isFinite(t) && t >= 0

const isSeverity = (level: unknown): level is Severity => typeof level === "string" && Object.hasOwn(severityRank, level)

/** Builds the service; its duplicate-window fibers live in the given scope. */
export const make = (
  options: ErrorTrackingOptions = {}
): Effect.Effect<
  Context.Tag.Service<ErrorTracking>,
  ErrorTrackingOptionError,
  TelemetryCollector | Redactor | Scope.Scope
> =>
  Effect.gen(function*() {
    const config = yield* resolveOptions(options)
    const collector = yield* TelemetryCollector
    const redactor = yield* Redactor

    const counters = yield* Ref.make<Counters>(noCounters)
    const countTrackFailure = Ref.update(counters, (c) => ({ ...c, trackFailures: c.trackFailures + 1 }))
    /** Counts one captured error and its outcome, in one update. */
    const tally = (outcome: CaptureOutcome) =>
      Ref.update(counters, (c) => {
        // Copied, then bumped: a computed key in the literal measured slower on the capture hot path.
        const next = { ...c }
        next.captured++
        next[outcomeCounter[outcome]]++
        return next
      })
    const state = yield* Ref.make(ErrorGroups.empty(config))
    const crumbs = yield* Ref.make(Chunk.empty<Breadcrumb>())
    const windows = yield* Ref.make(HashMap.empty<string, DuplicateWindow>())

    /** Why a capture or a track failed, redacted and bounded: it is handed back to the caller. */
    const reasonOf = (error: unknown) => bounded(redactor.redactString(messageOf(error)), maxReasonLength)

    /** Tracks an event; a refusal or failure is logged, counted and answered, never raised. */
    const send = (
      type: string,
      data: JsonObject,
      extra: { readonly userId?: string | undefined; readonly tags?: Readonly<Record<string, string>> | undefined }
    ): Effect.Effect<Delivery> => {
      const input: { -readonly [K in keyof EventInput]: EventInput[K] } = { type, data }
      if (extra.userId !== undefined) input.userId = extra.userId
      if (extra.tags !== undefined) input.tags = extra.tags
      return collector.track(input).pipe(
        Effect.as(deliveredOk),
        Effect.catchAllCause((cause) => {
          // `track` fails only when it refuses the event; anything else is the collector failing.
          const refusal = Cause.failureOption(cause)
          const delivery: Delivery = Option.isSome(refusal)
            ? { outcome: "refused", reason: reasonOf(refusal.value) }
            : { outcome: "failed", reason: reasonOf(Cause.squash(cause)) }
          return countTrackFailure.pipe(
            Effect.zipRight(Effect.logWarning("ErrorTracking could not track an event", cause)),
            Effect.annotateLogs({ eventType: type }),
            Effect.as(delivery)
          )
        })
      )
    }

    /**
     * A caller-given fingerprint as it is stored: redacted, and replaced by its hash when longer than
     * `maxFingerprintLength` (so two long ones never merge by a common prefix).
     */
    const normalizeFingerprint = (fingerprint: string): string => {
      if (fingerprint.length > maxFingerprintLength) return hash64(fingerprint)
      const redacted = redactor.redactString(fingerprint)
      return redacted.length > maxFingerprintLength ? hash64(redacted) : redacted
    }

    /** An error id or fingerprint as callers give it, as the state knows it. */
    const stateKey = (s: ErrorGroups.ErrorGroupsState, key: string): string =>
      LruMap.get(s.errors, key) !== undefined || LruMap.get(s.groups, key) !== undefined ? key : normalizeFingerprint(key)

    // ---- duplicate suppression -------------------------------------------------------------------

    const emitRepeated = (fingerprint: string, w: DuplicateWindow) => {
      const data: ErrorRepeatedData = {
        fingerprint,
        type: w.type,
        message: w.message,
        count: w.duplicates,
        firstSeen: w.firstSeen,
        lastSeen: w.lastSeen
      }
      return w.duplicates > 0 ? send("error.repeated", data, {}) : Effect.void
    }

    /** Closes the window opened at `firstSeen` (not a later one of the same fingerprint) and reports its duplicates. */
    const closeWindow = (fingerprint: string, firstSeen: number) =>
      Ref.modify(windows, (m) => {
        const w = HashMap.get(m, fingerprint)
        return Option.isSome(w) && w.value.firstSeen === firstSeen
          ? [w, HashMap.remove(m, fingerprint)] as const
          : [Option.none<DuplicateWindow>(), m] as const
      }).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (w) => emitRepeated(fingerprint, w) })))

    // Registered before the FiberMap: finalizers run in reverse, so the window fibers are stopped first
    // and then every open window reports its duplicates, none lost when the scope closes.
    yield* Effect.addFinalizer(() =>
      Ref.getAndSet(windows, HashMap.empty()).pipe(
        Effect.flatMap((m) => Effect.forEach(m, ([fp, w]) => emitRepeated(fp, w), { discard: true }))
      )
    )
    const windowFibers = yield* FiberMap.make<string>()

    /** Whether this occurrence is a duplicate; opens a window (and its closing fiber) when it is not. */
    const isDuplicate = (fingerprint: string, now: number, type: string, message: string): Effect.Effect<boolean> => {
      if (config.duplicateWindowMillis <= 0) return Effect.succeed(false)
      return Ref.modify(windows, (m): readonly [WindowDecision, HashMap.HashMap<string, DuplicateWindow>] => {
        const open = HashMap.get(m, fingerprint)
        if (Option.isSome(open) && now - open.value.firstSeen < config.duplicateWindowMillis) {
          const w = open.value
          return [
            { duplicate: true, expired: Option.none() },
            HashMap.set(m, fingerprint, { ...w, duplicates: w.duplicates + 1, lastSeen: Math.max(w.lastSeen, now) })
          ]
        }
        const fresh: DuplicateWindow = { firstSeen: now, lastSeen: now, duplicates: 0, type, message }
        return [{ duplicate: false, expired: open }, HashMap.set(m, fingerprint, fresh)]
      }).pipe(
        Effect.tap(({ duplicate, expired }) =>
          duplicate ? Effect.void : Effect.all([
            // A window whose fiber has not run yet (same instant) is reported here instead.
            Option.match(expired, { onNone: () => Effect.void, onSome: (w) => emitRepeated(fingerprint, w) }),
            FiberMap.run(
              windowFibers,
              fingerprint,
              // Interruptible although forked from the uninterruptible capture: closing the scope must stop it.
              Effect.sleep(Duration.millis(config.duplicateWindowMillis)).pipe(
                Effect.zipRight(closeWindow(fingerprint, now)),
                Effect.interruptible
              )
            )
          ], { discard: true })
        ),
        Effect.map(({ duplicate }) => duplicate)
      )
    }

    // ---- capture ---------------------------------------------------------------------------------

    // Matched against the text as thrown: patterns are written against what the program throws.
    const isIgnored = (d: LeafDescription): boolean =>
      config.ignore.some((p) =>
        typeof p === "string" ? d.message.includes(p) || d.type === p : p.test(d.message) || p.test(d.type)
      )

    const runHook = <A>(name: string, hook: ((a: A) => A | undefined) | undefined, value: A) =>
      hook === undefined
        ? Effect.succeed(Option.some(value))
        : Effect.try(() => Option.fromNullable(hook(value))).pipe(
          // A throwing hook must not lose the error: it is logged and the value passes unchanged.
          Effect.catchAll((error) =>
            Effect.logWarning(`ErrorTracking ${name} hook threw; using the value unchanged`, error).pipe(
              Effect.as(Option.some(value))
            )
          )
        )

    /**
     * Groups one error, then sends it unless it is a duplicate; answers with what happened to it. A
     * generator that `captureUnsafe` delegates to, not an `Effect.gen` of its own: on the capture hot
     * path the extra fiber step measured about 10% of a capture.
     */
    const report = function*(
      p: Prepared,
      errorId: string,
      reasons: ReadonlyArray<CauseReason>,
      omitted: number,
      o: CaptureOptions,
      shared: Shared
    ): Generator<YieldWrap<Effect.Effect<unknown>>, LeafCaptureResult> {
      const { fingerprint, leaf, message, type } = p
      const severity = o.severity ?? p.classification.severity
      const category = o.category ?? p.classification.category
      const handled = o.handled ?? leaf.kind !== "die"
      const sample: { -readonly [K in keyof ErrorSample]: ErrorSample[K] } = {
        errorId,
        fingerprint,
        type,
        message,
        severity,
        category,
        kind: leaf.kind,
        handled,
        mechanism: shared.mechanism,
        timestamp: shared.now,
        breadcrumbs: shared.breadcrumbs.length
      }
      if (shared.userId !== undefined) sample.userId = shared.userId
      if (shared.causeId !== undefined) sample.causeId = shared.causeId
      yield* Ref.update(state, (s) => ErrorGroups.recordOccurrence(s, sample))
      if (yield* isDuplicate(fingerprint, shared.now, type, message)) {
        yield* tally("suppressed")
        return { errorId, fingerprint, outcome: "suppressed" }
      }
      // The evidence may quote the type name: quote it redacted.
      // A caller's severity replaces one stated in the message: the evidence no longer names that word.
      const evidence = o.severity === undefined
        ? p.classification.classifiedBy
        : p.classification.classifiedBy.replace(statedSeverityEvidence, "")
      const classifiedBy = o.category !== undefined
        ? "override"
        : type === leaf.type
        ? evidence
        : evidence.replace(leaf.type, () => type)
      const data: { -readonly [K in keyof ErrorCapturedData]: ErrorCapturedData[K] } = {
        errorId,
        fingerprint,
        type,
        message,
        severity,
        category,
        classifiedBy,
        kind: leaf.kind,
        handled,
        mechanism: shared.mechanism,
        frames: leaf.frames.slice(0, maxEventFrames),
        causeChain: leaf.causeChain.length === 0
          ? leaf.causeChain
          : leaf.causeChain.map((c) => ({ type: redactor.redactString(c.type), message: redactor.redactString(c.message) })),
        reasons,
        composition: shared.composition,
        breadcrumbs: shared.breadcrumbs,
        context: shared.context
      }
      if (omitted > 0) data.omittedReasons = omitted
      if (shared.causeId !== undefined) data.causeId = shared.causeId
      const edited = yield* runHook("beforeSend", config.beforeSend, fitToBudget(data))
      if (Option.isNone(edited)) {
        yield* tally("dropped")
        return { errorId, fingerprint, outcome: "dropped" }
      }
      const delivery = yield* send("error.captured", edited.value as unknown as JsonObject, shared)
      yield* tally(delivery.outcome)
      return delivery.outcome === "sent"
        ? { errorId, fingerprint, outcome: "sent" }
        : { errorId, fingerprint, outcome: delivery.outcome, reason: delivery.reason }
    }

    /** Reports the candidates of a description: redacted, fingerprinted, grouped, then sent unless suppressed. */
    const captureDescribed = (
      d: ErrorDescription,
      candidates: ReadonlyArray<Candidate>,
      o: CaptureOptions,
      defaultMechanism: string
    ): Effect.Effect<CaptureResult> =>
      Effect.gen(function*() {
        const override = o.fingerprint === undefined ? undefined : normalizeFingerprint(String(o.fingerprint))
        // Redacted before anything is fingerprinted, grouped or stored; one entry per leaf of `d`.
        const byLeaf: Array<Prepared | undefined> = []
        const distinct: Array<Prepared> = []
        for (const candidate of candidates) {
          if (isIgnored(candidate.leaf)) {
            yield* tally("ignored")
            continue
          }
          const type = redactor.redactString(candidate.leaf.type)
          const message = redactor.redactString(candidate.leaf.message)
          const fingerprint = override ?? computeFingerprint({ type, message, frames: candidate.leaf.frames })
          const prepared: Prepared = {
            index: candidate.index,
            leaf: candidate.leaf,
            classification: candidate.classification,
            type,
            message,
            fingerprint
          }
          byLeaf[candidate.index] = prepared
          // The same error twice in one Cause is one event, listing both leaves.
          if (!distinct.some((p) => p.fingerprint === fingerprint)) distinct.push(prepared)
        }
        if (distinct.length === 0) return { errorId: "", fingerprint: "", outcome: "ignored" }

        // Pseudonymised here (the collector would do it to the event) so the kept samples hold no PII-shaped id.
        const givenUserId = typeof o.userId === "string" && o.userId.length > 0
          ? redactor.pseudonymize(bounded(o.userId, maxUserIdLength))
          : undefined
        const errorIds: Array<string> = []
        for (let i = 0; i < distinct.length; i++) errorIds.push(yield* randomUuid)
        const shared: Shared = {
          now: yield* Clock.currentTimeMillis,
          userId: givenUserId ?? (yield* collector.currentSession).userId,
          tags: o.tags === undefined ? undefined : boundTags(o.tags),
          mechanism: o.mechanism === undefined ? defaultMechanism : bounded(String(o.mechanism), maxLabelLength),
          context: o.context === undefined ? {} : redactor.redact(toJsonObject(o.context)),
          breadcrumbs: Chunk.toReadonlyArray(yield* Ref.get(crumbs)),
          composition: d.composition,
          causeId: distinct.length > 1 ? errorIds[0] : undefined
        }
        const reasonOfLeaf = (leaf: LeafDescription, index: number): CauseReason => {
          const p = byLeaf[index]
          return p === undefined
            ? { kind: leaf.kind, type: redactor.redactString(leaf.type), message: redactor.redactString(leaf.message) }
            : { kind: leaf.kind, type: p.type, message: p.message, fingerprint: p.fingerprint }
        }
        const results: Array<LeafCaptureResult> = []
        for (let i = 0; i < distinct.length; i++) {
          const p = distinct[i]!
          // The primary event lists every leaf; a linked one its own, and `causeId` points to the primary.
          const reasons = i === 0 ? d.leaves.map(reasonOfLeaf) : [reasonOfLeaf(p.leaf, p.index)]
          results.push(yield* report(p, errorIds[i]!, reasons, i === 0 ? d.omitted : 0, o, shared))
        }
        return results.length === 1 ? results[0]! : { ...results[0]!, linked: results.slice(1) }
      })

    /** A capture as callers see it: never fails, never half done. */
    const guarded = (capture: Effect.Effect<CaptureResult>): Effect.Effect<CaptureResult> =>
      capture.pipe(
        // Short, and all-or-nothing: a caller interrupted mid-capture must not leave half-updated state.
        Effect.uninterruptible,
        Effect.catchAllCause((cause) =>
          tally("failed").pipe(
            Effect.zipRight(Effect.logWarning("ErrorTracking failed to capture an error", cause)),
            Effect.as<CaptureResult>({ errorId: "", fingerprint: "", outcome: "failed", reason: reasonOf(Cause.squash(cause)) })
          )
        )
      )

    const captureError = (input: unknown, o: CaptureOptions = {}): Effect.Effect<CaptureResult> =>
      guarded(Effect.suspend(() => {
        const d = describeError(input)
        return captureDescribed(d, candidatesOf(d), o, "captureError")
      }))

    const captureMessage = (message: string, severity?: Severity, o: MessageOptions = {}): Effect.Effect<CaptureResult> =>
      guarded(Effect.suspend(() => {
        const text = bounded(typeof message === "string" ? message : String(message), maxMessageLength)
        const leaf: LeafDescription = { type: messageType, message: text, kind: "message", frames: [], causeChain: [], error: text }
        const d: ErrorDescription = { ...leaf, composition: "single", leaves: [leaf], omitted: 0 }
        const classification = classifyMessage(text, isSeverity(severity) ? severity : "INFO")
        // `handled` is not an option of a message: nothing was thrown, so it is always true.
        const { handled: _handled, severity: _severity, ...options } = o as CaptureOptions
        return captureDescribed(d, [{ index: 0, leaf, classification }], options, "captureMessage")
      }))

    const captureErrors = <A, E, R>(self: Effect.Effect<A, E, R>, o: CaptureOptions = {}): Effect.Effect<A, E, R> =>
      Effect.tapErrorCause(self, (cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.void : captureError(cause, { mechanism: "captureErrors", ...o }))

    // ---- breadcrumbs -----------------------------------------------------------------------------

    /** A breadcrumb as stored: each field checked, bounded and redacted, its data a plain JSON copy. */
    const toStored = (input: BreadcrumbInput | Breadcrumb, timestamp: number): Breadcrumb => {
      const crumb: { -readonly [K in keyof Breadcrumb]: Breadcrumb[K] } = {
        timestamp,
        category: typeof input.category === "string"
          ? redactor.redactString(bounded(input.category, maxLabelLength))
          : "default",
        message: redactor.redactString(bounded(String(input.message), maxBreadcrumbMessage)),
        level: isSeverity(input.level) ? input.level : "INFO"
      }
      if (input.data !== undefined) crumb.data = redactor.redact(toJsonObject(input.data, 4))
      return crumb
    }

    const addBreadcrumb = (input: BreadcrumbInput): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (config.maxBreadcrumbs === 0) return
        const timestamp = isTimestamp(input.timestamp) ? input.timestamp : yield* Clock.currentTimeMillis
        let stored = toStored(input, timestamp)
        if (config.beforeBreadcrumb !== undefined) {
          const kept = yield* runHook("beforeBreadcrumb", config.beforeBreadcrumb, stored)
          if (Option.isNone(kept)) return
          // The hook may put back raw text, non-JSON data or a bad time: what it returns is checked again,
          // or every later event carrying it would be refused.
          const edited = kept.value as unknown
          if (typeof edited === "object" && edited !== null) {
            const e = edited as Breadcrumb
            stored = toStored(e, isTimestamp(e.timestamp) ? e.timestamp : timestamp)
          }
        }
        yield* Ref.update(crumbs, (ring) => {
          const next = Chunk.append(ring, stored)
          return Chunk.size(next) > config.maxBreadcrumbs ? Chunk.takeRight(next, config.maxBreadcrumbs) : next
        })
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("ErrorTracking failed to add a breadcrumb", cause))
      )

    // ---- recovery --------------------------------------------------------------------------------

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
            return send("error.recovery", data as unknown as JsonObject, {})
          }
        }))
      )

    const attemptRecovery = <A, E, R>(key: string, recovery: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.onExit(recovery, (exit) =>
        Exit.isInterrupted(exit) ? Effect.void : recordRecovery(key, Exit.isSuccess(exit)).pipe(Effect.asVoid))

    // ---- clear and reset --------------------------------------------------------------------------

    const clear = Effect.all([Ref.set(counters, noCounters), Ref.update(state, ErrorGroups.cleared)], { discard: true })

    const reset = Effect.all([
      // The closing fibers first, so none reports a window forgotten below.
      FiberMap.clear(windowFibers),
      Ref.set(windows, HashMap.empty()),
      Ref.set(crumbs, Chunk.empty()),
      clear
    ], { discard: true }).pipe(Effect.uninterruptible)

    return ErrorTracking.of({
      captureError,
      captureMessage,
      captureErrors,
      addBreadcrumb,
      breadcrumbs: Effect.map(Ref.get(crumbs), Chunk.toReadonlyArray),
      clearBreadcrumbs: Ref.set(crumbs, Chunk.empty()),
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
      getError: (errorId) => Effect.map(Ref.get(state), (s) => Option.fromNullable(ErrorGroups.recordOf(s, errorId))),
      stats: Effect.map(Effect.all([Ref.get(counters), Ref.get(state)]), ([c, s]): ErrorTrackingStats => ({
        ...c,
        groups: LruMap.size(s.groups),
        groupsEvicted: s.groups.evicted,
        bySeverity: s.bySeverity,
        byCategory: s.byCategory
      })),
      clear,
      reset
    })
  })

/** ErrorTracking over the collector and the Redactor; scoped: closing it reports open duplicate windows. */
export const layer = (
  options: ErrorTrackingOptions = {}
): Layer.Layer<ErrorTracking, ErrorTrackingOptionError, TelemetryCollector | Redactor> =>
  Layer.scoped(ErrorTracking, make(options))

/** Captures a message (default severity `INFO`) with the `ErrorTracking` in context. */
export const captureMessage = (
  message: string,
  severity?: Severity,
  options?: MessageOptions
): Effect.Effect<CaptureResult, never, ErrorTracking> =>
  Effect.flatMap(ErrorTracking, (t) => t.captureMessage(message, severity, options))

/** Captures an error with the `ErrorTracking` in context. */
export const captureError = (error: unknown, options?: CaptureOptions): Effect.Effect<CaptureResult, never, ErrorTracking> =>
  Effect.flatMap(ErrorTracking, (t) => t.captureError(error, options))

/** Captures `self`'s failures and defects with the `ErrorTracking` in context, re-raising them unchanged. */
export const captureErrors: {
  (options?: CaptureOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | ErrorTracking>
  <A, E, R>(self: Effect.Effect<A, E, R>, options?: CaptureOptions): Effect.Effect<A, E, R | ErrorTracking>
} = Fn.dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, options?: CaptureOptions): Effect.Effect<A, E, R | ErrorTracking> =>
    Effect.flatMap(ErrorTracking, (t) => t.captureErrors(self, options))
)

/**
 * Decorates the collector so that every event tracked through it (other than `error.*`) also becomes
 * a breadcrumb — the "automatic breadcrumbs" option. Provide it above `TelemetryCollector` and
 * `ErrorTracking`; ErrorTracking itself keeps using the undecorated collector.
 */
export const layerBreadcrumbsFromEvents: Layer.Layer<TelemetryCollector, never, TelemetryCollector | ErrorTracking> =
  Layer.effect(
    TelemetryCollector,
    Effect.gen(function*() {
      const collector = yield* TelemetryCollector
      const tracking = yield* ErrorTracking
      const crumb = (input: unknown): Effect.Effect<void> => {
        const { data, type } = input as EventInput
        if (type.startsWith("error.")) return Effect.void
        return tracking.addBreadcrumb(data === undefined ? { category: "event", message: type } : { category: "event", message: type, data })
      }
      return TelemetryCollector.of({
        ...collector,
        track: (input) => Effect.tap(collector.track(input), () => crumb(input)),
        trackUnknown: (input) => Effect.tap(collector.trackUnknown(input), () => crumb(input))
      })
    })
  )
