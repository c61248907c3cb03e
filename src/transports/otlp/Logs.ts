/**
 * Our events as OTLP log records: one event is one record whose `eventName` is the event's type and
 * whose body is its data. Attributes say only what the body does not: the event's id and kind, the
 * session, the user, the tags, and for errors OpenTelemetry's `exception.*` conventions.
 *
 * @internal
 */
import { type Batch, spanIdPattern, type TelemetryEvent, traceIdPattern } from "../../schemas/TelemetryEvent.js"
import type { AnyValue, LogRecord } from "./Model.js"

/** The largest OTLP time: times are unsigned 64-bit counts of nanoseconds. */
const maxNanos = 2n ** 64n - 1n

/**
 * Epoch milliseconds as OTLP nanoseconds (microsecond precision); throws a `RangeError` naming `what`
 * for a time OTLP cannot hold (negative, not finite, after 2554).
 */
export const nanosFromMillis = (millis: number, what: string): bigint => {
  const micros = Math.round(millis * 1_000)
  const value = Number.isFinite(micros) && micros >= 0 ? BigInt(micros) * 1_000n : undefined
  if (value === undefined || value > maxNanos) {
    throw new RangeError(`${what} ${millis} ms is outside OTLP's unsigned 64-bit nanoseconds`)
  }
  return value
}

/** OTLP severity numbers of the error tracker's severities. */
const severities: Readonly<Record<string, readonly [number, string]>> = {
  DEBUG: [5, "DEBUG"],
  INFO: [9, "INFO"],
  WARNING: [13, "WARN"],
  ERROR: [17, "ERROR"],
  CRITICAL: [21, "FATAL"]
}
const error: readonly [number, string] = [17, "ERROR"]
const info: readonly [number, string] = [9, "INFO"]

/** The event's declared `severity` when it names one; else ERROR for `error` events, INFO for the rest. */
const severityOf = (event: TelemetryEvent): readonly [number, string] => {
  const declared = event.data.severity
  // Own keys only: `"constructor"` or `"__proto__"` must not reach Object.prototype.
  if (typeof declared === "string" && Object.hasOwn(severities, declared)) return severities[declared]!
  return event.kind === "error" ? error : info
}

/** A W3C id when well-formed and not the all-zero invalid one; else nothing (the record is unlinked). */
const validId = (value: unknown, pattern: RegExp): string | undefined =>
  typeof value === "string" && pattern.test(value) ? value : undefined

/** One frame as V8 prints it: `    at fn (file:line:column)`. */
const frameLine = (frame: unknown): string => {
  const f = (typeof frame === "object" && frame !== null ? frame : {}) as Record<string, unknown>
  const fn = typeof f.function === "string" && f.function !== "" ? f.function : undefined
  const file = typeof f.file === "string" && f.file !== "" ? f.file : undefined
  const line = typeof f.line === "number" ? `:${f.line}` : ""
  const column = typeof f.column === "number" && line !== "" ? `:${f.column}` : ""
  const location = file === undefined ? undefined : `${file}${line}${column}`
  if (location === undefined) return `    at ${fn ?? "<anonymous>"}`
  return fn === undefined ? `    at ${location}` : `    at ${fn} (${location})`
}

const stringField = (data: TelemetryEvent["data"], key: string): string | undefined => {
  const value = Object.hasOwn(data, key) ? data[key] : undefined
  return typeof value === "string" ? value : undefined
}

/** The stack as text: a `stack` string the data holds, else its parsed `frames` under `Type: message`. */
const stacktraceOf = (data: TelemetryEvent["data"], type: string | undefined, message: string | undefined) => {
  const stack = stringField(data, "stack") ?? stringField(data, "stacktrace")
  if (stack !== undefined && stack !== "") return stack
  const frames = data.frames
  if (!Array.isArray(frames) || frames.length === 0) return undefined
  const head = type === undefined ? message ?? "Error" : message === undefined ? type : `${type}: ${message}`
  return [head, ...frames.map(frameLine)].join("\n")
}

/** The attributes of one event: id, kind, session, user, tags, and `exception.*` for errors. */
const attributesOf = (event: TelemetryEvent): Record<string, AnyValue> => {
  const attributes: Record<string, AnyValue> = {
    "event.id": event.id,
    "event.kind": event.kind,
    "session.id": event.sessionId
  }
  if (event.userId !== undefined) attributes["user.id"] = event.userId
  if (event.kind === "error") {
    const type = stringField(event.data, "type")
    const message = stringField(event.data, "message")
    const stacktrace = stacktraceOf(event.data, type, message)
    if (type !== undefined) attributes["exception.type"] = type
    if (message !== undefined) attributes["exception.message"] = message
    if (stacktrace !== undefined) attributes["exception.stacktrace"] = stacktrace
  }
  const tags = event.tags
  if (tags !== undefined) for (const key of Object.keys(tags)) attributes[`tag.${key}`] = tags[key]
  return attributes
}

/**
 * A batch as OTLP log records, observed at `observedAtMillis`. Throws a `RangeError` naming the event
 * for a timestamp OTLP cannot hold (the transport turns it into an `encode` failure of that batch).
 */
export const logRecords = (batch: Batch, observedAtMillis: number): ReadonlyArray<LogRecord> => {
  const observedTimeUnixNano = nanosFromMillis(observedAtMillis, "observed time")
  return batch.events.map((event): LogRecord => {
    const [severityNumber, severityText] = severityOf(event)
    // Checked again: an event from an old outbox or a custom collector has seen no schema.
    const traceId = validId(event.traceId, traceIdPattern)
    const spanId = traceId === undefined ? undefined : validId(event.spanId, spanIdPattern)
    return {
      timeUnixNano: nanosFromMillis(event.timestamp, `event ${event.id}: timestamp`),
      observedTimeUnixNano,
      severityNumber,
      severityText,
      eventName: event.type,
      body: event.data,
      attributes: attributesOf(event),
      ...(traceId === undefined ? {} : { traceId }),
      ...(spanId === undefined ? {} : { spanId })
    }
  })
}
