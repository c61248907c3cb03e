/**
 * The bounds on every string and collection ErrorTracking puts into an event, kept below the collector's
 * own limits so it never refuses an event for its size or shape.
 *
 * @internal
 */
import { maxEventBytes } from "../../schemas/EventValidation.js"

/** Longest type name kept: a name is code, but a `_tag` or `name` may be built from anything. */
export const maxTypeLength = 200
/** Frames kept in an event. */
export const maxEventFrames = 30
/** Longest breadcrumb message kept. */
export const maxBreadcrumbMessage = 1_000
/** Longest caller-given fingerprint kept as it is; a longer one is replaced by its 16-hex-digit hash. */
export const maxFingerprintLength = 128
/** Longest mechanism and breadcrumb category kept. */
export const maxLabelLength = 128
/** Tags kept per event (the collector takes at most 32 values of 1,024). */
export const maxTags = 32
/** Longest tag key kept. */
export const maxTagKeyLength = 256
/** Longest tag value kept. */
export const maxTagValueLength = 1_024
/** Longest user id (the collector's limit). */
export const maxUserIdLength = 256
/** Longest `reason` in a capture result. */
export const maxReasonLength = 500
/** Event data is kept under this many bytes so the collector never refuses it (its limit is 32 KiB). */
export const eventBudget = maxEventBytes - 4 * 1024

/** A string cut to `max` UTF-16 units, ending in "…" when cut, never splitting a surrogate pair. */
export const bounded = (text: string, max: number): string => {
  if (text.length <= max) return text
  let end = max - 1
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${text.slice(0, end)}…`
}
