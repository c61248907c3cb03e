import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { jsonByteLength } from "../../src/internal/json.js"
import type { JsonObject } from "../../src/schemas/TelemetryEvent.js"
import { eventBudget } from "../../src/services/errors/Bounds.js"
import { boundTags, capturedData, jsonBytesAtMost, type EventFacts, type Prepared, type Shared } from "../../src/services/errors/CapturedEvent.js"
import { classify } from "../../src/services/errors/Classification.js"
import { describeError } from "../../src/services/errors/ErrorDescription.js"

const leaf = describeError(new Error("CRITICAL: db of ann@example.com down")).leaves[0]!
const prepared: Prepared = {
  index: 0,
  leaf,
  classification: classify(leaf.error, leaf.kind),
  type: "Error",
  message: "CRITICAL: db of [EMAIL] down",
  fingerprint: "F"
}
const facts: EventFacts = {
  errorId: "e1",
  severity: "CRITICAL",
  category: "unknown",
  handled: true,
  reasons: [],
  omitted: 0,
  severityGiven: false,
  categoryGiven: false
}
const shared: Shared = {
  now: 1,
  userId: undefined,
  tags: undefined,
  mechanism: "captureError",
  context: {},
  breadcrumbs: [],
  composition: "single",
  causeId: undefined
}

describe("CapturedEvent", () => {
  it("classifiedBy names the evidence, drops the severity word a caller overrode, says override for a category", () => {
    expect(capturedData(prepared, facts, shared, (s) => s).classifiedBy).toBe("default, severity word critical")
    expect(capturedData(prepared, { ...facts, severityGiven: true }, shared, (s) => s).classifiedBy).toBe("default")
    expect(capturedData(prepared, { ...facts, categoryGiven: true }, shared, (s) => s).classifiedBy).toBe("override")
  })

  it("an oversized event is cut to the budget by its breadcrumbs first, its context kept while that suffices", () => {
    const crumb = { timestamp: 0, category: "c", message: "m".repeat(900), level: "INFO" as const }
    const big: Shared = { ...shared, breadcrumbs: Array.from({ length: 60 }, () => crumb), context: { blob: "x".repeat(2_000) } }
    const data = capturedData(prepared, facts, big, (s) => s)
    expect(jsonByteLength(data as unknown as JsonObject)).toBeLessThanOrEqual(eventBudget)
    expect(data.breadcrumbs.length).toBeGreaterThan(0)
    expect(data.breadcrumbs.length).toBeLessThan(60)
    expect(data.context).toEqual({ blob: "x".repeat(2_000) })
  })

  it("tags keep the first 32, bounded, and a __proto__ key stays a tag", () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v".repeat(2_000)]))
    const tags = boundTags(many)
    expect(Object.keys(tags)).toHaveLength(32)
    expect(tags.k0).toHaveLength(1_024)
    const proto = boundTags(JSON.parse("{\"__proto__\": \"x\"}") as Record<string, string>)
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype)
    expect(Object.keys(proto)).toEqual(["__proto__"])
  })
})

describe("jsonBytesAtMost", () => {
  it("never says an event fits when its JSON is larger than the limit", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 4_000 }), (value, limit) => {
        if (jsonBytesAtMost(value, limit)) expect(jsonByteLength(value as JsonObject)).toBeLessThanOrEqual(limit)
      })
    )
  })

  it("judges a capture's event without measuring it when it is far below the budget", () => {
    const data = capturedData(prepared, facts, shared, (s) => s)
    expect(jsonBytesAtMost(data, eventBudget)).toBe(true)
  })
})

describe("frames in the event", () => {
  it("are copies: editing them leaves the next capture of the same stack unchanged", () => {
    const first = capturedData(prepared, facts, shared, (s) => s)
    ;(first.frames[0] as { function?: string }).function = "edited"
    const second = capturedData(prepared, facts, shared, (s) => s)
    expect(second.frames[0]?.function).not.toBe("edited")
  })
})
