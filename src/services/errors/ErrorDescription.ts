/**
 * Turns anything captured — a thrown value, an `Error` with a `cause` chain, or an Effect `Cause` with
 * failures, defects and interruptions combined sequentially or in parallel — into one description:
 * the primary error (what is fingerprinted and classified) plus every leaf and chained error.
 */
import { Cause, FiberId } from "effect"
import type {
  CauseComposition,
  CauseReason,
  ChainedError,
  ErrorKind,
  StackFrame
} from "../../schemas/ErrorEvents.js"
import type { Json, JsonObject } from "../../schemas/TelemetryEvent.js"
import { typeNameOf } from "./Classification.js"
import { framesOf } from "./StackTrace.js"

/** Longest message kept. */
export const maxMessageLength = 1_000
/** Chained causes (`error.cause`) followed. */
export const maxCauseChain = 5
/** Leaves of a `Cause` listed. */
export const maxReasons = 10

/** A captured error, described. */
export interface ErrorDescription {
  /** The error's `_tag`, else its `name`, else its constructor or primitive type. */
  readonly type: string
  readonly message: string
  readonly kind: ErrorKind
  readonly frames: ReadonlyArray<StackFrame>
  readonly causeChain: ReadonlyArray<ChainedError>
  readonly reasons: ReadonlyArray<CauseReason>
  readonly composition: CauseComposition
  /** The value that stands for the whole: the first failure or defect, else the first interruption. */
  readonly primary: unknown
  /** Every failure and defect (for severity: the worst of them counts). */
  readonly leaves: ReadonlyArray<{ readonly kind: ErrorKind; readonly error: unknown }>
}

/** Describes a thrown value or an Effect `Cause`. */
export const describeError = (input: unknown): ErrorDescription =>
  Cause.isCause(input) ? describeCause(input) : describeThrown(input, "thrown")

const describeThrown = (error: unknown, kind: ErrorKind): ErrorDescription => {
  const type = typeOf(error)
  const message = messageOf(error)
  return {
    type,
    message,
    kind,
    frames: framesOf(error),
    causeChain: chainOf(error),
    reasons: [{ kind, type, message }],
    composition: "single",
    primary: error,
    leaves: [{ kind, error }]
  }
}

interface Leaf {
  readonly kind: ErrorKind
  readonly error: unknown
}

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
  const failures = leaves.filter((l) => l.kind !== "interrupt")
  const primary = failures[0] ?? leaves[0] ?? { kind: "interrupt" as const, error: new InterruptedError(FiberId.none) }
  const description = describeThrown(primary.error, primary.kind)
  return {
    ...description,
    reasons: leaves.slice(0, maxReasons).map((l) => ({ kind: l.kind, type: typeOf(l.error), message: messageOf(l.error) })),
    composition: leaves.length <= 1 ? "single" : parallel ? "parallel" : "sequential",
    leaves: failures.length > 0 ? failures : [primary]
  }
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

/** The type name of any value. */
export const typeOf = (error: unknown): string => {
  if (typeof error === "string") return "Error"
  if (typeof error !== "object" || error === null) return error === null ? "null" : typeof error
  const name = typeNameOf(error)
  if (name !== undefined) return name
  const constructorName = (error as { readonly constructor?: { readonly name?: unknown } }).constructor?.name
  return typeof constructorName === "string" && constructorName.length > 0 ? constructorName : "Object"
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
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength - 1)}…` : message
}

const fieldsOf = (error: object): JsonObject => {
  const result: { [key: string]: Json } = {}
  for (const key of Object.keys(error).slice(0, 20)) {
    if (key === "_tag" || key === "stack" || key === "cause" || key === "message" || key === "name") continue
    result[key] = toJson(safeGet(error, key), 2)
  }
  return result
}

const chainOf = (error: unknown): ReadonlyArray<ChainedError> => {
  const chain: Array<ChainedError> = []
  const seen = new Set<unknown>([error])
  let current = typeof error === "object" && error !== null ? safeGet(error, "cause") : undefined
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
 * A JSON copy of any value, for caller-given context: non-finite numbers and bigints become strings,
 * errors become `{ type, message }`, dates ISO strings, functions and symbols are left out, cycles
 * become `"[Circular]"`, and nesting stops at `depth` (default 6) with at most 50 keys or items a level.
 */
export const toJson = (value: unknown, depth = 6, seen: Set<unknown> = new Set()): Json => {
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
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (seen.has(value)) return "[Circular]"
  if (depth <= 0) return "[…]"
  if (value instanceof Error) return { type: typeOf(value), message: messageOf(value) }
  if (!Array.isArray(value)) return toJsonObject(value as object, depth, seen)
  seen.add(value)
  try {
    return value.slice(0, 50).map((item) => toJson(item, depth - 1, seen))
  } finally {
    seen.delete(value)
  }
}

/** A JSON object copy of an object's own enumerable fields (see `toJson`). */
export const toJsonObject = (value: object, depth = 6, seen: Set<unknown> = new Set()): JsonObject => {
  const result: { [key: string]: Json } = {}
  seen.add(value)
  try {
    for (const key of Object.keys(value).slice(0, 50)) {
      const item = safeGet(value, key)
      if (typeof item === "function" || typeof item === "symbol" || item === undefined) continue
      result[key] = toJson(item, depth - 1, seen)
    }
  } finally {
    seen.delete(value)
  }
  return result
}
