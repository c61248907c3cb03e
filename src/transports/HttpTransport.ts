/**
 * A transport that POSTs each batch as JSON to an HTTP endpoint. It makes one attempt per `send` and
 * says precisely how it went; the collector decides whether and when to try again.
 */
import { HttpClient, HttpClientRequest, type HttpClientError, type HttpClientResponse } from "@effect/platform"
import { Clock, Data, Duration, Effect, Either, Encoding, Layer, Ref, Schema, Stream } from "effect"
import { displayUrl, redactUrlsIn } from "../internal/url.js"
import { TransportError } from "../schemas/errors.js"
import { type Batch, BatchPayload } from "../schemas/TelemetryEvent.js"
import { describeThrown, showId, Transport } from "./Transport.js"

/** Settings of the HTTP transport. */
export interface HttpTransportOptions {
  /** The endpoint batches are POSTed to. */
  readonly url: string
  /**
   * How long one exchange may take — the request, its answer and the bounded read of the body — before it is
   * abandoned (aborting the connection); default 10 seconds.
   */
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

/**
 * The most of a response body that is read (64 KiB): enough for an error text or an OTLP `partialSuccess`.
 * The rest is never read: the connection is closed instead.
 */
export const maxResponseBytes = 64 * 1024

/**
 * An `HttpTransportOptions` the transport cannot work with, found when it is built: a URL that is not an
 * absolute http(s) URL, or a header no HTTP client would send. Never carries a header's value (it may be a secret).
 */
export class HttpTransportConfigError extends Data.TaggedError("HttpTransportConfigError")<{
  /** The option at fault. */
  readonly option: "url" | "headers"
  /** The offending header's name (JSON-quoted when it holds invisible characters), for a header problem. */
  readonly header?: string
  readonly message: string
}> {}

/** Statuses saying our credentials were refused: the receiver is unusable until they are fixed. */
const isUnauthorizedStatus = (status: number): boolean => status === 401 || status === 403 || status === 407

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

// RFC 9110 §5.1: a field name is a token.
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 9110 §5.5, as Node and undici check it: tab, visible ASCII, space and obs-text bytes.
const invalidHeaderValue = /[^\t\x20-\x7e\x80-\xff]/
// Framing and connection headers belong to the HTTP client; undici refuses most of them on every request.
const clientManagedHeaders = new Set(["connection", "content-length", "expect", "keep-alive", "transfer-encoding", "upgrade"])

/** A header name fit for a message: as is when printable, else JSON-quoted and cut short. */
const showHeaderName = (name: string): string => {
  const shown = headerName.test(name) ? name : JSON.stringify(name)
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown
}

/** What is wrong with a header value, without quoting it. */
const valueProblem = (value: string): string | undefined => {
  if (typeof value !== "string") return `is a ${typeof value}, not a string`
  const bad = invalidHeaderValue.exec(value)
  if (bad === null) return undefined
  const char = bad[0]
  const at = `at character ${bad.index + 1}`
  if (char === "\r" || char === "\n") return `contains a line break (CR or LF) ${at}`
  if (char.charCodeAt(0) <= 0xff) return `contains the control character U+${hex(char)} ${at}`
  return `contains U+${hex(char)} ${at}, outside the Latin-1 bytes a header value can hold (encode it, e.g. as base64)`
}

const hex = (char: string): string => char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")

const decodeUserInfo = (part: string): string => {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/** Where and how every request goes: the URL without user-info, the URL as logs show it, the headers. */
interface Target {
  readonly url: string
  readonly shownUrl: string
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Checks the URL and headers once, so a configuration no request can carry fails at start-up instead of
 * failing every batch. Credentials in the URL become a Basic `authorization` header (unless one is set),
 * as curl does: undici ignores them and `fetch` refuses such URLs.
 */
const checkOptions = (options: HttpTransportOptions): Either.Either<Target, HttpTransportConfigError> => {
  const shownUrl = displayUrl(String(options.url))
  let parsed: URL
  try {
    parsed = new URL(options.url)
  } catch {
    return Either.left(
      new HttpTransportConfigError({ option: "url", message: `${shownUrl} is not an absolute http(s) URL` })
    )
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Either.left(
      new HttpTransportConfigError({ option: "url", message: `${shownUrl} uses ${parsed.protocol}, not http: or https:` })
    )
  }
  const headers: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const header = showHeaderName(name)
    const problem = !headerName.test(name)
      ? "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)"
      : clientManagedHeaders.has(name.toLowerCase())
      ? "is managed by the HTTP client and cannot be set"
      : valueProblem(value)
    if (problem !== undefined) {
      return Either.left(
        new HttpTransportConfigError({ option: "headers", header, message: `header ${header} ${problem}` })
      )
    }
    headers.push([name, value])
  }
  if (parsed.username !== "" || parsed.password !== "") {
    const credentials = `${decodeUserInfo(parsed.username)}:${decodeUserInfo(parsed.password)}`
    if (!headers.some(([name]) => name.toLowerCase() === "authorization")) {
      headers.push(["authorization", `Basic ${Encoding.encodeBase64(credentials)}`])
    }
    parsed.username = ""
    parsed.password = ""
  }
  // `fromEntries` defines properties: a header named `__proto__` stays a header, not a prototype.
  return Either.right({ url: parsed.href, shownUrl, headers: Object.fromEntries(headers) })
}

/** Configured header values worth hiding should a receiver echo them back in an error body. */
const secretsOf = (headers: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.values(headers).flatMap((value) => {
    const credential = /^\S+ +(\S{8,})$/.exec(value.trim())?.[1]
    return [value.trim(), ...(credential === undefined ? [] : [credential])].filter((secret) => secret.length >= 8)
  })

const decoder = new TextDecoder()

/**
 * The first characters of a response body, to make a failure explain itself: on one line, without control
 * characters (a hostile receiver cannot forge log lines), URL credentials or our own header values.
 */
const bodyExcerpt = (body: Uint8Array, secrets: ReadonlyArray<string>): string => {
  let text = decoder.decode(body.subarray(0, 4096))
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/g, " ")
    .trim()
  text = redactUrlsIn(text)
  for (const secret of secrets) text = text.split(secret).join("[REDACTED]")
  return text.length === 0 ? "" : `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`
}

const causeCode = (cause: Error): string => {
  const code = (cause as { readonly code?: unknown }).code
  return typeof code === "string" ? ` (${code})` : ""
}

/**
 * An `idempotency-key` value: the batch id itself, unless it holds characters a header cannot carry (a
 * batch restored from an edited outbox), which are then percent-encoded (stable across retries).
 */
const idempotencyKey = (batchId: string): string =>
  /^[\x21-\x7e]+$/.test(batchId) ? batchId : Array.from(
    new TextEncoder().encode(batchId),
    (byte) => byte > 0x20 && byte < 0x7f && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  ).join("")

const encodePayload = Schema.encodeEither(Schema.parseJson(BatchPayload))

/** Builds the HTTP transport over the `HttpClient` in context; fails when its URL or headers cannot be used. */
export const makeHttpTransport = (
  options: HttpTransportOptions
): Effect.Effect<Transport["Type"], HttpTransportConfigError, HttpClient.HttpClient> =>
  makePostTransport(options, (batch, sentAt) =>
    Either.mapLeft(encodePayload({ batchId: batch.batchId, sentAt, events: batch.events }), (error) => error.message))

/** The status and the first `maxResponseBytes` of the body read before the deadline. */
interface Answer {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly body: Uint8Array
}

const append = (read: Uint8Array, chunk: Uint8Array): Uint8Array => {
  const taken = chunk.subarray(0, maxResponseBytes - read.byteLength)
  const next = new Uint8Array(read.byteLength + taken.byteLength)
  next.set(read)
  next.set(taken, read.byteLength)
  return next
}

/**
 * A transport POSTing each batch as JSON, encoded by `encode` (the text, or why it cannot be encoded),
 * with this module's checks, timeout, status classification and `Retry-After` handling. Shared by the OTLP
 * transport. `encode` may also throw: whatever it throws is an `encode` failure of that batch.
 */
export const makePostTransport = (
  options: HttpTransportOptions,
  encode: (batch: Batch, sentAt: number) => Either.Either<string, string>
): Effect.Effect<Transport["Type"], HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const target = yield* checkOptions(options)
    // The transport's own requests are not traced: a tracer that records spans as telemetry would
    // otherwise produce an event for every batch it sends.
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const timeout = Duration.decode(options.timeout ?? defaults.timeout)
    const capMillis = Duration.toMillis(options.maxRetryAfter ?? defaults.maxRetryAfter)
    const encoder = new TextEncoder()
    const { shownUrl } = target
    const secrets = secretsOf(target.headers)

    const unencodable = (batch: Batch, why: string, cause?: unknown) =>
      new TransportError({
        reason: "encode",
        retryable: false,
        message: `cannot encode batch ${showId(batch.batchId)}: ${why}`,
        ...(cause === undefined ? {} : { cause })
      })

    /** The request body, or an `encode` failure: an encoder that throws (on any input) fails only this batch. */
    const encodeBody = (batch: Batch, sentAt: number): Either.Either<Uint8Array, TransportError> => {
      try {
        const encoded = encode(batch, sentAt)
        return Either.isLeft(encoded)
          ? Either.left(unencodable(batch, encoded.left))
          : Either.right(encoder.encode(encoded.right))
      } catch (thrown) {
        return Either.left(unencodable(batch, describeThrown(thrown), thrown))
      }
    }

    const requestFailure = (error: HttpClientError.HttpClientError): TransportError => {
      // The client's own error names the request URL in full: keep only the lower-level cause.
      const cause = error.cause
      const detail = redactUrlsIn(cause instanceof Error ? `${cause.message}${causeCode(cause)}` : error.reason)
      switch (error.reason) {
        case "InvalidUrl":
          return new TransportError({ reason: "network", retryable: false, message: `invalid URL ${shownUrl}` })
        case "Encode":
          return new TransportError({ reason: "encode", retryable: false, message: `cannot encode request`, cause })
        default:
          return new TransportError({
            reason: "network",
            retryable: true,
            message: `POST ${shownUrl} failed: ${detail}`,
            cause
          })
      }
    }

    const classify = (answer: Answer, nowMillis: number) => {
      const status = answer.response.status
      if (status >= 200 && status < 300) return Effect.void
      const header = answer.response.headers["retry-after"]
      const retryAfterMillis = header === undefined ? undefined : parseRetryAfter(header, nowMillis, capMillis)
      const fields = retryAfterMillis === undefined ? { status } : { status, retryAfterMillis }
      const excerpt = bodyExcerpt(answer.body, secrets)
      return Effect.fail(
        status === 413
          ? new TransportError({
            reason: "tooLarge",
            retryable: false,
            message: `POST ${shownUrl} answered 413: the batch is too large${excerpt}`,
            ...fields
          })
          : isUnauthorizedStatus(status)
          ? new TransportError({
            reason: "unauthorized",
            retryable: true,
            message: `POST ${shownUrl} answered ${status}: the receiver refused our credentials${excerpt}`,
            ...fields
          })
          : new TransportError({
            reason: "status",
            retryable: isRetryableStatus(status),
            message: `POST ${shownUrl} answered ${status}${excerpt}`,
            ...fields
          })
      )
    }

    /**
     * Reads at most `maxResponseBytes` of the body into `answer`, then stops: ending the stream early aborts
     * the request, so an endless or huge body costs neither memory nor time. A body that fails to read
     * changes nothing: the status decides.
     */
    const readPrefix = (response: HttpClientResponse.HttpClientResponse, answer: Ref.Ref<Answer | undefined>) =>
      Stream.runFoldWhileEffect(
        response.stream,
        new Uint8Array(0) as Uint8Array,
        (read) => read.byteLength < maxResponseBytes,
        (read, chunk) => {
          const next = append(read, chunk)
          return Effect.as(Ref.set(answer, { response, body: next }), next)
        }
      ).pipe(Effect.ignore, Effect.catchAllDefect(() => Effect.void))

    /**
     * The request and the read of its answer under one deadline: when it passes before the status line the
     * attempt is a `timeout`; after, the status decides with whatever of the body arrived. Interrupting the
     * request or the read aborts the connection.
     */
    const exchange = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, TransportError> =>
      Effect.gen(function*() {
        const answer = yield* Ref.make<Answer | undefined>(undefined)
        yield* client.execute(request).pipe(
          Effect.mapError(requestFailure),
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

    return Transport.of({
      send: (batch) =>
        Effect.gen(function*() {
          const sentAt = yield* Clock.currentTimeMillis
          const body = yield* encodeBody(batch, sentAt)
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
    })
  })

/** The HTTP transport as a layer, over the `HttpClient` in context (on Node, `NodeHttpClient.layerUndici`). */
export const layerHttpTransport = (
  options: HttpTransportOptions
): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> =>
  Layer.effect(Transport, makeHttpTransport(options))
