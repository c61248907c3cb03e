/**
 * Reading any thrown value safely — its type name, its message, its fields as JSON — whatever it is: an
 * `Error`, a tagged error, a string, or an object whose getters throw. Shared by the error descriptions
 * and by the health checks' failure texts, which need nothing else of ErrorTracking.
 *
 * @internal
 */
import type { Json, JsonObject } from "../../schemas/TelemetryEvent.js"
import { bounded, maxTypeLength } from "./Bounds.js"

/** Longest message kept. */
export const maxMessageLength = 1_000

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

/** The type name of any value, cut to `maxTypeLength`. */
export const typeOf = (error: unknown): string => {
  if (typeof error === "string") return "Error"
  if (typeof error !== "object" || error === null) return error === null ? "null" : typeof error
  const name = typeNameOf(error)
  if (name !== undefined) return name
  const constructorName = safeGet(error, "constructor") as { readonly name?: unknown } | undefined
  return typeof constructorName?.name === "string" && constructorName.name.length > 0
    ? bounded(constructorName.name, maxTypeLength)
    : "Object"
}

/**
 * The message of any value: an error's `message`; for a tagged error without one (`Data.TaggedError`),
 * its fields as JSON; for other values, their JSON or `String` form. Cut to `maxMessageLength`.
 */
export const messageOf = (error: unknown): string => {
  let message: string
  if (typeof error === "string") message = error
  else if (typeof error !== "object" || error === null) message = String(error)
  else {
    const own = safeGet(error, "message")
    if (typeof own === "string" && own.length > 0) message = own
    else {
      const fields = fieldsOf(error)
      message = Object.keys(fields).length === 0 ? "" : JSON.stringify(fields)
    }
  }
  return bounded(message, maxMessageLength)
}

const fieldsOf = (error: object): JsonObject => {
  const result: { [key: string]: Json } = {}
  const state: CopyState = { seen: new Set([error]), budget: maxCopiedObjects }
  try {
    for (const key of Object.keys(error).slice(0, 20)) {
      if (key === "_tag" || key === "stack" || key === "cause" || key === "message" || key === "name") continue
      setOwn(result, key, copyValue(safeGet(error, key), 2, state))
    }
  } catch {
    // Keys that cannot be listed (a revoked Proxy): no fields rather than a failed capture.
  }
  return result
}

/** A field of `object`, or `undefined` when reading it throws (a getter, a Proxy trap). */
export const safeGet = (object: object, key: string): unknown => {
  try {
    return (object as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

/**
 * Assigns without invoking the `__proto__` setter: `JSON.parse` makes `__proto__` an own field, and a
 * plain assignment of it would give the copy another prototype, which no collector accepts as JSON.
 */
export const setOwn = <V>(object: Record<string, V>, key: string, value: V): void => {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    object[key] = value
  }
}

/**
 * Objects and arrays copied by one `toJsonObject` at most (default 1,000): references shared between
 * branches are not cycles, and without a bound a small object could make an exponential walk.
 */
export const maxCopiedObjects = 1_000

interface CopyState {
  /** The objects enclosing the one being copied: one found among them closes a cycle. */
  readonly seen: Set<unknown>
  /** Objects and arrays still allowed. */
  budget: number
}

const copyValue = (value: unknown, depth: number, state: CopyState): Json => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value
    case "number":
      return Number.isFinite(value) ? value : String(value)
    case "bigint":
      return value.toString()
    case "undefined":
    case "function":
    case "symbol":
      return null
  }
  if (value === null) return null
  if (state.seen.has(value)) return "[Circular]"
  if (depth <= 0 || --state.budget < 0) return "[…]"
  try {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
    if (value instanceof Error) return { type: typeOf(value), message: messageOf(value) }
    state.seen.add(value)
    try {
      return Array.isArray(value)
        ? value.slice(0, 50).map((item) => copyValue(item, depth - 1, state))
        : copyFields(value as object, depth, state)
    } finally {
      state.seen.delete(value)
    }
  } catch {
    // A throwing getter, Proxy trap or `toISOString`: this value is lost, not the capture.
    return "[Unreadable]"
  }
}

const copyFields = (value: object, depth: number, state: CopyState): JsonObject => {
  const result: { [key: string]: Json } = {}
  for (const key of Object.keys(value).slice(0, 50)) {
    const item = safeGet(value, key)
    if (typeof item === "function" || typeof item === "symbol" || item === undefined) continue
    setOwn(result, key, copyValue(item, depth - 1, state))
  }
  return result
}

/**
 * A plain JSON object copied from caller-given data (context, breadcrumb data): its own enumerable
 * fields, at most 50 a level and `depth` levels (default 6); non-finite numbers and bigints become
 * strings, errors `{ type, message }`, dates ISO strings; functions, symbols and `undefined` are left
 * out, cycles become `"[Circular]"`, a `__proto__` key stays an ordinary field, and a value that is not
 * an object becomes `{ value }`. Never throws.
 */
export const toJsonObject = (value: unknown, depth = 6): JsonObject => {
  const state: CopyState = { seen: new Set(), budget: maxCopiedObjects }
  try {
    // `Array.isArray` and `Object.keys` throw on a revoked Proxy.
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { value: copyValue(value, depth, state) }
    }
    state.seen.add(value)
    return copyFields(value, depth, state)
  } catch {
    return { unreadable: true }
  }
}
