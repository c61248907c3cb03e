/**
 * The logger bridge: `Effect.log*` at or above a level becomes an ErrorTracking breadcrumb, and an error
 * log carrying a Cause of failures or defects a capture (once: shared with the tracer bridge).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as HashMap from "effect/HashMap"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as List from "effect/List"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { Severity } from "../schemas/ErrorEvents.js"
import { ErrorTracking } from "../services/ErrorTracking.js"
import * as CaptureOnce from "./CaptureOnce.js"
import * as Drain from "./Drain.js"

/** Options of the logger bridge. */
export interface LoggerOptions {
  /** Logs at or above this level become breadcrumbs. Default `Info`. */
  readonly minimumLevel?: LogLevel.LogLevel
  /** Logs at or above this level that carry a failure or defect are captured. Default `Error`. */
  readonly captureLevel?: LogLevel.LogLevel
  /** Logs waiting for the bridge; beyond it a log is not seen (counted). Default 1,024. */
  readonly queueCapacity?: number
}

/** The defaults of `LoggerOptions`. */
export const loggerDefaults = {
  minimumLevel: LogLevel.Info,
  captureLevel: LogLevel.Error,
  queueCapacity: 1_024
} as const

/**
 * A log annotation marking a log as this library's own (a failed flush, an outage): such a log is a
 * breadcrumb, never a capture, since capturing it would track an event through the pipeline that failed.
 */
export const internalLogAnnotation = "effect-telemetry.internal"

/** The library's own error logs, known by their message until every log site carries `internalLogAnnotation`. */
const ownMessages: ReadonlySet<string> = new Set([
  "telemetry flush failed",
  "telemetry send failed",
  "HealthCheck poll failed",
  "uncaught exception; exiting",
  "ErrorTracking failed to capture an error",
  "ErrorTracking could not track an event"
])

/** Most characters of a breadcrumb's message, and of each value in its data; most entries in its data. */
const maxMessage = 1_000
const maxValue = 256
const maxEntries = 16

/** One log as queued by the logger. */
interface LogEntry {
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly own: boolean
  readonly cause: Cause.Cause<unknown>
  readonly data: Record<string, string> | undefined
  readonly span: Tracer.AnySpan | undefined
  readonly timestamp: number
}

const severityOf = (level: LogLevel.LogLevel): Severity => {
  switch (level._tag) {
    case "Fatal":
      return "CRITICAL"
    case "Error":
      return "ERROR"
    case "Warning":
      return "WARNING"
    case "Info":
      return "INFO"
    default:
      return "DEBUG"
  }
}

const textOf = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((part) => typeof part === "string" ? part : Inspectable.toStringUnknown(part, 0)).join(" ")
    .slice(0, maxMessage)
}

/** Log annotations and log spans as breadcrumb data: bounded, as strings. */
const dataOf = (
  annotations: HashMap.HashMap<string, unknown>,
  spans: List.List<{ readonly label: string }>
): Record<string, string> | undefined => {
  let data: Record<string, string> | undefined
  let entries = 0
  for (const [key, value] of annotations) {
    if (key === internalLogAnnotation) continue
    if (++entries > maxEntries) break
    ;(data ??= {})[key] = (typeof value === "string" ? value : Inspectable.toStringUnknown(value, 0)).slice(0, maxValue)
  }
  if (List.isCons(spans)) {
    ;(data ??= {}).logSpans = List.toArray(spans).map((s) => s.label).join(" > ").slice(0, maxValue)
  }
  return data
}

/** What the logger bridge has seen since it was built. */
export interface LoggerBridgeStats {
  readonly logsSeen: number
  readonly dropped: number
  readonly errorsCaptured: number
}

/**
 * The installed logger bridge: what it has seen, and a way to wait until it has handled every log.
 *
 * @since 0.3.0
 * @category tags
 */
export class LoggerBridge extends Context.Tag("effect-telemetry/Instrumentation/LoggerBridge")<LoggerBridge, {
  /** Counters since the bridge was built. */
  readonly stats: Effect.Effect<LoggerBridgeStats>
  /** Handles every log queued so far; never fails. */
  readonly flush: Effect.Effect<void>
}>() {}

/** Builds the logger and the drain feeding ErrorTracking (when it is in context; else the logger does nothing). */
export const make = (options: LoggerOptions = {}) =>
  Effect.gen(function*() {
    const minimumLevel = options.minimumLevel ?? loggerDefaults.minimumLevel
    const captureLevel = options.captureLevel ?? loggerDefaults.captureLevel
    const errors = yield* Effect.serviceOption(ErrorTracking)
    let errorsCaptured = 0
    if (Option.isNone(errors)) {
      const stats = Effect.succeed<LoggerBridgeStats>({ logsSeen: 0, dropped: 0, errorsCaptured })
      return { logger: Logger.none, bridge: { stats, flush: Effect.void } satisfies LoggerBridge["Type"] }
    }
    const tracking = errors.value
    const once = CaptureOnce.forService(tracking)
    const process = (logs: ReadonlyArray<LogEntry>) =>
      Effect.forEach(logs, (log) =>
        Effect.gen(function*() {
          yield* tracking.addBreadcrumb({
            category: "log",
            level: severityOf(log.level),
            message: log.message,
            timestamp: log.timestamp,
            ...(log.data === undefined ? {} : { data: log.data })
          })
          if (log.own || LogLevel.lessThan(log.level, captureLevel) || !once.firstTime(log.cause)) return
          errorsCaptured++
          const ids = log.span === undefined ? {} : { traceId: log.span.traceId, spanId: log.span.spanId }
          yield* tracking.captureError(log.cause, { ...ids, mechanism: "log", context: { message: log.message } })
        }), { discard: true })
    const drain = yield* Drain.make(options.queueCapacity ?? loggerDefaults.queueCapacity, process)
    const logger = Logger.make<unknown, void>(({ annotations, cause, context, date, logLevel, message, spans }) => {
      if (LogLevel.lessThan(logLevel, minimumLevel) || FiberRefs.getOrDefault(context, Drain.inBridge)) return
      const current = Context.getOption(FiberRefs.getOrDefault(context, FiberRef.currentContext), Tracer.ParentSpan)
      const written = textOf(message)
      // `Effect.logError(cause)` logs the Cause alone: its first error names the breadcrumb.
      const text = written.length > 0 ? written : Cause.prettyErrors(cause)[0]?.message.slice(0, maxMessage) ?? "log"
      drain.offer({
        level: logLevel,
        message: text,
        own: HashMap.has(annotations, internalLogAnnotation) || ownMessages.has(text),
        cause,
        data: dataOf(annotations, spans),
        span: Option.getOrUndefined(current),
        timestamp: date.getTime()
      })
    })
    const stats = Effect.sync((): LoggerBridgeStats => ({
      logsSeen: drain.counts.offered,
      dropped: drain.counts.dropped,
      errorsCaptured
    }))
    return { logger, bridge: { stats, flush: drain.flush } satisfies LoggerBridge["Type"] }
  })

/** Adds the bridge's logger beside the current ones. */
export const layer = (options?: LoggerOptions): Layer.Layer<LoggerBridge> =>
  Layer.unwrapScoped(Effect.map(make(options), ({ bridge, logger }) =>
    Layer.merge(Logger.add(logger), Layer.succeed(LoggerBridge, bridge))))
