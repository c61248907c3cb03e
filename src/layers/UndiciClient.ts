/**
 * The `HttpClient` the Node layers send with: undici's dispatcher, as `NodeHttpClient.layerUndici` uses it,
 * with a lighter response. The platform's response reads each body through a fiber of its own
 * (`Effect.cached` run with `runSync`, ~80 µs a read, measured) and rebuilds its headers on every access;
 * here a body is read once into bytes, every reader shares that one promise, and the headers are built once.
 * At the collector's default batch of 50 events that was a fifth to a quarter of a send's CPU time.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Undici from "@effect/platform-node/Undici"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"

const decoder = new TextDecoder()

const ignoreError = (_: unknown) => {}

/** A response whose body is read at most once, whichever reader asks first; the others share it. */
class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private bytes: Promise<Uint8Array> | undefined
  private readHeaders: Headers.Headers | undefined
  private readCookies: Cookies.Cookies | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    private readonly source: Undici.Dispatcher.ResponseData
  ) {
    super()
    // Unread, the body is destroyed with its connection: that error is expected, not the program's.
    source.body.on("error", ignoreError)
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return this.readHeaders ??= Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    if (this.readCookies !== undefined) return this.readCookies
    const header = this.source.headers["set-cookie"]
    return this.readCookies = header === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private read<A>(f: (bytes: Uint8Array) => A | PromiseLike<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => (this.bytes ??= this.source.body.bytes()).then(f),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read((bytes) => decoder.decode(bytes))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => text === "" ? null : JSON.parse(text), catch: (cause) => this.decodeError(cause) }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    const type = this.source.headers["content-type"]
    const init = typeof type === "string" ? { headers: { "content-type": type } } : {}
    return this.read((bytes) => new Response(bytes as Uint8Array<ArrayBuffer>, init).formData())
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => this.source.body, (cause) => this.decodeError(cause))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

const requestBody = (
  body: HttpClientRequest.HttpClientRequest["body"]
): Effect.Effect<Exclude<Undici.Dispatcher.RequestOptions["body"], undefined>> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
    case "Raw":
      return Effect.succeed(body.body as Uint8Array)
    case "FormData":
      // The same class at run time (Node's FormData is undici's); only the type declarations differ.
      return Effect.succeed(body.formData as unknown as Undici.FormData)
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

/**
 * An `HttpClient` over `dispatcher`. Timeouts are left to the caller (the transports keep their own
 * deadline); interrupting a request aborts it.
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) =>
    Effect.flatMap(requestBody(request.body), (body) =>
      Effect.tryPromise({
        try: () =>
          dispatcher.request({
            signal,
            method: request.method,
            headers: request.headers,
            origin: url.origin,
            path: url.pathname + url.search + url.hash,
            body,
            headersTimeout: 60 * 60 * 1000,
            bodyTimeout: 0
          }),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      }).pipe(Effect.map((response): HttpClientResponse.HttpClientResponse => new UndiciResponse(request, response)))
    )
  )

/** The client over an undici `Agent` of its own, closed with the layer. */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Undici.Agent()),
      (agent) => Effect.promise(() => agent.destroy())
    ),
    make
  )
)
