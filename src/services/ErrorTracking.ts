/**
 * Error tracking: captures thrown values and Effect `Cause`s, groups them by fingerprint, classifies
 * them, keeps breadcrumbs, suppresses duplicates and tracks recovery — recording `error.*` events
 * through the `EventSink`. Capturing never fails the caller. The parts live in `./errors/`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fn from "effect/Function"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as LruMap from "../internal/LruMap.js"
import type * as Events from "../schemas/ErrorEvents.js"
import { makeBreadcrumbs } from "./errors/Breadcrumbs.js"
import { breadcrumbsFromEvents } from "./errors/BreadcrumbsFromEvents.js"
import { makeCapture } from "./errors/Capture.js"
import { classify } from "./errors/Classification.js"
import { makeDuplicateWindows } from "./errors/DuplicateWindows.js"
import * as ErrorGroups from "./errors/ErrorGroups.js"
import { fingerprint, normalizeMessage } from "./errors/Fingerprint.js"
import { type GlobalHandlersOptions as HandlersOptions, installGlobalHandlers } from "./errors/GlobalHandlers.js"
import { defaults, type ErrorTrackingOptions, ErrorTrackingOptionsError, resolveOptions } from "./errors/Options.js"
import { makeOutcomes, noCounters } from "./errors/Outcomes.js"
import { makeRecords } from "./errors/Records.js"
import type * as Api from "./errors/Service.js"
import { parseStack } from "./errors/StackTrace.js"
import { EventSink } from "./EventSink.js"
import { Redactor } from "./Redactor.js"
import { TelemetryCollector } from "./TelemetryCollector.js"

export { ErrorTrackingOptionsError }
export type { ErrorTrackingOptions } from "./errors/Options.js"
export type { BreadcrumbInput, CaptureOptions, MessageOptions, RecoveryReport } from "./errors/Service.js"
export type { GlobalHandlersOptions } from "./errors/GlobalHandlers.js"

/**
 * Builds the service over the `EventSink` and `Redactor` in context; its duplicate-window fibers live in
 * the scope, and closing it reports the windows still open.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  options?: ErrorTrackingOptions
): Effect.Effect<ErrorTracking.Service, ErrorTrackingOptionsError, EventSink | Redactor | Scope.Scope> =>
  Effect.gen(function*() {
    const config = yield* resolveOptions(options)
    const sink = yield* EventSink
    const redactor = yield* Redactor
    const outcomes = yield* makeOutcomes(sink, redactor)
    const state = yield* Ref.make(ErrorGroups.empty(config))
    const breadcrumbs = yield* makeBreadcrumbs(config.maxBreadcrumbs, config.beforeBreadcrumb, redactor)
    const windows = yield* makeDuplicateWindows(config.duplicateWindowMillis, (fp, w) => {
      const data: Events.ErrorRepeatedData = {
        fingerprint: fp,
        type: w.type,
        message: w.message,
        count: w.duplicates,
        firstSeen: w.firstSeen,
        lastSeen: w.lastSeen
      }
      return outcomes.send("error.repeated", data, {})
    })
    const clear = Effect.all([Ref.set(outcomes.counters, noCounters), Ref.update(state, ErrorGroups.cleared)], {
      discard: true
    })
    return {
      ...makeCapture({ config, sink, redactor, outcomes, state, breadcrumbs, windows }),
      ...makeRecords(state, outcomes, redactor.redactString),
      addBreadcrumb: breadcrumbs.add,
      breadcrumbs: breadcrumbs.all,
      clearBreadcrumbs: breadcrumbs.clear,
      stats: Effect.map(Effect.all([Ref.get(outcomes.counters), Ref.get(state)]), ([c, s]) => ({
        ...c,
        groups: LruMap.size(s.groups),
        groupsEvicted: s.groups.evicted,
        bySeverity: s.bySeverity,
        byCategory: s.byCategory
      })),
      clear,
      // The windows first, so no closing fiber reports a window forgotten here.
      reset: Effect.all([windows.reset, breadcrumbs.clear, clear], { discard: true }).pipe(Effect.uninterruptible)
    }
  })

/**
 * Captures errors and messages, groups them, keeps breadcrumbs and recovery statistics; `yield*` it for
 * the service, or use its statics (`ErrorTracking.layer()`, `ErrorTracking.captureError(e)`).
 *
 * @since 0.2.0
 * @category tags
 */
