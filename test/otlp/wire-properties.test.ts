import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { logsJson } from "../../src/transports/otlp/Json.js"
import type { AnyValue, Attributes, LogRecord } from "../../src/transports/otlp/Model.js"
import { logsProtobuf } from "../../src/transports/otlp/Protobuf.js"
import { decodeJson, decodeProtobuf } from "./wire-support.js"

/** Any string: non-BMP characters, lone surrogates, long enough to need multi-byte lengths. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 40, maxLength: 400 }),
  fc.string({ unit: fc.constantFrom("a", "é", "€", "𝄞", "\ud800", "\udc00"), maxLength: 200 })
)

const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    text,
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.uint8Array({ maxLength: 300 }),
    fc.constantFrom(null, undefined),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(text, tie("value"), { maxKeys: 5 })
  )
})).value

/** A string with lone surrogates replaced by U+FFFD, as UTF-8 encoding does (`String#toWellFormed`, ES2024). */
const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed()

/** What the official decoder must read back for `value`: an independent statement of the mapping. */
const expected = (value: AnyValue): unknown => {
  switch (typeof value) {
    case "string":
      return { stringValue: wellFormed(value) }
    case "boolean":
      return { boolValue: value }
    case "number":
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
    case "bigint":
      return value >= -(2n ** 63n) && value < 2n ** 63n ? { intValue: String(value) } : { doubleValue: Number(value) }
    case "undefined":
      return {}
  }
  if (value === null) return {}
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString("base64") }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(expected) } }
  return { kvlistValue: { values: expectedKeyValues(value as Attributes) } }
}

const expectedKeyValues = (attributes: Attributes) =>
  Object.entries(attributes).filter(([, v]) => v !== undefined).map(([key, v]) => ({
    key: wellFormed(key),
    value: expected(v)
  }))

const maxNanos = 2n ** 64n - 1n

const record = (body: AnyValue, attributes: Attributes, observedTimeUnixNano = maxNanos): LogRecord => ({
  timeUnixNano: 1n,
  observedTimeUnixNano,
  severityNumber: 9,
  severityText: "INFO",
  body,
  attributes
})

const wellFormedDeep = (value: unknown): unknown =>
  typeof value === "string" ? wellFormed(value)
    : Array.isArray(value) ? value.map(wellFormedDeep)
    : typeof value === "object" && value !== null
    ? Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormedDeep(v)]))
    : value

const resource = { attributes: {} }
const scope = { name: "s" }

describe("OTLP protobuf writer (properties)", () => {
  it("any AnyValue tree and attribute map round-trips through the official decoder, and JSON agrees", () => {
    fc.assert(
      fc.property(anyValue, fc.dictionary(text, anyValue, { maxKeys: 8 }), (body, attributes) => {
        const decoded = decodeProtobuf("logs", logsProtobuf(resource, scope, [record(body, attributes)])) as any
        const log = decoded.resourceLogs[0].scopeLogs[0].logRecords[0]
        expect(log.body).toEqual(body === undefined ? null : expected(body)) // an undefined body is no body
        expect(log.attributes).toEqual(expectedKeyValues(attributes))
        expect(log.observedTimeUnixNano).toBe(String(maxNanos))
        // JSON text keeps lone surrogates as `\ud800` escapes; protobuf's UTF-8 has U+FFFD in their place.
        // Times below 2^63 here: protobufjs's `fromObject` reads a fixed64 string as signed.
        const signedSafe = [record(body, attributes, 2n ** 63n - 1n)]
        const fromJson = decodeJson("logs", logsJson(resource, scope, signedSafe))
        expect(wellFormedDeep(fromJson)).toEqual(decodeProtobuf("logs", logsProtobuf(resource, scope, signedSafe)))
      }),
      { seed: 20261129, numRuns: 400 }
    )
  })

  it("many records, each past 128 bytes, keep their boundaries (back-patched lengths)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary", minLength: 100, maxLength: 5_000 }), { maxLength: 30 }), (texts) => {
        const decoded = decodeProtobuf("logs", logsProtobuf(resource, scope, texts.map((t) => record(t, { t })))) as any
        const logs = decoded.resourceLogs[0].scopeLogs[0].logRecords
        expect(logs.map((l: any) => l.body.stringValue)).toEqual(texts.map(wellFormed))
      }),
      { seed: 7, numRuns: 60 }
    )
  })
})
