/**
 * Turns anything captured — a thrown value, an `Error` with a `cause` chain, or an Effect `Cause` with
 * failures, defects and interruptions combined sequentially or in parallel — into one description:
 * the primary (most severe) error, and every leaf of a `Cause` described on its own.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as FiberId from "effect/FiberId"
import type { CauseComposition, ChainedError, ErrorKind, StackFrame } from "../../schemas/ErrorEvents.js"
import type { Json, JsonObject } from "../../schemas/TelemetryEvent.js"
import { bounded, maxTypeLength } from "./Bounds.js"
import { classify, priority } from "./Classification.js"
import { typeNameOf } from "./Evidence.js"
import { framesOf } from "./StackTrace.js"

/** Longest message kept. */
export const maxMessageLength = 1_000
/** Chained causes (`error.cause`) followed. */
export const maxCauseChain = 5
/** Leaves of a `Cause` described. */
export const maxReasons = 10

/** One error, described: a thrown value, or one leaf of a `Cause`. */
export interface LeafDescription {
  /** The error's `_tag`, else its `name`, else its constructor or primitive type. */
  readonly type: string
  readonly message: string
  readonly kind: ErrorKind
  readonly frames: ReadonlyArray<StackFrame>
  readonly causeChain: ReadonlyArray<ChainedError>
  /** The value described. */
  readonly error: unknown
}

/** A captured value, described: its primary error's fields, and every leaf. */
export interface ErrorDescription extends LeafDescription {
  readonly composition: CauseComposition
  /**
   * The leaves in the order they happened, the primary among them (at most `maxReasons`, the primary
   * always kept); for a thrown value, itself alone.
   */
  readonly leaves: ReadonlyArray<LeafDescription>
  /** Leaves of a `Cause` beyond `maxReasons`, left out of `leaves`. */
  readonly omitted: number
}

/** Describes a thrown value or an Effect `Cause`. */
export const describeError = (input: unknown): ErrorDescription =>
  Cause.isCause(input) ? describeCause(input) : describeThrown(input, "thrown")

const describeLeaf = (error: unknown, kind: ErrorKind): LeafDescription => ({
  type: typeOf(error),
  message: messageOf(error),
  kind,
  frames: framesOf(error),
  causeChain: chainOf(error),
  error
})

const describeThrown = (error: unknown, kind: ErrorKind): ErrorDescription => {
  const leaf = describeLeaf(error, kind)
  return withLeaves(leaf, "single", [leaf], 0)
}

// Built field by field: on this hot path an object spread measured twice the cost of the whole description.
const withLeaves = (
  primary: LeafDescription,
  composition: CauseComposition,
  leaves: ReadonlyArray<LeafDescription>,
  omitted: number
): ErrorDescription => ({
  type: primary.type,
  message: primary.message,
  kind: primary.kind,
  frames: primary.frames,
  causeChain: primary.causeChain,
  error: primary.error,
  composition,
  leaves,
  omitted
})

interface Leaf {
  readonly kind: ErrorKind
  readonly error: unknown
}

/**
 * The primary leaf is the most severe one (see `priority`: a defect before a failure of the same
 * severity, interruptions last), the earliest among equals.
 */
const describeCause = (cause: Cause.Cause<unknown>): ErrorDescription => {
  const leaves: Array<Leaf> = []
  let parallel = false
  // Depth-first, left to right: the order in which the failures happened.
  const stack: Array<Cause.Cause<unknown>> = [cause]
  while (stack.length > 0) {
    const node = stack.pop()!
    switch (node._tag) {
      case "Fail":
        leaves.push({ kind: "fail", error: node.error })
        break
      case "Die":
        leaves.push({ kind: "die", error: node.defect })
        break
      case "Interrupt":
        leaves.push({ kind: "interrupt", error: new InterruptedError(node.fiberId) })
        break
      case "Sequential":
        stack.push(node.right, node.left)
        break
      case "Parallel":
        if (!Cause.isEmpty(node.left) && !Cause.isEmpty(node.right)) parallel = true
        stack.push(node.right, node.left)
        break
      case "Empty":
        break
    }
  }
  if (leaves.length === 0) leaves.push({ kind: "interrupt", error: new InterruptedError(FiberId.none) })
  let primary = 0
  if (leaves.length > 1) {
    let best = -Infinity
    leaves.forEach((leaf, i) => {
      const rank = leaf.kind === "interrupt" ? -1 : priority(classify(leaf.error, leaf.kind), leaf.kind)
      if (rank > best) {
        best = rank
        primary = i
      }
    })
  }
  // Keep the first `maxReasons` leaves; a primary beyond them takes the last place.
  const kept = leaves.length <= maxReasons
    ? leaves
    : primary < maxReasons
    ? leaves.slice(0, maxReasons)
    : [...leaves.slice(0, maxReasons - 1), leaves[primary]!]
  const described = kept.map((l) => describeLeaf(l.error, l.kind))
  const main = described[Math.min(primary, kept.length - 1)]!
  const composition = leaves.length <= 1 ? "single" : parallel ? "parallel" : "sequential"
  return withLeaves(main, composition, described, leaves.length - kept.length)
}

/** Stands for an interruption leaf of a `Cause`, so it can be described like any error. */
class InterruptedError {
  readonly _tag = "Interrupted"
  readonly message: string
  constructor(readonly fiberId: FiberId.FiberId) {
    const ids = [...FiberId.ids(fiberId)]
    this.message = ids.length === 0 ? "interrupted" : `interrupted by fiber ${ids.map((id) => `#${id}`).join(", ")}`
  }
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

const chainOf = (error: unknown): ReadonlyArray<ChainedError> => {
  let current = typeof error === "object" && error !== null ? safeGet(error, "cause") : undefined
  // Most errors have no cause: no set of those seen for them.
  if (current === undefined || current === null) return []
  const chain: Array<ChainedError> = []
  const seen = new Set<unknown>([error])
  while (current !== undefined && current !== null && chain.length < maxCauseChain && !seen.has(current)) {
    seen.add(current)
    chain.push({ type: typeOf(current), message: messageOf(current) })
    current = typeof current === "object" ? safeGet(current, "cause") : undefined
  }
  return chain
}

const safeGet = (object: object, key: string): unknown => {
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
