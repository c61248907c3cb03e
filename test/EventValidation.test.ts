import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import { isValidEvent, maxEventBytes, validateEvent, validateEventFast } from "../src/schemas/EventValidation.js"
import { maxTimestamp } from "../src/schemas/TelemetryEvent.js"

/** Event types holding a card number, an API key, an SSN: refused, since types reach the wire unredacted. */
const piiTypes = [
  "payment.4111111111111111",
  "card_4111111111111111",
  "checkout/4111-1111-1111-1111",
  "order-5555555555554444.paid",
  "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t1",
  "openai_sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t1",
  "key-sk_live_4eC39HqLyjWDarjtT1zdp7dc",
  "AKIAIOSFODNN7EXAMPLE",
  "aws.AKIAIOSFODNN7EXAMPLE.used",
  "ssn.123-45-6789"
]

const eventType = fc.oneof(
  fc.constantFrom("chat.message", "error.timeout", "a", "x".repeat(128), "x".repeat(129), "", "has space", "é"),
  fc.constantFrom(...piiTypes),
  fc.string({ maxLength: 140 })
)
const jsonData = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 })
const anyData = fc.oneof(
  jsonData,
  fc.anything({ maxDepth: 3, withNullPrototype: true, withMap: true, withDate: true, withTypedArray: true }),
  fc.constantFrom({ n: Number.NaN }, { f: Infinity }, { big: "x".repeat(maxEventBytes) }, [1, 2], null)
)
const input = fc.record(
  {
    type: eventType,
    data: anyData,
    userId: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()),
    tags: fc.oneof(fc.dictionary(fc.string(), fc.string({ maxLength: 1100 }), { maxKeys: 40 }), fc.anything()),
    timestamp: fc.oneof(
      fc.double(),
      fc.nat(),
      fc.constantFrom(-0, -1, Number.NaN, Infinity, maxTimestamp, maxTimestamp + 1, 8.64e15, 1e306, Number.MAX_VALUE),
      fc.double({ min: maxTimestamp - 2, max: maxTimestamp + 2, noNaN: true })
    ),
    extra: fc.anything()
  },
  { requiredKeys: [] }
)

describe("EventValidation", () => {
  it("the fast path never accepts what the schema refuses", () => {
    fc.assert(
      fc.property(fc.oneof(input, fc.anything()), (u) => {
        if (isValidEvent(u)) expect(Either.isRight(validateEvent(u))).toBe(true)
      }),
      { numRuns: 5_000 }
    )
  })

  it("the fast path accepts every well-formed event, so valid input never pays for the schema", () => {
    fc.assert(
      fc.property(
        fc.record({
          type: fc.constantFrom("chat.message", "error.timeout", "usage.feature"),
          data: jsonData,
          userId: fc.string({ minLength: 1, maxLength: 256 }),
          tags: fc.dictionary(fc.string(), fc.string({ maxLength: 100 }), { maxKeys: 5 }),
          timestamp: fc.oneof(fc.nat(), fc.integer({ min: 0, max: maxTimestamp }), fc.constant(maxTimestamp))
        }, { requiredKeys: ["type"] }),
        (u) => {
          expect(Either.isRight(validateEvent(u))).toBe(true)
          expect(isValidEvent(u)).toBe(true)
        }
      ),
      { numRuns: 2_000 }
    )
  })

  it("an event over 32 KiB serialized is refused with the size in the message", () => {
    const result = validateEvent({ type: "x", data: { text: "é".repeat(20_000) } })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left.issues[0]).toMatchObject({ path: ["data"] })
      expect(result.left.issues[0]!.message).toMatch(/40\d{3} bytes/)
    }
    expect(Either.isRight(validateEvent({ type: "x", data: { text: "x".repeat(30_000) } }))).toBe(true)
  })

  it("every problem is reported, each with its path", () => {
    const result = validateEvent({ type: "", userId: "", data: { deep: { f: () => 1 } } })
    const paths = Either.isLeft(result) ? result.left.issues.map((i) => i.path) : []
    expect(paths).toContainEqual(["type"])
    expect(paths).toContainEqual(["userId"])
    expect(paths).toContainEqual(["data", "deep", "f"])
  })

  it("a timestamp past what OTLP's 64-bit nanoseconds hold is refused at path timestamp, by both paths", () => {
    for (const timestamp of [1e306, Number.MAX_VALUE, 8.64e15, maxTimestamp + 1, maxTimestamp + 0.5]) {
      const input = { type: "x", timestamp }
      expect(isValidEvent(input)).toBe(false)
      const result = validateEvent(input)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(new Set(result.left.issues.map((i) => i.path.join(".")))).toEqual(new Set(["timestamp"]))
        expect(result.left.message).toContain(`from 0 to ${maxTimestamp}`)
      }
    }
    // The last encodable millisecond, as OTLP nanoseconds: within 2^64 - 1.
    expect(BigInt(maxTimestamp) * 1_000_000n <= 2n ** 64n - 1n).toBe(true)
    expect(BigInt(maxTimestamp + 1) * 1_000_000n > 2n ** 64n - 1n).toBe(true)
    for (const timestamp of [0, 1_700_000_000_000, maxTimestamp]) {
      expect(isValidEvent({ type: "x", timestamp })).toBe(true)
      expect(Either.isRight(validateEvent({ type: "x", timestamp }))).toBe(true)
    }
  })

  it.each(piiTypes)("the event type %s is refused at path type, with a message that does not repeat it", (type) => {
    expect(isValidEvent({ type })).toBe(false)
    // Twice: a refused type is never cached as known.
    expect(isValidEvent({ type })).toBe(false)
    const result = validateEvent({ type })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(new Set(result.left.issues.map((i) => i.path.join(".")))).toEqual(new Set(["type"]))
      expect(result.left.message).toMatch(/personal data or a secret \((card-number|api-key|us-ssn)\)/)
      expect(result.left.message).not.toMatch(/4111|5555|Ab3dEf|4eC39|IOSFODNN|6789/)
    }
  })

  const ordinaryTypes = [
    "chat.message", "v2.page_view", "http.status.503", "release.1.2.3", "build-2024-01-15", "epoch.1700000000000",
    "order-ORD-2024-000123", "task-1234567890abcdefghij", "session.550e8400-e29b-41d4-a716-446655440000",
    "auth:login", "token:refresh", "api_key.rotated", "error.E1234", "sk-learn-tutorial", "commit.9fceb02d0ae598e95dc970b74767f19372d61af8"
  ]

  it.each(ordinaryTypes)("the ordinary event type %s is accepted by both paths", (type) => {
    expect(Either.isRight(validateEvent({ type }))).toBe(true)
    expect(isValidEvent({ type })).toBe(true)
  })
})

