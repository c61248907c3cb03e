import { describe, expect, it } from "@effect/vitest"
import { describeThrown, showId } from "../src/transports/internal/failureText.js"
import { encodeJsonLines } from "../src/transports/internal/jsonLines.js"
import { Either } from "effect"

describe("describeThrown", () => {
  it("shows an Error as name: message, or its message alone", () => {
    expect(describeThrown(new TypeError("bad"))).toBe("TypeError: bad")
    expect(describeThrown(new TypeError("bad"), false)).toBe("bad")
  })

  it("never throws, even for a value String() cannot print", () => {
    expect(describeThrown(Object.create(null))).toBe("an unprintable value")
    expect(describeThrown(42)).toBe("42")
  })
})

describe("showId", () => {
  it("keeps a short printable id and quotes anything else, cut at 100 characters", () => {
    expect(showId("b-123")).toBe("b-123")
    expect(showId("a\r\nb")).toBe("\"a\\r\\nb\"")
    expect(showId(7)).toBe("7")
    expect(showId(undefined)).toBe("undefined")
    expect(showId("x ".repeat(100))).toHaveLength(101)
  })
})

describe("encodeJsonLines", () => {
  it("fails the whole batch with encode, naming the batch and the event", () => {
    const event = { id: "e2", data: { n: 1n } }
    const result = encodeJsonLines({ batchId: "b1", events: [{ id: "e1" }, event] as never })
    expect(Either.isLeft(result) && result.left).toMatchObject({ reason: "encode", retryable: false })
    expect(Either.isLeft(result) && result.left.message).toMatch(/^cannot encode batch b1: event e2: TypeError/)
  })
})
