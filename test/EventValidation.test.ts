import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import { isValidEvent, maxEventBytes, validateEvent } from "../src/schemas/EventValidation.js"

const eventType = fc.oneof(
  fc.constantFrom("chat.message", "error.timeout", "a", "x".repeat(128), "x".repeat(129), "", "has space", "é"),
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
    timestamp: fc.oneof(fc.double(), fc.nat(), fc.constantFrom(-0, -1, Number.NaN, Infinity)),
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
          timestamp: fc.nat()
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
})
