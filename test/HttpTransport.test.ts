import { HttpClient, HttpClientResponse } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Http from "node:http"
import { Cause, Clock, Deferred, Effect, Exit, Fiber, Layer, Option, Schema, type Scope, TestClock } from "effect"
import {
  makePostTransport,
  maxBatchBytes
} from "../src/transports/HttpTransport.js"
import { HttpOptions } from "../src/transports/internal/httpOptions.js"
import { Transport } from "../src/transports/Transport.js"
import { TransportError } from "../src/schemas/errors.js"
import { type Batch, BatchPayload, type TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import * as UndiciClient from "../src/layers/UndiciClient.js"
import { listen } from "./support/listen.js"
import * as TestServer from "./support/TestServer.js"
import { hostileEvent } from "./support/Events.js"

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

/** The undici clients every test of a real exchange runs over: the platform's, and the Node layers' own. */
const undiciClients = [
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici],
  ["Telemetry.layerHttpClient", UndiciClient.layer]
] as const

/**
 * A fresh server and an HTTP transport pointed at it. The request timeout is long, so a loaded machine never
 * turns an answer into a timeout; the tests about timeouts set their own.
 */
const setup = (options: Partial<Transport.HttpOptions> = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer.make
    const transport = yield* Transport.makeHttp({ url: `${server.url}/v1/events`, timeout: "10 seconds", ...options })
    return { server, transport }
  })

/** Sends `batch` to a server answering `reply`, and returns the failure. */
const failureFor = (reply: TestServer.Reply, options: Partial<Transport.HttpOptions> = {}) =>
  Effect.gen(function*() {
    const { server, transport } = yield* setup(options)
    yield* server.always(reply)
    return yield* Effect.flip(transport.send(batch))
  }).pipe(Effect.withClock(frozenClock(now)))

describe.each(undiciClients)("HttpTransport over %s", (_, client) => {
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
    }).pipe(Effect.provide(client)))

  it.scopedLive("every 2xx status counts as delivered", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* server.script(TestServer.respond(201), TestServer.respond(202), TestServer.respond(204))
      yield* transport.send(batch)
      yield* transport.send(batch)
      yield* transport.send(batch)
      expect((yield* server.received).map((r) => r.reply)).toEqual(["respond", "respond", "respond"])
    }).pipe(Effect.provide(client)))

  it.scopedLive("a re-sent batch carries the same idempotency key and a new sentAt", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* transport.send(batch).pipe(Effect.withClock(frozenClock(now)))
      yield* transport.send(batch).pipe(Effect.withClock(frozenClock(now + 1_500)))
      const received = yield* server.received
      expect(received.map((r) => r.headers["idempotency-key"])).toEqual(["batch-1", "batch-1"])
      expect(received.map((r) => (r.json as BatchPayload).sentAt)).toEqual([now, now + 1_500])
    }).pipe(Effect.provide(client)))

  it.scopedLive("a 503 fails as a retryable status error carrying the status", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(503, {}, "overloaded"))
      expect(error).toMatchObject({ _tag: "TransportError", reason: "status", retryable: true, status: 503 })
      expect(error.retryAfterMillis).toBeUndefined()
      expect(error.message).toContain("overloaded")
    }).pipe(Effect.provide(client)))

  it.scopedLive("a 429 with Retry-After: 2 asks the collector to wait 2000 ms", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(429, { "retry-after": "2" }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 429, retryAfterMillis: 2000 })
    }).pipe(Effect.provide(client)))

  it.scopedLive("a Retry-After HTTP-date is measured from Clock time", () =>
    Effect.gen(function*() {
      const at = new Date(now + 7_000).toUTCString()
      const error = yield* failureFor(TestServer.respond(503, { "retry-after": at }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503, retryAfterMillis: 7_000 })
    }).pipe(Effect.provide(client)))

  it.scopedLive("a Retry-After longer than maxRetryAfter is capped", () =>
    Effect.gen(function*() {
      const capped = yield* failureFor(TestServer.respond(429, { "retry-after": "86400" }))
      expect(capped.retryAfterMillis).toBe(60_000)
      const custom = yield* failureFor(TestServer.respond(429, { "retry-after": "86400" }), {
        maxRetryAfter: "5 seconds"
      })
      expect(custom.retryAfterMillis).toBe(5_000)
    }).pipe(Effect.provide(client)))

  it.scopedLive("a malformed Retry-After is ignored", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(503, { "retry-after": "soon" }))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503 })
      expect(error.retryAfterMillis).toBeUndefined()
    }).pipe(Effect.provide(client)))

  it.scopedLive("a 413 fails as tooLarge, not retryable, so the collector splits the batch", () =>
    Effect.gen(function*() {
      const error = yield* failureFor(TestServer.respond(413))
      expect(error).toMatchObject({ reason: "tooLarge", retryable: false, status: 413 })
    }).pipe(Effect.provide(client)))

  const retryable = [408, 429, 500, 502, 503, 504, 599]
  const permanent = [400, 404, 409, 422, 501, 505]
  for (const status of [...retryable, ...permanent]) {
    const expected = retryable.includes(status)
    it.scopedLive(`a ${status} fails as a status error that is ${expected ? "" : "not "}retryable`, () =>
      Effect.gen(function*() {
        const error = yield* failureFor(TestServer.respond(status))
        expect(error).toMatchObject({ reason: "status", retryable: expected, status })
      }).pipe(Effect.provide(client)))
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
      expect(elapsed).toBeLessThan(10_000) // far below the hang itself, which never ends
      expect((yield* server.received).map((r) => r.reply)).toEqual(["hang"])
      // The client closed the hung connection itself: the server sees it go before the scope closes it.
      yield* server.hungRequestsAbandoned.pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "the hung request was never aborted" })
      )
    }).pipe(Effect.provide(client)))

  it.scopedLive("a connection reset fails as a retryable network error", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      yield* server.always(TestServer.reset)
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "network", retryable: true })
      expect(error.status).toBeUndefined()
      expect((yield* server.received).map((r) => r.reply)).toEqual(["reset"])
    }).pipe(Effect.provide(client)))

  it.scopedLive("a port with nothing listening fails as a retryable network error", () =>
    Effect.gen(function*() {
      const url = yield* TestServer.closedUrl
      const transport = yield* Transport.makeHttp({ url, timeout: "2 seconds" })
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "network", retryable: true })
      expect(error.message).toContain("ECONNREFUSED")
    }).pipe(Effect.provide(client)))

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
    }).pipe(Effect.provide(client)))

  it.scopedLive("a batch that cannot be encoded as JSON fails with encode, unsent and not retryable", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* setup()
      const unencodable = { batchId: "bad", events: [event("e1", { n: 1n } as unknown as TelemetryEvent["data"])] }
      const error = yield* Effect.flip(transport.send(unencodable))
      expect(error).toMatchObject({ reason: "encode", retryable: false })
      expect(yield* server.received).toHaveLength(0)
    }).pipe(Effect.provide(client)))
})

