/**
 * The library's typed errors.
 */
import * as Data from "effect/Data"
import * as ParseResult from "effect/ParseResult"

/** One schema problem: the path of the offending value (empty for the whole input) and what is wrong. */
export interface EventIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/**
 * A schema message without the offending value it quotes (`…, actual "ann@example.com"`): the value is
 * refused input, maybe personal data, and errors end up in logs. Only its kind and size are kept.
 */
const withoutActualValue = (message: string): string => {
  const at = message.lastIndexOf(", actual ")
  if (at < 0) return message
  const actual = message.slice(at + ", actual ".length)
  const described = actual.startsWith("\"")
    ? `a string of ${Math.max(0, actual.length - 2)} characters`
    : /^-?[\d.e+]+$|^(true|false|null|undefined|NaN|-?Infinity)$/.test(actual)
    ? actual
    : actual.startsWith("[")
    ? "an array"
    : actual.startsWith("{")
    ? "an object"
    : "another value"
  return `${message.slice(0, at)}, actual ${described}`
}

/**
 * Input to `track` / `trackUnknown` that is not a valid event, with every schema issue and its path. Nothing
 * was recorded.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidEventError extends Data.TaggedError("InvalidEventError")<{
  readonly issues: ReadonlyArray<EventIssue>
}> {
  /** Builds the error from a Schema parse issue, keeping every leaf problem with its path. */
  static fromParseIssue(issue: ParseResult.ParseIssue): InvalidEventError {
    return new InvalidEventError({
      issues: ParseResult.ArrayFormatter.formatIssueSync(issue).map((i) => ({
        path: i.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
        message: withoutActualValue(i.message)
      }))
    })
  }

  override get message(): string {
    return `Invalid telemetry event: ${
      this.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ")
    }`
  }
}

/** Why a transport could not deliver a batch. */
export type TransportFailure =
  /** the connection failed or was reset */
  | "network"
  /** no answer within the request timeout */
  | "timeout"
  /** the server answered with a non-2xx status */
  | "status"
  /** the server said the batch is too large (HTTP 413); the collector splits it */
  | "tooLarge"
  /** the batch could not be encoded; the collector isolates the events at fault and counts them `unencodable` */
  | "encode"
  /**
   * the receiver refused our credentials (HTTP 401, 403, 407): it is unusable until they are fixed, so the
   * collector keeps batches in the outbox and probes it on the offline backoff
   */
  | "unauthorized"
  /** local storage (file, key-value store) failed */
  | "io"

/**
 * A failed delivery: why, and whether a retry may help. Raised inside transports and handled by the
 * collector; `track` callers never see it.
 *
 * @since 0.2.0
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: TransportFailure
  /** Whether sending the same batch again may succeed. */
  readonly retryable: boolean
  readonly message: string
  /** The HTTP status, when the server answered. */
  readonly status?: number
  /** How long the server asked us to wait (from `Retry-After`), in milliseconds. */
  readonly retryAfterMillis?: number
  readonly cause?: unknown
}> {}
