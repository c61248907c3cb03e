import { describe, expect, it } from "@effect/vitest"
import type { Batch, TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import { logRecords, nanosFromMillis } from "../../src/transports/otlp/Logs.js"

const event = (id: string, overrides: Partial<TelemetryEvent> & Record<string, unknown> = {}): TelemetryEvent => ({
  id,
  type: "chat.turn",
  kind: "custom",
  timestamp: 1_700_000_000_000,
  sessionId: "s-1",
  data: { n: 1 },
  ...overrides
} as TelemetryEvent)

const one = (e: TelemetryEvent) => logRecords({ batchId: "b", events: [e] }, 1_700_000_000_500)[0]!

describe("logRecords", () => {
  it("maps an event compactly: its type is the name, its data the body, no batch id per record", () => {
    const record = one(event("e1", { userId: "u", tags: { plan: "pro" } }))
    expect(record).toEqual({
      timeUnixNano: 1_700_000_000_000_000_000n,
      observedTimeUnixNano: 1_700_000_000_500_000_000n,
      severityNumber: 9,
      severityText: "INFO",
      eventName: "chat.turn",
      body: { n: 1 },
      attributes: { "event.id": "e1", "event.kind": "custom", "session.id": "s-1", "user.id": "u", "tag.plan": "pro" }
    })
  })

  it("severity follows the data's declared severity, else ERROR for errors and INFO for the rest", () => {
    const severity = (e: TelemetryEvent) => [one(e).severityNumber, one(e).severityText]
    expect(severity(event("a", { data: { severity: "WARNING" } }))).toEqual([13, "WARN"])
    expect(severity(event("b", { data: { severity: "DEBUG" } }))).toEqual([5, "DEBUG"])
    expect(severity(event("c", { kind: "error", type: "error.captured", data: {} }))).toEqual([17, "ERROR"])
    expect(severity(event("d", { kind: "error", data: { severity: "CRITICAL" } }))).toEqual([21, "FATAL"])
    expect(severity(event("e", { data: { severity: "constructor" } }))).toEqual([9, "INFO"])
    expect(severity(event("f", { data: { severity: "__proto__" } }))).toEqual([9, "INFO"])
  })

  it("links a record to the event's trace and span; malformed or all-zero ids are left out", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
    const spanId = "00f067aa0ba902b7"
    expect(one(event("a", { traceId, spanId }))).toMatchObject({ traceId, spanId })
    for (const ids of [
      { traceId: traceId.toUpperCase(), spanId },
      { traceId: "0".repeat(32), spanId },
      { traceId: traceId.slice(1), spanId },
      { spanId }
    ]) {
      const record = one(event("b", ids))
      expect(record.traceId).toBeUndefined()
      expect(record.spanId).toBeUndefined()
    }
    expect(one(event("c", { traceId, spanId: "0".repeat(16) }))).toMatchObject({ traceId })
    expect(one(event("c", { traceId, spanId: "0".repeat(16) })).spanId).toBeUndefined()
  })

  it("error events carry exception.type, exception.message and the stack as text from their frames", () => {
    const record = one(event("e", {
      type: "error.captured",
      kind: "error",
      data: {
        type: "TypeError",
        message: "x is undefined",
        frames: [
          { function: "handle", file: "/app/chat.js", line: 10, column: 5, inApp: true },
          { file: "node:internal/timers", line: 3, inApp: false },
          { function: "native", inApp: false }
        ]
      }
    }))
    expect(record.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": "x is undefined",
      "exception.stacktrace": [
        "TypeError: x is undefined",
        "    at handle (/app/chat.js:10:5)",
        "    at node:internal/timers:3",
        "    at native"
      ].join("\n")
    })
  })

  it("an error's stack string is its stacktrace as is; an error without frames or stack has none", () => {
    const stack = "Error: boom\n    at f (a.js:1:1)"
    expect(one(event("e", { kind: "error", data: { type: "Error", message: "boom", stack } })).attributes)
      .toMatchObject({ "exception.stacktrace": stack })
    const bare = one(event("f", { kind: "error", type: "error.repeated", data: { type: "E", message: "m", frames: [] } }))
    expect(bare.attributes).toMatchObject({ "exception.type": "E", "exception.message": "m" })
    expect(Object.keys(bare.attributes)).not.toContain("exception.stacktrace")
    expect(Object.keys(one(event("g", { data: { type: "E", message: "m" } })).attributes)).not.toContain("exception.type")
  })

  it("a timestamp OTLP cannot hold is a RangeError naming the event", () => {
    for (const timestamp of [-1, NaN, Infinity, 1e306, 18_446_744_073_710]) {
      expect(() => one(event("bad-event", { timestamp }))).toThrow(RangeError)
      expect(() => one(event("bad-event", { timestamp }))).toThrow(/event bad-event/)
    }
    expect(() => logRecords({ batchId: "b", events: [] } satisfies Batch, -5)).toThrow(RangeError)
  })

  it("times keep microseconds and reach the last representable one", () => {
    expect(nanosFromMillis(1.0015, "t")).toBe(1_002_000n)
    expect(nanosFromMillis(0, "t")).toBe(0n)
    expect(nanosFromMillis(18_446_744_073_709, "t")).toBe(18_446_744_073_709_000_000n)
  })
})
