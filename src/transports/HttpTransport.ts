/**
 * A transport that POSTs each batch as JSON to an HTTP endpoint. It makes one attempt per `send` and
 * says precisely how it went; the collector decides whether and when to try again. Its options live in
 * `internal/httpOptions.ts`, the reading of answers in `internal/response.ts`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { isValidated } from "../internal/json.js"
import { redactUrlsIn } from "../internal/url.js"
import { TransportError } from "../schemas/errors.js"
import { type Batch, BatchPayload } from "../schemas/TelemetryEvent.js"
import { describeThrown, showId } from "./internal/failureText.js"
import {
  checkTarget,
  decodeHttpOptions,
  HttpOptions,
  HttpTransportConfigError,
  type HttpTransportOptions
} from "./internal/httpOptions.js"
import { type Answer, bodyExcerpt, maxResponseBytes, readPrefix, secretsOf, statusFailure } from "./internal/response.js"
import { parseRetryAfter } from "./internal/retryAfter.js"
import { Transport, type TransportService } from "./TransportTag.js"

export { HttpTransportConfigError, type HttpTransportOptions, maxResponseBytes, parseRetryAfter }

/**
 * The largest request body sent (500 KB); a larger batch fails as `tooLarge` unsent, so the collector splits it.
 *
 * @internal
 */
export const maxBatchBytes = 500 * 1024

/** The HTTP options once decoded: durations as `Duration`, defaults filled in. */
export type HttpSettings = Schema.Schema.Type<typeof HttpOptions>

/**
 * An `idempotency-key` value: the batch id itself, unless it holds characters a header cannot carry (a
 * batch restored from an edited outbox), which are then percent-encoded (stable across retries).
 */
const idempotencyKey = (batchId: string): string =>
  /^[\x21-\x7e]+$/.test(batchId) ? batchId : Array.from(
    new TextEncoder().encode(batchId),
    (byte) => byte > 0x20 && byte < 0x7f && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  ).join("")

const causeCode = (cause: Error): string => {
  const code = (cause as { readonly code?: unknown }).code
  return typeof code === "string" ? ` (${code})` : ""
}

/** A failed request as the attempt's failure, without the full URL the client's own error names. */
const requestFailure = (shownUrl: string) => (error: HttpClientError.HttpClientError): TransportError => {
  const cause = error.cause
  const detail = redactUrlsIn(cause instanceof Error ? `${cause.message}${causeCode(cause)}` : error.reason)
  switch (error.reason) {
    case "InvalidUrl":
      return new TransportError({ reason: "network", retryable: false, message: `invalid URL ${shownUrl}` })
    case "Encode":
      return new TransportError({ reason: "encode", retryable: false, message: `cannot encode request`, cause })
    default:
      return new TransportError({ reason: "network", retryable: true, message: `POST ${shownUrl} failed: ${detail}`, cause })
  }
}

const unencodable = (batch: Batch, why: string, cause?: unknown) =>
  new TransportError({
    reason: "encode",
    retryable: false,
    message: `cannot encode batch ${showId(batch.batchId)}: ${why}`,
    ...(cause === undefined ? {} : { cause })
  })

const textEncoder = new TextEncoder()

/** The request body, or an `encode` failure: an encoder that throws (on any input) fails only this batch. */
const encodeBody = (
  encode: (batch: Batch, sentAt: number) => Either.Either<string, string>,
  batch: Batch,
  sentAt: number
): Either.Either<Uint8Array, TransportError> => {
  try {
    const encoded = encode(batch, sentAt)
    return Either.isLeft(encoded)
      ? Either.left(unencodable(batch, encoded.left))
      : Either.right(textEncoder.encode(encoded.right))
  } catch (thrown) {
    return Either.left(unencodable(batch, describeThrown(thrown), thrown))
  }
}

/**
 * A transport POSTing each batch as JSON, encoded by `encode` (the text, or why it cannot be encoded),
 * with this module's checks, timeout, status classification and `Retry-After` handling. Shared by the OTLP
 * transport. `encode` may also throw: whatever it throws is an `encode` failure of that batch.
 *
 * @internal
 */
