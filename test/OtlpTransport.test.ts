import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { ConfigProvider, Effect, Layer } from "effect"
import { TelemetryLive } from "../src/layers/TelemetryLive.js"
import { toExportLogsRequest } from "../src/layers/OtlpTransport.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import * as TestServer from "./support/TestServer.js"

interface LogRecord {
  readonly timeUnixNano: string
  readonly severityNumber: number
  readonly eventName: string
  readonly body: { readonly kvlistValue: { readonly values: ReadonlyArray<{ key: string; value: unknown }> } }
  readonly attributes: ReadonlyArray<{ key: string; value: { stringValue: string } }>
}
interface ExportLogsRequest {
  readonly resourceLogs: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<{ key: string; value: { stringValue: string } }> }
    readonly scopeLogs: ReadonlyArray<{ readonly scope: { name: string }; readonly logRecords: ReadonlyArray<LogRecord> }>
  }>
}

const attribute = (record: LogRecord, key: string) => record.attributes.find((a) => a.key === key)?.value.stringValue

describe("OTLP/HTTP transport", () => {
  it.scopedLive("TELEMETRY_TRANSPORT=otlp exports events as OTLP JSON log records to a collector", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      const env = ConfigProvider.fromMap(new Map([
        ["TELEMETRY_TRANSPORT", "otlp"],
        ["TELEMETRY_ENDPOINT", `${server.url}/v1/logs`],
        ["TELEMETRY_SERVICE_NAME", "assistant"],
        ["TELEMETRY_OUTBOX_DIR", Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-otlp-"))]
      ]))
      yield* Effect.gen(function*() {
        const telemetry = yield* TelemetryCollector
        yield* telemetry.track({
          type: "chat.message",
          userId: "u-1",
          timestamp: 1_700_000_000_123,
          tags: { plan: "pro" },
          data: { role: "user", tokens: 42, ratio: 0.5, ok: true, nested: { list: [1, "a", null] } }
        })
        yield* telemetry.track({ type: "error.provider", data: { status: 503 } })
      }).pipe(Effect.provide(Layer.provide(TelemetryLive, Layer.setConfigProvider(env))))
      const [request] = yield* server.received
      expect(request!.path).toBe("/v1/logs")
      expect(request!.headers["content-type"]).toBe("application/json")
      const body = request!.json as ExportLogsRequest
      const resource = body.resourceLogs[0]!
      expect(resource.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "assistant" } })
      const [chat, error] = resource.scopeLogs[0]!.logRecords
      expect(resource.scopeLogs[0]!.scope.name).toBe("effect-telemetry")
      expect(chat).toMatchObject({ timeUnixNano: "1700000000123000000", severityNumber: 9, eventName: "chat.message" })
      expect(chat!.body.kvlistValue.values).toEqual([
        { key: "role", value: { stringValue: "user" } },
        { key: "tokens", value: { intValue: "42" } },
        { key: "ratio", value: { doubleValue: 0.5 } },
        { key: "ok", value: { boolValue: true } },
        {
          key: "nested",
          value: {
            kvlistValue: {
              values: [{ key: "list", value: { arrayValue: { values: [{ intValue: "1" }, { stringValue: "a" }, {}] } } }]
            }
          }
        }
      ])
      expect(attribute(chat!, "user.id")).toBe("u-1")
      expect(attribute(chat!, "tag.plan")).toBe("pro")
      expect(attribute(chat!, "event.id")).toMatch(/^[0-9a-f-]{36}$/)
      expect(attribute(chat!, "telemetry.batch_id")).toBe(request!.headers["idempotency-key"])
      expect(error).toMatchObject({ severityNumber: 17, severityText: "ERROR", eventName: "error.provider" })
    }))

  it("an error tracker's severity maps to the OTLP severity number", () => {
    const request = toExportLogsRequest({
      batchId: "b",
      events: [{ id: "1", type: "error.captured", kind: "error", timestamp: 0, sessionId: "s", data: { severity: "CRITICAL" } }]
    }, 0)
    expect(request.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]).toMatchObject({ severityNumber: 21, severityText: "FATAL" })
  })
})