describe("InvalidEventError", () => {
  it("never quotes the refused value, which may be personal data", () => {
    const result = validateEvent({ type: "x", userId: `ann@example.com${"x".repeat(300)}`, tags: { a: "b".repeat(2_000) } })
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error!.issues.map((i) => i.path)).toContainEqual(["userId"])
    expect(error!.issues.map((i) => i.path)).toContainEqual(["tags", "a"])
    expect(error!.message).not.toContain("ann@example.com")
    expect(error!.message).not.toContain("bbbb")
    expect(error!.message).toContain("actual a string of 315 characters")
  })
})

describe("tags", () => {
  it("a tag name longer than 128 characters is refused by both paths, naming the tag", () => {
    const input = { type: "x", tags: { ["k".repeat(129)]: "v" } }
    expect(isValidEvent(input)).toBe(false)
    const result = validateEvent(input)
    expect(Either.isLeft(result)).toBe(true)
    expect(Either.isLeft(result) && result.left.issues.some((i) => i.path[0] === "tags")).toBe(true)
    expect(isValidEvent({ type: "x", tags: { ["k".repeat(128)]: "v" } })).toBe(true)
  })
})

/** JSON values where any property or array element may be `undefined`, as callers write them. */
const { withUndefined } = fc.letrec((tie) => ({
  withUndefined: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 8 }),
    fc.array(tie("withUndefined"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("withUndefined"), { maxKeys: 4 })
  )
}))
const dataWithUndefined = fc.dictionary(fc.string({ maxLength: 6 }), withUndefined, { maxKeys: 5 })

/** Whether `undefined` is found anywhere in a value (`toEqual` would not see an `undefined` property). */
const holdsUndefined = (u: unknown): boolean =>
  u === undefined ||
  (typeof u === "object" && u !== null &&
    (Array.isArray(u)
      ? Array.from(u, (item: unknown) => item).some(holdsUndefined)
      : Object.values(u).some(holdsUndefined)))