export const makePostTransport = (
  settings: HttpSettings,
  encode: (batch: Batch, sentAt: number) => Either.Either<string, string>
): Effect.Effect<TransportService, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const target = yield* checkTarget(settings.url, settings.headers)
    // The transport's own requests are not traced: a tracer that records spans as telemetry would
    // otherwise produce an event for every batch it sends.
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const { timeout } = settings
    const capMillis = Duration.toMillis(settings.maxRetryAfter)
    const { shownUrl } = target
    const secrets = secretsOf(target.headers)

    const classify = (answer: Answer, nowMillis: number): Effect.Effect<void, TransportError> => {
      const status = answer.response.status
      if (status >= 200 && status < 300) return Effect.void
      const header = answer.response.headers["retry-after"]
      const retryAfterMillis = header === undefined ? undefined : parseRetryAfter(header, nowMillis, capMillis)
      return Effect.fail(statusFailure(status, shownUrl, bodyExcerpt(answer.body, secrets), retryAfterMillis))
    }

    /**
     * The request and the read of its answer under one deadline: when it passes before the status line the
     * attempt is a `timeout`; after, the status decides with whatever of the body arrived. Interrupting the
     * request or the read aborts the connection.
     */
    const exchange = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, TransportError> =>
      Effect.gen(function*() {
        const answer = yield* Ref.make<Answer | undefined>(undefined)
        yield* client.execute(request).pipe(
          Effect.mapError(requestFailure(shownUrl)),
          // A client that throws (node:http on a header it refuses) fails this attempt, not the program.
          Effect.catchAllDefect((defect) =>
            Effect.fail(
              new TransportError({
                reason: "network",
                retryable: false,
                message: `POST ${shownUrl} failed: ${redactUrlsIn(describeThrown(defect))}`,
                cause: defect
              })
            )
          ),
          Effect.tap((response) => Ref.set(answer, { response, body: new Uint8Array(0) })),
          Effect.flatMap((response) => readPrefix(response, answer)),
          Effect.timeoutOption(timeout)
        )
        const answered = yield* Ref.get(answer)
        if (answered !== undefined) return answered
        return yield* new TransportError({
          reason: "timeout",
          retryable: true,
          message: `POST ${shownUrl} got no answer within ${Duration.format(timeout)}`
        })
      })

    return {
      send: (batch) =>
        Effect.gen(function*() {
          const sentAt = yield* Clock.currentTimeMillis
          const body = yield* encodeBody(encode, batch, sentAt)
          if (body.byteLength > maxBatchBytes) {
            return yield* new TransportError({
              reason: "tooLarge",
              retryable: false,
              message: `batch ${showId(batch.batchId)} encodes to ${body.byteLength} bytes, over the ${maxBatchBytes}-byte limit`
            })
          }
          const request = HttpClientRequest.post(target.url).pipe(
            HttpClientRequest.setHeaders(target.headers),
            HttpClientRequest.setHeader("idempotency-key", idempotencyKey(batch.batchId)),
            HttpClientRequest.bodyUint8Array(body, "application/json")
          )
          const answer = yield* exchange(request)
          const receivedAt = yield* Clock.currentTimeMillis
          return yield* classify(answer, receivedAt)
        })
    }
  })

const decode = decodeHttpOptions(HttpOptions)
const encodePayload = Schema.encodeEither(Schema.parseJson(BatchPayload))

/**
 * Builds the HTTP transport over the `HttpClient` in context; fails with `HttpTransportConfigError` when an
 * option cannot be used (see `Transport.makeHttp`).
 */
export const makeHttp = (
  options: HttpTransportOptions
): Effect.Effect<TransportService, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(decode(options), (settings) =>
    makePostTransport(settings, (batch, sentAt) =>
      // A batch the collector built holds events `track` validated: serialized as they are, not checked
      // again (the check cost a fifth of a send). Any other batch goes through the schema.
      isValidated(batch)
        ? Either.right(JSON.stringify({ batchId: batch.batchId, sentAt, events: batch.events }))
        : Either.mapLeft(encodePayload({ batchId: batch.batchId, sentAt, events: batch.events }), (error) => error.message)))

/** The HTTP transport as a layer, over the `HttpClient` in context (see `Transport.http`). */
export const layerHttp = (
  options: HttpTransportOptions
): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> => Layer.effect(Transport, makeHttp(options))
