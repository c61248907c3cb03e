/**
 * Replacing PII in JSON values: a copy-on-write walk that searches strings and field names, replaces sensitive
 * fields whole, and leaves what needs no change as the same reference.
 *
 * @internal
 */
import type { FieldTreatment } from "./fields.js"

/** Field names whose treatment is remembered; later names are classified each time they are seen. */
const maxCachedFields = 1_024

/** Objects and arrays nested deeper than this are replaced whole rather than searched. */
const maxDepth = 64

/** Assigns without invoking the `__proto__` setter, which a field of that name in JSON data would hit. */
const setOwn = (object: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    object[key] = value
  }
}

/** What the walk needs: how to redact strings and names, how to treat a field, and the replacement text. */
export interface ValueRedactorParts {
  readonly replacement: string
  readonly redactString: (value: string) => string
  readonly redactName: (name: string) => string
  readonly treatmentOf: (name: string) => FieldTreatment
}

/** The value redactor: a copy of a JSON value with PII replaced, the same reference when nothing needed it. */
export const valueRedactor = ({ redactName, redactString, replacement, treatmentOf }: ValueRedactorParts) => {
  // Classifying a name costs a few regexes; an event's field names repeat, so the decision is cached.
  // Names holding PII themselves are renamed and never cached, so that the cache holds no PII.
  const treatments = new Map<string, FieldTreatment>()

  // The objects and arrays enclosing the one being visited, by depth: a value found among them closes a
  // cycle. Kept between calls to spare an allocation per event; `redact` is synchronous, so never shared.
  const ancestors: Array<object | undefined> = []

  const redactValue = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return redactString(value)
    if (typeof value !== "object" || value === null) return value
    const isArray = Array.isArray(value)
    if (!isArray) {
      const proto = Object.getPrototypeOf(value)
      // Only JSON data is searched; class instances (Date, Map, …) pass as they are.
      if (proto !== Object.prototype && proto !== null) return value
    }
    if (depth >= maxDepth) return replacement
    for (let i = 0; i < depth; i++) {
      if (ancestors[i] === value) return replacement
    }
    ancestors[depth] = value
    const out = isArray ? redactArray(value, depth) : redactObject(value as Record<string, unknown>, depth)
    ancestors[depth] = undefined
    return out
  }

  const redactArray = (array: Array<unknown>, depth: number): Array<unknown> => {
    let copy: Array<unknown> | undefined
    for (let i = 0; i < array.length; i++) {
      const item = array[i]
      const next = redactValue(item, depth + 1)
      if (next !== item) {
        copy ??= array.slice()
        copy[i] = next
      }
    }
    return copy ?? array
  }

  const redactObject = (object: Record<string, unknown>, depth: number): Record<string, unknown> => {
    let copy: Record<string, unknown> | undefined
    for (const key in object) {
      let name = key
      let treatment = treatments.get(key)
      if (treatment === undefined) {
        treatment = treatmentOf(key)
        // Every name is searched, a safe field's too: a safe field keeps its value, not PII in its name.
        name = redactName(key)
        if (name === key && treatments.size < maxCachedFields) treatments.set(key, treatment)
      }
      if (treatment === "keep" && name === key) continue
      const value = object[key]
      const next = value === undefined || treatment === "keep"
        ? value
        : treatment === "replace" || (treatment === "replaceText" && typeof value === "string")
        ? replacement
        : redactValue(value, depth + 1)
      if (name !== key) {
        copy ??= { ...object }
        delete copy[key]
        setOwn(copy, name, next)
      } else if (next !== value) {
        copy ??= { ...object }
        setOwn(copy, key, next)
      }
    }
    return copy ?? object
  }

  return <A>(value: A): A => redactValue(value, 0) as A
}
