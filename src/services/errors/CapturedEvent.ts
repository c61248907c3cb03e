/**
 * The data of an `error.captured` event, built from one prepared (redacted, fingerprinted) error: its
 * evidence adjusted to what the caller overrode, its tags bounded, and the whole cut to fit the
 * collector's size limit.
 *
 * @internal
 */
import { jsonByteLength } from "../../internal/json.js"
import type { Breadcrumb, CauseReason, ErrorCapturedData, ErrorCategory, Severity, StackFrame } from "../../schemas/ErrorEvents.js"
import type { JsonObject } from "../../schemas/TelemetryEvent.js"
import { bounded, eventBudget, maxEventFrames, maxTagKeyLength, maxTags, maxTagValueLength } from "./Bounds.js"
import { type Classification, statedSeverityEvidence } from "./Classification.js"
import type { ErrorDescription, LeafDescription } from "./ErrorDescription.js"
import { setOwn } from "./ErrorValues.js"

/** One error to report, with its classification. */
export interface Candidate {
  /** Its index in the description's `leaves`. */
  readonly index: number
  readonly leaf: LeafDescription
  readonly classification: Classification
}

/** A candidate ready to report: redacted, bounded and fingerprinted. */
export interface Prepared extends Candidate {
  readonly type: string
  readonly message: string
  readonly fingerprint: string
}

/** What every event of one capture shares. */
export interface Shared {
  readonly now: number
  readonly userId: string | undefined
  readonly tags: Readonly<Record<string, string>> | undefined
  readonly mechanism: string
  readonly context: JsonObject
  readonly breadcrumbs: ReadonlyArray<Breadcrumb>
  readonly composition: ErrorDescription["composition"]
  readonly causeId: string | undefined
}

/** What one event of a capture says beyond the prepared error and what the capture shares. */
export interface EventFacts {
  readonly errorId: string
  readonly severity: Severity
  readonly category: ErrorCategory
  readonly handled: boolean
  readonly reasons: ReadonlyArray<CauseReason>
  readonly omitted: number
  /** Whether the caller gave the severity, the category. */
  readonly severityGiven: boolean
  readonly categoryGiven: boolean
}

/**
 * What decided the classification, as the event says it: `override` when the caller gave the category;
 * without the severity word when the caller gave the severity (the evidence no longer names that word);
 * quoting the type name redacted.
 */
const classifiedByOf = (p: Prepared, facts: EventFacts): string => {
  if (facts.categoryGiven) return "override"
  const evidence = facts.severityGiven
    ? p.classification.classifiedBy.replace(statedSeverityEvidence, "")
    : p.classification.classifiedBy
  return p.type === p.leaf.type ? evidence : evidence.replace(p.leaf.type, () => p.type)
}

/** The `error.captured` data of one prepared error, within the event budget. */
export const capturedData = (
  p: Prepared,
  facts: EventFacts,
  shared: Shared,
  redactString: (text: string) => string
): ErrorCapturedData =>
  // Copies: the parsed frames are shared between captures of the same stack, and `beforeSend` may edit these.
  fitToBudget(capturedFields(p, facts, shared, redactString, p.leaf.frames.slice(0, maxEventFrames).map((f) => ({ ...f }))))

/** The `error.captured` data of one prepared error, carrying `frames` (at most `maxEventFrames`), before any cut to the budget. */
export const capturedFields = (
  p: Prepared,
  facts: EventFacts,
  shared: Shared,
  redactString: (text: string) => string,
  frames: ReadonlyArray<StackFrame>
): ErrorCapturedData => {
  const { leaf } = p
  const data: { -readonly [K in keyof ErrorCapturedData]: ErrorCapturedData[K] } = {
    errorId: facts.errorId,
    fingerprint: p.fingerprint,
    type: p.type,
    message: p.message,
    severity: facts.severity,
    category: facts.category,
    classifiedBy: classifiedByOf(p, facts),
    kind: leaf.kind,
    handled: facts.handled,
    mechanism: shared.mechanism,
    frames,
    causeChain: leaf.causeChain.length === 0
      ? leaf.causeChain
      : leaf.causeChain.map((c) => ({ type: redactString(c.type), message: redactString(c.message) })),
    reasons: facts.reasons,
    composition: shared.composition,
    breadcrumbs: shared.breadcrumbs,
    context: shared.context
  }
  if (facts.omitted > 0) data.omittedReasons = facts.omitted
  if (shared.causeId !== undefined) data.causeId = shared.causeId
  return data
}