/** How a `streamingServer` answers: a status, then `bytes` of body; it ends the body only when `end` is set. */
interface StreamingReply {
  readonly status: number
  readonly bytes: number
  readonly end: boolean
  /** Send nothing until `release`. */
  readonly hold?: boolean
}

/** A `node:http` server answering every request with a streamed body, counting what it managed to write. */
interface StreamingServer {
  readonly url: string
  /** Succeeds once a request has arrived. */
  readonly requested: Effect.Effect<void>
  /** Lets a held answer go out. */
  readonly release: Effect.Effect<void>
  /** Body bytes handed to the socket so far. */
  readonly written: Effect.Effect<number>
  /** Whether the whole body was written and ended. */
  readonly finished: Effect.Effect<boolean>
  /** Succeeds once the answer's connection has closed. */
  readonly closed: Effect.Effect<void>
}

const mib = 1024 * 1024

const streamingServer = (reply: StreamingReply): Effect.Effect<StreamingServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Node's callbacks run outside any fiber: plain fields, read through Effect.sync.
    let written = 0
    let finished = false
    let onRequest = () => {}
    let onRelease = () => {}
    let onClose = () => {}
    const requested = new Promise<void>((resolve) => (onRequest = resolve))
    const released = new Promise<void>((resolve) => (onRelease = resolve))
    const closed = new Promise<void>((resolve) => (onClose = resolve))
    const chunk = Buffer.alloc(64 * 1024, "overloaded ")
    const server = Http.createServer((req, res) => {
      req.resume()
      req.on("end", async () => {
        onRequest()
        res.on("close", onClose)
        if (reply.hold === true) await released
        res.writeHead(reply.status, { "content-type": "text/plain" })
        const pump = (): void => {
          while (!res.destroyed && written < reply.bytes) {
            const piece = chunk.subarray(0, Math.min(chunk.length, reply.bytes - written))
            written += piece.length
            if (!res.write(piece)) return void res.once("drain", pump)
          }
          if (reply.end && !res.destroyed) {
            finished = true
            res.end()
          }
        }
        pump()
      })
    })
    const port = yield* listen(server)
    // Registered after the server's close, so run before it: a held answer goes out before the server stops.
    yield* Effect.addFinalizer(() => Effect.sync(onRelease))
    return {
      url: `http://127.0.0.1:${port}/v1/events`,
      requested: Effect.promise(() => requested),
      release: Effect.sync(onRelease),
      written: Effect.sync(() => written),
      finished: Effect.sync(() => finished),
      closed: Effect.promise(() => closed)
    }
  })

