import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Schema } from "effect"
import {
  type HttpTransportOptions,
  makeHttpTransport,
  maxBatchBytes,
  parseRetryAfter
} from "../src/layers/HttpTransport.js"
import { type Batch, BatchPayload, type TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import * as TestServer from "./support/TestServer.js"

const event = (id: string, data: TelemetryEvent["data"] = { model: "gpt", tokens: 12 }): TelemetryEvent => ({
  id,
  type: "chat.message",
  kind: "custom",
  timestamp: 1_700_000_000_000,
  sessionId: "session-1",
  userId: "user-1",
  data,
  tags: { env: "test" }
})

const batch: Batch = { batchId: "batch-1", events: [event("e1"), event("e2")] }

/** A clock whose time stands still at `millis`, but whose sleeps (the request timeout) are real. */
const frozenClock = (millis: number): Clock.Clock => {
  const real = Clock.make()
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => millis,
    currentTimeMillis: Effect.succeed(millis),
    unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
    currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
    sleep: (duration) => real.sleep(duration)
  }
}

const now = Date.UTC(2026, 10, 3, 12, 0, 0)

/** A fresh server and an HTTP transport pointed at it, with a short request timeout. */
const setup = (options: Partial<HttpTransportOptions> = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer.make
    const transport = yield* makeHttpTransport({ url: `${server.url}/v1/events`, timeout: "200 millis", ...options })
    return { server, transport }
  })

/** Sends `batch` to a server answering `reply`, and returns the failure. */
const failureFor = (reply: TestServer.Reply, options: Partial<HttpTransportOptions> = {}) =>
  Effect.gen(function*() {
    const { server, transport } = yield* setup(options)
    yield* server.always(reply)
    return yield* Effect.flip(transport.send(batch))
  }).pipe(Effect.withClock(frozenClock(now)))

