/**
 * The evidence an error's category is read from: its structure first — HTTP status, `@effect/platform`
 * `HttpClientError`, Effect `TimeoutException`, `ParseError`, Node error codes (also of its `cause`),
 * `_tag`/`name` — and its message text only when nothing else tells.
 *
 * @internal
 */
import { isHttpClientError } from "@effect/platform/HttpClientError"
import * as Cause from "effect/Cause"
import * as ParseResult from "effect/ParseResult"
import type { ErrorCategory } from "../../schemas/ErrorEvents.js"
import { typeNameOf } from "./ErrorValues.js"

/** A category and what showed it (shown as `classifiedBy` in events). */
export interface Evidence {
  readonly category: ErrorCategory
  readonly by: string
}

/** The category an HTTP status stands for, or `undefined` for a status that is not an error. */
export const categoryOfStatus = (status: number): ErrorCategory | undefined => {
  switch (status) {
    case 401:
    case 407:
      return "authentication"
    case 403:
      return "authorization"
    case 404:
    case 410:
      return "not_found"
    case 408:
    case 504:
      return "timeout"
    case 429:
      return "rate_limit"
    case 400:
    case 409:
    case 413:
    case 415:
    case 422:
      return "validation"
  }
  return status >= 400 && status <= 599 ? "api" : undefined
}

/** One RegExp matching wherever any of `patterns` does (flags `i`), to reject most inputs in one test. */
const union = (patterns: ReadonlyArray<readonly [RegExp, unknown]>): RegExp =>
  new RegExp(patterns.map(([p]) => `(?:${p.source})`).join("|"), "i")

const networkCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  // Axios in a browser: the request never got a response.
  "ERR_NETWORK"
])
const timeoutCodes = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"
])

const runtimeNames = new Set(["TypeError", "ReferenceError", "RangeError", "SyntaxError", "EvalError", "URIError"])

/**
 * The messages of a failed `fetch` in each runtime — a `TypeError` by the Fetch standard, so its name
 * alone would say `runtime`: undici (Node), Chromium, Firefox, Safari, React Native.
 */
const fetchFailure =
  /^(?:fetch failed|failed to fetch\b.*|networkerror when attempting to fetch resource\.?|load failed|network request failed)$/i

/** Patterns over a type name (`_tag`, `name`), checked in order. Names are chosen by programmers: structure. */
const namePatterns: ReadonlyArray<readonly [RegExp, ErrorCategory]> = [
  [/timeout|timedout/i, "timeout"],
  [/ratelimit|toomanyrequests|throttl|quota/i, "rate_limit"],
  [/unauthori[sz]ed|unauthenticated|authentication|tokenexpired|jsonwebtoken|credential/i, "authentication"],
  [/forbidden|permission|authorization|accessdenied/i, "authorization"],
  [/notfound|nosuchelement/i, "not_found"],
  [/validation|parse|invalid|schema|decode|badrequest|unprocessable/i, "validation"],
  [/network|connection|socket|fetch|transport|dns/i, "network"],
  [/abort|interrupt/i, "interruption"],
  // The provider SDKs' base class and their 5xx classes.
  [/^apierror$|internalserver|serviceunavailable|badgateway|overloaded/i, "api"]
]
/** Any of `namePatterns`: one test rejects the usual names before the ordered list is walked. */
const anyName = union(namePatterns)

/**
 * An HTTP status quoted in a message: leading, as provider SDKs write it (`429 Rate limit reached…`,
 * `401 {"type":"error",…}`) — followed by a capital, a brace or the end, so `500 items failed` is not
 * one — or named (`status code 503`, `HTTP 502`, `HTTP/1.1 404`, `status: 429`).
 */
