/**
 * Classification of real failures, table-driven: what provider SDKs, fetch/undici, Node and HTTP servers
 * actually say, captured through `ErrorTracking` and read back with `getError`. Messages are quoted as
 * the libraries write them; where a library also sets a `status` or `code`, the row without it checks
 * the text rules alone (an error re-thrown as `new Error(e.message)`, or a string from a log).
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Cause, Effect, FiberId, Option } from "effect"
import { TelemetryTest } from "../src/layers/TelemetryTest.js"
import type { ErrorCategory, Severity } from "../src/schemas/ErrorEvents.js"
import { ErrorTracking } from "../src/services/ErrorTracking.js"

const classify = ErrorTracking.classify

interface Row {
  /** Where the message comes from. */
  readonly source: string
  /** A message (captured as `new Error(message)`) or the value to capture. */
  readonly error: string | unknown
  readonly category: ErrorCategory
  /** Default: the category's own severity for a failure. */
  readonly severity?: Severity
}

const withFields = (message: string, fields: Record<string, unknown>, name?: string) => {
  const error = Object.assign(new Error(message), fields)
  if (name !== undefined) error.name = name
  return error
}
const fetchFailed = (cause?: unknown) => new TypeError("fetch failed", cause === undefined ? undefined : { cause })

const categories: ReadonlyArray<Row> = [
  // OpenAI (openai-node): "<status> <message>", and the SDK's own messages without a status.
  {
    source: "OpenAI 401",
    error:
      "401 Incorrect API key provided: sk-proj-****abcd. You can find your API key at https://platform.openai.com/account/api-keys.",
    category: "authentication"
  },
  {
    source: "OpenAI, no key",
    error:
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    category: "authentication"
  },
  {
    source: "OpenAI 429 rate",
    error:
      "429 Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Used 29876, Requested 512. Please try again in 1.2s.",
    category: "rate_limit"
  },
  {
    source: "OpenAI 429 quota",
    error: "429 You exceeded your current quota, please check your plan and billing details.",
    category: "rate_limit"
  },
  {
    source: "OpenAI 400 context",
    error:
      "400 This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.",
    category: "validation"
  },
  {
    source: "OpenAI 404 model",
    error: "404 The model `gpt-5-turbo` does not exist or you do not have access to it.",
    category: "not_found"
  },
  {
    source: "OpenAI 500",
    error: "500 The server had an error while processing your request. Sorry about that!",
    category: "api"
  },
  { source: "OpenAI 503", error: "503 The engine is currently overloaded, please try again later", category: "api" },
  { source: "OpenAI connection", error: "Connection error.", category: "network" },
  { source: "OpenAI timeout", error: "Request timed out.", category: "timeout" },
  {
    source: "OpenAI RateLimitError (status field)",
    error: withFields("429 Rate limit reached for requests", { status: 429 }, "RateLimitError"),
    category: "rate_limit"
  },
  {
    source: "OpenAI APIUserAbortError",
    error: withFields("Request was aborted.", {}, "APIUserAbortError"),
    category: "interruption",
    severity: "INFO"
  },
  {
    source: "OpenAI APIConnectionTimeoutError",
    error: withFields("Request timed out.", {}, "APIConnectionTimeoutError"),
    category: "timeout"
  },
  // Anthropic (anthropic-sdk-typescript): "<status> <JSON body>", and the inner messages alone.
  {
    source: "Anthropic 401",
    error: `401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`,
    category: "authentication"
  },
  {
    source: "Anthropic 429",
    error:
      `429 {"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later."}}`,
    category: "rate_limit"
  },
  {
    source: "Anthropic 529",
    error: `529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
    category: "api"
  },
  {
    source: "Anthropic 400",
    error:
      `400 {"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate between \\"user\\" and \\"assistant\\", but found multiple \\"user\\" roles in a row"}}`,
    category: "validation"
  },
  {
    source: "Anthropic 403",
    error:
      `403 {"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}`,
    category: "authorization"
  },
  {
    source: "Anthropic 404",
    error: `404 {"type":"error","error":{"type":"not_found_error","message":"model: claude-3-opus-latest"}}`,
    category: "not_found"
  },
  {
    source: "Anthropic 413",
    error:
      `413 {"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`,
    category: "validation"
  },
  {
    source: "Anthropic 500",
    error: `500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}`,
    category: "api"
  },
  { source: "Anthropic, inner 401", error: "invalid x-api-key", category: "authentication" },
  { source: "Anthropic, inner 529", error: "Overloaded", category: "api" },
  {
    source: "Anthropic, inner 429",
    error: "Number of request tokens has exceeded your per-minute rate limit",
    category: "rate_limit"
  },
  { source: "Anthropic, inner 400", error: "prompt is too long: 210000 tokens > 200000 maximum", category: "validation" },
  // Google Gemini (@google/generative-ai).
  {
    source: "Gemini 429",
    error:
      "[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-pro:generateContent: [429 Too Many Requests] Resource has been exhausted (e.g. check quota).",
    category: "rate_limit"
  },
  {
    source: "Gemini bad key",
    error:
      "[GoogleGenerativeAI Error]: Error fetching from https://generativelanguage.googleapis.com/v1beta/models/gemini-pro:generateContent: [400 Bad Request] API key not valid. Please pass a valid API key.",
    category: "authentication"
  },
  // fetch: undici in Node wraps the socket error in `TypeError: fetch failed`; browsers say it their way.
  {
    source: "undici, refused",
    error: fetchFailed(withFields("connect ECONNREFUSED 127.0.0.1:3000", { code: "ECONNREFUSED", syscall: "connect" })),
    category: "network"
  },
  {
    source: "undici, connect timeout",
    error: fetchFailed(
      withFields(
        "Connect Timeout Error (attempted address: api.openai.com:443, timeout: 10000ms)",
        { code: "UND_ERR_CONNECT_TIMEOUT" },
        "ConnectTimeoutError"
      )
    ),
    category: "timeout"
  },
  {
    source: "undici, DNS",
    error: fetchFailed(withFields("getaddrinfo ENOTFOUND api.example.com", { code: "ENOTFOUND" })),
    category: "network"
  },
  {
    source: "undici, other side closed",
    error: fetchFailed(withFields("other side closed", { code: "UND_ERR_SOCKET" }, "SocketError")),
    category: "network"
  },
  { source: "undici, no cause", error: fetchFailed(), category: "network" },
  { source: "Chromium fetch", error: new TypeError("Failed to fetch"), category: "network" },
  { source: "Firefox fetch", error: new TypeError("NetworkError when attempting to fetch resource."), category: "network" },
  { source: "Safari fetch", error: new TypeError("Load failed"), category: "network" },
  {
    source: "AbortSignal.timeout",
    error: withFields("The operation was aborted due to timeout", {}, "TimeoutError"),
    category: "timeout"
  },
  {
    source: "AbortController",
    error: withFields("This operation was aborted", {}, "AbortError"),
    category: "interruption",
    severity: "INFO"
  },
  // Node errno codes, with the `code` field and as text only.
  {
    source: "Node ECONNREFUSED (code)",
    error: withFields("connect ECONNREFUSED 127.0.0.1:5432", { code: "ECONNREFUSED" }),
    category: "network"
  },
  { source: "Node ECONNREFUSED (text)", error: "connect ECONNREFUSED 127.0.0.1:5433", category: "network" },
  { source: "Node ECONNRESET (code)", error: withFields("read ECONNRESET", { code: "ECONNRESET" }), category: "network" },
  { source: "Node ECONNRESET (text)", error: "read ECONNRESET", category: "network" },
  { source: "Node ECONNRESET (hang up)", error: "socket hang up", category: "network" },
  {
    source: "Node ETIMEDOUT (code)",
    error: withFields("connect ETIMEDOUT 10.0.0.12:443", { code: "ETIMEDOUT" }),
    category: "timeout"
  },
  { source: "Node ETIMEDOUT (text)", error: "connect ETIMEDOUT 10.0.0.13:443", category: "timeout" },
  {
    source: "Node ENOTFOUND (code)",
    error: withFields("getaddrinfo ENOTFOUND api.openai.com", { code: "ENOTFOUND" }),
    category: "network"
  },
  { source: "Node ENOTFOUND (text)", error: "getaddrinfo ENOTFOUND api.anthropic.com", category: "network" },
  {
    source: "Node EAI_AGAIN (code)",
    error: withFields("getaddrinfo EAI_AGAIN api.openai.com", { code: "EAI_AGAIN" }),
    category: "network"
  },
  { source: "Node EAI_AGAIN (text)", error: "getaddrinfo EAI_AGAIN api.mistral.ai", category: "network" },
  { source: "Node EPIPE (text)", error: "write EPIPE", category: "network" },
  // Axios.
  {
    source: "Axios timeout",
    error: withFields("timeout of 5000ms exceeded", { code: "ECONNABORTED" }, "AxiosError"),
    category: "timeout"
  },
  { source: "Axios network", error: withFields("Network Error", { code: "ERR_NETWORK" }, "AxiosError"), category: "network" },
  { source: "Axios 401 (text)", error: "Request failed with status code 401", category: "authentication" },
  { source: "Axios 503 (text)", error: "Request failed with status code 503", category: "api" },
  // HTTP status lines and status texts.
  { source: "HTTP 400", error: "400 Bad Request", category: "validation" },
  { source: "HTTP 401", error: "401 Unauthorized", category: "authentication" },
  { source: "HTTP 403", error: "403 Forbidden", category: "authorization" },
  { source: "HTTP 404", error: "404 Not Found", category: "not_found" },
  { source: "HTTP 405", error: "405 Method Not Allowed", category: "api" },
  { source: "HTTP 407", error: "407 Proxy Authentication Required", category: "authentication" },
  { source: "HTTP 408", error: "408 Request Timeout", category: "timeout" },
  { source: "HTTP 409", error: "409 Conflict", category: "validation" },
  { source: "HTTP 413", error: "413 Payload Too Large", category: "validation" },
  { source: "HTTP 422", error: "422 Unprocessable Entity", category: "validation" },
  { source: "HTTP 429", error: "429 Too Many Requests", category: "rate_limit" },
  { source: "HTTP 500", error: "500 Internal Server Error", category: "api" },
  { source: "HTTP 502", error: "HTTP/1.1 502 Bad Gateway", category: "api" },
  { source: "HTTP 503", error: "HTTP 503", category: "api" },
  { source: "HTTP 504", error: "504 Gateway Timeout", category: "timeout" },
  { source: "status text 401", error: "Unauthorized", category: "authentication" },
  { source: "status text 403", error: "Forbidden", category: "authorization" },
  { source: "status text 404", error: "Not Found", category: "not_found" },
  { source: "status text 405", error: "Method Not Allowed", category: "api" },
  { source: "status text 429", error: "Too Many Requests", category: "rate_limit" },
  { source: "status text 500", error: "Internal Server Error", category: "api" },
  { source: "status text 502", error: "Bad Gateway", category: "api" },
  { source: "status text 503", error: "Service Unavailable", category: "api" },
  { source: "status text 504", error: "Gateway Timeout", category: "timeout" },
  // The original's own examples.
  { source: "original, auth", error: "Authentication failed", category: "authentication" },
  { source: "original, network", error: "Network request failed", category: "network" },
  { source: "original, timeout", error: "Request timed out", category: "timeout" },
  // Application messages.
  { source: "jsonwebtoken", error: withFields("jwt expired", {}, "TokenExpiredError"), category: "authentication" },
  { source: "session", error: "Session expired, please log in again", category: "authentication" },
  { source: "permission", error: "Permission denied for relation invoices", category: "authorization" },
  { source: "validation", error: "email is required", category: "validation" },
  { source: "validation", error: "amount must be a positive number", category: "validation" },
  // Negatives: ordinary prose that mentions a keyword in passing stays `unknown`.
  { source: "negative", error: "Something went wrong", category: "unknown" },
  // The original matched "auth" anywhere (so "author") and "request"/"api" anywhere.
  { source: "negative, 'author'", error: "Failed to load author profile", category: "unknown" },
  { source: "negative, 'request'", error: "Request failed", category: "unknown" },
  { source: "negative, 'API'", error: "Could not render the API usage chart", category: "unknown" },
  // Numbers that look like statuses but are not one.
  { source: "negative, 500 ms", error: "Retrying in 500 ms", category: "unknown" },
  { source: "negative, 404 records", error: "Processed 404 records, 3 skipped", category: "unknown" },
  { source: "negative, 500 items", error: "500 items failed to import", category: "unknown" },
  { source: "negative, limits", error: "Used 9800 of 10000 credits, requested 429", category: "unknown" },
  { source: "negative, plain Error", error: "Cannot read properties of undefined (reading 'map')", category: "unknown" },
  { source: "negative, payment", error: "Payment declined by card issuer", category: "unknown" }
]

