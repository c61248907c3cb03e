/**
 * The collector and the HTTP transport together, against a real loopback server: what a receiver sees
 * when the network misbehaves. Real sockets, so real (short) retry delays: `it.scopedLive`.
 *
 * Every assertion counts attempts exactly, so a request the server did answer must never time out on the
 * client: on a loaded machine a loopback round trip can take hundreds of milliseconds. The request timeout
 * is therefore seconds long, and it is only as short as that where a test needs a hang to end.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, type Duration, Effect, Layer, Schema } from "effect"
import { Transport } from "../src/transports/Transport.js"
import { layerWithTransport } from "../src/layers/TelemetryLayers.js"
import { fromOptions } from "../src/schemas/TelemetryConfig.js"
import { BatchPayload } from "../src/schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import * as TestServer from "./support/TestServer.js"

const startAgainst = (url: string, requestTimeout: Duration.DurationInput = "10 seconds") =>
  Effect.gen(function*() {
    const config = yield* Effect.orDie(fromOptions({
      maxBatchSize: 10,
      retryBaseDelay: "10 millis",
      retryMaxDelay: "1 second",
      maxAttempts: 6,
      requestTimeout,
      // `flush` is how these tests wait for delivery: let it outlast every retry
      flushTimeout: "1 minute"
    }))
    const transport = Transport.http({ url, timeout: config.requestTimeout }).pipe(
      Layer.provide(NodeHttpClient.layerUndici)
    )
    const context = yield* Layer.build(layerWithTransport(config, transport))
    return Context.get(context, TelemetryCollector)
  })

const decode = Schema.decodeUnknownSync(BatchPayload)

describe("delivery over HTTP", () => {
  it.scopedLive("503, 429 with Retry-After, a hang and a reset are retried until every event arrives once", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      yield* server.script(
        TestServer.respond(503),
        TestServer.respond(429, { "retry-after": "1" }),
        TestServer.hang,
        TestServer.reset
      )
      const collector = yield* startAgainst(server.url, "3 seconds") // the hang costs one timeout
      for (let i = 0; i < 10; i++) {
        yield* collector.track({ type: "chat.message", data: { n: i, contact: `user${i}@example.com` } })
      }
      yield* collector.flush
      const received = yield* server.received
      expect(received.map((r) => r.reply)).toEqual(["respond", "respond", "hang", "reset", "respond"])
      const payloads = received.filter((r) => r.json !== undefined).map((r) => decode(r.json))
      // one batch throughout: same batchId and idempotency key on every attempt, a new sentAt each time
      expect(new Set(payloads.map((p) => p.batchId)).size).toBe(1)
      expect(new Set(received.map((r) => r.headers["idempotency-key"])).size).toBe(1)
      const delivered = payloads.at(-1)!
      expect(delivered.events.map((e) => e.data.n)).toEqual([...Array(10).keys()])
      expect(JSON.stringify(delivered)).not.toContain("@example.com")
      // Retry-After: 1 was honoured before the third attempt
      expect(payloads[2]!.sentAt - payloads[1]!.sentAt).toBeGreaterThanOrEqual(1_000)
      const stats = yield* collector.stats
      expect(stats).toMatchObject({ sent: 10, buffered: 0, batches: 1 })
      expect(stats.dropped.total).toBe(0)
    }))

  it.scopedLive("a 400 is counted as rejected and never retried; later batches still go", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      yield* server.script(TestServer.respond(400, {}, "bad batch"))
      const collector = yield* startAgainst(server.url)
      for (let i = 0; i < 15; i++) yield* collector.track({ type: "chat.message", data: { n: i } })
      yield* collector.flush
      expect((yield* server.received).length).toBe(2)
      const stats = yield* collector.stats
      expect(stats.dropped.rejected).toBe(10)
      expect(stats.sent).toBe(5)
    }))

  it.scopedLive("a 413 splits the batch; both halves arrive under derived batch ids", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      yield* server.script(TestServer.respond(413))
      const collector = yield* startAgainst(server.url)
      for (let i = 0; i < 10; i++) yield* collector.track({ type: "chat.message", data: { n: i } })
      yield* collector.flush
      const [first, ...rest] = (yield* server.received).map((r) => decode(r.json))
      expect(rest.map((p) => p.batchId)).toEqual([`${first!.batchId}.0`, `${first!.batchId}.1`])
      expect(rest.flatMap((p) => p.events.map((e) => e.data.n))).toEqual([...Array(10).keys()])
    }))
})
