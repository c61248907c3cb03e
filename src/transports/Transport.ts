/**
 * Where batches of events go. The collector owns batching, retries and accounting; a transport makes
 * one delivery attempt and says, through `TransportError.retryable`, whether another may help.
 *
 * `Transport` carries every transport of the library as statics (`Transport.http(...)`,
 * `Transport.memory`, …). The HTTP, OTLP and file transports live in their own modules, which import this
 * one: the statics reaching them call them lazily, so neither module needs the other loaded first.
 *
 * A bundle keeps this class, and with it every transport, only where it is used: the collector and the
 * layers yield the bare tag of `TransportTag.ts` (the same key), and the statics that build a value at
 * load time are marked pure, so importing a helper from this module keeps none of them.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { redactUrlsIn } from "../internal/url.js"
import { TransportError } from "../schemas/errors.js"
import type { Batch } from "../schemas/TelemetryEvent.js"
import { type FileTransportOptions, layerFile, makeFile } from "./FileTransport.js"
import { layerHttp, makeHttp } from "./HttpTransport.js"
import { describeThrown, showId } from "./internal/failureText.js"
import { HttpTransportConfigError, type HttpTransportOptions } from "./internal/httpOptions.js"
import { encodeJsonLines } from "./internal/jsonLines.js"
import { layerOtlp, makeOtlp, type OtlpTransportOptions } from "./OtlpTransport.js"
import { layerMemory, makeMemory, MemoryTransport } from "./MemoryTransport.js"
import { type Receipt as TransportReceipt, Transport as TransportTag, type TransportService } from "./TransportTag.js"

/**
 * How transports name a thrown value or an id in a failure message, and write a batch as JSON lines.
 *
 * @internal
 */
export { describeThrown, encodeJsonLines, showId }

export { MemoryTransport }

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"

const customFailure = (cause: unknown): TransportError =>
  cause instanceof TransportError ? cause : new TransportError({
    reason: "io",
    retryable: true,
    // The function's own error may quote a URL it called, credentials and all.
    message: `custom transport failed: ${redactUrlsIn(describeThrown(cause, false))}`,
    cause
  })

/** `send` over a user's function: whatever it fails, rejects, throws or dies with becomes a `TransportError`. */
const sendThrough = (send: Transport.Function): Transport.Service["send"] => (batch) =>
  Effect.suspend((): Effect.Effect<void, unknown> => {
    const result: unknown = send(batch)
    return Effect.isEffect(result)
      ? Effect.asVoid(result as Effect.Effect<unknown, unknown>)
      : isPromiseLike(result)
      ? Effect.tryPromise({ try: () => Promise.resolve(result), catch: (cause) => cause })
      : Effect.void
  }).pipe(
    // Plain-JS callers can fail with anything: whatever it is becomes a TransportError.
    Effect.mapError(customFailure),
    Effect.catchAllDefect((defect) => Effect.fail(customFailure(defect)))
  )

/** Prints each event of a batch as one JSON line; an unencodable batch prints nothing. */
const printLines: Transport.Service["send"] = (batch) =>
  Effect.suspend(() => {
    const lines = encodeJsonLines(batch)
    return Either.isLeft(lines)
      ? Effect.fail(lines.left)
      : Effect.forEach(lines.right, (line) => Console.log(line), { discard: true })
  })

/**
 * Delivers batches of events somewhere: to memory, the console, a file, an HTTP or OTLP endpoint, or your
 * own function.
 *
 * @since 0.2.0
 * @category tags
 */
