/**
 * Severity and category of an error, read from its structure first — HTTP status, `@effect/platform`
 * `HttpClientError`, Effect `TimeoutException`, `ParseError`, Node error codes (also of its `cause`),
 * `_tag`/`name`, and whether it was a failure or a defect — and from its message text only when nothing
 * else tells; a severity the message states in words (`CRITICAL: …`, `Warning: …`) sets a failure's.
 */
import { isHttpClientError } from "@effect/platform/HttpClientError"
import { Cause, ParseResult } from "effect"
import type { ErrorCategory, ErrorKind, Severity } from "../../schemas/ErrorEvents.js"
import { severityRank } from "../../schemas/ErrorEvents.js"

/** A classification and the evidence it rests on (shown as `classifiedBy` in events). */
export interface Classification {
  readonly severity: Severity
  readonly category: ErrorCategory
  readonly classifiedBy: string
}

/** The severity a category has when the error is an expected failure (not a defect). */
export const categorySeverity: { readonly [C in ErrorCategory]: Severity } = {
  network: "ERROR",
  timeout: "WARNING",
  authentication: "WARNING",
  authorization: "WARNING",
  rate_limit: "WARNING",
  validation: "WARNING",
  not_found: "WARNING",
  api: "ERROR",
  runtime: "ERROR",
  interruption: "INFO",
  unknown: "ERROR"
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

/** Longest type name kept: a name is code, but a `_tag` or `name` may be built from anything. */
export const maxTypeLength = 200

/** A string cut to `max` UTF-16 units, ending in "…" when cut, never splitting a surrogate pair. */
export const bounded = (text: string, max: number): string => {
  if (text.length <= max) return text
  let end = max - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}

/**
 * The `_tag` or `name` of a value, whichever is a non-empty string (the tag first: it is the more
 * specific), cut to `maxTypeLength`.
 */
export const typeNameOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const tag = (error as { readonly _tag?: unknown })._tag
  if (typeof tag === "string" && tag.length > 0) return bounded(tag, maxTypeLength)
  const name = (error as { readonly name?: unknown }).name
  return typeof name === "string" && name.length > 0 ? bounded(name, maxTypeLength) : undefined
}

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

const fromStructure = (
  error: unknown,
  message: string
): { readonly category: ErrorCategory; readonly by: string } | undefined => {
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
      const category = categoryOfCode(causeCode, messageOf(cause))
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

const messageOf = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const message = (error as { readonly message?: unknown }).message
    if (typeof message === "string") return message
  }
  return ""
}

/** The category a message's text names (an HTTP status it quotes first), or `undefined`. */
const fromMessage = (message: string): { readonly category: ErrorCategory; readonly by: string } | undefined => {
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

/**
 * A severity the message states in words: a level marker at its start — `CRITICAL:`, `[FATAL]`,
 * `Fatal error`, `panic:`, `EMERGENCY -`; `Warning:`, `[WARN]`, `WARNING -` — or, anywhere, "fatal error",
 * "fatal exception", "crashed" (not "crash report"). A word inside a sentence ("critical path", "warnings
 * list") is not a marker.
 */
const severityWords =
  /^[\s[(<]*(?:(critical|fatal|panic|emerg(?:ency)?)|(warn(?:ing)?))(?=\s*[:\]\)>!]|\s+[-\u2013\u2014]\s|\s+(?:error|exception|failure)\b)|\b(fatal (?:error|exception)|crash(?:ed|es)?\b(?! report))/i

/** A type name that says warning: Node's `DeprecationWarning`, `ExperimentalWarning`, `MaxListenersExceededWarning`. */
const warningName = /Warning$/

/** The severity explicitly stated by a message or a type name, and the word that stated it. */
export const statedSeverity = (
  message: string,
  typeName: string | undefined
): { readonly severity: Severity; readonly word: string } | undefined => {
  const m = severityWords.exec(message)
  if (m !== null) {
    const critical = m[1] ?? m[3]
    return critical !== undefined
      ? { severity: "CRITICAL", word: critical.toLowerCase() }
      : { severity: "WARNING", word: m[2]!.toLowerCase() }
  }
  if (typeName !== undefined && warningName.test(typeName)) return { severity: "WARNING", word: typeName }
  return undefined
}

/**
 * Classifies an error. The category comes from its structure, else its message text, else `unknown`.
 * The severity, in this order: an interruption is `INFO`; a defect (`die`) is `CRITICAL` — a bug the
 * program did not plan for — whatever its words; a failure takes the severity its message or type name
 * states (`CRITICAL: …`, `Warning: …`, `DeprecationWarning`), else its category's.
 */
export const classify = (error: unknown, kind: ErrorKind): Classification => {
  if (kind === "interrupt") return { category: "interruption", severity: "INFO", classifiedBy: "interrupt" }
  const message = messageOf(error)
  const evidence = fromStructure(error, message) ?? fromMessage(message)
  const category: ErrorCategory = evidence?.category ?? "unknown"
  const by = evidence?.by ?? "default"
  if (kind === "die") return { category, severity: "CRITICAL", classifiedBy: `die, ${by}` }
  const stated = statedSeverity(message, typeNameOf(error))
  return stated === undefined
    ? { category, severity: categorySeverity[category], classifiedBy: by }
    : { category, severity: stated.severity, classifiedBy: `${by}, severity word ${stated.word}` }
}

/** The part of `classifiedBy` that names a severity word, to take out when a caller sets the severity. */
export const statedSeverityEvidence = /, severity word [\s\S]*$/

/**
 * Classifies a message given to `captureMessage`: its category from its text (an HTTP status it quotes,
 * then the message patterns), else `unknown`; its severity is the one the caller gives.
 */
export const classifyMessage = (message: string, severity: Severity): Classification => {
  const evidence = fromMessage(message)
  return evidence === undefined
    ? { category: "unknown", severity, classifiedBy: "default" }
    : { category: evidence.category, severity, classifiedBy: evidence.by }
}

/**
 * Which error of a `Cause` is its primary: the higher, the more severe — by severity, then a defect
 * before a failure; interruptions last.
 */
export const priority = (classification: Classification, kind: ErrorKind): number =>
  kind === "interrupt" ? -1 : severityRank[classification.severity] * 2 + (kind === "die" ? 1 : 0)

/** The worse of two severities. */
export const worseSeverity = (a: Severity, b: Severity): Severity => (severityRank[a] >= severityRank[b] ? a : b)