/** Fails with `what` if `effect` has not ended within 20 s of real time: a hang guard, not a timing assertion. */
const within = (what: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new Error(what) }),
    Effect.withClock(Clock.make())
  )

describe.each(undiciClients)("HttpTransport response bodies over %s", (_, client) => {
  // Far above the 64 KiB read plus the loopback socket buffers (~4 MB measured), far below what an unbounded
  // read pulls in (the whole 200 MB, or the 96 MB the endless server stops at).
  const bound = 24 * mib

  it.scopedLive("an endless 200 body is read only up to 64 KiB: the send returns and the client closes the connection", () =>
    Effect.gen(function*() {
      // The server stops at 96 MB without ending, so an unbounded reader is held until the guard fails it.
      const server = yield* streamingServer({ status: 200, bytes: 96 * mib, end: false })
      const transport = yield* Transport.makeHttp({ url: server.url, timeout: "60 seconds" })
      yield* transport.send(batch).pipe(within("the send was still reading the endless body"))
      yield* server.closed.pipe(within("the client never closed the connection"))
      expect(yield* server.written).toBeLessThan(bound)
      expect(yield* server.finished).toBe(false)
    }).pipe(Effect.provide(client)))

  it.scopedLive("a 503 with a 200 MB body fails with its status and an excerpt, reading only a bounded prefix", () =>
    Effect.gen(function*() {
      const server = yield* streamingServer({ status: 503, bytes: 200 * mib, end: true })
      const transport = yield* Transport.makeHttp({ url: server.url, timeout: "60 seconds" })
      const error = yield* Effect.flip(transport.send(batch)).pipe(within("the send was still reading the 200 MB body"))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503 })
      expect(error.message).toContain("answered 503: overloaded overloaded")
      expect(error.message.length).toBeLessThan(400)
      yield* server.closed.pipe(within("the client never closed the connection"))
      expect(yield* server.written).toBeLessThan(bound)
      expect(yield* server.finished).toBe(false)
    }).pipe(Effect.provide(client)))

  it.scopedLive("the same bound holds over the node:http client", () =>
    Effect.gen(function*() {
      const server = yield* streamingServer({ status: 200, bytes: 96 * mib, end: false })
      const transport = yield* Transport.makeHttp({ url: server.url, timeout: "60 seconds" })
      yield* transport.send(batch).pipe(within("the send was still reading the endless body"))
      yield* server.closed.pipe(within("the client never closed the connection"))
      expect(yield* server.written).toBeLessThan(bound)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("one deadline covers the request and its body: a body still arriving when it passes ends the attempt with the status", () =>
    Effect.gen(function*() {
      const server = yield* streamingServer({ status: 503, bytes: 7, end: false, hold: true })
      const answered = yield* Deferred.make<void>()
      const client = (yield* HttpClient.HttpClient).pipe(HttpClient.tap(() => Deferred.succeed(answered, undefined)))
      const transport = yield* Transport.makeHttp({ url: server.url, timeout: "10 seconds" }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const sending = yield* Effect.fork(Effect.flip(transport.send(batch)))
      yield* server.requested
      yield* TestClock.adjust("6 seconds")
      yield* server.release
      yield* Deferred.await(answered)
      // 11 s after the send began, 5 s after the status arrived, the body still open: the deadline has passed.
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(sending).pipe(within("the body held the send past its deadline"))
      expect(error).toMatchObject({ reason: "status", retryable: true, status: 503 })
      yield* server.closed.pipe(within("the client never closed the connection"))
    }).pipe(Effect.provide(client)))
})

describe("HttpTransport deadlines", () => {
  /** A client whose requests never answer, counting those cut short. */
  const hangingClient = Effect.sync(() => {
    let interrupted = 0
    const client = HttpClient.make(() => Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => void interrupted++))))
    return { client, interrupted: Effect.sync(() => interrupted) }
  })

  /** The test clock, counting the sleeps under way (the test clock keeps an interrupted sleep on its list). */
  const countingClock = Effect.map(TestClock.testClock(), (test) => {
    let sleeping = 0
    const clock: Clock.Clock = {
      [Clock.ClockTypeId]: Clock.ClockTypeId,
      unsafeCurrentTimeMillis: () => test.unsafeCurrentTimeMillis(),
      currentTimeMillis: test.currentTimeMillis,
      unsafeCurrentTimeNanos: () => test.unsafeCurrentTimeNanos(),
      currentTimeNanos: test.currentTimeNanos,
      sleep: (duration) =>
        Effect.suspend(() => {
          sleeping++
          return Effect.ensuring(test.sleep(duration), Effect.sync(() => void sleeping--))
        })
    }
    return { clock, sleeping: Effect.sync(() => sleeping) }
  })

  it.scoped("each request keeps its own deadline: one started later times out later", () =>
    Effect.gen(function*() {
      const { client, interrupted } = yield* hangingClient
      const transport = yield* Transport.makeHttp({ url: "http://127.0.0.1:9/v1/events", timeout: "10 seconds" }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const first = yield* Effect.fork(Effect.flip(transport.send(batch)))
      yield* TestClock.adjust("4 seconds")
      const second = yield* Effect.fork(Effect.flip(transport.send(batch)))
      yield* TestClock.adjust("6 seconds")
      expect(yield* Fiber.join(first)).toMatchObject({ reason: "timeout", retryable: true })
      expect(second.unsafePoll()).toBeNull()
      expect(yield* interrupted).toBe(1)
      yield* TestClock.adjust("4 seconds")
      expect(yield* Fiber.join(second)).toMatchObject({ reason: "timeout", retryable: true })
      expect(yield* interrupted).toBe(2)
    }))

  it.scoped("no timer outlives the requests: once the last one ends, nothing sleeps on the clock", () =>
    Effect.gen(function*() {
      const client = HttpClient.make((request) =>
        Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}", { status: 200, headers: { "content-length": "2" } })))
      )
      const { clock, sleeping } = yield* countingClock
      const transport = yield* Transport.makeHttp({ url: "http://127.0.0.1:9/v1/events", timeout: "10 seconds" }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const sendAll = Effect.all([transport.send(batch), transport.send(batch), transport.send(batch)], { concurrency: "unbounded" })
      yield* Effect.withClock(sendAll, clock)
      yield* Effect.yieldNow()
      expect(yield* sleeping).toBe(0)
      // and the next request is under a deadline again
      const { client: hanging } = yield* hangingClient
      const stuck = yield* Transport.makeHttp({ url: "http://127.0.0.1:9/v1/events", timeout: "1 second" }).pipe(
        Effect.provideService(HttpClient.HttpClient, hanging)
      )
      const sending = yield* Effect.fork(Effect.withClock(Effect.flip(stuck.send(batch)), clock))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(sending)).toMatchObject({ reason: "timeout" })
      yield* Effect.yieldNow()
      expect(yield* sleeping).toBe(0)
    }))

  it.scoped("interrupting a send interrupts its request and stops the deadline's timer", () =>
    Effect.gen(function*() {
      const { client, interrupted } = yield* hangingClient
      const { clock, sleeping } = yield* countingClock
      const transport = yield* Transport.makeHttp({ url: "http://127.0.0.1:9/v1/events", timeout: "10 seconds" }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
      const sending = yield* Effect.fork(Effect.withClock(transport.send(batch), clock))
      yield* TestClock.adjust("1 second")
      expect(yield* sleeping).toBe(1)
      yield* Fiber.interrupt(sending)
      expect(yield* interrupted).toBe(1)
      yield* Effect.yieldNow()
      expect(yield* sleeping).toBe(0)
    }))
})

