/**
 * A transport that POSTs each batch as JSON to an HTTP endpoint. It makes one attempt per `send` and
 * says precisely how it went; the collector decides whether and when to try again.
 */
import { HttpClient, HttpClientRequest, type HttpClientError, type HttpClientResponse } from "@effect/platform"
import { Clock, Duration, Effect, Either, Layer, Schema } from "effect"
import { TransportError } from "../schemas/errors.js"
import { type Batch, BatchPayload } from "../schemas/TelemetryEvent.js"
import { Transport } from "../services/Transport.js"

/** Settings of the HTTP transport. */
export interface HttpTransportOptions {
  /** The endpoint batches are POSTed to. */
  readonly url: string
  /** How long one request may take before it is abandoned; default 10 seconds. */
  readonly timeout?: Duration.DurationInput
  /** Extra request headers, e.g. `authorization`; `content-type` and `idempotency-key` are always ours. */
  readonly headers?: Readonly<Record<string, string>>
  /** The longest `Retry-After` passed on to the collector; default 60 seconds. */
  readonly maxRetryAfter?: Duration.DurationInput
}

const defaults = {
  timeout: Duration.seconds(10),
  maxRetryAfter: Duration.seconds(60)
} as const

/** The largest request body sent (500 KB); a larger batch fails as `tooLarge` unsent, so the collector splits it. */
export const maxBatchBytes = 500 * 1024

/** Statuses worth another attempt: the server may answer differently later. */
const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const month = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
const time = "(\\d{2}):(\\d{2}):(\\d{2})"
// The three HTTP-date forms of RFC 9110 §5.6.7; all are GMT.
const imfFixdate = new RegExp(`^[A-Z][a-z]{2}, (\\d{2}) ${month} (\\d{4}) ${time} GMT$`)
const rfc850Date = new RegExp(`^[A-Z][a-z]+, (\\d{2})-${month}-(\\d{2}) ${time} GMT$`)
const asctimeDate = new RegExp(`^[A-Z][a-z]{2} ${month} ([ \\d]\\d) ${time} (\\d{4})$`)

const utc = (year: number, monthName: string, day: string, h: string, m: string, s: string): number =>
  Date.UTC(year, months.indexOf(monthName), Number(day), Number(h), Number(m), Number(s))

