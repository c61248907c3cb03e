import { describe, expect, it } from "@effect/vitest"
import { typeNameOf } from "../../src/services/errors/ErrorValues.js"
import { categoryOfStatus, fromMessage, fromStructure, messageText } from "../../src/services/errors/Evidence.js"

describe("Evidence", () => {
  it("structure: a status, a code, a code on the cause, a name — each says what showed it", () => {
    expect(fromStructure({ status: 429 }, "")).toEqual({ category: "rate_limit", by: "status 429" })
    expect(fromStructure({ code: "ECONNRESET" }, "")).toEqual({ category: "network", by: "code ECONNRESET" })
    expect(fromStructure(new TypeError("fetch failed", { cause: { code: "ETIMEDOUT" } }), "fetch failed"))
      .toEqual({ category: "timeout", by: "cause code ETIMEDOUT" })
    expect(fromStructure({ name: "TokenExpiredError" }, "")).toEqual({ category: "authentication", by: "name TokenExpiredError" })
    expect(fromStructure(new Error("plain"), "plain")).toBeUndefined()
    expect(fromStructure("a string", "a string")).toBeUndefined()
  })

  it("message: a quoted status before the words, nothing for ordinary prose", () => {
    expect(fromMessage("503 Service Unavailable")).toEqual({ category: "api", by: "message status 503" })
    expect(fromMessage("connection refused by host")).toEqual({ category: "network", by: "message" })
    expect(fromMessage("Processed 404 records")).toBeUndefined()
    expect(fromMessage("")).toBeUndefined()
  })

  it("reads statuses, type names and message text of any value", () => {
    expect(categoryOfStatus(200)).toBeUndefined()
    expect(categoryOfStatus(418)).toBe("api")
    expect(typeNameOf({ _tag: "Boom", name: "Error" })).toBe("Boom")
    expect(typeNameOf({ _tag: "x".repeat(500) })).toHaveLength(200)
    expect(typeNameOf(42)).toBeUndefined()
    expect(messageText({ message: 7 })).toBe("")
    expect(messageText("text")).toBe("text")
  })
})