const leadingStatus = /^([45]\d\d)(?=$|[ :]+[A-Z{[]|:)/
const namedStatus = /\b(?:status(?: code)?|http(?:\/\d(?:\.\d)?)?)[ :=]+([45]\d\d)\b/i

/**
 * Patterns over message text, checked in order: the last resort, after structure. Written against real
 * messages (see the table in the tests), each phrase specific enough not to fire on ordinary prose.
 */
const messagePatterns: ReadonlyArray<readonly [RegExp, ErrorCategory]> = [
  [/\btimed? ?out\b|\btime-?out\b|deadline exceeded|\bE(?:SOCKET)?TIMEDOUT\b/i, "timeout"],
  [
    /rate.?limit|too many requests|quota|\brate exceeded|throttl|resource(?:s)? (?:has been |have been )?exhausted|\bRESOURCE_EXHAUSTED\b/i,
    "rate_limit"
  ],
  [
    /unauthori[sz]ed|unauthenticated|not authenticated|authentication (?:failed|failure|error|required)|\bauth(?:entication)?_error\b|\bauth failed\b|invalid (?:x-)?(?:api[ -]?key|token|credentials?|bearer|session|auth\w*)|incorrect (?:api key|password|credentials)|(?:missing|no|didn't provide an?|did not provide an?) api key|api key (?:not valid|is invalid|expired|revoked)|(?:token|credentials?|session|jwt) (?:has )?expired|\bjwt (?:malformed|invalid)\b|login (?:failed|required)/i,
    "authentication"
  ],
  [
    /forbidden|permission denied|\bpermission_error\b|access denied|access is denied|not permitted|insufficient (?:permissions?|privileges|scopes?)|does not have (?:permission|access)/i,
    "authorization"
  ],
  [
    /\bECONN(?:REFUSED|RESET|ABORTED)\b|\bENOTFOUND\b|\bEAI_AGAIN\b|\bEPIPE\b|\bE(?:NET|HOST)(?:UNREACH|DOWN)\b|socket hang up|fetch failed|failed to fetch|\bnetwork\b|connection (?:error|refused|reset|closed|lost|terminated|aborted)|other side closed|getaddrinfo|\bdns\b|\boffline\b/i,
    "network"
  ],
  [/\bnot found\b|does not exist|no such (?:key|model|resource|object|bucket|table)|\bnot_found_error\b/i, "not_found"],
  [
    /internal server error|bad gateway|service unavailable|server (?:had an )?error|\bapi_error\b|overloaded|temporarily unavailable|payment required|method not allowed|upstream (?:error|connect)/i,
    "api"
  ],
  [
    /invalid|validation|is required|must be|malformed|bad request|unprocessable|too large|too long|exceeds? (?:the )?(?:max|maximum|limit)|maximum context length|unsupported|conflict/i,
    "validation"
  ]
]
/** Any of `messagePatterns`: one test says `unknown` for most messages before the ordered list is walked. */
const anyMessage = union(messagePatterns)

const readStatus = (error: object): number | undefined => {
  const status = statusValue((error as { readonly status?: unknown }).status)
  if (status !== undefined) return status
  return statusValue((error as { readonly statusCode?: unknown }).statusCode) ??
    statusValue((error as { readonly response?: { readonly status?: unknown } }).response?.status)
}

const statusValue = (c: unknown): number | undefined =>
  typeof c === "number" && Number.isInteger(c) && c >= 100 && c <= 599 ? c : undefined

/** Axios reports its own timeouts as `ECONNABORTED` ("timeout of 5000ms exceeded"). */
const axiosTimeout = /timeout/i

/** The category of a Node, undici or Axios network `code`, or `undefined` for any other code. */
const categoryOfCode = (code: string, message: string): ErrorCategory | undefined => {
  if (code === "ECONNABORTED" && axiosTimeout.test(message)) return "timeout"
  if (networkCodes.has(code)) return "network"
  if (timeoutCodes.has(code)) return "timeout"
  return undefined
}

const codeOf = (error: object): string | undefined => {
  const code = (error as { readonly code?: unknown }).code
  return typeof code === "string" ? code : undefined
}

/** `cause` links followed for a code: undici wraps the socket error in `TypeError: fetch failed`. */
const maxCauseDepth = 3

export const fromStructure = (
  error: unknown,
  message: string
): Evidence | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  if (isHttpClientError(error)) {
    if (error._tag === "ResponseError") {
      const status = error.response.status
      if (error.reason === "StatusCode") {
        return { category: categoryOfStatus(status) ?? "api", by: `HttpClientError status ${status}` }
      }
      return { category: "api", by: `HttpClientError ${error.reason}` }
    }
    return {
      category: error.reason === "Transport" ? "network" : "validation",
      by: `HttpClientError ${error.reason}`
    }
  }
  if (Cause.isTimeoutException(error)) return { category: "timeout", by: "TimeoutException" }
  if (ParseResult.isParseError(error)) return { category: "validation", by: "ParseError" }
  const status = readStatus(error)
  if (status !== undefined) {
    const category = categoryOfStatus(status)
    if (category !== undefined) return { category, by: `status ${status}` }
  }
  const code = codeOf(error)
  if (code !== undefined) {
    const category = categoryOfCode(code, message)
    if (category !== undefined) return { category, by: `code ${code}` }
  }
  let cause = (error as { readonly cause?: unknown }).cause
  for (let depth = 0; depth < maxCauseDepth && typeof cause === "object" && cause !== null; depth++) {
    const causeCode = codeOf(cause)
    if (causeCode !== undefined) {
      const category = categoryOfCode(causeCode, messageText(cause))
      if (category !== undefined) return { category, by: `cause code ${causeCode}` }
    }
    cause = (cause as { readonly cause?: unknown }).cause
  }
  const name = typeNameOf(error)
  // `Error` is by far the most common name, and tells nothing.
  if (name !== undefined && name !== "Error") {
    if (runtimeNames.has(name)) {
      return name === "TypeError" && fetchFailure.test(message)
        ? { category: "network", by: "fetch TypeError" }
        : { category: "runtime", by: `name ${name}` }
    }
    if (anyName.test(name)) {
      for (const [pattern, category] of namePatterns) {
        if (pattern.test(name)) return { category, by: `name ${name}` }
      }
    }
  }
  return undefined
}

export const messageText = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const message = (error as { readonly message?: unknown }).message
    if (typeof message === "string") return message
  }
  return ""
}

/**
 * Messages judged lately (at most 256, of at most 1,000 characters), with their evidence: the same error
 * repeats its message, and the patterns' alternation over it was a sizeable part of a capture.
 */
const judgedMessages = new Map<string, Evidence | null>()
const maxJudgedMessages = 256
const maxJudgedLength = 1_000

/** The category a message's text names (an HTTP status it quotes first), or `undefined`. */
export const fromMessage = (message: string): Evidence | undefined => {
  if (message.length > maxJudgedLength) return judgeMessage(message)
  let evidence = judgedMessages.get(message)
  if (evidence === undefined) {
    evidence = judgeMessage(message) ?? null
    if (judgedMessages.size >= maxJudgedMessages) judgedMessages.clear()
    judgedMessages.set(message, evidence)
  }
  return evidence ?? undefined
}

const judgeMessage = (message: string): Evidence | undefined => {
  if (message.length === 0) return undefined
  const quoted = leadingStatus.exec(message) ?? namedStatus.exec(message)
  if (quoted !== null) {
    const category = categoryOfStatus(Number(quoted[1]))
    if (category !== undefined) return { category, by: `message status ${quoted[1]}` }
  }
  if (!anyMessage.test(message)) return undefined
  for (const [pattern, category] of messagePatterns) {
    if (pattern.test(message)) return { category, by: "message" }
  }
  return undefined
}