/** Epoch milliseconds of an HTTP-date, or `undefined` when `value` is not one. */
const parseHttpDate = (value: string, nowMillis: number): number | undefined => {
  let match = imfFixdate.exec(value)
  if (match !== null) {
    const [, day, mon, year, h, m, s] = match as unknown as [string, string, string, string, string, string, string]
    return utc(Number(year), mon, day, h, m, s)
  }
  match = rfc850Date.exec(value)
  if (match !== null) {
    const [, day, mon, yy, h, m, s] = match as unknown as [string, string, string, string, string, string, string]
    // A two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
    const currentYear = new Date(nowMillis).getUTCFullYear()
    let year = Math.floor(currentYear / 100) * 100 + Number(yy)
    if (year > currentYear + 50) year -= 100
    return utc(year, mon, day, h, m, s)
  }
  match = asctimeDate.exec(value)
  if (match !== null) {
    const [, mon, day, h, m, s, year] = match as unknown as [string, string, string, string, string, string, string]
    return utc(Number(year), mon, day.trim(), h, m, s)
  }
  return undefined
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delta-seconds or an HTTP-date relative to
 * `nowMillis`, at least 0 and at most `capMillis`; `undefined` when the header is malformed.
 */
export const parseRetryAfter = (header: string, nowMillis: number, capMillis: number): number | undefined => {
  const value = header.trim()
  let millis: number
  if (/^\d+$/.test(value)) {
    millis = Number(value) * 1000
  } else {
    const at = parseHttpDate(value, nowMillis)
    if (at === undefined || Number.isNaN(at)) return undefined
    millis = at - nowMillis
  }
  return Math.min(Math.max(0, millis), Math.max(0, capMillis))
}

/** The first characters of a response body, to make a status failure explain itself. */
const bodyExcerpt = (text: string): string => {
  const trimmed = text.trim()
  return trimmed.length === 0 ? "" : `: ${trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed}`
}

const requestFailure = (url: string, error: HttpClientError.HttpClientError): TransportError => {
  const detail = error.cause instanceof Error ? `${error.cause.message}${causeCode(error.cause)}` : error.message
  switch (error.reason) {
    case "InvalidUrl":
      return new TransportError({ reason: "network", retryable: false, message: `invalid URL ${url}`, cause: error })
    case "Encode":
      return new TransportError({ reason: "encode", retryable: false, message: `cannot encode request`, cause: error })
    default:
      return new TransportError({
        reason: "network",
        retryable: true,
        message: `POST ${url} failed: ${detail}`,
        cause: error
      })
  }
}

const causeCode = (cause: Error): string => {
  const code = (cause as { readonly code?: unknown }).code
  return typeof code === "string" ? ` (${code})` : ""
}

const encodePayload = Schema.encodeEither(Schema.parseJson(BatchPayload))

/** Builds the HTTP transport over the `HttpClient` in context. */
export const makeHttpTransport = (
  options: HttpTransportOptions
): Effect.Effect<Transport["Type"], never, HttpClient.HttpClient> =>
  makePostTransport(options, (batch, sentAt) =>
    Either.mapLeft(encodePayload({ batchId: batch.batchId, sentAt, events: batch.events }), (error) => error.message))

/**
 * A transport POSTing each batch as JSON, encoded by `encode` (the text, or why it cannot be encoded),
 * with this module's timeout, status classification and `Retry-After` handling. Shared by the OTLP transport.
 */
export const makePostTransport = (
  options: HttpTransportOptions,
  encode: (batch: Batch, sentAt: number) => Either.Either<string, string>
): Effect.Effect<Transport["Type"], never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    // The transport's own requests are not traced: a tracer that records spans as telemetry would
    // otherwise produce an event for every batch it sends.
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const timeout = Duration.decode(options.timeout ?? defaults.timeout)
    const capMillis = Duration.toMillis(options.maxRetryAfter ?? defaults.maxRetryAfter)
    const encoder = new TextEncoder()
    const url = options.url

    const classify = (response: HttpClientResponse.HttpClientResponse, body: string, nowMillis: number) => {
      const status = response.status
      if (status >= 200 && status < 300) return Effect.void
      const header = response.headers["retry-after"]
      const retryAfterMillis = header === undefined ? undefined : parseRetryAfter(header, nowMillis, capMillis)
      const fields = retryAfterMillis === undefined ? { status } : { status, retryAfterMillis }
      return Effect.fail(
        status === 413
          ? new TransportError({
            reason: "tooLarge",
            retryable: false,
            message: `POST ${url} answered 413: the batch is too large${bodyExcerpt(body)}`,
            ...fields
          })
          : new TransportError({
            reason: "status",
            retryable: isRetryableStatus(status),
            message: `POST ${url} answered ${status}${bodyExcerpt(body)}`,
            ...fields
          })
      )
    }

    return Transport.of({
      send: (batch) =>
        Effect.gen(function*() {
          const sentAt = yield* Clock.currentTimeMillis
          const encoded = encode(batch, sentAt)
          if (Either.isLeft(encoded)) {
            return yield* new TransportError({
              reason: "encode",
              retryable: false,
              message: `cannot encode batch ${batch.batchId}: ${encoded.left}`
            })
          }
          const body = encoder.encode(encoded.right)
          if (body.byteLength > maxBatchBytes) {
            return yield* new TransportError({
              reason: "tooLarge",
              retryable: false,
              message: `batch ${batch.batchId} encodes to ${body.byteLength} bytes, over the ${maxBatchBytes}-byte limit`
            })
          }
          const request = HttpClientRequest.post(url).pipe(
            HttpClientRequest.setHeaders(options.headers ?? {}),
            HttpClientRequest.setHeader("idempotency-key", batch.batchId),
            HttpClientRequest.bodyUint8Array(body, "application/json")
          )
          // When the deadline passes the request is interrupted, which aborts its connection.
          const response = yield* client.execute(request).pipe(
            Effect.mapError((error) => requestFailure(url, error)),
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new TransportError({
                  reason: "timeout",
                  retryable: true,
                  message: `POST ${url} got no answer within ${Duration.format(timeout)}`
                })
            })
          )
          // The status decides; the body is read only to free the connection and explain a failure, so a
          // body that cannot be read (or never ends) changes nothing.
          const responseBody = yield* response.text.pipe(Effect.timeout(timeout), Effect.orElseSucceed(() => ""))
          const receivedAt = yield* Clock.currentTimeMillis
          return yield* classify(response, responseBody, receivedAt)
        })
    })
  })

/** The HTTP transport as a layer, over the `HttpClient` in context (on Node, `NodeHttpClient.layerUndici`). */
export const layerHttpTransport = (options: HttpTransportOptions): Layer.Layer<Transport, never, HttpClient.HttpClient> =>
  Layer.effect(Transport, makeHttpTransport(options))
