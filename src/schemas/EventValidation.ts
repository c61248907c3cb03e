/**
 * Validation of `track` input: the `EventInput` schema (which also refuses PII-shaped types and
 * timestamps no transport can encode) plus the rules a schema cannot state cheaply (JSON-only data, its
 * depth and its serialized size).
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { inspectJson, isPlainObject, jsonByteLength, maxJsonDepth, withoutUndefined } from "../internal/json.js"
import { identifierPiiKind } from "../services/redactor/patterns.js"
import { type EventIssue, InvalidEventError } from "./errors.js"
import { EventInput, type JsonObject, maxTimestamp } from "./TelemetryEvent.js"

/** An event larger than this once serialized is refused: 32 KiB. */
export const maxEventBytes = 32 * 1024

/** Room left in an event for its envelope (id, type, session, tags). */
const maxDataBytes = maxEventBytes - 1024

// `data` is checked by one walk of our own, which also measures its size; the rest by the schema.
const EventEnvelope = Schema.Struct({ ...EventInput.fields, data: Schema.optional(Schema.Unknown) })
const decodeEnvelope = ParseResult.decodeUnknownEither(EventEnvelope, { onExcessProperty: "error", errors: "all" })

/**
 * Validates input as an `EventInput` within the size limit, collecting every problem with its path. As in
 * `JSON.stringify`, `undefined` data properties and tags are left out and `undefined` array elements in data
 * become `null`: the event returned is then a copy without them.
 */
export const validateEvent = (input: unknown): Either.Either<EventInput, InvalidEventError> => {
  const envelope = decodeEnvelope(input)
  const issues: Array<EventIssue> = Either.isLeft(envelope)
    ? [...InvalidEventError.fromParseIssue(envelope.left).issues]
    : []
  const data = typeof input === "object" && input !== null ? (input as { readonly data?: unknown }).data : undefined
  if (data !== undefined) {
    const issue = dataIssue(data)
    if (issue !== undefined) issues.push(issue)
  }
  return Either.isLeft(envelope) || issues.length > 0
    ? Either.left(new InvalidEventError({ issues }))
    : Either.right(data === undefined ? envelope.right as EventInput : { ...envelope.right, data: withoutUndefined(data) as JsonObject })
}

const dataIssue = (data: unknown): EventIssue | undefined => {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { path: ["data"], message: "Expected a plain object of JSON values" }
  }
  const size = inspectJson(data)
  if (typeof size !== "number") return { path: ["data", ...size.path], message: size.message }
  const bytes = exactSizeIfNear(data, size)
  return bytes > maxDataBytes
    ? { path: ["data"], message: `serialized data is ${bytes} bytes; an event may hold at most ${maxEventBytes}` }
    : undefined
}

/** `estimate` counts UTF-16 units as if nothing needed escaping; bytes are at most 6× that, so only then measure. */
const exactSizeIfNear = (data: unknown, estimate: number): number =>
  estimate * 6 > maxDataBytes ? jsonByteLength(data) : estimate

// ---- the fast path ----------------------------------------------------------------------------
// `track` runs on every event, and the schema decode above costs several microseconds. `validateEventFast`
// answers the common case — valid input — in a fraction of that; whenever it says no, the caller runs
// `validateEvent`, so the schema stays the single judge. It may refuse valid input, never accept invalid
// input (property tests hold it to that, and to returning what `validateEvent` returns).

// Set by the walks below when they meet an `undefined` to leave out (or, in an array, to write `null`): only
// then does `validateEventFast` copy the input, so data without any costs nothing more. Module state is safe
// here: `isValidInput` clears it first and the walks are synchronous.
let sawUndefined = false

const typePattern = /^[A-Za-z0-9_.:/-]+$/
const knownTypes = new Set<string>()
const maxKnownTypes = 4_096

