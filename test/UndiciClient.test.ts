/**
 * The Node layers' `HttpClient` (`Telemetry.layerHttpClient`) against a real `node:http` server on
 * 127.0.0.1: what a request carries, every way of reading an answer (a body read once, shared by its
 * readers), failures as the platform's typed errors, and interruption aborting the request. The transports'
 * own behaviour over this client is covered by `HttpTransport.test.ts` and the fault suite.
 */
import { Cookies, HttpClient, HttpClientRequest, UrlParams } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as Http from "node:http"
import { Chunk, Deferred, Effect, Fiber, Option, Stream } from "effect"
import * as UndiciClient from "../src/layers/UndiciClient.js"
import { listen } from "./support/listen.js"

/** A server answering every request with `answer`, recording what arrived; it closes with the scope. */
const serve = (answer: (req: Http.IncomingMessage, body: string, res: Http.ServerResponse) => void) =>
  Effect.gen(function*() {
    const received: Array<{ method: string; path: string; headers: Http.IncomingHttpHeaders; body: string }> = []
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body })
        answer(req, body, res)
      })
    })
    const port = yield* listen(server)
    return { url: `http://127.0.0.1:${port}`, received: Effect.sync(() => [...received]) }
  })

const client: Effect.Effect<HttpClient.HttpClient, never, HttpClient.HttpClient> = HttpClient.HttpClient

describe("UndiciClient", () => {
  it.scopedLive("sends the method, path, query, headers and body, and reads the status, headers and cookies", () =>
    Effect.gen(function*() {
      const server = yield* serve((_req, _body, res) => {
        res.writeHead(201, { "content-type": "text/plain", "x-answer": "yes", "set-cookie": ["a=1; Path=/", "b=2"] })
        res.end("created")
      })
      const response = yield* (yield* client).execute(
        HttpClientRequest.post(`${server.url}/v1/events?debug=1`).pipe(
          HttpClientRequest.setHeader("x-key", "k-1"),
          HttpClientRequest.bodyText("héllo", "text/plain")
        )
      )
      expect(response.status).toBe(201)
      expect(response.headers["x-answer"]).toBe("yes")
      expect(Cookies.toRecord(response.cookies)).toEqual({ a: "1", b: "2" })
      expect(Option.isNone(response.remoteAddress)).toBe(true)
      expect(yield* response.text).toBe("created")
      const [request] = yield* server.received
      expect(request).toMatchObject({ method: "POST", path: "/v1/events?debug=1", body: "héllo" })
      expect(request?.headers["x-key"]).toBe("k-1")
      expect(request?.headers["content-type"]).toBe("text/plain")
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("a body is read once: text, arrayBuffer, json and the URL parameters all see the same bytes", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, _body, res) => res.end(req.url === "/form" ? "model=gpt&n=3" : `{"a":"é","n":3}`))
      const response = yield* (yield* client).get(server.url)
      const text = yield* response.text
      expect(text).toBe(`{"a":"é","n":3}`)
      expect(new TextDecoder().decode(yield* response.arrayBuffer)).toBe(text)
      expect(yield* response.json).toEqual({ a: "é", n: 3 })
      expect(yield* response.text).toBe(text)
      const form = yield* (yield* client).get(`${server.url}/form`).pipe(Effect.flatMap((r) => r.urlParamsBody))
      expect(UrlParams.toRecord(form)).toEqual({ model: "gpt", n: "3" })
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("an empty body is null as JSON, and a body that is not JSON fails with a Decode error", () =>
    Effect.gen(function*() {
      let answer = ""
      const server = yield* serve((_req, _body, res) => res.end(answer))
      expect(yield* (yield* client).get(server.url).pipe(Effect.flatMap((r) => r.json))).toBeNull()
      answer = "not json"
      const error = yield* Effect.flip((yield* client).get(server.url).pipe(Effect.flatMap((r) => r.json)))
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("form data is parsed by its content type", () =>
    Effect.gen(function*() {
      const server = yield* serve((_req, _body, res) => {
        res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" })
        res.end("model=gpt-4o&tokens=12")
      })
      const form = yield* (yield* client).get(server.url).pipe(Effect.flatMap((r) => r.formData))
      expect([...form.entries()]).toEqual([["model", "gpt-4o"], ["tokens", "12"]])
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("a body larger than one chunk streams whole, and a streamed request body arrives whole", () =>
    Effect.gen(function*() {
      const big = "x".repeat(1024 * 1024)
      const server = yield* serve((_req, body, res) => res.end(body))
      const request = HttpClientRequest.post(server.url).pipe(
        HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode(big.slice(0, 1000)), new TextEncoder().encode(big.slice(1000))))
      )
      const response = yield* (yield* client).execute(request)
      const chunks = yield* Stream.runCollect(response.stream)
      expect(Chunk.reduce(chunks, 0, (n, chunk) => n + chunk.byteLength)).toBe(big.length)
      expect((yield* server.received)[0]?.body.length).toBe(big.length)
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("a refused connection fails with a Transport RequestError", () =>
    Effect.gen(function*() {
      // A port that was just free: nothing listens on it once its server has closed.
      const closed = yield* Effect.scoped(serve((_req, _body, res) => res.end()))
      const error = yield* Effect.flip((yield* client).get(closed.url))
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("a connection dropped mid-body fails the read with a Decode ResponseError", () =>
    Effect.gen(function*() {
      const server = yield* serve((_req, _body, res) => {
        res.writeHead(200, { "content-length": "100" })
        res.write("partial", () => res.socket?.destroy())
      })
      const error = yield* Effect.flip((yield* client).get(server.url).pipe(Effect.flatMap((r) => r.text)))
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
    }).pipe(Effect.provide(UndiciClient.layer)))

  it.scopedLive("interrupting a request under way aborts it: the server sees its connection close", () =>
    Effect.gen(function*() {
      const arrived = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<void>()
      const server = yield* serve((_req, _body, res) => {
        res.on("close", () => Deferred.unsafeDone(closed, Effect.void))
        Deferred.unsafeDone(arrived, Effect.void)
      })
      const request = yield* Effect.fork((yield* client).get(server.url))
      yield* Deferred.await(arrived)
      yield* Fiber.interrupt(request)
      yield* Deferred.await(closed)
      expect((yield* server.received).length).toBe(1)
    }).pipe(Effect.provide(UndiciClient.layer)))
})
