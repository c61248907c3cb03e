/**
 * What the HTTP transport makes of an answer: a bounded read of its body, and a status other than 2xx
 * as a `TransportError` saying whether a retry may help, how long to wait, and what the receiver said
 * (made safe to log).
 *
 * @internal
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { TransportError } from "../../schemas/errors.js"
import { safeText } from "./safeText.js"

/**
 * The most of a response body that is read (64 KiB): enough for an error text or an OTLP `partialSuccess`.
 * The rest is never read: the connection is closed instead.
 *
 * @internal
 */
export const maxResponseBytes = 64 * 1024

/** The status and the first `maxResponseBytes` of the body read before the deadline. */
export interface Answer {
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
 * Reads at most `maxResponseBytes` of the body, handing `answer` the status with each longer prefix read,
 * then stops: ending the stream early aborts the request, so an endless or huge body costs neither memory
 * nor time. A body that fails to read changes nothing: the status decides.
 */
export const readPrefix = (
  response: HttpClientResponse.HttpClientResponse,
  answer: (read: Answer) => void
): Effect.Effect<void> => {
  // The usual answer, a short body of a declared length, is read whole: a stream per request cost more
  // than the rest of the exchange. (The client fails a body longer than it declared, so this stays bounded.)
  const declared = Number(response.headers["content-length"] ?? NaN)
  if (declared >= 0 && declared <= maxResponseBytes) {
    return Effect.matchCause(response.arrayBuffer, {
      onFailure: () => undefined,
      onSuccess: (body) => answer({ response, body: new Uint8Array(body) })
    })
  }
  return readStream(response, answer)
}

const readStream = (
  response: HttpClientResponse.HttpClientResponse,
  answer: (read: Answer) => void
): Effect.Effect<void> =>
  Stream.runFoldWhile(
    response.stream,
    new Uint8Array(0) as Uint8Array,
    (read) => read.byteLength < maxResponseBytes,
    (read, chunk) => {
      const next = append(read, chunk)
      answer({ response, body: next })
      return next
    }
  ).pipe(Effect.matchCause({ onFailure: () => undefined, onSuccess: () => undefined }))

/** Configured header values worth hiding should a receiver echo them back in an error body. */
export const secretsOf = (headers: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.values(headers).flatMap((value) => {
    const credential = /^\S+ +(\S{8,})$/.exec(value.trim())?.[1]
    return [value.trim(), ...(credential === undefined ? [] : [credential])].filter((secret) => secret.length >= 8)
  })

const decoder = new TextDecoder()

/**
 * The first characters of a response body, to make a failure explain itself: on one line, without control
 * characters (a hostile receiver cannot forge log lines), URL credentials or our own header values.
 */
export const bodyExcerpt = (body: Uint8Array, secrets: ReadonlyArray<string>): string => {
  const text = safeText(decoder.decode(body.subarray(0, 4096)), secrets)
  return text.length === 0 ? "" : `: ${text}`
}

/** Statuses saying our credentials were refused: the receiver is unusable until they are fixed. */
const isUnauthorizedStatus = (status: number): boolean => status === 401 || status === 403 || status === 407

/**
 * The HTTP transport's statuses worth another attempt (408, 429, and 5xx but 501 and 505): the server may
 * answer differently later.
 */
export const isRetryableHttpStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)

/** OTLP/HTTP's retryable statuses (429, 502, 503, 504, per the OTLP specification); any other is final. */
export const isRetryableOtlpStatus = (status: number): boolean =>
  status === 429 || status === 502 || status === 503 || status === 504

/**
 * A status other than 2xx as the failure of the attempt: 413 `tooLarge`, 401/403/407 `unauthorized`
 * (retryable: credentials may be fixed), otherwise `status`, retryable when `isRetryable` says so (by
 * default the HTTP transport's 408, 429 and most 5xx). `excerpt` is the body as `bodyExcerpt` shows it.
 */
export const statusFailure = (
  status: number,
  shownUrl: string,
  excerpt: string,
  retryAfterMillis: number | undefined,
  isRetryableStatus: (status: number) => boolean = isRetryableHttpStatus
): TransportError => {
  const [reason, retryable, meaning] = status === 413
    ? ["tooLarge" as const, false, ": the batch is too large"]
    : isUnauthorizedStatus(status)
    ? ["unauthorized" as const, true, ": the receiver refused our credentials"]
    : ["status" as const, isRetryableStatus(status), ""]
  return new TransportError({
    reason,
    retryable,
    message: `POST ${shownUrl} answered ${status}${meaning}${excerpt}`,
    ...(retryAfterMillis === undefined ? { status } : { status, retryAfterMillis })
  })
}
