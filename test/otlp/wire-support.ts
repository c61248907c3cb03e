/**
 * Shared by the wire tests: the official OTLP protos (compiled for protobufjs, as OpenTelemetry JS ships
 * them), and one canonical form to compare decoded messages in.
 */
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

interface MessageType {
  decode(bytes: Uint8Array): unknown
  encode(message: unknown): { finish(): Uint8Array }
  fromObject(object: unknown): unknown
  toObject(message: unknown, options: object): Record<string, unknown>
}

/** `opentelemetry.proto` from `@opentelemetry/otlp-transformer`'s generated `root.js`. */
export const proto = require("@opentelemetry/otlp-transformer/build/src/generated/root.js").opentelemetry.proto as {
  readonly collector: {
    readonly logs: { readonly v1: Record<"ExportLogsServiceRequest" | "ExportLogsServiceResponse", MessageType> }
    readonly trace: { readonly v1: Record<"ExportTraceServiceRequest" | "ExportTraceServiceResponse", MessageType> }
    readonly metrics: {
      readonly v1: Record<"ExportMetricsServiceRequest" | "ExportMetricsServiceResponse", MessageType>
    }
  }
}

/** Each signal's request message. */
export const requestType = {
  logs: proto.collector.logs.v1.ExportLogsServiceRequest,
  traces: proto.collector.trace.v1.ExportTraceServiceRequest,
  metrics: proto.collector.metrics.v1.ExportMetricsServiceRequest
} as const

/**
 * Canonical form: every field (proto3 defaults filled in, so an omitted default equals a written one),
 * 64-bit integers as decimal strings, enums as numbers, bytes as base64. Oneof members and `optional`
 * fields appear only when set, so presence still counts (an `intValue` of 0 is not an empty `AnyValue`).
 */
const canonical = { longs: String, enums: Number, bytes: String, defaults: true, arrays: true }

const idKeys = new Set(["traceId", "spanId", "parentSpanId"])

/** Walks a canonical object, turning base64 ids into hex, so failures read like our model. */
const idsToHex = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(idsToHex)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [
    key,
    idKeys.has(key) && typeof inner === "string" ? Buffer.from(inner, "base64").toString("hex") : idsToHex(inner)
  ]))
}

/** Protobuf bytes decoded with the official definitions, in canonical form. */
export const decodeProtobuf = (signal: keyof typeof requestType, bytes: Uint8Array): unknown => {
  const type = requestType[signal]
  return idsToHex(type.toObject(type.decode(bytes), canonical))
}

/** Hex ids as the base64 `fromObject` reads for bytes (proto3 JSON's ids are hex in OTLP, base64 elsewhere). */
const hexIdsToBase64 = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(hexIdsToBase64)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [
    key,
    idKeys.has(key) && typeof inner === "string" ? Buffer.from(inner, "hex").toString("base64") : hexIdsToBase64(inner)
  ]))
}

/**
 * OTLP/JSON text read as the spec says (hex ids → bytes; int64 strings, `"NaN"`/`"Infinity"` and integer
 * enums as proto3 JSON has them), built with the official `fromObject`, in canonical form.
 */
export const decodeJson = (signal: keyof typeof requestType, text: string): unknown => {
  const type = requestType[signal]
  const parsed: unknown = JSON.parse(text)
  return idsToHex(type.toObject(type.fromObject(hexIdsToBase64(parsed)), canonical))
}

/** Drops the given keys at any depth (for fields one side sets and the other legitimately does not). */
export const without = (value: unknown, keys: ReadonlySet<string>): unknown => {
  if (Array.isArray(value)) return value.map((item) => without(item, keys))
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(
    Object.entries(value).filter(([key]) => !keys.has(key)).map(([key, inner]) => [key, without(inner, keys)])
  )
}

/** Nanoseconds as OpenTelemetry's `[seconds, nanoseconds]` time. */
export const hrTime = (nanos: bigint): [number, number] => [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)]

/** OpenTelemetry's `[seconds, nanoseconds]` time as nanoseconds. */
export const nanos = ([seconds, ns]: readonly [number, number]): bigint => BigInt(seconds) * 1_000_000_000n + BigInt(ns)