const severities: ReadonlyArray<Row> = [
  // The original's examples.
  { source: "original, critical", error: "CRITICAL: System failure", category: "unknown", severity: "CRITICAL" },
  { source: "original, warning", error: "Warning: Deprecated API", category: "unknown", severity: "WARNING" },
  // Level markers at the start, as loggers and runtimes write them.
  { source: "fatal error", error: "Fatal error: worker pool exhausted", category: "unknown", severity: "CRITICAL" },
  {
    source: "V8 out of memory",
    error: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    category: "unknown",
    severity: "CRITICAL"
  },
  { source: "bracketed fatal", error: "[fatal] job queue stalled", category: "unknown", severity: "CRITICAL" },
  { source: "Go panic", error: "panic: runtime error: index out of range [3] with length 3", category: "unknown", severity: "CRITICAL" },
  { source: "crash", error: "Renderer process crashed", category: "unknown", severity: "CRITICAL" },
  { source: "bracketed warn", error: "[WARN] disk usage at 91%", category: "unknown", severity: "WARNING" },
  { source: "dashed warning", error: "WARNING - cache hit rate below 20%", category: "unknown", severity: "WARNING" },
  {
    source: "Node DeprecationWarning",
    error: withFields("Buffer() is deprecated due to security and usability issues.", { code: "DEP0005" }, "DeprecationWarning"),
    category: "unknown",
    severity: "WARNING"
  },
  // Words set a failure's severity whatever its category, raising or lowering it; the category stays.
  { source: "raises a rate limit", error: "CRITICAL: 429 Too Many Requests", category: "rate_limit", severity: "CRITICAL" },
  { source: "lowers a network error", error: "Warning: network is unreachable", category: "network", severity: "WARNING" },
  {
    source: "lowers a status",
    error: withFields("Warning: upstream answered slowly", { status: 503 }),
    category: "api",
    severity: "WARNING"
  },
  // A level word inside a sentence is not a marker.
  { source: "negative, critical path", error: "Critical path analysis failed", category: "unknown", severity: "ERROR" },
  { source: "negative, webpack", error: "Critical dependency: the request of a dependency is an expression", category: "unknown", severity: "ERROR" },
  { source: "negative, crash report", error: "Failed to send crash report", category: "unknown", severity: "ERROR" },
  { source: "negative, warnings", error: "Warnings list could not be loaded", category: "unknown", severity: "ERROR" },
  { source: "negative, warning banner", error: "The warning banner failed to render", category: "unknown", severity: "ERROR" }
]

