/**
 * The shapes of telemetry events: what callers pass to `track`, what the collector enriches it into,
 * and the batches transports deliver.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { inspectJson, withoutUndefined } from "../internal/json.js"
import { identifierPiiKind } from "../services/redactor/patterns.js"

/** A JSON value: what event data holds once tracked. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** A JSON object. */
export type JsonObject = { readonly [key: string]: Json }

/**
 * A value of type `A` as `track` takes it in event data: what `JSON.stringify` writes as JSON, where an object
 * property may be optional or `undefined` (left out) and an array element `undefined` (written `null`). Object
 * types need no index signature, so interfaces fit; functions, symbols, bigints and objects with methods
 * (`Date`, `Map`) do not. What types cannot tell (`NaN`, cycles, class instances) is refused when tracked.
 */
export type JsonInput<A> = A extends Json ? A // first: it spares the checker an endless expansion of `Json`
  : A extends string | number | boolean | null | undefined ? A
  : A extends ReadonlyArray<unknown> ? { readonly [K in keyof A]: JsonInput<A[K]> }
  : A extends (...args: ReadonlyArray<never>) => unknown ? never
  : A extends object ? { readonly [K in keyof A]: JsonInput<A[K]> }
  : never

/**
 * Event data of type `A` as `track` takes it: an object of `JsonInput` values. (A mapped type, not a
 * conditional one, so that it can bound `A` itself; an array fits it, and is refused when tracked.)
 */
export type EventData<A> = { readonly [K in keyof A]: JsonInput<A[K]> }

/**
 * Event data: a plain object of JSON values only — no functions, `NaN`/`Infinity`, class instances,
 * cycles, or nesting deeper than 32 levels. A failure names the path of the first offending value. As in
 * `JSON.stringify`, `undefined` properties are left out and `undefined` array elements become `null`: the
 * decoded value is a copy without them (the input itself when it has none).
 */
export const JsonObject: Schema.Schema<JsonObject> = Schema.declare<JsonObject, JsonObject, readonly []>([], {
  decode: () => (input, _options, ast) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return ParseResult.fail(new ParseResult.Type(ast, input, "Expected a plain object of JSON values"))
    }
    const result = inspectJson(input)
    if (typeof result === "number") return ParseResult.succeed(withoutUndefined(input) as JsonObject)
    const problem = new ParseResult.Type(ast, result.actual, result.message)
    const [head, ...tail] = result.path
    return ParseResult.fail(head === undefined ? problem : new ParseResult.Pointer([head, ...tail], input, problem))
  },
  encode: () => (input) => ParseResult.succeed(input as JsonObject)
}, {
  identifier: "JsonObject",
  description: "a plain object of JSON values"
})

/**
 * An event type such as `chat.message`: 1–128 characters of letters, digits and `. _ - : /`, holding no
 * PII — a type shaped like a card number, an API key, an SSN, a phone number or an IP address is refused,
 * since types are names and reach every transport and dashboard unredacted.
 */
export const EventType = Schema.String.pipe(
  Schema.minLength(1, { message: () => "event type must not be empty" }),
  Schema.maxLength(128, { message: () => "event type is longer than 128 characters" }),
  Schema.pattern(/^[A-Za-z0-9_.:/-]+$/, {
    message: () => "event type may hold only letters, digits and . _ - : /"
  }),
  Schema.filter((type) => {
    const kind = identifierPiiKind(type)
    // The message names the kind found, never the type itself: that would copy the secret into logs.
    return kind === undefined ||
      `event type looks like it holds personal data or a secret (${kind}); name the event, and put values in data`
  })
).annotations({ identifier: "EventType" })

/**
 * The latest epoch millisecond every transport can encode, 18,446,744,073,709 (year 2554): OTLP counts
 * unsigned 64-bit nanoseconds, which end there; a JS `Date` holds up to 8.64e15 ms.
 */
export const maxTimestamp = 18_446_744_073_709 // ⌊(2^64 − 1) ns / 10^6⌋

/** Epoch milliseconds, from 0 to `maxTimestamp`. */
export const Timestamp = Schema.Number.pipe(
  Schema.finite(),
  Schema.between(0, maxTimestamp, {
    message: () => `expected epoch milliseconds from 0 to ${maxTimestamp} (what OTLP's 64-bit nanoseconds hold)`
  })
).annotations({
  identifier: "Timestamp"
})

/** A W3C trace id's shape: 32 lowercase hex characters, not all zero. */
export const traceIdPattern = /^(?!0{32})[0-9a-f]{32}$/

/** A W3C span id's shape: 16 lowercase hex characters, not all zero. */
export const spanIdPattern = /^(?!0{16})[0-9a-f]{16}$/

