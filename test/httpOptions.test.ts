import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { checkTarget, HttpOptions, HttpTransportConfigError } from "../src/transports/internal/httpOptions.js"
import { Transport } from "../src/transports/Transport.js"

/** An `HttpClient` that must never be reached: option problems fail before any request. */
const noClient = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response(null, { status: 200 }))))
)

describe("HTTP transport options", () => {
  it.effect("a misspelt option is refused with HttpTransportConfigError naming it", () =>
    Effect.gen(function*() {
      const options = { url: "http://127.0.0.1:9/", timeuot: "1 second" } as unknown as Transport.HttpOptions
      const error = yield* Effect.flip(Transport.makeHttp(options))
      expect(error).toBeInstanceOf(HttpTransportConfigError)
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "timeuot" })
      expect(error.message).toMatch(/^option timeuot: /)
    }).pipe(Effect.provide(noClient)))

  it.effect("a timeout that is not a duration names the option", () =>
    Effect.gen(function*() {
      const options = { url: "http://127.0.0.1:9/", timeout: "soon" } as unknown as Transport.HttpOptions
      const error = yield* Effect.flip(Transport.makeHttp(options))
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "timeout" })
    }).pipe(Effect.provide(noClient)))

  it.effect("a missing url names the option", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Transport.makeHttp({} as Transport.HttpOptions))
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "url" })
    }).pipe(Effect.provide(noClient)))

  it.effect("headers that are not an object name the option", () =>
    Effect.gen(function*() {
      const options = { url: "http://127.0.0.1:9/", headers: "authorization: x" } as unknown as Transport.HttpOptions
      const error = yield* Effect.flip(Transport.makeHttp(options))
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "headers" })
    }).pipe(Effect.provide(noClient)))

  it.effect("a header value that is not a string names the header", () =>
    Effect.gen(function*() {
      const options = { url: "http://127.0.0.1:9/", headers: { "x-count": 5 } } as unknown as Transport.HttpOptions
      const error = yield* Effect.flip(Transport.makeHttp(options))
      expect(error).toMatchObject({ option: "headers", header: "x-count", reason: "header x-count is a number, not a string" })
    }).pipe(Effect.provide(noClient)))

  it.effect("an OTLP option of the wrong type is refused with the same error", () =>
    Effect.gen(function*() {
      const options = { url: "http://127.0.0.1:9/v1/logs", serviceName: 7 } as unknown as Transport.OtlpOptions
      const error = yield* Effect.flip(Transport.makeOtlp(options))
      expect(error).toMatchObject({ _tag: "HttpTransportConfigError", option: "serviceName" })
    }).pipe(Effect.provide(noClient)))

  it.effect("Transport.http fails to build with the options error", () =>
    Effect.gen(function*() {
      const layer = Transport.http({ url: "mailto:ops@example.com" })
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
      expect(error).toBeInstanceOf(Transport.HttpConfigError)
      expect(error).toMatchObject({ option: "url", reason: "example.com uses mailto:, not http: or https:" })
    }).pipe(Effect.provide(noClient)))
})

describe("checkTarget", () => {
  it.effect("URL credentials become Basic authorization and leave the URL", () =>
    Effect.gen(function*() {
      const target = yield* checkTarget("https://user:p%40ss@example.com/v1?token=t-1", {})
      expect(target.url).toBe("https://example.com/v1?token=t-1")
      expect(target.shownUrl).toBe("https://example.com/v1?token=[REDACTED]")
      expect(target.headers).toEqual({ authorization: `Basic ${btoa("user:p@ss")}` })
    }))

  it.effect("an authorization header given wins over URL credentials", () =>
    Effect.gen(function*() {
      const target = yield* checkTarget("https://user:pass@example.com/", { Authorization: "Bearer t" })
      expect(target.headers).toEqual({ Authorization: "Bearer t" })
    }))

  it.effect("a header named __proto__ stays a header", () =>
    Effect.gen(function*() {
      const headers = JSON.parse("{\"__proto__\":\"v\"}") as Record<string, string>
      const target = yield* checkTarget("https://example.com/", headers)
      expect(Object.keys(target.headers)).toEqual(["__proto__"])
      expect(Object.getPrototypeOf(target.headers)).toBe(Object.prototype)
    }))

  it("the defaults: 10-second timeout, Retry-After capped at 60 seconds, no headers", () => {
    const settings = Schema.decodeSync(HttpOptions)({ url: "https://example.com/" })
    expect(Duration.toMillis(settings.timeout)).toBe(10_000)
    expect(Duration.toMillis(settings.maxRetryAfter)).toBe(60_000)
    expect(settings.headers).toEqual({})
    expect(Duration.toMillis(Schema.decodeSync(HttpOptions)({ url: "https://example.com/", timeout: "2 seconds" }).timeout))
      .toBe(2_000)
  })
})