export class Transport extends TransportTag {
  /**
   * A transport keeping every batch in memory, for tests; read and steer it through `Transport.Memory`.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly memory: Layer.Layer<Transport | MemoryTransport> = layerMemory
  /**
   * The inspector of `Transport.memory`: the batches and events delivered, `clear`, `failWith`.
   *
   * @since 0.2.0
   * @category tags
   */
  static readonly Memory = MemoryTransport
  /**
   * Builds the in-memory transport and its inspector, as a pair.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly makeMemory = makeMemory
  /**
   * A transport printing each event as one JSON line through Effect's `Console`.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly console: Layer.Layer<Transport> = /* @__PURE__ */ Layer.succeed(this, { send: printLines })
  /**
   * A transport calling your function with each batch. A rejected promise (or thenable), a thrown value or
   * a defect counts as a retryable `io` failure; fail with a `TransportError` yourself to say otherwise.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly fromFunction = (send: Transport.Function): Layer.Layer<Transport> =>
    Layer.succeed(this, { send: sendThrough(send) })
  /**
   * A transport POSTing each batch as JSON to `url`, over the `HttpClient` in context (on Node,
   * `Telemetry.layerHttpClient`); defaults: 10-second timeout, `Retry-After` capped at 60 seconds.
   * Fails to build with `HttpTransportConfigError` when an option cannot be used.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly http = (
    options: Transport.HttpOptions
  ): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> => layerHttp(options)
  /**
   * Builds the HTTP transport (see `Transport.http`).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly makeHttp = (
    options: Transport.HttpOptions
  ): Effect.Effect<Transport.Service, HttpTransportConfigError, HttpClient.HttpClient> => makeHttp(options)
  /**
   * A transport exporting events as OpenTelemetry log records over OTLP/HTTP to `<endpoint>/v1/logs`
   * (default `http://localhost:4318`), in `http/protobuf` (default) or `http/json`, `compression` `gzip`
   * or `none` (default); retries only 429, 502, 503, 504 and network failures; the events a
   * `partialSuccess` rejects count as `dropped.rejected`. The legacy `url` (the full logs URL) still works.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly otlp = (
    options: Transport.OtlpOptions = {}
  ): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> => layerOtlp(options)
  /**
   * Builds the OTLP/HTTP transport (see `Transport.otlp`).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly makeOtlp = (
    options: Transport.OtlpOptions = {}
  ): Effect.Effect<Transport.Service, HttpTransportConfigError, HttpClient.HttpClient> => makeOtlp(options)
  /**
   * A transport appending each event as one JSON line to a file (a path, or `{ path }`), creating its folder
   * when missing; needs `FileSystem` and `Path` (on Node, `NodeContext.layer`).
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly file = (
    file: string | Transport.FileOptions
  ): Layer.Layer<Transport, never, FileSystem.FileSystem | Path.Path> => layerFile(file)
  /**
   * Builds the file transport (see `Transport.file`).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly makeFile = (
    file: string | Transport.FileOptions
  ): Effect.Effect<Transport.Service, never, FileSystem.FileSystem | Path.Path> => makeFile(file)
  /**
   * The error an HTTP or OTLP transport fails to build with when an option cannot be used: `option`
   * names it (`url`, `headers`, `timeout`…), `header` the header at fault, `reason` what is wrong.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly HttpConfigError = HttpTransportConfigError
}

/** @since 0.2.0 */
export declare namespace Transport {
  /**
   * What a transport does: deliver one batch; fail only with a `TransportError` saying whether a retry may help.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service extends TransportService {}
  /**
   * Your delivery function for `Transport.fromFunction`: an Effect, a promise, or nothing when it is done.
   *
   * @since 0.2.0
   * @category models
   */
  export type Function = (batch: Batch) => Effect.Effect<void, TransportError> | PromiseLike<void> | void
  /**
   * What a receiver said of a batch it accepted in part: the events it `rejected` (never retried, counted
   * in `dropped.rejected`) and its `message`.
   *
   * @since 0.3.0
   * @category models
   */
  export type Receipt = TransportReceipt
  /**
   * Options of `Transport.http`: `url` (required), `timeout` (10 seconds), `headers`, `maxRetryAfter` (60 seconds).
   *
   * @since 0.2.0
   * @category models
   */
  export type HttpOptions = HttpTransportOptions
  /**
   * Options of `Transport.otlp`: `endpoint` (the collector's base URL, default `http://localhost:4318`),
   * `protocol` (`http/protobuf`), `compression` (`none`), `headers`, `timeout`, `maxRetryAfter`, and
   * `serviceName`, `serviceVersion`, `deploymentEnvironment`, `resourceAttributes` of the exported resource.
   *
   * @since 0.2.0
   * @category models
   */
  export type OtlpOptions = OtlpTransportOptions
  /**
   * Options of `Transport.file`: the `path` of the NDJSON file.
   *
   * @since 0.2.0
   * @category models
   */
  export type FileOptions = FileTransportOptions
  /**
   * The inspector of `Transport.memory`.
   *
   * @since 0.2.0
   * @category models
   */
  export type Memory = MemoryTransport["Type"]
  /**
   * The error of an HTTP or OTLP transport option that cannot be used.
   *
   * @since 0.2.0
   * @category errors
   */
  export type HttpConfigError = HttpTransportConfigError
}
