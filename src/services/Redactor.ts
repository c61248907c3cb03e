/**
 * Removes personal data from events before they are buffered.
 */
import { Context, Layer, Redacted } from "effect"
import { fieldTreatment, type FieldTreatment } from "./redactor/fields.js"
import { hmacSha256, toHex, utf8 } from "./redactor/hash.js"
import {
  identifierPiiKind,
  mayHoldPii,
  mayPassGate,
  piiPatterns,
  plainShape,
  shortestMatch,
  shortestPlainShape
} from "./redactor/patterns.js"

/** Replaces PII in event data. Pure and synchronous: it runs on every tracked event. */
export class Redactor extends Context.Tag("effect-telemetry/Redactor")<Redactor, {
  /** A copy of a JSON value with PII replaced, field names included; the same reference when nothing needed replacing. */
  readonly redact: <A>(value: A) => A
  /** A string with PII replaced. */
  readonly redactString: (value: string) => string
  /**
   * A user id as it is, or, when it holds PII (an e-mail, a phone or card number…), a stable pseudonym:
   * `u_` + 32 hex digits of HMAC-SHA-256(`userIdKey`, id). On by default (`pseudonymizeUserIds`).
   */
  readonly pseudonymize: (userId: string) => string
}>() {}

/** What the redactor replaces, and with what. */
export interface RedactorOptions {
  /** The text put in place of each piece of PII and of each sensitive field's value; default `"[REDACTED]"`. */
  readonly replacement: string
  /** More patterns to replace in every string, run before the built-in ones; default none. */
  readonly extraPatterns: ReadonlyArray<RegExp>
  /** More field names whose values are replaced whole, matched by words (`"address"`: `homeAddress`); default none. */
  readonly extraSensitiveFields: ReadonlyArray<string>
  /** Field names whose values are kept as they are, not searched and not replaced; default none. */
  readonly safeFields: ReadonlyArray<string>
  /** Whether `pseudonymize` replaces PII-shaped user ids by a keyed hash; default `true`. */
  readonly pseudonymizeUserIds: boolean
  /**
   * The key of that hash; default a fixed key built into the library, which keeps counts per user but lets
   * anyone hash a list of guessed e-mails and compare: set your own secret to prevent that.
   */
  readonly userIdKey: string | Redacted.Redacted<string>
}

/** The library's own `userIdKey`: public, so it only hides ids from a reader who does not guess them. */
const libraryUserIdKey = "effect-telemetry/user-id/v1"

const defaults: RedactorOptions = {
  replacement: "[REDACTED]",
  extraPatterns: [],
  extraSensitiveFields: [],
  safeFields: [],
  pseudonymizeUserIds: true,
  userIdKey: libraryUserIdKey
}

/** Field names whose treatment is remembered; later names are classified each time they are seen. */
const maxCachedFields = 1_024

/** User ids remembered as holding no PII; later ones are searched each time they are seen. */
const maxCachedUserIds = 4_096

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

/** Options of `make` and `layerRedactor`: each left out, or `undefined`, takes its default. */
export type RedactorInput = { readonly [K in keyof RedactorOptions]?: RedactorOptions[K] | undefined }

const withDefaults = (options: RedactorInput = {}): RedactorOptions => {
  const resolved: Record<string, unknown> = { ...defaults }
  for (const [key, value] of Object.entries(options)) if (value !== undefined) resolved[key] = value
  return resolved as unknown as RedactorOptions
}

/** Builds a redactor; options left out take the defaults above. Each redactor has its own field-name cache. */
export const make = (options?: RedactorInput): Redactor["Type"] => {
  const { extraPatterns, extraSensitiveFields, pseudonymizeUserIds, replacement, safeFields, userIdKey } =
    withDefaults(options)
  const extras = extraPatterns.map((p) => p.global ? p : new RegExp(p.source, p.flags + "g"))
  // A function replacer, so that `$&` or `$1` in a replacement is taken literally.
  const replace = () => replacement

  const redactString = (value: string): string => {
    let out = value
    for (let i = 0; i < extras.length; i++) out = out.replace(extras[i]!, replace)
    if (out.length < shortestMatch) return out
    // UUIDs and timestamps would pass the pre-filter, so their shape is tested first.
    if (out.length >= shortestPlainShape && plainShape.test(out)) return out
    // Patterns with a gate are outside the pre-filter: they run when their gate passes, whatever it says.
    const mayHold = mayHoldPii.test(out)
    if (!mayHold && !mayPassGate(out)) return out
    for (const { accept, gate, hint, regex, rewrite } of piiPatterns) {
      if (gate === undefined ? !mayHold : !gate(out)) continue
      // A `replace` that finds nothing costs several times a `test`, and most searches find nothing.
      regex.lastIndex = 0
      if (!hint.test(out) || !regex.test(out)) continue
      out = rewrite !== undefined
        ? out.replace(regex, (match: string, ...groups: Array<string | undefined>) => rewrite(replacement, match, ...groups))
        : accept === undefined
        ? out.replace(regex, replace)
        : out.replace(regex, (match: string) => accept(match) ? replacement : match)
    }
    return out
  }

  /** A field or tag name with PII replaced: searched as text, then as an identifier (`card_4111…`). */
  const redactName = (name: string): string => {
    const out = redactString(name)
    return out !== name ? out : identifierPiiKind(name) === undefined ? name : replacement
  }

  const treatmentOf = fieldTreatment({ extraSensitiveFields, safeFields })
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

  const hmac = hmacSha256(utf8(Redacted.isRedacted(userIdKey) ? Redacted.value(userIdKey) : userIdKey))
  // Ids found to hold no PII, so they hold none: repeated ids skip the search. A PII id is hashed each
  // time, except the last one (events mostly carry the session's user, whom the session holds anyway),
  // so that no list of PII piles up here.
  const plainIds = new Set<string>()
  let lastId: string | undefined
  let lastPseudonym = ""
  const pseudonymize = (userId: string): string => {
    if (userId === lastId) return lastPseudonym
    if (plainIds.has(userId)) return userId
    if (redactString(userId) === userId && identifierPiiKind(userId) === undefined) {
      if (plainIds.size < maxCachedUserIds) plainIds.add(userId)
      return userId
    }
    lastId = userId
    lastPseudonym = `u_${toHex(hmac(utf8(userId)), 16)}`
    return lastPseudonym
  }

  return Redactor.of({
    redact: <A>(value: A): A => redactValue(value, 0) as A,
    redactString,
    pseudonymize: pseudonymizeUserIds ? pseudonymize : (userId) => userId
  })
}

/** The redactor as a layer; on by default in `TelemetryLive` (`TELEMETRY_REDACT_PII`, default `true`). */
export const layerRedactor = (options?: RedactorInput): Layer.Layer<Redactor> =>
  Layer.sync(Redactor, () => make(options))

/** A redactor that returns every value and user id unchanged, for `TELEMETRY_REDACT_PII=false`. */
export const layerRedactorDisabled: Layer.Layer<Redactor> = Layer.succeed(
  Redactor,
  Redactor.of({ redact: (value) => value, redactString: (value) => value, pseudonymize: (userId) => userId })
)
