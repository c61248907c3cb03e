/**
 * Reads the `partial_success` of an OTLP export response (`Export{Logs,Trace,Metrics}ServiceResponse`),
 * in either encoding: how many items the collector rejected, and why.
 *
 * @internal
 */
import type { Encoding, Signal } from "./Model.js"

/** What a collector said it rejected of an accepted request. */
export interface PartialSuccess {
  readonly rejected: number
  readonly message: string
}

const rejectedField = {
  logs: ["rejectedLogRecords", "rejected_log_records"],
  traces: ["rejectedSpans", "rejected_spans"],
  metrics: ["rejectedDataPoints", "rejected_data_points"]
} as const satisfies Record<Signal, readonly [string, string]>

const utf8 = new TextDecoder()

/** `{}`: what a collector that accepted everything usually answers (read once per request: no decoding for it). */
const isEmptyObject = (body: Uint8Array): boolean => body.length === 2 && body[0] === 0x7b && body[1] === 0x7d

const fromJson = (body: Uint8Array, signal: Signal): PartialSuccess | undefined => {
  if (isEmptyObject(body)) return undefined
  const response: unknown = JSON.parse(utf8.decode(body))
  if (typeof response !== "object" || response === null) return undefined
  const field = (object: object, names: ReadonlyArray<string>): unknown => {
    for (const name of names) if (Object.hasOwn(object, name)) return (object as Record<string, unknown>)[name]
    return undefined
  }
  const partial = field(response, ["partialSuccess", "partial_success"])
  if (typeof partial !== "object" || partial === null) return undefined
  const rejected = field(partial, rejectedField[signal])
  const message = field(partial, ["errorMessage", "error_message"])
  // proto3 JSON writes int64 as a string; readers accept a number too
  const count = typeof rejected === "string" && /^-?\d+$/.test(rejected) ? Number(rejected)
    : typeof rejected === "number" && Number.isInteger(rejected) ? rejected
    : rejected === undefined || rejected === null ? 0
    : undefined
  if (count === undefined || (message !== undefined && message !== null && typeof message !== "string")) return undefined
  return { rejected: count, message: typeof message === "string" ? message : "" }
}

/** A protobuf reader over `bytes`, enough to walk two levels of fields and skip the unknown ones. */
const reader = (bytes: Uint8Array, from: number, to: number) => {
  let pos = from
  const varint = (): bigint => {
    let result = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= to) throw new RangeError("truncated varint")
      const byte = bytes[pos++]!
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return result
    }
    throw new RangeError("varint too long")
  }
  const skip = (n: number) => {
    if (n < 0 || pos + n > to) throw new RangeError("truncated field")
    pos += n
  }
  return {
    done: () => pos >= to,
    position: () => pos,
    varint,
    /** The next field's number and wire type. */
    tag: () => {
      const tag = Number(varint())
      return { field: tag >>> 3, wireType: tag & 7 }
    },
    /** Skips a field's value, returning the [start, end) of a length-delimited one. */
    value: (wireType: number): readonly [number, number] | undefined => {
      switch (wireType) {
        case 0:
          varint()
          return undefined
        case 1:
          skip(8)
          return undefined
        case 2: {
          const length = Number(varint())
          const start = pos
          skip(length)
          return [start, pos]
        }
        case 5:
          skip(4)
          return undefined
        default:
          throw new RangeError(`unsupported wire type ${wireType}`)
      }
    }
  }
}

const fromProtobuf = (body: Uint8Array): PartialSuccess | undefined => {
  const outer = reader(body, 0, body.length)
  let partial: readonly [number, number] | undefined
  while (!outer.done()) {
    const { field, wireType } = outer.tag()
    const span = outer.value(wireType)
    if (field === 1 && wireType === 2) partial = span
  }
  if (partial === undefined) return undefined
  const inner = reader(body, partial[0], partial[1])
  let rejected = 0
  let message = ""
  while (!inner.done()) {
    const { field, wireType } = inner.tag()
    if (field === 1 && wireType === 0) {
      rejected = Number(BigInt.asIntN(64, inner.varint()))
      continue
    }
    const span = inner.value(wireType)
    if (field === 2 && span !== undefined) {
      message = new TextDecoder("utf-8", { fatal: true }).decode(body.subarray(span[0], span[1]))
    }
  }
  return { rejected, message }
}

/**
 * The partial success of an export response body: `undefined` when there is none (absent, empty, zero
 * rejected and no message) or the body cannot be read. Never throws.
 */
export const partialSuccess = (
  body: Uint8Array,
  encoding: Encoding,
  signal: Signal
): PartialSuccess | undefined => {
  if (body.length === 0) return undefined
  try {
    const result = encoding === "json" ? fromJson(body, signal) : fromProtobuf(body)
    return result === undefined || (result.rejected === 0 && result.message === "") ? undefined : result
  } catch {
    return undefined
  }
}
