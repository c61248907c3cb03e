import { describe, expect, it } from "@effect/vitest"
import type { Signal } from "../../src/transports/otlp/Model.js"
import { partialSuccess } from "../../src/transports/otlp/Response.js"
import { proto } from "./wire-support.js"

const responseType = {
  logs: [proto.collector.logs.v1.ExportLogsServiceResponse, "rejectedLogRecords"],
  traces: [proto.collector.trace.v1.ExportTraceServiceResponse, "rejectedSpans"],
  metrics: [proto.collector.metrics.v1.ExportMetricsServiceResponse, "rejectedDataPoints"]
} as const

const officialBytes = (signal: Signal, partial: object | undefined): Uint8Array => {
  const [type] = responseType[signal]
  return type.encode(type.fromObject(partial === undefined ? {} : { partialSuccess: partial })).finish()
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe("partialSuccess", () => {
  for (const signal of ["logs", "traces", "metrics"] as const) {
    const [, rejectedKey] = responseType[signal]

    it(`reads a ${signal} response encoded by the official protos`, () => {
      const body = officialBytes(signal, { [rejectedKey]: 3, errorMessage: "3 items too old ✗" })
      expect(partialSuccess(body, "protobuf", signal)).toEqual({ rejected: 3, message: "3 items too old ✗" })
    })

    it(`reads a ${signal} response in OTLP/JSON (int64 as a string or a number, snake_case too)`, () => {
      expect(partialSuccess(json({ partialSuccess: { [rejectedKey]: "12", errorMessage: "late" } }), "json", signal))
        .toEqual({ rejected: 12, message: "late" })
      expect(partialSuccess(json({ partialSuccess: { [rejectedKey]: 2 } }), "json", signal))
        .toEqual({ rejected: 2, message: "" })
      const snake = rejectedKey.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
      expect(partialSuccess(json({ partial_success: { [snake]: "1", error_message: "x" } }), "json", signal))
        .toEqual({ rejected: 1, message: "x" })
    })
  }

  it("a message alone (zero rejected) is a warning worth reporting", () => {
    expect(partialSuccess(officialBytes("logs", { errorMessage: "deprecated field" }), "protobuf", "logs"))
      .toEqual({ rejected: 0, message: "deprecated field" })
    expect(partialSuccess(json({ partialSuccess: { errorMessage: "w" } }), "json", "logs")).toEqual({ rejected: 0, message: "w" })
  })

  it("is undefined when there is no partial success: empty body, absent, or zero with no message", () => {
    expect(partialSuccess(new Uint8Array(), "protobuf", "logs")).toBeUndefined()
    expect(partialSuccess(new Uint8Array(), "json", "logs")).toBeUndefined()
    expect(partialSuccess(officialBytes("logs", undefined), "protobuf", "logs")).toBeUndefined()
    expect(partialSuccess(officialBytes("logs", {}), "protobuf", "logs")).toBeUndefined()
    expect(partialSuccess(json({}), "json", "logs")).toBeUndefined()
    expect(partialSuccess(json({ partialSuccess: {} }), "json", "logs")).toBeUndefined()
    expect(partialSuccess(json({ partialSuccess: { rejectedLogRecords: "0", errorMessage: "" } }), "json", "logs"))
      .toBeUndefined()
  })

  it("a rejected count named for another signal is not read as this one's", () => {
    expect(partialSuccess(json({ partialSuccess: { rejectedSpans: "4" } }), "json", "logs")).toBeUndefined()
  })

  it("skips unknown fields around the partial success", () => {
    const known = officialBytes("traces", { rejectedSpans: 5 })
    // field 7 varint 1, field 9 fixed64, field 3 length-delimited "ab", field 4 fixed32, then the real one
    const extra = new Uint8Array([0x38, 0x01, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 0x02, 0x61, 0x62, 0x25, 1, 2, 3, 4])
    expect(partialSuccess(new Uint8Array([...extra, ...known]), "protobuf", "traces")).toEqual({ rejected: 5, message: "" })
  })

  it("never throws on an unreadable body: it is undefined", () => {
    const cases: ReadonlyArray<readonly [Uint8Array, "json" | "protobuf"]> = [
      [new TextEncoder().encode("<html>502 Bad Gateway</html>"), "json"],
      [new TextEncoder().encode("<html>502 Bad Gateway</html>"), "protobuf"],
      [new Uint8Array([0x0a, 0x05, 0x08]), "protobuf"], // submessage longer than the body
      [new Uint8Array([0x0a, 0x02, 0x12, 0x05]), "protobuf"], // string longer than its submessage
      [new Uint8Array([0x0a, 0x02, 0x12, 0x01, 0xff]), "protobuf"], // message is not UTF-8 (truncated)
      [new Uint8Array([0x0a, 0x03, 0x12, 0x01, 0xff]), "protobuf"], // message is not UTF-8
      [new Uint8Array(Array.from({ length: 12 }, () => 0xff)), "protobuf"], // endless varint
      [json({ partialSuccess: { rejectedLogRecords: "many" } }), "json"],
      [json({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 42 } }), "json"],
      [json([1, 2]), "json"],
      [json("text"), "json"]
    ]
    for (const [body, encoding] of cases) expect(partialSuccess(body, encoding, "logs")).toBeUndefined()
  })
})