export class ErrorTracking extends Context.Tag("effect-telemetry/ErrorTracking")<ErrorTracking, ErrorTracking.Service>() {
  /**
   * Builds the service (see `ErrorTracking.layer`); scoped.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make

  /**
   * The service over the `EventSink` and `Redactor` in context; defaults: 50 breadcrumbs, 1,000 groups,
   * 100 users per group, 1,000 tracked errors, 5 samples per group, a 1-second duplicate window. Scoped:
   * closing it reports the duplicates of the windows still open.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: ErrorTracking.Options
  ): Layer.Layer<ErrorTracking, ErrorTrackingOptionsError, EventSink | Redactor> => Layer.scoped(this, make(options))

  /**
   * Decorates `TelemetryCollector` so that every event tracked through it (other than `error.*`) also
   * becomes a breadcrumb (`category: "event"`, the type as message). Provide it above `TelemetryCollector`
   * and `ErrorTracking`; ErrorTracking itself keeps recording through the undecorated sink.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layerBreadcrumbsFromEvents: Layer.Layer<
    TelemetryCollector,
    never,
    TelemetryCollector | ErrorTracking
  > = breadcrumbsFromEvents(this)

  /**
   * Installs global error handlers for the layer's lifetime — Node's `uncaughtException` /
   * `unhandledRejection`, or a browser's `error` / `unhandledrejection` — capturing through ErrorTracking
   * (`handled: false`). By default an uncaught exception in Node is flushed (2 seconds at most) and exits 1.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layerGlobalHandlers = (
    options?: ErrorTracking.GlobalHandlersOptions
  ): Layer.Layer<never, never, ErrorTracking | TelemetryCollector> =>
    Layer.scopedDiscard(
      Effect.flatMap(
        Effect.all([this, TelemetryCollector]),
        ([tracking, collector]) => installGlobalHandlers(tracking, collector.flush, options)
      )
    )

  /**
   * Captures an error with the `ErrorTracking` in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  static readonly captureError = (
    error: unknown,
    options?: ErrorTracking.CaptureOptions
  ): Effect.Effect<ErrorTracking.CaptureResult, never, ErrorTracking> =>
    Effect.flatMap(this, (t) => t.captureError(error, options))

  /**
   * Captures `self`'s failures and defects (not interruptions) with the `ErrorTracking` in context,
   * re-raising them unchanged; pipeable: `effect.pipe(ErrorTracking.captureErrors(options))`.
   *
   * @since 0.2.0
   * @category accessors
   */
  static readonly captureErrors: {
    (options?: ErrorTracking.CaptureOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R | ErrorTracking>
    <A, E, R>(self: Effect.Effect<A, E, R>, options?: ErrorTracking.CaptureOptions): Effect.Effect<A, E, R | ErrorTracking>
  } = Fn.dual(
    (args) => Effect.isEffect(args[0]),
    <A, E, R>(self: Effect.Effect<A, E, R>, options?: ErrorTracking.CaptureOptions) =>
      Effect.flatMap(this, (t) => t.captureErrors(self, options))
  )

  /**
   * Captures a message (default severity `INFO`) with the `ErrorTracking` in context.
   *
   * @since 0.2.0
   * @category accessors
   */
  static readonly captureMessage = (
    message: string,
    severity?: ErrorTracking.Severity,
    options?: ErrorTracking.MessageOptions
  ): Effect.Effect<ErrorTracking.CaptureResult, never, ErrorTracking> =>
    Effect.flatMap(this, (t) => t.captureMessage(message, severity, options))

  /**
   * Classifies an error as ErrorTracking does: category from its structure, else its message; severity
   * from its kind (`"fail"`, `"die"`, …) and the words it states.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly classify = classify

  /**
   * The 16-hex-digit fingerprint of an error type, message and frames, as ErrorTracking groups by.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly fingerprint = fingerprint

  /**
   * A message with its variable parts (numbers, ids, URLs, e-mails, quoted values) replaced by `<*>`.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly normalizeMessage = normalizeMessage

  /**
   * Parses an `Error.stack` string (V8 or SpiderMonkey/JavaScriptCore) into frames, at most 50.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly parseStack = parseStack

  /**
   * The value of every option when none is given.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly defaults = defaults

  /**
   * Options that do not decode: `option` names the first one (a misspelt one included), `reason` says why.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = ErrorTrackingOptionsError
}

/** @since 0.2.0 */
export declare namespace ErrorTracking {
  /** The service: capture, breadcrumbs, recovery, groups, stats. @since 0.2.0 @category models */
  export interface Service extends Api.ErrorTrackingService {}
  /** The options of `make` / `layer`, each optional. @since 0.2.0 @category models */
  export type Options = ErrorTrackingOptions
  /** Options that do not decode. @since 0.2.0 @category errors */
  export type OptionsError = ErrorTrackingOptionsError
  /** What a caller may add to, or decide about, one captured error. @since 0.2.0 @category models */
  export type CaptureOptions = Api.CaptureOptions
  /** The options of `captureMessage`: `CaptureOptions` without `severity` and `handled`. @since 0.2.0 @category models */
  export type MessageOptions = Api.MessageOptions
  /** A breadcrumb as given to `addBreadcrumb`. @since 0.2.0 @category models */
  export type BreadcrumbInput = Api.BreadcrumbInput
  /** The recovery of one error and of its group. @since 0.2.0 @category models */
  export type RecoveryReport = Api.RecoveryReport
  /** The options of `layerGlobalHandlers`. @since 0.2.0 @category models */
  export type GlobalHandlersOptions = HandlersOptions
  /** What `captureError` did with the primary error, and with the linked ones of a `Cause`. @since 0.2.0 @category models */
  export type CaptureResult = Events.CaptureResult
  /** What became of one error of a capture. @since 0.2.0 @category models */
  export type LeafCaptureResult = Events.LeafCaptureResult
  /** `sent`, `suppressed`, `ignored`, `dropped`, `refused` or `failed`. @since 0.2.0 @category models */
  export type Outcome = Events.CaptureOutcome
  /** How bad an error is, `DEBUG` to `CRITICAL`. @since 0.2.0 @category models */
  export type Severity = Events.Severity
  /** What kind of failure an error is (`network`, `timeout`, …). @since 0.2.0 @category models */
  export type Category = Events.ErrorCategory
  /** How an error was captured: `thrown`, `fail`, `die`, `interrupt` or `message`. @since 0.2.0 @category models */
  export type Kind = Events.ErrorKind
  /** One parsed stack frame. @since 0.2.0 @category models */
  export type StackFrame = Events.StackFrame
  /** A breadcrumb as stored and attached to errors. @since 0.2.0 @category models */
  export type Breadcrumb = Events.Breadcrumb
  /** The data of an `error.captured` event. @since 0.2.0 @category models */
  export type CapturedData = Events.ErrorCapturedData
  /** The data of an `error.repeated` event. @since 0.2.0 @category models */
  export type RepeatedData = Events.ErrorRepeatedData
  /** The data of an `error.recovery` event. @since 0.2.0 @category models */
  export type RecoveryData = Events.ErrorRecoveryData
  /** One captured occurrence as kept in memory. @since 0.2.0 @category models */
  export type Sample = Events.ErrorSample
  /** A captured error found by its id, with its recovery. @since 0.2.0 @category models */
  export type ErrorRecord = Events.ErrorRecord
  /** Errors sharing a fingerprint. @since 0.2.0 @category models */
  export type Group = Events.ErrorGroup
  /** Attempts to recover and how many worked. @since 0.2.0 @category models */
  export type RecoveryStats = Events.RecoveryStats
  /** ErrorTracking's counters. @since 0.2.0 @category models */
  export type Stats = Events.ErrorTrackingStats
}
