/**
 * The OTLP status policy, timed with a fake `HttpClient` under `TestClock`: which answers a transport
 * or an exporter retries, how long it waits for a `Retry-After`, and that a collector outage loses no
 * event (the wire itself is tested over real sockets in `transport-wire.test.ts`).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import { layerCollector } from "../../src/layers/TelemetryLayers.js"
import { fromOptions } from "../../src/schemas/TelemetryConfig.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { OtlpExport } from "../../src/transports/otlp/Exporters.js"
import { Transport } from "../../src/transports/Transport.js"

type Answer = number | readonly [number, Readonly<Record<string, string>>] | "refused"

/** A client answering from a script (then 200), recording the path and the virtual time of every request. */
const scriptedClient = (...script: ReadonlyArray<Answer>) => {
  const queue = [...script]
  /** While true, every connection is refused (a collector outage). */
  const outage = { down: false }
  const requests: Array<{ readonly path: string; readonly at: number }> = []
  const layer = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.gen(function*() {
        const at = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        requests.push({ path: new URL(request.url).pathname, at })
        const answer = outage.down ? "refused" : queue.shift() ?? 200
        if (answer === "refused") {
          return yield* new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("ECONNREFUSED") })
        }
        const [status, headers] = typeof answer === "number" ? [answer, {}] : answer
        return HttpClientResponse.fromWeb(request, new Response(null, { status, headers }))
      })
    )
  )
  return { layer, requests, outage }
}

/** Runs `effect` while virtual time passes in one-second steps (sleeps it schedules late still elapse). */
const withTimePassing = <A, E, R>(effect: Effect.Effect<A, E, R>, seconds: number) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < seconds; i++) yield* TestClock.adjust("1 second")
    return yield* Fiber.join(fiber)
  })

const event = { id: "e1", type: "chat.message", kind: "custom" as const, timestamp: 1_700_000_000_000, sessionId: "s", data: {} }

describe("OTLP transport status policy", () => {
  for (const status of [429, 502, 503, 504]) {
    it.effect(`a ${status} fails the attempt as retryable`, () =>
      Effect.gen(function*() {
        const client = scriptedClient(status)
        const transport = yield* Transport.makeOtlp({ endpoint: "http://collector:4318" }).pipe(Effect.provide(client.layer))
        const error = yield* Effect.flip(transport.send({ batchId: "b", events: [event] }))
        expect(error).toMatchObject({ reason: "status", status, retryable: true })
        expect(client.requests.map((r) => r.path)).toEqual(["/v1/logs"])
      }))
  }

  for (const status of [400, 404, 500, 501, 505, 408]) {
    it.effect(`a ${status} fails the attempt as final (the HTTP transport would retry a 500 and a 408)`, () =>
      Effect.gen(function*() {
        const client = scriptedClient(status)
        const transport = yield* Transport.makeOtlp({ endpoint: "http://collector:4318" }).pipe(Effect.provide(client.layer))
        const error = yield* Effect.flip(transport.send({ batchId: "b", events: [event] }))
        expect(error).toMatchObject({ reason: "status", status, retryable: false })
      }))
  }

  it.effect("the HTTP transport keeps retrying a 500", () =>
    Effect.gen(function*() {
      const client = scriptedClient(500)
      const transport = yield* Transport.makeHttp({ url: "http://receiver/events" }).pipe(Effect.provide(client.layer))
      const error = yield* Effect.flip(transport.send({ batchId: "b", events: [event] }))
      expect(error).toMatchObject({ reason: "status", status: 500, retryable: true })
    }))
})

const collectorOver = (client: ReturnType<typeof scriptedClient>, options: Parameters<typeof fromOptions>[0] = {}) =>
  Layer.unwrapEffect(Effect.map(
    fromOptions({ flushInterval: "1 hour", retryBaseDelay: "500 millis", retryMaxDelay: "30 seconds", ...options }),
    (config) => layerCollector(config, Transport.otlp({ endpoint: "http://collector:4318" }).pipe(Layer.provide(client.layer)))
  ))

