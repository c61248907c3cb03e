import { describe, expect, it } from "@effect/vitest"
import { bounded, eventBudget } from "../../src/services/errors/Bounds.js"
import { maxEventBytes } from "../../src/schemas/EventValidation.js"

describe("Bounds", () => {
  it("bounded keeps a short text and cuts a long one to the bound, ending in …", () => {
    expect(bounded("short", 10)).toBe("short")
    const cut = bounded("x".repeat(20), 10)
    expect(cut).toHaveLength(10)
    expect(cut.endsWith("…")).toBe(true)
  })

  it("bounded never splits a surrogate pair", () => {
    const cut = bounded(`${"a".repeat(8)}😀😀😀`, 10)
    expect(cut).toBe(`${"a".repeat(8)}…`)
    expect(() => encodeURIComponent(cut)).not.toThrow()
  })

  it("the event budget leaves room under the collector's limit", () => {
    expect(eventBudget).toBeLessThan(maxEventBytes)
  })
})
