/**
 * The choices both encodings make the same way: OTLP's enum numbers, which numbers are 64-bit
 * integers, and how counts are held.
 *
 * @internal
 */
import type { NumberPoint, SpanKind, SpanRecord } from "./Model.js"

/** `AGGREGATION_TEMPORALITY_CUMULATIVE`: every sum and histogram we export counts from its start time. */
export const cumulative = 2

/** OTLP `Span.SpanKind` numbers. */
export const spanKindNumber: { readonly [K in SpanKind]: number } = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5
}

/** OTLP `Status.StatusCode` numbers. */
export const statusCodeNumber: { readonly [C in SpanRecord["status"]["code"]]: number } = {
  unset: 0,
  ok: 1,
  error: 2
}

const minInt64 = -(2n ** 63n)
const maxInt64 = 2n ** 63n - 1n

/** Whether a bigint fits OTLP's `int64`; one that does not is exported as a double. */
export const isInt64 = (value: bigint): boolean => value >= minInt64 && value <= maxInt64

/** A metric point's value as `asInt` when it is integral and fits `int64`; else `undefined` (`asDouble`). */
export const asInt = (point: NumberPoint): bigint | undefined =>
  point.integer && Number.isInteger(point.value) && Math.abs(point.value) < 2 ** 63 ? BigInt(point.value) : undefined

/** A count as OTLP's unsigned 64-bit one: a non-negative integer (not finite or negative is 0). */
export const count = (value: number): number =>
  value > 0 && Number.isFinite(value) ? Math.min(Math.trunc(value), Number.MAX_SAFE_INTEGER) : 0