/** A W3C trace id: 32 lowercase hex characters, not all zero. */
export const TraceId = Schema.String.pipe(
  Schema.pattern(traceIdPattern, { message: () => "a trace id is 32 lowercase hex characters, not all zero" })
).annotations({ identifier: "TraceId" })

/** A W3C span id: 16 lowercase hex characters, not all zero. */
export const SpanId = Schema.String.pipe(
  Schema.pattern(spanIdPattern, { message: () => "a span id is 16 lowercase hex characters, not all zero" })
).annotations({ identifier: "SpanId" })

/** A user identifier, 1–256 characters. */
export const UserId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(256)).annotations({
  identifier: "UserId"
})

const TagName = Schema.String.pipe(Schema.maxLength(128, { message: () => "a tag name is longer than 128 characters" }))
const TagValue = Schema.String.pipe(Schema.maxLength(1024))

/** Free-form string tags: at most 32, names up to 128 characters, values up to 1,024. */
export const Tags = Schema.Record({ key: TagName, value: TagValue }).pipe(
  Schema.filter((tags) => Object.keys(tags).length <= 32 || "at most 32 tags")
).annotations({ identifier: "Tags" })

/** Tags as `track` takes them: a tag whose value is `undefined` is left out, as `JSON.stringify` leaves it. */
const TagsInput = Schema.transform(Schema.Record({ key: TagName, value: Schema.UndefinedOr(TagValue) }), Tags, {
  strict: true,
  decode: (tags) => withoutUndefined(tags) as { readonly [key: string]: string },
  encode: (tags) => tags
}).annotations({ identifier: "TagsInput" })

/**
 * An event as `track` records it, once validated: `data` and `tags` hold no `undefined`. The collector fills
 * in `id`, `timestamp`, `sessionId` and `kind`.
 */
export const EventInput = Schema.Struct({
  type: EventType,
  data: Schema.optional(JsonObject),
  userId: Schema.optional(UserId),
  tags: Schema.optional(TagsInput),
  timestamp: Schema.optional(Timestamp),
  /** The trace the event belongs to; default: the current span's, when there is one. */
  traceId: Schema.optional(TraceId),
  /** The span the event happened in; default: the current span. */
  spanId: Schema.optional(SpanId)
}).annotations({ identifier: "EventInput" })
export type EventInput = typeof EventInput.Type

/**
 * What a caller passes to `track`: an `EventInput` whose `data` keeps the caller's own type, checked by
 * `EventData` (so interfaces and optional fields compile), and whose tags may be `undefined`.
 */
export type TrackInput<Data = JsonObject> = Omit<typeof EventInput.Encoded, "data"> & {
  readonly data?: Data | undefined
}

/** The family an event belongs to, derived from the first segment of its type (`error.timeout` → `error`). */
export const EventKind = Schema.Literal("custom", "session", "performance", "usage", "error", "health")
export type EventKind = typeof EventKind.Type

const kinds: ReadonlySet<string> = new Set(EventKind.literals)

/** The kind of an event type: its first dot-separated segment when that names a kind, else `custom`. */
export const kindOf = (type: string): EventKind => {
  const dot = type.indexOf(".")
  const segment = dot > 0 ? type.slice(0, dot) : type
  return kinds.has(segment) ? segment as EventKind : "custom"
}

/** An enriched event, as buffered and delivered. */
export const TelemetryEvent = Schema.Struct({
  id: Schema.String,
  type: EventType,
  kind: EventKind,
  timestamp: Timestamp,
  sessionId: Schema.String,
  userId: Schema.optional(UserId),
  data: JsonObject,
  tags: Schema.optional(Tags),
  /** The trace of the span current when the event was tracked (or given to `track`). */
  traceId: Schema.optional(TraceId),
  /** The span current when the event was tracked (or given to `track`). */
  spanId: Schema.optional(SpanId)
}).annotations({ identifier: "TelemetryEvent" })
export type TelemetryEvent = typeof TelemetryEvent.Type

/** A batch handed to a `Transport`. Its `batchId` stays the same on every re-send. */
export const Batch = Schema.Struct({
  batchId: Schema.String,
  events: Schema.Array(TelemetryEvent)
}).annotations({ identifier: "Batch" })
export type Batch = typeof Batch.Type

/** What the HTTP transport POSTs: the batch plus the time of this attempt. */
export const BatchPayload = Schema.Struct({
  batchId: Schema.String,
  sentAt: Timestamp,
  events: Schema.Array(TelemetryEvent)
}).annotations({ identifier: "BatchPayload" })
export type BatchPayload = typeof BatchPayload.Type