/** Cuts an event down until its data fits the collector's size limit: breadcrumbs first, then context, frames, chains. */
export const fitToBudget = (data: ErrorCapturedData): ErrorCapturedData => {
  // Most events are a fraction of the budget: a bound read from lengths alone spares the exact measure.
  if (jsonBytesAtMost(data, eventBudget)) return data
  let fitted = data
  while (jsonByteLength(fitted as unknown as JsonObject) > eventBudget) {
    if (fitted.breadcrumbs.length > 0) {
      fitted = { ...fitted, breadcrumbs: fitted.breadcrumbs.slice(Math.ceil(fitted.breadcrumbs.length / 2)) }
    } else if (Object.keys(fitted.context).length > 0) {
      fitted = { ...fitted, context: { truncated: true } }
      if (jsonByteLength(fitted as unknown as JsonObject) > eventBudget) fitted = { ...fitted, context: {} }
    } else if (fitted.frames.length > 5 || fitted.reasons.length > 1 || fitted.causeChain.length > 1) {
      fitted = {
        ...fitted,
        frames: fitted.frames.slice(0, 5),
        reasons: fitted.reasons.slice(0, 1),
        causeChain: fitted.causeChain.slice(0, 1)
      }
    } else {
      // Every other string of an event is bounded where it is made, so this always fits.
      fitted = { ...fitted, message: fitted.message.slice(0, 500), frames: [], reasons: [], causeChain: [] }
      break
    }
  }
  return fitted
}

/**
 * Whether the JSON of `value` surely takes at most `limit` bytes, judged from string lengths alone (see
 * `jsonBytesBound`). `false` means "measure it", not "too large".
 */
export const jsonBytesAtMost = (value: unknown, limit: number): boolean => jsonBytesBound(value, limit) <= limit

/**
 * An upper bound of the bytes of `value`'s JSON, from string lengths alone: each UTF-16 unit takes at most 6
 * bytes in JSON (an escaped control character), a number at most 24, each field or item its quotes, colon
 * and comma. The walk stops once the bound passes `limit` (then any number above it is answered), and
 * anything that is not JSON (a value left by `beforeSend`) answers `Infinity`.
 */
export const jsonBytesBound = (value: unknown, limit: number): number => {
  let used = 0
  const walk = (v: unknown): boolean => {
    switch (typeof v) {
      case "string":
        used += 6 * v.length + 3
        return used <= limit
      case "number":
      case "boolean":
        used += 25
        return used <= limit
      case "object": {
        used += 2
        if (v === null) return (used += 4) <= limit
        if (Array.isArray(v)) {
          for (const item of v) if (!walk(item)) return false
          return used <= limit
        }
        for (const key in v) {
          if (!Object.hasOwn(v, key)) continue
          used += 6 * key.length + 4
          if (!walk((v as Record<string, unknown>)[key])) return false
        }
        return used <= limit
      }
      default:
        used = Infinity
        return false
    }
  }
  walk(value)
  return used
}

/** Tags within the collector's limits, copied into a plain object (a `__proto__` key stays a tag). */
export const boundTags = (tags: Readonly<Record<string, string>>): Record<string, string> => {
  const out: Record<string, string> = {}
  let kept = 0
  for (const key of Object.keys(tags)) {
    const value = tags[key]
    if (typeof value !== "string") continue
    if (++kept > maxTags) break
    setOwn(out, bounded(key, maxTagKeyLength), bounded(value, maxTagValueLength))
  }
  return out
}
