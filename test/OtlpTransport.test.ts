import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Cause, ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { TelemetryLive } from "../src/layers/TelemetryLive.js"
import { Transport } from "../src/transports/Transport.js"
import { TransportError } from "../src/schemas/errors.js"
import type { Batch, TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import * as TestServer from "./support/TestServer.js"
import { hostileEvent } from "./support/Events.js"

interface LogRecord {
  readonly timeUnixNano: string
  readonly observedTimeUnixNano: string
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
        ["TELEMETRY_OTLP_PROTOCOL", "http/json"],
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
      // The metrics exporter closes first (its request comes first); the logs follow with the final flush.
      const received = yield* server.received
      const [request] = received.filter((r) => r.path === "/v1/logs")
      expect(request!.path).toBe("/v1/logs")
      // TelemetryLive with otlp also exports the collector's books as metrics, once more when it closes.
      const metrics = received.find((r) => r.path === "/v1/metrics")?.json as {
        resourceMetrics: ReadonlyArray<{ scopeMetrics: ReadonlyArray<{ metrics: ReadonlyArray<{ name: string }> }> }>
      }
      expect(metrics.resourceMetrics[0]!.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name))).toContain(
        "effect_telemetry.events"
      )
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
      expect(request!.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/)
      expect(error).toMatchObject({ severityNumber: 17, severityText: "ERROR", eventName: "error.provider" })
    }))
})

const otlpEvent = (overrides: Partial<TelemetryEvent> = {}): TelemetryEvent => ({
  id: "e1",
  type: "chat.message",
  kind: "custom",
  timestamp: 1_700_000_000_000,
  sessionId: "s",
  data: {},
  ...overrides
})

/** An `HttpClient` answering 200 to everything without a network, counting the requests. */
const answeringClient = (sent: { count: number }) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.sync(() => {
        sent.count++
        return HttpClientResponse.fromWeb(request, new Response(null, { status: 200 }))
      })
    )
  )

/** The send's exit is a success or a TransportError failure, never a defect. */
const expectTyped = (exit: Exit.Exit<unknown, TransportError>) => {
  if (Exit.isFailure(exit)) {
    expect(Cause.isDie(exit.cause), Cause.pretty(exit.cause)).toBe(false)
    const failure = Cause.failureOption(exit.cause)
    expect(Option.isSome(failure) && failure.value instanceof TransportError, Cause.pretty(exit.cause)).toBe(true)
  }
}

describe("OTLP encoding", () => {
  const unencodable: ReadonlyArray<readonly [string, number]> = [
    ["1e306 ms", 1e306],
    ["after 2554 (beyond 64-bit nanoseconds)", 1.9e13],
    ["negative", -1],
    ["NaN", NaN],
    ["Infinity", Infinity]
  ]
  for (const [what, timestamp] of unencodable) {
    it.effect(`a timestamp OTLP cannot hold (${what}) fails the send with encode naming batch and event, unsent, never a defect`, () =>
      Effect.gen(function*() {
        const sent = { count: 0 }
        const transport = yield* Transport.makeOtlp({ url: "http://127.0.0.1:9/v1/logs" }).pipe(
          Effect.provide(answeringClient(sent))
        )
        const batch: Batch = { batchId: "b-7", events: [otlpEvent(), otlpEvent({ id: "e-bad", timestamp })] }
        const exit = yield* Effect.exit(transport.send(batch))
        expectTyped(exit)
        const error = yield* Effect.flip(exit)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "encode", retryable: false })
        expect(error.message).toBe(
          `cannot encode batch b-7: RangeError: event e-bad: timestamp ${timestamp} ms is outside OTLP's unsigned 64-bit nanoseconds`
        )
        expect(sent.count).toBe(0)
      }))
  }

  it.effect("Transport.makeOtlp refuses a header holding CR LF at build, naming the header", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Transport.makeOtlp({ url: "http://127.0.0.1:9/v1/logs", headers: { "x-api-key": "k\r\nx: 1" } })
      )
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "headers", header: "x-api-key" })
    }).pipe(Effect.provide(answeringClient({ count: 0 }))))

  it("no batch, whatever its timestamps, numbers, ids or strings, makes the OTLP send throw or die", async () => {
    const anyEvent = hostileEvent(fc.oneof(fc.string(), fc.constant("severity")))
    const transport = await Effect.runPromise(
      Transport.makeOtlp({ url: "http://127.0.0.1:9/v1/logs" }).pipe(Effect.provide(answeringClient({ count: 0 })))
    )
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.array(anyEvent, { maxLength: 4 }), async (batchId, events) => {
        expectTyped(await Effect.runPromiseExit(transport.send({ batchId, events: events as never })))
      }),
      { numRuns: 300 }
    )
  })
})

describe("OTLP resource", () => {
  it.scopedLive("TELEMETRY_RELEASE and TELEMETRY_ENVIRONMENT reach the resource, and with TELEMETRY_TAGS every record's tags", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      const env = ConfigProvider.fromMap(new Map([
        ["TELEMETRY_TRANSPORT", "otlp"],
        ["TELEMETRY_ENDPOINT", `${server.url}/v1/logs`],
        ["TELEMETRY_RELEASE", "1.4.2"],
        ["TELEMETRY_ENVIRONMENT", "production"],
        ["TELEMETRY_OTLP_PROTOCOL", "http/json"],
        ["TELEMETRY_TAGS", "team=ai"],
        ["TELEMETRY_OUTBOX_DIR", Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-otlp-"))]
      ]))
      yield* Effect.flatMap(TelemetryCollector, (telemetry) => telemetry.track({ type: "chat.message" })).pipe(
        Effect.provide(Layer.provide(TelemetryLive, Layer.setConfigProvider(env)))
      )
      const [request] = (yield* server.received).filter((r) => r.path === "/v1/logs")
      const resource = (request!.json as ExportLogsRequest).resourceLogs[0]!
      expect(resource.resource.attributes).toContainEqual({ key: "service.version", value: { stringValue: "1.4.2" } })
      expect(resource.resource.attributes).toContainEqual({
        key: "deployment.environment.name",
        value: { stringValue: "production" }
      })
      const [record] = resource.scopeLogs[0]!.logRecords
      expect([attribute(record!, "tag.release"), attribute(record!, "tag.environment"), attribute(record!, "tag.team")])
        .toEqual(["1.4.2", "production", "ai"])
    }))
})
