/**
 * The HTTP and OTLP transports' options: their schema (defaults included), the error a bad option
 * fails the build with, and the checks that turn a URL and headers into what every request carries.
 * Checked once, so a configuration no request can carry fails at start-up instead of failing every batch.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError, type OptionsErrorFields } from "../../internal/decode.js"
import { DurationOption } from "../../internal/DurationOption.js"
import { displayUrl } from "../../internal/url.js"

/**
 * An HTTP or OTLP transport option that cannot work, found when the transport is built: a URL that is not
 * an absolute http(s) URL, a header no HTTP client would send, a duration or a field of the wrong type.
 * Never carries a header's value (it may be a secret). Prints as `option url: ftp://host uses ftp:, …`.
 *
 * @since 0.2.0
 * @category errors
 */
export class HttpTransportConfigError extends OptionsError("HttpTransportConfigError") {
  /** The offending header's name (JSON-quoted when it holds invisible characters), for a header problem. */
  declare readonly header?: string
  constructor(fields: OptionsErrorFields & { readonly header?: string }) {
    super(fields)
  }
}

/** Request headers: an object of names to values, each checked by `checkHeaders` (which names the header at fault). */
const Headers = Schema.declare(
  (u: unknown): u is Readonly<Record<string, string>> => Predicate.isRecord(u),
  { identifier: "Headers", description: "an object of header names to string values" }
)

/** The HTTP transport's options; every field but `url` has a default. */
export const HttpOptions = Schema.Struct({
  /** The endpoint batches are POSTed to: an absolute http(s) URL; credentials in it become Basic auth. */
  url: Schema.String,
  /**
   * How long one exchange may take — the request, its answer and the bounded read of the body — before it is
   * abandoned (aborting the connection); default 10 seconds.
   */
  timeout: Schema.optionalWith(DurationOption, { default: () => Duration.seconds(10) }),
  /** Extra request headers, e.g. `authorization`; `content-type` and `idempotency-key` are always ours. */
  headers: Schema.optionalWith(Headers, { default: () => ({}) }),
  /** The longest `Retry-After` passed on to the collector; default 60 seconds. */
  maxRetryAfter: Schema.optionalWith(DurationOption, { default: () => Duration.seconds(60) })
})

/** Settings of the HTTP transport, as users write them. */
export type HttpTransportOptions = Schema.Schema.Encoded<typeof HttpOptions>

/** Decodes HTTP transport options into `HttpTransportConfigError`. */
export const decodeHttpOptions = <A, I extends HttpTransportOptions>(schema: Schema.Schema<A, I>) =>
  decodeOptions(schema, (fields) => new HttpTransportConfigError(fields))

// RFC 9110 §5.1: a field name is a token.
export const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 9110 §5.5, as Node and undici check it: tab, visible ASCII, space and obs-text bytes.
export const invalidHeaderValue = /[^\t\x20-\x7e\x80-\xff]/
// Framing and connection headers belong to the HTTP client; undici refuses most of them on every request.
const clientManagedHeaders = new Set(["connection", "content-length", "expect", "keep-alive", "transfer-encoding", "upgrade"])

/** A header name fit for a message: as is when printable, else JSON-quoted and cut short. */
const showHeaderName = (name: string): string => {
  const shown = headerName.test(name) ? name : JSON.stringify(name)
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown
}

const hex = (char: string): string => char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")

/** What is wrong with a header value, without quoting it. */
const valueProblem = (value: unknown): string | undefined => {
  if (typeof value !== "string") return `is a ${typeof value}, not a string`
  const bad = invalidHeaderValue.exec(value)
  if (bad === null) return undefined
  const char = bad[0]
  const at = `at character ${bad.index + 1}`
  if (char === "\r" || char === "\n") return `contains a line break (CR or LF) ${at}`
  if (char.charCodeAt(0) <= 0xff) return `contains the control character U+${hex(char)} ${at}`
  return `contains U+${hex(char)} ${at}, outside the Latin-1 bytes a header value can hold (encode it, e.g. as base64)`
}

const headerProblem = (name: string, value: unknown): string | undefined =>
  !headerName.test(name)
    ? "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)"
    : clientManagedHeaders.has(name.toLowerCase())
    ? "is managed by the HTTP client and cannot be set"
    : valueProblem(value)

const decodeUserInfo = (part: string): string => {
  try {
    return decodeURIComponent(part)
  } catch {
    return part
  }
}

/** Where and how every request goes: the URL without user-info, the URL as logs show it, the headers. */
export interface Target {
  readonly url: string
  readonly shownUrl: string
  readonly headers: Readonly<Record<string, string>>
}

const urlError = (reason: string) => Effect.fail(new HttpTransportConfigError({ option: "url", reason }))

/**
 * The URL and headers checked and combined. Credentials in the URL become a Basic `authorization` header
 * (unless one is set), as curl does: undici ignores them and `fetch` refuses such URLs.
 */
export const checkTarget = (
  url: string,
  given: Readonly<Record<string, string>>
): Effect.Effect<Target, HttpTransportConfigError> => {
  const shownUrl = displayUrl(url)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return urlError(`${shownUrl} is not an absolute http(s) URL`)
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return urlError(`${shownUrl} uses ${parsed.protocol}, not http: or https:`)
  }
  const headers: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(given)) {
    const problem = headerProblem(name, value)
    if (problem !== undefined) {
      const header = showHeaderName(name)
      return Effect.fail(new HttpTransportConfigError({ option: "headers", header, reason: `header ${header} ${problem}` }))
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
  return Effect.succeed({ url: parsed.href, shownUrl, headers: Object.fromEntries(headers) })
}
