/**
 * Severity and category of an error, read from its structure first — HTTP status, `@effect/platform`
 * `HttpClientError`, Effect `TimeoutException`, `ParseError`, Node error codes, `_tag`/`name`, and
 * whether it was a failure or a defect — and from its message text only when nothing else tells.
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
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED"
])
const timeoutCodes = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"
])

const runtimeNames = new Set(["TypeError", "ReferenceError", "RangeError", "SyntaxError", "EvalError", "URIError"])

/** Patterns over a type name (`_tag`, `name`), checked in order. Names are chosen by programmers: structure. */
const namePatterns: ReadonlyArray<readonly [RegExp, ErrorCategory]> = [
  [/timeout|timedout/i, "timeout"],
  [/ratelimit|toomanyrequests|throttl/i, "rate_limit"],
  [/unauthori[sz]ed|unauthenticated|authentication/i, "authentication"],
  [/forbidden|permission|authorization|accessdenied/i, "authorization"],
  [/notfound|nosuchelement/i, "not_found"],
  [/validation|parse|invalid|schema|decode/i, "validation"],
  [/network|connection|socket|fetch|transport|dns/i, "network"],
  [/abort|interrupt/i, "interruption"]
]

/** Patterns over message text: the last resort. */
const messagePatterns: ReadonlyArray<readonly [RegExp, ErrorCategory]> = [
  [/\btimed? ?out\b|\btimeout\b|deadline exceeded/i, "timeout"],
  [/\b429\b|rate.?limit|too many requests|quota exceeded/i, "rate_limit"],
  [/\b401\b|unauthori[sz]ed|unauthenticated|not authenticated|invalid (?:api )?(?:key|token)|token expired/i, "authentication"],
  [/\b403\b|forbidden|permission denied|access denied|not allowed/i, "authorization"],
  [/\bECONN\w*|\bENOTFOUND\b|socket hang up|fetch failed|network|connection (?:refused|reset|closed)|dns/i, "network"],
  [/\b404\b|not found|does not exist/i, "not_found"],
  [/\b5\d\d\b|internal server error|bad gateway|service unavailable/i, "api"],
  [/invalid|validation|is required|must be|malformed/i, "validation"]
]

const readStatus = (error: object): number | undefined => {
  const candidates = [
    (error as { readonly status?: unknown }).status,
    (error as { readonly statusCode?: unknown }).statusCode,
    (error as { readonly response?: { readonly status?: unknown } }).response?.status
  ]
  for (const c of candidates) {
    if (typeof c === "number" && Number.isInteger(c) && c >= 100 && c <= 599) return c
  }
  return undefined
}

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

const fromStructure = (error: unknown): { readonly category: ErrorCategory; readonly by: string } | undefined => {
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
  const code = (error as { readonly code?: unknown }).code
  if (typeof code === "string") {
    if (networkCodes.has(code)) return { category: "network", by: `code ${code}` }
    if (timeoutCodes.has(code)) return { category: "timeout", by: `code ${code}` }
  }
  const name = typeNameOf(error)
  if (name !== undefined) {
    if (runtimeNames.has(name)) return { category: "runtime", by: `name ${name}` }
    for (const [pattern, category] of namePatterns) {
      if (pattern.test(name)) return { category, by: `name ${name}` }
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

/**
 * Classifies an error. An interruption is `interruption`/`INFO`; a defect (`die`) is `CRITICAL` —
 * a bug the program did not plan for — whatever its category; otherwise the category's severity.
 */
export const classify = (error: unknown, kind: ErrorKind): Classification => {
  if (kind === "interrupt") return { category: "interruption", severity: "INFO", classifiedBy: "interrupt" }
  const structural = fromStructure(error)
  let category: ErrorCategory = "unknown"
  let classifiedBy = "default"
  if (structural !== undefined) {
    category = structural.category
    classifiedBy = structural.by
  } else {
    const message = messageOf(error)
    for (const [pattern, candidate] of messagePatterns) {
      if (pattern.test(message)) {
        category = candidate
        classifiedBy = "message"
        break
      }
    }
  }
  const severity: Severity = kind === "die" ? "CRITICAL" : categorySeverity[category]
  return { category, severity, classifiedBy: kind === "die" ? `die, ${classifiedBy}` : classifiedBy }
}

/**
 * Which error of a `Cause` is its primary: the higher, the more severe — by severity, then a defect
 * before a failure; interruptions last.
 */
export const priority = (classification: Classification, kind: ErrorKind): number =>
  kind === "interrupt" ? -1 : severityRank[classification.severity] * 2 + (kind === "die" ? 1 : 0)

/** The worse of two severities. */
export const worseSeverity = (a: Severity, b: Severity): Severity => (severityRank[a] >= severityRank[b] ? a : b)