describe("undefined in data and tags", () => {
  it("the fast path never accepts what the schema refuses, and returns what the schema returns", () => {
    fc.assert(
      fc.property(fc.oneof(input, fc.anything(), fc.record({ type: eventType, data: dataWithUndefined })), (u) => {
        const fast = validateEventFast(u)
        if (fast === undefined) return
        expect(validateEvent(u)).toEqual(Either.right(fast))
        expect(holdsUndefined([fast.data ?? null, fast.tags ?? null])).toBe(false)
      }),
      { numRuns: 5_000 }
    )
  })

  it("both paths accept what JSON.stringify writes and return it as JSON.parse reads it back", () => {
    fc.assert(
      fc.property(
        dataWithUndefined,
        fc.dictionary(fc.string({ maxLength: 6 }), fc.option(fc.string({ maxLength: 8 }), { nil: undefined })),
        (data, tags) => {
          const u = { type: "chat.message", data, tags }
          const expected = { type: "chat.message", data: JSON.parse(JSON.stringify(data)), tags: JSON.parse(JSON.stringify(tags)) }
          const slow = Either.getOrThrow(validateEvent(u))
          const fast = validateEventFast(u)!
          // `toEqual` ignores undefined properties (and prototypes, null for some generated objects): hence `holdsUndefined`.
          expect(slow).toEqual(expected)
          expect(fast).toEqual(expected)
          expect(holdsUndefined([slow.data, slow.tags, fast.data, fast.tags])).toBe(false)
        }
      ),
      { numRuns: 2_000 }
    )
  })

  it("data: { maybe: undefined } is accepted by both paths and recorded as {}", () => {
    const u = { type: "chat.message", data: { maybe: undefined } }
    expect(isValidEvent(u)).toBe(false) // not as it is: it needs a copy
    expect(validateEventFast(u)).toStrictEqual({ type: "chat.message", data: {} })
    expect(validateEvent(u)).toStrictEqual(Either.right({ type: "chat.message", data: {} }))
  })

  it("an undefined array element becomes null, as JSON.stringify writes it, holes included", () => {
    // eslint-disable-next-line no-sparse-arrays
    const u = { type: "x", data: { list: [1, undefined, 3], sparse: [1, , 3], nested: [{ a: undefined, b: 2 }] } }
    const expected = { type: "x", data: { list: [1, null, 3], sparse: [1, null, 3], nested: [{ b: 2 }] } }
    expect(validateEventFast(u)).toStrictEqual(expected)
    expect(validateEvent(u)).toStrictEqual(Either.right(expected))
  })

  it("a tag whose value is undefined is left out and does not count toward the 32", () => {
    const tags: Record<string, string | undefined> = { env: undefined }
    for (let i = 0; i < 32; i++) tags[`t${i}`] = "v"
    const u = { type: "x", tags }
    const { env: _, ...kept } = tags
    expect(validateEventFast(u)).toStrictEqual({ type: "x", tags: kept })
    expect(validateEvent(u)).toStrictEqual(Either.right({ type: "x", tags: kept }))
  })

  it("data without undefined is not copied; with one, only the objects on its way are", () => {
    const clean = { type: "x", data: { a: { b: [1, 2] }, c: "d" } }
    expect(validateEventFast(clean)).toBe(clean)
    const shared = { b: [1, 2] }
    const list = [{ x: 1 }]
    const dirty = { type: "x", data: { shared, list, holder: { gone: undefined, kept: 1 } } }
    const fast = validateEventFast(dirty)!
    const slow = Either.getOrThrow(validateEvent(dirty))
    for (const result of [fast, slow]) {
      expect(result.data!["shared"]).toBe(shared)
      expect(result.data!["list"]).toBe(list)
      expect(result.data!["holder"]).toStrictEqual({ kept: 1 })
    }
    // The caller's object is left as it was.
    expect(Object.keys(dirty.data.holder)).toEqual(["gone", "kept"])
  })

  it("a __proto__ key survives the copy as data, never as a prototype", () => {
    const data = JSON.parse("{\"__proto__\": {\"polluted\": true}, \"gone\": null}") as Record<string, unknown>
    data["gone"] = undefined
    const result = validateEventFast({ type: "x", data })!
    expect(Object.getPrototypeOf(result.data)).toBe(Object.prototype)
    expect(Object.keys(result.data!)).toEqual(["__proto__"])
    expect(JSON.stringify(result.data)).toBe("{\"__proto__\":{\"polluted\":true}}")
  })

  it.each([
    ["a function", { gone: undefined, f: () => 1 }, ["data", "f"]],
    ["a cycle", (() => {
      const cyclic: Record<string, unknown> = { gone: undefined }
      cyclic["self"] = cyclic
      return cyclic
    })(), ["data", "self"]],
    ["a class instance", { gone: undefined, at: new (class Point {
      x = 1
    })() }, ["data", "at"]],
    ["NaN in an array beside undefined", { list: [undefined, Number.NaN] }, ["data", "list", 1]],
    ["Infinity", { gone: undefined, n: Infinity }, ["data", "n"]],
    ["a non-string tag", undefined, ["tags", "n"]]
  ] as const)("beside undefined, %s is still refused by both paths with its path", (_, data, path) => {
    const u = data === undefined ? { type: "x", tags: { gone: undefined, n: 1 } } : { type: "x", data }
    expect(validateEventFast(u)).toBeUndefined()
    const result = validateEvent(u)
    expect(Either.isLeft(result) && result.left.issues.map((i) => i.path)).toContainEqual(path)
  })
})
