/**
 * The protobuf messages every OTLP request shares: `AnyValue`, `KeyValue`, `Resource`,
 * `InstrumentationScope`, and the `Resource…`/`Scope…` envelope of an export request.
 *
 * @internal
 */
import type { AnyValue, Attributes, Resource, Scope } from "./Model.js"
import { ProtoWriter } from "./ProtoWriter.js"
import { isInt64 } from "./Scalars.js"

/** The tag of a length-delimited field (wire type 2): strings, bytes, submessages, packed arrays. */
export const len = (field: number) => (field << 3) | 2
/** The tag of a varint field (wire type 0): ints, enums, bools. */
export const varint = (field: number) => field << 3
/** The tag of a 64-bit field (wire type 1): fixed64, sfixed64, double. */
export const fixed64 = (field: number) => (field << 3) | 1

/** An `AnyValue` message's fields (its oneof), mapped by JavaScript type as `Model.AnyValue` says. */
export const writeAnyValue = (w: ProtoWriter, value: AnyValue): void => {
  switch (typeof value) {
    case "string":
      w.varint32(len(1))
      w.string(value)
      return
    case "boolean":
      w.varint32(varint(2))
      w.varint32(value ? 1 : 0)
      return
    case "number":
      if (Number.isSafeInteger(value)) {
        w.varint32(varint(3))
        w.int64(value)
      } else {
        w.varint32(fixed64(4))
        w.double(value)
      }
      return
    case "bigint":
      if (isInt64(value)) {
        w.varint32(varint(3))
        w.int64(value)
      } else {
        w.varint32(fixed64(4))
        w.double(Number(value))
      }
      return
    case "undefined":
      return
  }
  if (value === null) return
  if (value instanceof Uint8Array) {
    w.varint32(len(7))
    w.bytes(value)
  } else if (Array.isArray(value)) {
    w.varint32(len(5))
    const start = w.begin()
    for (const element of value as ReadonlyArray<AnyValue>) {
      w.varint32(len(1))
      const item = w.begin()
      writeAnyValue(w, element)
      w.end(item)
    }
    w.end(start)
  } else {
    w.varint32(len(6))
    const start = w.begin()
    writeKeyValues(w, 1, value as Attributes)
    w.end(start)
  }
}

/** Each attribute as a `KeyValue` submessage in `field`; `undefined` values left out. */
export const writeKeyValues = (w: ProtoWriter, field: number, attributes: Attributes): void => {
  const tag = len(field)
  for (const key of Object.keys(attributes)) {
    const value = attributes[key]
    if (value === undefined) continue
    w.varint32(tag)
    const start = w.begin()
    w.varint32(len(1))
    w.string(key)
    w.varint32(len(2))
    const inner = w.begin()
    writeAnyValue(w, value)
    w.end(inner)
    w.end(start)
  }
}

const writeResource = (w: ProtoWriter, resource: Resource): void => {
  w.varint32(len(1))
  const start = w.begin()
  writeKeyValues(w, 1, resource.attributes)
  w.end(start)
}

/** An `InstrumentationScope` in field 1 (of a `ScopeLogs`, `ScopeSpans` or `ScopeMetrics`). */
export const writeScope = (w: ProtoWriter, scope: Scope): void => {
  w.varint32(len(1))
  const start = w.begin()
  w.varint32(len(1))
  w.string(scope.name)
  if (scope.version !== undefined) {
    w.varint32(len(2))
    w.string(scope.version)
  }
  w.end(start)
}

/**
 * Writes one request: `ResourceX` (field 1) holding the resource (field 1) and, in field 2, one `ScopeX`
 * per call of `body` (which writes the scope and its items).
 */
export const request = (resource: Resource, scopes: number, body: (w: ProtoWriter, index: number) => void): Uint8Array => {
  const w = shared.reset()
  w.varint32(len(1))
  const outer = w.begin()
  writeResource(w, resource)
  for (let i = 0; i < scopes; i++) {
    w.varint32(len(2))
    const start = w.begin()
    body(w, i)
    w.end(start)
  }
  w.end(outer)
  return shared.finish(w)
}

/** One writer reused across calls (encoding is synchronous); one that grew past 4 MiB is not kept. */
const shared = {
  writer: undefined as ProtoWriter | undefined,
  reset(): ProtoWriter {
    const w = this.writer ?? new ProtoWriter()
    this.writer = undefined // a nested call, were there one, would get its own
    w.reset()
    return w
  },
  finish(w: ProtoWriter): Uint8Array {
    const bytes = w.finish()
    if (w.capacity <= 4 * 1024 * 1024) this.writer = w
    return bytes
  }
}