describe("HttpTransport", () => {
  it.scopedLive("a 200 delivers the batch as the JSON wire format, keyed by its batchId", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup({ headers: { authorization: "Bearer secret" } })
      yield* transport.send(batch).pipe(Effect.withClock(frozenClock(now)))

      const [request, ...others] = yield* server.received
      expect(others).toHaveLength(0)
      expect(request?.method).toBe("POST")
      expect(request?.path).toBe("/v1/events")
      expect(request?.headers["content-type"]).toBe("application/json")
      expect(request?.headers["idempotency-key"]).toBe("batch-1")
      expect(request?.headers["authorization"]).toBe("Bearer secret")
      expect(Number(request?.headers["content-length"])).toBe(Buffer.byteLength(request?.text ?? ""))
      const payload = yield* Schema.decodeUnknown(BatchPayload)(request?.json)
      expect(payload).toEqual({ batchId: "batch-1", sentAt: now, events: batch.events })
      expect(Object.keys(request?.json as object)).toEqual(["batchId", "sentAt", "events"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("every 2xx status counts as delivered", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* server.script(TestServer.respond(201), TestServer.respond(202), TestServer.respond(204))
      yield* transport.send(batch)
      yield* transport.send(batch)
      yield* transport.send(batch)
      expect((yield* server.received).map((r) => r.reply)).toEqual(["respond", "respond", "respond"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a re-sent batch carries the same idempotency key and a new sentAt", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* transport.send(batch).pipe(Effect.withClock(frozenClock(now)))
      yield* transport.send(batch).pipe(Effect.withClock(frozenClock(now + 1_500)))
      const received = yield* server.received
      expect(received.map((r) => r.headers["idempotency-key"])).toEqual(["batch-1", "batch-1"])
      expect(received.map((r) => (r.json as BatchPayload).sentAt)).toEqual([now, now + 1_500])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a 503 fails as a retryable status error carrying the status", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(503, {}, "overloaded"))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "status", retryable: true, status: 503 })
      expect(error.retryAfterMillis).toBeUndefined()
      expect(error.message).toContain("overloaded")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a 429 with Retry-After: 2 asks the collector to wait 2000 ms", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(429, { "retry-after": "2" }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 429, retryAfterMillis: 2000 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a Retry-After HTTP-date is measured from Clock time", () =>
    Effect.gen(function*() {
      const at = new Date(now + 7_000).toUTCString()
      const error = yield* failureFor(TestServer.respond(503, { "retry-after": at }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503, retryAfterMillis: 7_000 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a Retry-After longer than maxRetryAfter is capped", () =>
    Effect.gen(function*() {
      const capped = yield* failureFor(TestServer.respond(429, { "retry-after": "86400" }))
      expect(capped.retryAfterMillis).toBe(60_000)
      const custom = yield* failureFor(TestServer.respond(429, { "retry-after": "86400" }), {
        maxRetryAfter: "5 seconds"
      })
      expect(custom.retryAfterMillis).toBe(5_000)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a malformed Retry-After is ignored", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(503, { "retry-after": "soon" }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503 })
      expect(error.retryAfterMillis).toBeUndefined()
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a 413 fails as tooLarge, not retryable, so the collector splits the batch", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(413))
      expect(error).toMatchObject({ reason: "tooLarge", retryable: false, status: 413 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  const retryable = [408, 429, 500, 502, 503, 504, 599]
  const permanent = [400, 401, 403, 404, 409, 422, 501, 505]
  for (const status of [...retryable, ...permanent]) {
    const expected = retryable.includes(status)
    it.scopedLive(`a ${status} fails as a status error that is ${expected ? "" : "not "}retryable`, () =>
      Effect.gen(function*() {
        const error = yield* failureFor(TestServer.respond(status))
        expect(error).toMatchObject({ reason: "status", retryable: expected, status })
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  }

  it.scopedLive("no answer within the timeout fails as a retryable timeout and aborts the request", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup({ timeout: "200 millis" })
      yield* server.always(TestServer.hang)
      const started = yield* Clock.currentTimeMillis
      const error = yield* Effect.flip(transport.send(batch))
      const elapsed = (yield* Clock.currentTimeMillis) - started

      expect(error).toMatchObject({ reason: "timeout", retryable: true })
      expect(error.status).toBeUndefined()
      expect(elapsed).toBeGreaterThanOrEqual(190)
      expect(elapsed).toBeLessThan(2_000)
      expect((yield* server.received).map((r) => r.reply)).toEqual(["hang"])
      // The client closed the hung connection itself: the server sees it go before the scope closes it.
      yield* server.hungRequestsAbandoned.pipe(
        Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "the hung request was never aborted" })
      )
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a connection reset fails as a retryable network error", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* server.always(TestServer.reset)
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "network", retryable: true })
      expect(error.status).toBeUndefined()
      expect((yield* server.received).map((r) => r.reply)).toEqual(["reset"])
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a port with nothing listening fails as a retryable network error", () =>
    Effect.gen(function*() {
      const url = yield* TestServer.closedUrl
      const transport = yield* makeHttpTransport({ url, timeout: "2 seconds" })
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "network", retryable: true })
      expect(error.message).toContain("ECONNREFUSED")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("the transport also works over the node:http client", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* server.script(TestServer.respond(200), TestServer.respond(503), TestServer.reset)
      yield* transport.send(batch)
      expect(yield* Effect.flip(transport.send(batch))).toMatchObject({ reason: "status", status: 503 })
      expect(yield* Effect.flip(transport.send(batch))).toMatchObject({ reason: "network", retryable: true })
      expect((yield* server.received).map((r) => r.headers["idempotency-key"])).toEqual([
        "batch-1",
        "batch-1",
        "batch-1"
      ])
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scopedLive("a batch encoding to more than 500 KB fails as tooLarge without being sent", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      const big: Batch = { batchId: "big", events: [event("e1", { text: "x".repeat(maxBatchBytes) })] }
      const error = yield* Effect.flip(transport.send(big))
      expect(error).toMatchObject({ reason: "tooLarge", retryable: false })
      expect(error.status).toBeUndefined()
      expect(yield* server.received).toHaveLength(0)

      // Just under the limit still goes out.
      const overhead = JSON.stringify({ batchId: "big", sentAt: now, events: [event("e1", { text: "" })] }).length
      const fits: Batch = { batchId: "big", events: [event("e1", { text: "x".repeat(maxBatchBytes - overhead) })] }
      yield* transport.send(fits).pipe(Effect.withClock(frozenClock(now)))
      expect(yield* server.received).toHaveLength(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a batch that cannot be encoded as JSON fails with encode, unsent and not retryable", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      const unencodable = { batchId: "bad", events: [event("e1", { n: 1n } as unknown as TelemetryEvent["data"])] }
      const error = yield* Effect.flip(transport.send(unencodable))
      expect(error).toMatchObject({ reason: "encode", retryable: false })
      expect(yield* server.received).toHaveLength(0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

describe("parseRetryAfter", () => {
  const cap = 60_000

  it("reads delta-seconds", () => {
    expect(parseRetryAfter("2", now, cap)).toBe(2_000)
    expect(parseRetryAfter(" 0 ", now, cap)).toBe(0)
  })

  it("reads the three HTTP-date forms relative to the given time", () => {
    expect(parseRetryAfter("Tue, 03 Nov 2026 12:00:30 GMT", now, cap)).toBe(30_000)
    expect(parseRetryAfter("Tuesday, 03-Nov-26 12:00:30 GMT", now, cap)).toBe(30_000)
    expect(parseRetryAfter("Tue Nov  3 12:00:30 2026", now, cap)).toBe(30_000)
  })

  it("treats a date in the past as no wait", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now, cap)).toBe(0)
  })

  it("caps the wait", () => {
    expect(parseRetryAfter("3600", now, cap)).toBe(cap)
    expect(parseRetryAfter("Wed, 04 Nov 2026 12:00:00 GMT", now, cap)).toBe(cap)
    expect(parseRetryAfter("99999999999999999999999", now, cap)).toBe(cap)
  })

  it("rejects anything else", () => {
    for (const header of ["", "soon", "-5", "1.5", "2 seconds", "2026-11-03T12:00:30Z", "Tue, 03 Nov 2026 12:00:30"]) {
      expect(parseRetryAfter(header, now, cap), header).toBeUndefined()
    }
  })

  it("agrees with Date for the preferred IMF-fixdate form", () => {
    for (const offset of [1_000, 17_000, 59_000]) {
      expect(parseRetryAfter(new Date(now + offset).toUTCString(), now, cap)).toBe(offset)
    }
  })
})
