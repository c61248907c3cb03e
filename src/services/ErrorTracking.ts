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
import { jsonByteLength } from "../internal/json.js"
import {
  type Breadcrumb,
  type CaptureResult,
  type ErrorCapturedData,
  type ErrorCategory,
  type ErrorGroup,
  type ErrorRecoveryData,
  type ErrorRepeatedData,
  type ErrorTrackingStats,
  ErrorTrackingOptionError,
  type Severity
} from "../schemas/ErrorEvents.js"
import { maxEventBytes } from "../schemas/EventValidation.js"
import type { EventInput, JsonObject } from "../schemas/TelemetryEvent.js"
import { classify, worseSeverity } from "./errors/Classification.js"
import { describeError, type ErrorDescription, toJsonObject } from "./errors/ErrorDescription.js"
import * as ErrorGroups from "./errors/ErrorGroups.js"
import { fingerprint as computeFingerprint } from "./errors/Fingerprint.js"
import * as LruMap from "./errors/LruMap.js"
import { Redactor } from "./Redactor.js"
import { TelemetryCollector } from "./TelemetryCollector.js"

export type { RecoveryReport } from "./errors/ErrorGroups.js"

/** What a caller may add to, or decide about, one captured error. */
export interface CaptureOptions {
  /** Free-form state at the time of the error; copied as JSON and redacted. */
  readonly context?: Readonly<Record<string, unknown>>
  readonly tags?: Readonly<Record<string, string>>
  /** The affected user; defaults to the user of the collector's current session. */
  readonly userId?: string
  /** Overrides the classified severity. */
  readonly severity?: Severity
  /** Overrides the classified category. */
  readonly category?: ErrorCategory
  /** Overrides the computed fingerprint: errors with the same value form one group. */
  readonly fingerprint?: string
  /** Where the error was captured; default `captureError`. */
  readonly mechanism?: string
  /** Whether code handled the error; default true, except for defects. */
  readonly handled?: boolean
}

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
  /** Captured error ids remembered for `recordRecovery`; default 1,000. */
  readonly maxTrackedErrors?: number
  /** Same fingerprint within this window is sent once, then one `error.repeated` with the count; default 1 second, `0` disables. */
  readonly duplicateWindow?: Duration.DurationInput
  /** Errors to drop: a string matches a substring of the message or the whole type name; a RegExp is tested on both. */
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
  duplicateWindow: Duration.seconds(1)
} as const

/** Captures errors and keeps their groups, breadcrumbs and recovery statistics. */
export class ErrorTracking extends Context.Tag("effect-telemetry/ErrorTracking")<ErrorTracking, {
  /** Captures a thrown value, an `Error` (with its `cause` chain) or an Effect `Cause`. Never fails. */
  readonly captureError: (error: unknown, options?: CaptureOptions) => Effect.Effect<CaptureResult>
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
  readonly groups: Effect.Effect<ReadonlyArray<ErrorGroup>>
  readonly group: (fingerprint: string) => Effect.Effect<Option.Option<ErrorGroup>>
  readonly stats: Effect.Effect<ErrorTrackingStats>
}>() {}

/** Frames kept in an event. */
const maxEventFrames = 30
/** Longest breadcrumb message kept. */
const maxBreadcrumbMessage = 1_000
/** Event data is kept under this many bytes so the collector never refuses it (its limit is 32 KiB). */
const eventBudget = maxEventBytes - 4 * 1024

type Counters = Pick<
  ErrorTrackingStats,
  "captured" | "sent" | "suppressed" | "ignored" | "droppedByBeforeSend" | "trackFailures"
