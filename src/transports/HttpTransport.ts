/**
 * A transport that POSTs each batch as JSON to an HTTP endpoint. It makes one attempt per `send` and
 * says precisely how it went; the collector decides whether and when to try again. Its options live in
 * `internal/httpOptions.ts`, the reading of answers in `internal/response.ts`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { isValidated } from "../internal/json.js"
import { TransportError } from "../schemas/errors.js"
import { type Batch, BatchPayload } from "../schemas/TelemetryEvent.js"
import { describeThrown, showId } from "./internal/failureText.js"
import {
  decodeHttpOptions,
  HttpOptions,
  HttpTransportConfigError,
  type HttpTransportOptions
} from "./internal/httpOptions.js"
import { makePoster, type PostPolicy, type PostTarget } from "./internal/post.js"
import { maxResponseBytes } from "./internal/response.js"
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

const unencodable = (batch: Batch, why: string, cause?: unknown) =>
  new TransportError({
    reason: "encode",
    retryable: false,
    message: `cannot encode batch ${showId(batch.batchId)}: ${why}`,
    ...(cause === undefined ? {} : { cause })
  })

const textEncoder = new TextEncoder()

/** What an encoder makes of a batch: the body (text is sent as UTF-8), or why it cannot be encoded. */
export type BodyEncoder = (batch: Batch, sentAt: number) => Either.Either<string | Uint8Array, string>

/** The request body, or an `encode` failure: an encoder that throws (on any input) fails only this batch. */
const encodeBody = (encode: BodyEncoder, batch: Batch, sentAt: number): Either.Either<Uint8Array, TransportError> => {
  try {
    const encoded = encode(batch, sentAt)
    return Either.isLeft(encoded)
      ? Either.left(unencodable(batch, encoded.left))
      : Either.right(typeof encoded.right === "string" ? textEncoder.encode(encoded.right) : encoded.right)
  } catch (thrown) {
    return Either.left(unencodable(batch, describeThrown(thrown), thrown))
  }
}

/** The HTTP transport's policy: JSON, uncompressed, 408/429/most 5xx retryable, a 2xx body ignored. */
const httpPolicy: PostPolicy = { contentType: "application/json" }

/**
 * A transport POSTing each batch as encoded by `encode` (the body, or why it cannot be encoded), with this
 * module's checks, size limit, timeout, `Retry-After` handling and `idempotency-key`, and `policy`'s content
 * type, compression, retryable statuses and reading of a 2xx answer (the HTTP transport's by default).
 * Shared by the OTLP transport. `encode` may also throw: whatever it throws is an `encode` failure of that batch.
 *
 * @internal
 */
export const makePostTransport = (
  settings: PostTarget,
  encode: BodyEncoder,
  policy: PostPolicy = httpPolicy
): Effect.Effect<TransportService, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.map(makePoster(settings, policy), (poster): TransportService => ({
    // One step before the request (no generator): this runs for every batch sent.
    send: (batch) =>
      Effect.flatMap(Clock.currentTimeMillis, (sentAt) => {
        const body = encodeBody(encode, batch, sentAt)
        if (Either.isLeft(body)) return Effect.fail(body.left)
        if (body.right.byteLength > maxBatchBytes) {
          return Effect.fail(new TransportError({
            reason: "tooLarge",
            retryable: false,
            message: `batch ${showId(batch.batchId)} encodes to ${body.right.byteLength} bytes, over the ${maxBatchBytes}-byte limit`
          }))
        }
        return poster.post(body.right, { "idempotency-key": idempotencyKey(batch.batchId) })
      })
  }))

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
