/**
 * Removes personal data from events before they are buffered.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../internal/decode.js"
import { fieldTreatment } from "./redactor/fields.js"
import { pseudonymizer } from "./redactor/pseudonyms.js"
import { nameRedactor, stringRedactor } from "./redactor/strings.js"
import { valueRedactor } from "./redactor/values.js"

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

/** Options of `make` and `layerRedactor`: each left out, or `undefined`, takes its default. */
export type RedactorInput = { readonly [K in keyof RedactorOptions]?: RedactorOptions[K] | undefined }

/**
 * Builds a redactor without validating `options`; those left out take the defaults given here, which
 * `RedactorOptions` documents. Each redactor has its own field-name cache.
 *
 * @internal
 */
export const unsafeMake = ({
  extraPatterns = [],
  extraSensitiveFields = [],
  pseudonymizeUserIds = true,
  replacement = "[REDACTED]",
  safeFields = [],
  userIdKey = libraryUserIdKey
}: RedactorInput = {}): Redactor["Type"] => {
  const redactString = stringRedactor(replacement, extraPatterns)
  const redact = valueRedactor({
    replacement,
    redactString,
    redactName: nameRedactor(replacement, redactString),
    treatmentOf: fieldTreatment({ extraSensitiveFields, safeFields })
  })
  const key = Redacted.isRedacted(userIdKey) ? Redacted.value(userIdKey) : userIdKey
  return Redactor.of({
    redact,
    redactString,
    pseudonymize: pseudonymizeUserIds ? pseudonymizer(key, redactString) : (userId) => userId
  })
}

const Options = Schema.Struct({
  replacement: Schema.optional(Schema.String),
  extraPatterns: Schema.optional(Schema.Array(Schema.instanceOf(RegExp))),
  extraSensitiveFields: Schema.optional(Schema.Array(Schema.String)),
  safeFields: Schema.optional(Schema.Array(Schema.String)),
  pseudonymizeUserIds: Schema.optional(Schema.Boolean),
  userIdKey: Schema.optional(Schema.Union(Schema.String.pipe(Schema.minLength(1)), Schema.RedactedFromSelf(Schema.String)))
})

/** Redactor options that do not decode: a misspelt option, a pattern that is not a `RegExp`, an empty key. */
export class RedactorOptionsError extends OptionsError("RedactorOptionsError") {}

const decode = decodeOptions(Options, (fields) => new RedactorOptionsError(fields))

/** Builds a redactor from validated options. */
export const make = (options?: RedactorInput): Effect.Effect<Redactor["Type"], RedactorOptionsError> =>
  Effect.map(decode(options), unsafeMake)

const disabled = { redact: <A>(value: A): A => value, redactString: (value: string) => value, pseudonymize: (userId: string) => userId }

/**
 * Replaces PII in event data. Pure and synchronous: it runs on every tracked event. `TelemetryLive` installs
 * `Redactor.layer()` (on by default, `TELEMETRY_REDACT_PII`); a redactor layer provided around it replaces it.
 *
 * @since 0.2.0
 * @category tags
 */
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
}>() {
  /**
   * Builds a redactor; options left out take the defaults (`"[REDACTED]"`, the built-in patterns and field
   * names, user ids pseudonymised with the library's key). Fails with `RedactorOptionsError`.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = make
  /**
   * The redactor of `options` as a layer; `TelemetryLive` installs `Redactor.layer()` unless
   * `TELEMETRY_REDACT_PII=false`, and a redactor layer provided around it replaces it.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (options?: RedactorInput): Layer.Layer<Redactor, RedactorOptionsError> =>
    Layer.effect(this, make(options))
  /**
   * A redactor that returns every value and user id unchanged (`TELEMETRY_REDACT_PII=false`).
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly disabled: Layer.Layer<Redactor> = Layer.succeed(this, disabled)
  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = RedactorOptionsError
}

/** @since 0.2.0 */
export declare namespace Redactor {
  /**
   * What a redactor does.
   *
   * @since 0.2.0
   * @category models
   */
  export type Service = Redactor["Type"]
  /**
   * What the redactor replaces, and with what; each option left out, or `undefined`, takes its default.
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = RedactorInput
  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = RedactorOptionsError
}

/** The redactor as a layer, for options already validated (the configuration's). @internal */
export const layerRedactor = (options?: RedactorInput): Layer.Layer<Redactor> =>
  Layer.sync(Redactor, () => unsafeMake(options))