>

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
      fitted = { ...fitted, message: fitted.message.slice(0, 500), frames: [], reasons: [], causeChain: [] }
      break
    }
  }
  return fitted
}

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

    const counters = yield* Ref.make<Counters>({
      captured: 0,
      sent: 0,
      suppressed: 0,
      ignored: 0,
      droppedByBeforeSend: 0,
      trackFailures: 0
    })
    const count = (key: keyof Counters) => Ref.update(counters, (c) => ({ ...c, [key]: c[key] + 1 }))
    const state = yield* Ref.make(ErrorGroups.empty(config))
    const crumbs = yield* Ref.make(Chunk.empty<Breadcrumb>())
    const windows = yield* Ref.make(HashMap.empty<string, DuplicateWindow>())

    /** Tracks an event; a refusal or failure is logged and counted, never raised. */
    const send = (
      type: string,
      data: JsonObject,
      extra: { readonly userId?: string | undefined; readonly tags?: Readonly<Record<string, string>> | undefined }
    ): Effect.Effect<boolean> => {
      const input: { -readonly [K in keyof EventInput]: EventInput[K] } = { type, data }
      if (extra.userId !== undefined) input.userId = extra.userId
      if (extra.tags !== undefined) input.tags = extra.tags
      return collector.track(input).pipe(
        Effect.as(true),
        Effect.catchAllCause((cause) =>
          count("trackFailures").pipe(
            Effect.zipRight(Effect.logWarning("ErrorTracking could not track an event", cause)),
            Effect.annotateLogs({ eventType: type }),
            Effect.as(false)
          )
        )
      )
    }

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

    const isIgnored = (d: ErrorDescription): boolean =>
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

    const captureUnsafe = (input: unknown, o: CaptureOptions): Effect.Effect<CaptureResult> =>
      Effect.gen(function*() {
        yield* count("captured")
        const d = describeError(input)
        if (isIgnored(d)) {
          yield* count("ignored")
          return { errorId: "", fingerprint: "", outcome: "ignored" } as const
        }
        const now = yield* Clock.currentTimeMillis
        const primary = classify(d.primary, d.kind)
        const severity = o.severity ??
          d.leaves.reduce((worst, leaf) => worseSeverity(worst, classify(leaf.error, leaf.kind).severity), primary.severity)
        const category = o.category ?? primary.category
        const fingerprint = o.fingerprint ?? computeFingerprint(d)
        const errorId = yield* randomUuid
        const userId = o.userId ?? (yield* collector.currentSession).userId
        const message = redactor.redactString(d.message)

        yield* Ref.update(state, (s) =>
          ErrorGroups.recordOccurrence(s, { errorId, fingerprint, type: d.type, message, category, severity, userId, at: now })
        )
        if (yield* isDuplicate(fingerprint, now, d.type, message)) {
          yield* count("suppressed")
          return { errorId, fingerprint, outcome: "suppressed" } as const
        }

        const event: ErrorCapturedData = fitToBudget({
          errorId,
          fingerprint,
          type: d.type,
          message,
          severity,
          category,
          classifiedBy: o.category !== undefined ? "override" : primary.classifiedBy,
          kind: d.kind,
          handled: o.handled ?? d.kind !== "die",
          mechanism: o.mechanism ?? "captureError",
          frames: d.frames.slice(0, maxEventFrames),
          causeChain: d.causeChain.map((c) => ({ type: c.type, message: redactor.redactString(c.message) })),
          reasons: d.reasons.map((r) => ({ ...r, message: redactor.redactString(r.message) })),
          composition: d.composition,
          breadcrumbs: Chunk.toReadonlyArray(yield* Ref.get(crumbs)),
          context: o.context === undefined ? {} : redactor.redact(toJsonObject(o.context))
        })
        const edited = yield* runHook("beforeSend", config.beforeSend, event)
        if (Option.isNone(edited)) {
          yield* count("droppedByBeforeSend")
          return { errorId, fingerprint, outcome: "dropped" } as const
        }
        const sent = yield* send("error.captured", edited.value as unknown as JsonObject, { userId, tags: o.tags })
        if (sent) yield* count("sent")
        return { errorId, fingerprint, outcome: "sent" } as const
      })

    const captureError = (input: unknown, o: CaptureOptions = {}): Effect.Effect<CaptureResult> =>
      captureUnsafe(input, o).pipe(
        // Short, and all-or-nothing: a caller interrupted mid-capture must not leave half-updated state.
        Effect.uninterruptible,
        Effect.catchAllCause((cause) =>
          Effect.logWarning("ErrorTracking failed to capture an error", cause).pipe(
            Effect.as<CaptureResult>({ errorId: "", fingerprint: "", outcome: "dropped" })
          )
        )
      )

    const captureErrors = <A, E, R>(self: Effect.Effect<A, E, R>, o: CaptureOptions = {}): Effect.Effect<A, E, R> =>
      Effect.tapErrorCause(self, (cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.void : captureError(cause, { mechanism: "captureErrors", ...o }))

    // ---- breadcrumbs -----------------------------------------------------------------------------

    const addBreadcrumb = (input: BreadcrumbInput): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (config.maxBreadcrumbs === 0) return
        const crumb: { -readonly [K in keyof Breadcrumb]: Breadcrumb[K] } = {
          timestamp: input.timestamp ?? (yield* Clock.currentTimeMillis),
          category: input.category ?? "default",
          message: redactor.redactString(input.message.slice(0, maxBreadcrumbMessage)),
          level: input.level ?? "INFO"
        }
        if (input.data !== undefined) crumb.data = redactor.redact(toJsonObject(input.data, 4))
        const kept = yield* runHook("beforeBreadcrumb", config.beforeBreadcrumb, crumb as Breadcrumb)
        if (Option.isNone(kept)) return
        // The hook may have edited the crumb back to raw text: redact what is stored, whatever it returned.
        const stored: Breadcrumb = {
          ...kept.value,
          message: redactor.redactString(kept.value.message.slice(0, maxBreadcrumbMessage))
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
      Ref.modify(state, (s) => ErrorGroups.recordRecovery(s, key, succeeded)).pipe(
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

    return ErrorTracking.of({
      captureError,
      captureErrors,
      addBreadcrumb,
      breadcrumbs: Effect.map(Ref.get(crumbs), Chunk.toReadonlyArray),
      clearBreadcrumbs: Ref.set(crumbs, Chunk.empty()),
      recordRecovery,
      attemptRecovery,
      recoveryStats: (key) => Effect.map(Ref.get(state), (s) => Option.fromNullable(ErrorGroups.recoveryOf(s, key))),
      groups: Effect.map(Ref.get(state), (s) => LruMap.values(s.groups).map(ErrorGroups.toErrorGroup)),
      group: (fp) =>
        Effect.map(Ref.get(state), (s) => Option.map(Option.fromNullable(LruMap.get(s.groups, fp)), ErrorGroups.toErrorGroup)),
      stats: Effect.map(Effect.all([Ref.get(counters), Ref.get(state)]), ([c, s]): ErrorTrackingStats => ({
        ...c,
        groups: LruMap.size(s.groups),
        groupsEvicted: s.groups.evicted
      }))
    })
  })

/** ErrorTracking over the collector and the Redactor; scoped: closing it reports open duplicate windows. */
export const layer = (
  options: ErrorTrackingOptions = {}
): Layer.Layer<ErrorTracking, ErrorTrackingOptionError, TelemetryCollector | Redactor> =>
  Layer.scoped(ErrorTracking, make(options))

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