const severityOfCategory: { readonly [C in ErrorCategory]: Severity } = {
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

/** Captures the row's error and reads its record back. */
const capturedAs = (row: Row) =>
  Effect.gen(function*() {
    const tracking = yield* ErrorTracking
    const result = yield* tracking.captureError(typeof row.error === "string" ? new Error(row.error) : row.error)
    const record = yield* tracking.getError(result.errorId)
    return Option.getOrThrow(record)
  })

const label = (row: Row) =>
  `${row.source}: ${
    typeof row.error === "string" ? JSON.stringify(row.error.slice(0, 70)) : String((row.error as Error).message)
  }`

layer(TelemetryTest)("classification of real messages", (it) => {
  describe("category", () => {
    for (const row of categories) {
      it.effect(`${label(row)} is ${row.category}`, () =>
        Effect.gen(function*() {
          const record = yield* capturedAs(row)
          expect(record.category).toBe(row.category)
          expect(record.severity).toBe(row.severity ?? severityOfCategory[row.category])
        }))
    }
  })

  describe("severity", () => {
    for (const row of severities) {
      it.effect(`${label(row)} is ${row.severity}`, () =>
        Effect.gen(function*() {
          const record = yield* capturedAs(row)
          expect({ category: record.category, severity: record.severity }).toEqual({
            category: row.category,
            severity: row.severity
          })
        }))
    }

    it.effect("precedence: the caller's severity wins over words; a defect stays CRITICAL; an interruption INFO", () =>
      Effect.gen(function*() {
        const tracking = yield* ErrorTracking
        const severityOf = (error: unknown, options?: { readonly severity: Severity }) =>
          Effect.flatMap(tracking.captureError(error, options), (r) =>
            Effect.map(tracking.getError(r.errorId), (record) => Option.getOrThrow(record).severity))
        expect(yield* severityOf(new Error("CRITICAL: cache miss storm"), { severity: "INFO" })).toBe("INFO")
        expect(yield* severityOf(new Error("Warning: nothing to see"), { severity: "ERROR" })).toBe("ERROR")
        expect(yield* severityOf(Cause.die(new Error("Warning: invariant broken")))).toBe("CRITICAL")
        expect(yield* severityOf(Cause.fail(new Error("Warning: recoverable")))).toBe("WARNING")
        expect(yield* severityOf(Cause.interrupt(FiberId.none))).toBe("INFO")
      }))
  })
})

describe("classifyError evidence", () => {
  it("names what decided: a cause's code, a fetch TypeError, a quoted status, a severity word", () => {
    expect(classify(categories.find((r) => r.source === "undici, refused")!.error, "fail").classifiedBy).toBe(
      "cause code ECONNREFUSED"
    )
    expect(classify(new TypeError("Failed to fetch"), "fail").classifiedBy).toBe("fetch TypeError")
    expect(classify(new TypeError("x is not a function"), "fail")).toMatchObject({ category: "runtime" })
    expect(classify(new Error("401 Unauthorized"), "fail").classifiedBy).toBe("message status 401")
    expect(classify(new Error("CRITICAL: System failure"), "fail").classifiedBy).toBe("default, severity word critical")
  })
})
