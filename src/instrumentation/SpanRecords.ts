/**
 * An ended span as the OTLP trace export takes it (`SpanRecord`).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import type { AnyValue, Attributes, SpanRecord } from "../transports/otlp/Model.js"
import type { BridgeSpan } from "./BridgeTracer.js"

const toAnyValue = (value: unknown): AnyValue => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return value
    case "object":
      if (value === null || value instanceof Uint8Array) return value
      if (Array.isArray(value)) return value.map(toAnyValue)
      return safeString(value)
    default:
      return safeString(value)
  }
}

const safeString = (value: unknown): string => {
  try {
    return typeof value === "object" ? JSON.stringify(value) ?? String(value) : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

const attributesOf = (entries: Iterable<readonly [string, unknown]>): Attributes => {
  const out: Record<string, AnyValue> = {}
  for (const [key, value] of entries) out[key] = toAnyValue(value)
  return out
}

/** The record of an ended span; `undefined` while it has not ended. */
export const spanRecordOf = (span: BridgeSpan): SpanRecord | undefined => {
  const status = span.status
  if (status._tag !== "Ended") return undefined
  const record: { -readonly [K in keyof SpanRecord]: SpanRecord[K] } = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: status.startTime,
    endTimeUnixNano: status.endTime,
    attributes: attributesOf(span.attributes),
    events: (span.events ?? []).map((e) => ({
      name: e.name,
      timeUnixNano: e.timeUnixNano,
      attributes: e.attributes === undefined ? {} : attributesOf(Object.entries(e.attributes))
    })),
    links: span.links.map((link: Tracer.SpanLink) => ({
      traceId: link.span.traceId,
      spanId: link.span.spanId,
      attributes: attributesOf(Object.entries(link.attributes))
    })),
    status: statusOf(status.exit)
  }
  if (Option.isSome(span.parent)) record.parentSpanId = span.parent.value.spanId
  return record
}

/** As `@effect/opentelemetry` sets it: ok on success and on interruption alone, else error with the first error's message. */
const statusOf = (exit: Exit.Exit<unknown, unknown>): SpanRecord["status"] => {
  if (exit._tag === "Success" || Cause.isInterruptedOnly(exit.cause)) return { code: "ok" }
  const first = Cause.prettyErrors(exit.cause)[0]
  return first === undefined ? { code: "ok" } : { code: "error", message: first.message }
}