describe("OTLP through the collector", () => {
  it.scoped("a 500 is not retried: the batch is dropped as rejected after one request", () =>
    Effect.gen(function*() {
      const client = scriptedClient(500)
      const stats = yield* Effect.gen(function*() {
        const telemetry = yield* TelemetryCollector
        yield* telemetry.track({ type: "chat.message" })
        yield* telemetry.flush
        return yield* telemetry.stats
      }).pipe(Effect.provide(collectorOver(client)))
      expect(client.requests).toHaveLength(1)
      expect(stats).toMatchObject({ sent: 0, dropped: { rejected: 1 } })
    }))

  it.scoped("a 503 with Retry-After: 3 is retried 3 seconds later, not before", () =>
    Effect.gen(function*() {
      const client = scriptedClient([503, { "retry-after": "3" }])
      yield* Effect.gen(function*() {
        const telemetry = yield* TelemetryCollector
        yield* telemetry.track({ type: "chat.message" })
        const flushing = yield* Effect.fork(telemetry.flush)
        yield* TestClock.adjust("2999 millis")
        expect(client.requests).toHaveLength(1)
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(flushing)
        expect(client.requests.map((r) => r.at)).toEqual([0, 3000])
        expect(yield* telemetry.stats).toMatchObject({ sent: 1, dropped: { total: 0 } })
      }).pipe(Effect.provide(collectorOver(client, { flushTimeout: "1 minute" })))
    }))

  it.scoped("a collector outage loses nothing: batches wait in the outbox and are all sent once it answers", () =>
    Effect.gen(function*() {
      const client = scriptedClient()
      client.outage.down = true
      yield* Effect.gen(function*() {
        const telemetry = yield* TelemetryCollector
        for (let i = 0; i < 120; i++) yield* telemetry.track({ type: "chat.message", data: { i } })
        yield* withTimePassing(telemetry.flush, 10)
        const during = yield* telemetry.stats
        expect(during).toMatchObject({ offline: true, sent: 0, dropped: { total: 0 } })
        expect(during.outboxed + during.buffered).toBe(120)
        client.outage.down = false
        yield* TestClock.adjust("5 minutes")
        yield* withTimePassing(telemetry.flush, 10)
        const after = yield* telemetry.stats
        expect(after).toMatchObject({ offline: false, sent: 120, outboxed: 0, buffered: 0, dropped: { total: 0 } })
      }).pipe(Effect.provide(collectorOver(client, { maxAttempts: 2, maxBatchSize: 50 })))
    }))
})

describe("OTLP exporters' retries", () => {
  const exporterOver = (client: ReturnType<typeof scriptedClient>) =>
    OtlpExport.layer({ endpoint: "http://collector:4318", metricsInterval: "1 hour" }).pipe(Layer.provide(client.layer))

  it.scoped("a metrics export is retried at most twice on 503, then given up and counted", () =>
    Effect.gen(function*() {
      const client = scriptedClient(503, 503, 503)
      yield* Effect.gen(function*() {
        const otlp = yield* OtlpExport
        yield* withTimePassing(otlp.exportMetrics, 10)
        expect(client.requests.map((r) => r.path)).toEqual(["/v1/metrics", "/v1/metrics", "/v1/metrics"])
        expect((yield* otlp.stats).metrics).toEqual({ exported: 0, failed: 1 })
      }).pipe(Effect.provide(exporterOver(client)))
    }))

  it.scoped("a metrics export answered 500 is not retried", () =>
    Effect.gen(function*() {
      const client = scriptedClient(500)
      yield* Effect.gen(function*() {
        const otlp = yield* OtlpExport
        yield* otlp.exportMetrics
        expect(client.requests).toHaveLength(1)
        expect((yield* otlp.stats).metrics).toEqual({ exported: 0, failed: 1 })
      }).pipe(Effect.provide(exporterOver(client)))
    }))

  it.scoped("a metrics export answered 429 with Retry-After: 10 tries again 10 seconds later", () =>
    Effect.gen(function*() {
      const client = scriptedClient([429, { "retry-after": "10" }])
      yield* Effect.gen(function*() {
        const otlp = yield* OtlpExport
        const exporting = yield* Effect.fork(otlp.exportMetrics)
        yield* TestClock.adjust("9999 millis")
        expect(client.requests).toHaveLength(1)
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(exporting)
        expect(client.requests.map((r) => r.at)).toEqual([0, 10_000])
        expect((yield* otlp.stats).metrics).toEqual({ exported: 1, failed: 0 })
      }).pipe(Effect.provide(exporterOver(client)))
    }))

  it.scoped("metrics are exported every metricsInterval, and once more when the layer closes", () =>
    Effect.gen(function*() {
      const client = scriptedClient()
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(
          OtlpExport.layer({ endpoint: "http://collector:4318", metricsInterval: "1 minute" }).pipe(Layer.provide(client.layer))
        )
        yield* TestClock.adjust("59 seconds")
        expect(client.requests).toHaveLength(0)
        yield* TestClock.adjust("2 minutes")
        expect(client.requests.map((r) => r.at)).toEqual([60_000, 120_000])
      }))
      expect(client.requests).toHaveLength(3)
    }))
})