describe("HttpTransport credentials", () => {
  for (const status of [401, 403, 407]) {
    it.scopedLive(`a ${status} fails as a retryable unauthorized error carrying the status, so the batch is kept`, () =>
      Effect.gen(function*() {
        const error = yield* failureFor(TestServer.respond(status, {}, "invalid token"))
        expect(error).toMatchObject({ reason: "unauthorized", retryable: true, status })
        expect(error.message).toContain(`answered ${status}`)
        expect(error.message).toContain("invalid token")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
  }

  it.scopedLive("a failure names the endpoint without its user-info or secret query values, in the message and the error", () =>
    Effect.gen(function*() {
      const url = yield* TestServer.closedUrl
      const withSecrets = `${url.replace("http://", "http://admin:hunter2@")}/v1/events?api_key=k-123456&region=eu`
      const transport = yield* Transport.makeHttp({ url: withSecrets, timeout: "2 seconds" })
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "network", retryable: true })
      expect(error.message).toContain(`POST ${url}/v1/events?api_key=[REDACTED]&region=eu failed`)
      for (const secret of ["admin", "hunter2", "k-123456"]) {
        expect(error.message).not.toContain(secret)
        expect(JSON.stringify(error)).not.toContain(secret)
      }
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("a status failure names the endpoint without its credentials", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      yield* server.always(TestServer.respond(503))
      const transport = yield* Transport.makeHttp({
        url: `${server.url.replace("http://", "http://admin:hunter2@")}/v1/events?token=t-123456`,
        timeout: "2 seconds"
      })
      const error = yield* Effect.flip(transport.send(batch))
      expect(error.message).toBe(`POST ${server.url}/v1/events?token=[REDACTED] answered 503`)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("credentials in the URL are sent as a Basic authorization header, not in the request line", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      const url = `${server.url.replace("http://", "http://admin:hunter%32@")}/v1/events`
      yield* (yield* Transport.makeHttp({ url })).send(batch)
      // A configured authorization header wins over the URL's credentials.
      yield* (yield* Transport.makeHttp({ url, headers: { Authorization: "Bearer t-1" } })).send(batch)
      const [fromUrl, configured] = yield* server.received
      expect(fromUrl?.path).toBe("/v1/events")
      expect(fromUrl?.headers["authorization"]).toBe(`Basic ${Buffer.from("admin:hunter2").toString("base64")}`)
      expect(configured?.headers["authorization"]).toBe("Bearer t-1")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scopedLive("an error body echoing our credentials or forging log lines is quoted without them", () =>
    Effect.gen(function*() {
      const token = "sk-live-0123456789abcdef"
      const echo = `bad token Bearer ${token} for http://admin:hunter2@example.com/x\r\nlevel=INFO msg=forged`
      const error = yield* failureFor(TestServer.respond(401, {}, echo), { headers: { authorization: `Bearer ${token}` } })
      expect(error.message).toContain("bad token [REDACTED] for http://example.com/x level=INFO msg=forged")
      for (const leaked of [token, "hunter2", "\r", "\n"]) expect(error.message).not.toContain(leaked)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})

/** An `HttpClient` answering 200 to everything without a network, recording the requests. */
const answeringClient = (requests: Array<{ readonly headers: Readonly<Record<string, string>> }> = []) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.sync(() => {
        requests.push({ headers: request.headers })
        return HttpClientResponse.fromWeb(request, new Response(null, { status: 200 }))
      })
    )
  )

describe("HttpTransport configuration", () => {
  const refused: ReadonlyArray<readonly [string, Readonly<Record<string, string>>, string, RegExp]> = [
    ["a CR LF in its value", { "x-api-key": "k-123456\r\nx-injected: 1" }, "x-api-key", /line break \(CR or LF\)/],
    ["a lone LF in its value", { authorization: "Bearer abc\ndef" }, "authorization", /line break/],
    ["a NUL in its value", { "x-token": "abc\u0000def" }, "x-token", /control character U\+0000/],
    ["a character beyond Latin-1 in its value", { "x-user": "Zoë €uro" }, "x-user", /U\+20AC/],
    ["a space in its name", { "x api key": "v" }, "\"x api key\"", /not a valid header name/],
    ["a CR LF in its name", { "x-a\r\nx-b": "v" }, "\"x-a\\r\\nx-b\"", /not a valid header name/],
    ["an empty name", { "": "v" }, "\"\"", /not a valid header name/],
    ["a framing header", { "Content-Length": "5" }, "Content-Length", /managed by the HTTP client/],
    ["transfer-encoding", { "transfer-encoding": "chunked" }, "transfer-encoding", /managed by the HTTP client/]
  ]
  for (const [what, headers, header, problem] of refused) {
    it.effect(`a header with ${what} fails the build with HttpTransportConfigError naming the header, never its value`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Transport.makeHttp({ url: "http://127.0.0.1:9/v1/events", headers }))
        expect(error).toBeInstanceOf(Transport.HttpConfigError)
        expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "headers", header })
        expect(error.message).toMatch(problem)
        for (const value of Object.values(headers)) if (value.length > 1) expect(error.message).not.toContain(value)
      }).pipe(Effect.provide(answeringClient())))
  }

  const badUrls: ReadonlyArray<readonly [string, string]> = [
    ["ftp://admin:hunter2@example.com/logs", "ftp://example.com/logs uses ftp:, not http: or https:"],
    ["not a url", "not a url is not an absolute http(s) URL"],
    ["/v1/events", "/v1/events is not an absolute http(s) URL"],
    ["http://admin:hunter2@:::/x?token=t-1", "http://:::/x?token=[REDACTED] is not an absolute http(s) URL"]
  ]
  for (const [url, reason] of badUrls) {
    it.effect(`the URL ${JSON.stringify(url)} fails the build with HttpTransportConfigError, credentials hidden`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Transport.makeHttp({ url }))
        expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "url", reason })
        expect(error.message).toBe(`option url: ${reason}`)
      }).pipe(Effect.provide(answeringClient())))
  }

  it.effect("Transport.http fails to build with the configuration error", () =>
    Effect.gen(function*() {
      const layer = Transport.http({ url: "http://127.0.0.1:9/", headers: { "x-key": "a\r\nb" } })
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "headers", header: "x-key" })
    }).pipe(Effect.provide(answeringClient())))

  it.scopedLive("valid headers are sent as given: tokens, Latin-1 text, surrounding spaces, a Host override", () =>
    Effect.gen(function*() {
      const server = yield* TestServer.make
      const headers = { authorization: "Bearer a.b-c_d~e+f/g=", "x-note": "café", "x-padded": "  kept  ", host: "example.test" }
      yield* (yield* Transport.makeHttp({ url: server.url, headers })).send(batch)
      const [request] = yield* server.received
      expect(request?.headers["authorization"]).toBe("Bearer a.b-c_d~e+f/g=")
      expect(request?.headers["x-padded"]).toBe("kept")
      expect(request?.headers["host"]).toBe("example.test")
      expect(request?.headers["x-note"]).toBe("café")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  for (const [name, client] of [...undiciClients, ["node:http", NodeHttpClient.layer]] as const) {
    it.scopedLive(`a batch id holding CR LF (an edited outbox) is sent with a percent-encoded idempotency-key over ${name}`, () =>
      Effect.gen(function*() {
        const server = yield* TestServer.make
        const transport = yield* Transport.makeHttp({ url: server.url, timeout: "2 seconds" })
        const exit = yield* Effect.exit(transport.send({ batchId: "b-1\r\nx: é", events: batch.events }))
        expect(exit).toStrictEqual(Exit.void)
        expect((yield* server.received).map((r) => r.headers["idempotency-key"])).toEqual(["b-1%0D%0Ax:%20%C3%A9"])
      }).pipe(Effect.provide(client)))
  }
})

describe("HttpTransport encoding", () => {
  /** The send's exit: a success or a TransportError failure, never a defect. */
  const expectTyped = (exit: Exit.Exit<unknown, TransportError>) => {
    if (Exit.isFailure(exit)) {
      const failure = Cause.failureOption(exit.cause)
      expect(Option.isSome(failure) && failure.value instanceof TransportError, Cause.pretty(exit.cause)).toBe(true)
      expect(Cause.isDie(exit.cause)).toBe(false)
    }
  }

  it.effect("an encoder that throws fails the send with encode, naming the batch, never as a defect", () =>
    Effect.gen(function*() {
      const transport = yield* makePostTransport(Schema.decodeSync(HttpOptions)({ url: "http://127.0.0.1:9/" }), () => {
        throw new RangeError("The number 1e+309 cannot be converted to a BigInt")
      })
      const exit = yield* Effect.exit(transport.send(batch))
      expectTyped(exit)
      const error = yield* Effect.flip(transport.send(batch))
      expect(error).toMatchObject({ reason: "encode", retryable: false })
      expect(error.message).toBe("cannot encode batch batch-1: RangeError: The number 1e+309 cannot be converted to a BigInt")
    }).pipe(Effect.provide(answeringClient())))

  it("no batch, whatever its timestamps, numbers, ids or strings, makes the send throw or die", async () => {
    const anyEvent = hostileEvent()
    const transport = await Effect.runPromise(
      Transport.makeHttp({ url: "http://127.0.0.1:9/" }).pipe(Effect.provide(answeringClient()))
    )
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.array(anyEvent, { maxLength: 4 }), async (batchId, events) => {
        const exit = await Effect.runPromiseExit(transport.send({ batchId, events: events as never }))
        expectTyped(exit)
      }),
      { numRuns: 300 }
    )
  })
})
