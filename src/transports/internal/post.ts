/**
 * One POST of an encoded body, as the HTTP and OTLP transports and the OTLP exporters make it: the
 * checked URL and headers, an optional compression, one deadline over the request and the bounded read of its
 * answer, a status policy saying which failures a retry may cure, and a hook reading a 2xx answer.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { redactUrlsIn } from "../../internal/url.js"
import { TransportError } from "../../schemas/errors.js"
import type { Receipt } from "../TransportTag.js"
import * as Deadlines from "./deadline.js"
import { describeThrown } from "./failureText.js"
import { checkTarget, type HttpTransportConfigError } from "./httpOptions.js"
import { type Answer, bodyExcerpt, readPrefix, secretsOf, statusFailure } from "./response.js"
import { parseRetryAfter } from "./retryAfter.js"
import { safeText } from "./safeText.js"

/** Where a poster sends, and how long it waits: the decoded HTTP options. */
export interface PostTarget {
  readonly url: string
  readonly timeout: Duration.Duration
  readonly headers: Readonly<Record<string, string>>
  readonly maxRetryAfter: Duration.Duration
}

/** How a poster writes its requests and reads their answers. */
export interface PostPolicy {
  /** The body's `content-type`. */
  readonly contentType: string
  /** Compresses every body, sent with `content-encoding: <encoding>`; none by default. */
  readonly compression?: BodyCompression | undefined
  /** Which statuses other than 2xx a retry may cure; default the HTTP transport's (408, 429, most 5xx). */
  readonly isRetryableStatus?: (status: number) => boolean
  /** Reads a 2xx answer's body (at most `maxResponseBytes`): what the receiver refused of it, if anything. */
  readonly receipt?: (body: Uint8Array) => Receipt | undefined
}

/** A body compression: the `content-encoding` it is sent under, and how a body is compressed. */
export interface BodyCompression {
  readonly encoding: string
  readonly compress: (body: Uint8Array) => Effect.Effect<Uint8Array, TransportError>
}

/** Sends bodies to one checked URL. */
export interface Poster {
  /** The URL as logs show it (no credentials). */
  readonly shownUrl: string
  /** One POST of `body`; `headers` are added to the configured ones. */
  readonly post: (
    body: Uint8Array,
    headers?: Readonly<Record<string, string>>
  ) => Effect.Effect<void | Receipt, TransportError>
}

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

/**
 * A poster over the `HttpClient` in context. Fails with `HttpTransportConfigError` when the URL or a header
 * cannot be used.
 *
 * @internal
 */
export const makePoster = (
  target: PostTarget,
  policy: PostPolicy
): Effect.Effect<Poster, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const checked = yield* checkTarget(target.url, target.headers)
    // The transport's own requests are not traced: a tracer that records spans as telemetry would
    // otherwise produce an event for every batch it sends.
    const client = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true))
    const { timeout } = target
    const deadlines = Deadlines.make(timeout)
    const capMillis = Duration.toMillis(target.maxRetryAfter)
    const { shownUrl } = checked
    const secrets = secretsOf(checked.headers)
    const { compression } = policy
    const headers = compression === undefined
      ? checked.headers
      : { ...checked.headers, "content-encoding": compression.encoding }
    const { isRetryableStatus, receipt } = policy

    const classify = (answer: Answer): Effect.Effect<void | Receipt, TransportError> => {
      const status = answer.response.status
      if (status >= 200 && status < 300) {
        const said = receipt?.(answer.body)
        return Effect.succeed(
          said === undefined ? undefined : said.message === undefined
            ? said
            : { rejected: said.rejected, message: safeText(said.message, secrets) }
        )
      }
      const header = answer.response.headers["retry-after"]
      return Effect.flatMap(Clock.currentTimeMillis, (nowMillis) => {
        const retryAfterMillis = header === undefined ? undefined : parseRetryAfter(header, nowMillis, capMillis)
        return Effect.fail(statusFailure(status, shownUrl, bodyExcerpt(answer.body, secrets), retryAfterMillis, isRetryableStatus))
      })
    }

    /**
     * The request and the read of its answer under one deadline: when it passes before the status line the
     * attempt is a `timeout`; after, the status decides with whatever of the body arrived. Interrupting the
     * request or the read aborts the connection.
     */
    const exchange = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Answer, TransportError> =>
      Effect.suspend(() => {
        // The status, then the body as it is read: what the deadline leaves of the answer. One exchange's
        // own slot, set before the request can be cut short, read after (a Ref per request cost more).
        let answer: Answer | undefined
        const received = (read: Answer) => {
          answer = read
        }
        const attempt = client.execute(request).pipe(
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
          Effect.flatMap((response) => {
            received({ response, body: new Uint8Array(0) })
            return readPrefix(response, received)
          })
        )
        return Effect.flatMap(deadlines.within(attempt), () =>
          answer !== undefined ? Effect.succeed(answer) : Effect.fail(
            new TransportError({
              reason: "timeout",
              retryable: true,
              message: `POST ${shownUrl} got no answer within ${Duration.format(timeout)}`
            })
          ))
      })

    // The URL and the configured headers, checked once: each POST adds only its own headers and body.
    const base = HttpClientRequest.post(checked.url).pipe(HttpClientRequest.setHeaders(headers))
    const { contentType } = policy
    const request = (sent: Uint8Array, extra: Readonly<Record<string, string>> | undefined) =>
      HttpClientRequest.bodyUint8Array(extra === undefined ? base : HttpClientRequest.setHeaders(base, extra), sent, contentType)
    const answered = (sent: Uint8Array, extra: Readonly<Record<string, string>> | undefined) =>
      Effect.flatMap(exchange(request(sent, extra)), classify)

    const post = (body: Uint8Array, extra?: Readonly<Record<string, string>>) =>
      compression === undefined
        ? answered(body, extra)
        : Effect.flatMap(compression.compress(body), (sent) => answered(sent, extra))

    return { shownUrl, post } satisfies Poster
  })
