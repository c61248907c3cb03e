/**
 * Structural checks that accept the common valid input of `timed` and `trackAIOperation` without a Schema
 * decode (~1–10 µs each here, most of those calls' cost). They only ever accept: anything they do not
 * recognise as valid (`undefined`) goes through the schema, which decides and names the offending field. A
 * property test holds them to never accepting what the schema refuses.
 *
 * @internal
 */
import type { AIOperation, MetricAttributes } from "../../schemas/PerformanceEvents.js"

const isPlainObject = (input: unknown): input is Record<string, unknown> => {
  if (typeof input !== "object" || input === null) return false
  // What the schema hands back is an ordinary object: anything else (a class instance, a null prototype) and
  // symbol keys, which it refuses as excess properties, are left to it.
  return Object.getPrototypeOf(input) === Object.prototype && Object.getOwnPropertySymbols(input).length === 0
}

const isLabel = (v: unknown): boolean => typeof v === "string" && v.length >= 1 && v.length <= 128
const isMillis = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v >= 0
const isCount = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/** `MetricAttributes` as the schema reads them, or `undefined` to ask the schema. */
export const fastAttributes = (input: unknown): MetricAttributes | undefined => {
  if (!isPlainObject(input)) return undefined
  const keys = Object.keys(input)
  if (keys.length > 32) return undefined
  for (const key of keys) {
    if (key.length > 128 || key === "__proto__") return undefined
    const v = input[key]
    switch (typeof v) {
      case "string":
        if (v.length > 1024) return undefined
        break
      case "number":
        if (!Number.isFinite(v)) return undefined
        break
      case "boolean":
        break
      default:
        return undefined
    }
  }
  return input as MetricAttributes
}

/** An `AIOperation` as the schema reads it, or `undefined` to ask the schema. */
export const fastAIOperation = (input: unknown): AIOperation | undefined => {
  if (!isPlainObject(input) || !isMillis(input.totalMs)) return undefined
  // A `switch` over the field names rather than set lookups: every AI operation passes here.
  for (const key of Object.keys(input)) {
    const v = input[key]
    switch (key) {
      case "operation":
      case "provider":
      case "model":
        if (!isLabel(v)) return undefined
        break
      case "totalMs":
      case "contextGatheringMs":
      case "compressionMs":
      case "apiCallMs":
        if (!isMillis(v)) return undefined
        break
      case "promptTokens":
      case "completionTokens":
      case "contextSize":
        if (!isCount(v)) return undefined
        break
      case "success":
        if (typeof v !== "boolean") return undefined
        break
      case "attributes":
        if (fastAttributes(v) === undefined) return undefined
        break
      default:
        return undefined
    }
  }
  return input as AIOperation
}