const isEventType = (u: unknown): boolean => {
  if (typeof u !== "string") return false
  if (knownTypes.has(u)) return true
  if (u.length === 0 || u.length > 128 || !typePattern.test(u)) return false
  // Once per distinct type: a known type skips it.
  if (identifierPiiKind(u) !== undefined) return false
  if (knownTypes.size < maxKnownTypes) knownTypes.add(u)
  return true
}

/** Serialized-size estimate of plain JSON data, or -1 for anything else (cycles end at the depth limit). */
const jsonSize = (u: unknown, depth: number): number => {
  switch (typeof u) {
    case "string":
      return u.length + 2
    case "number":
      return Number.isFinite(u) ? 8 : -1
    case "boolean":
      return 5
    case "object": {
      if (u === null) return 4
      if (depth >= maxJsonDepth) return -1
      let size = 2
      if (Array.isArray(u)) {
        for (let i = 0; i < u.length; i++) {
          const item: unknown = u[i]
          if (item === undefined) {
            sawUndefined = true
            size += 5 // written `null,`
            continue
          }
          const s = jsonSize(item, depth + 1)
          if (s < 0) return -1
          size += s + 1
        }
        return size
      }
      if (!isPlainObject(u)) return -1
      for (const key in u) {
        const item = (u as Record<string, unknown>)[key]
        if (item === undefined) {
          sawUndefined = true // left out
          continue
        }
        const s = jsonSize(item, depth + 1)
        if (s < 0) return -1
        size += s + key.length + 4
      }
      return size
    }
    default:
      return -1
  }
}

const isTags = (u: unknown): boolean => {
  if (typeof u !== "object" || u === null || Array.isArray(u) || !isPlainObject(u)) return false
  let count = 0
  for (const key in u) {
    if (key.length > 128) return false
    const value = (u as Record<string, unknown>)[key]
    if (value === undefined) {
      sawUndefined = true // left out
      continue
    }
    if (typeof value !== "string" || value.length > 1024 || ++count > 32) return false
  }
  return true
}

/** `true` only for input `validateEvent` accepts and returns unchanged; `false` means "ask `validateEvent`". */
export const isValidEvent = (u: unknown): u is EventInput => isValidInput(u) && !sawUndefined

/**
 * The fast path of `track`: the input itself when `isValidEvent` holds; for valid input with `undefined` in its
 * data or tags, the copy without them that `validateEvent` returns; `undefined` means "ask `validateEvent`".
 */
export const validateEventFast = (u: unknown): EventInput | undefined => {
  if (!isValidInput(u)) return undefined
  if (!sawUndefined) return u as EventInput
  const input = u as EventInput
  const copy: { -readonly [K in keyof EventInput]: EventInput[K] } = { ...input }
  if (input.data !== undefined) copy.data = withoutUndefined(input.data) as JsonObject
  if (input.tags !== undefined) copy.tags = withoutUndefined(input.tags) as { readonly [key: string]: string }
  return copy
}

/** Whether `u` is valid input, maybe with `undefined` values to leave out (then `sawUndefined` is set). */
const isValidInput = (u: unknown): boolean => {
  sawUndefined = false
  if (typeof u !== "object" || u === null || !isPlainObject(u)) return false
  const input = u as Record<string, unknown>
  for (const key in input) {
    if (key !== "type" && key !== "data" && key !== "userId" && key !== "tags" && key !== "timestamp") return false
  }
  if (!isEventType(input.type)) return false
  const { data, tags, timestamp, userId } = input
  if (userId !== undefined && (typeof userId !== "string" || userId.length === 0 || userId.length > 256)) return false
  // `!(… <= max)` is also true for NaN.
  if (timestamp !== undefined && (typeof timestamp !== "number" || timestamp < 0 || !(timestamp <= maxTimestamp))) {
    return false
  }
  if (tags !== undefined && !isTags(tags)) return false
  if (data === undefined) return true
  if (typeof data !== "object" || data === null || Array.isArray(data)) return false
  const size = jsonSize(data, 0)
  return size >= 0 && exactSizeIfNear(data, size) <= maxDataBytes
}
