/**
 * ErrorTracking's options: one Schema holding every default, decoded into `ErrorTrackingOptionsError`
 * for the first option that does not decode (a misspelt one included), and the caller's hooks run so
 * that a throwing hook never loses an error.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../../internal/decode.js"
import { DurationOption } from "../../internal/DurationOption.js"
import type { Breadcrumb, ErrorCapturedData } from "../../schemas/ErrorEvents.js"

/** A caller's function, checked to be one. */
const hook = <F extends (value: never) => unknown>(identifier: string) =>
  Schema.declare((input: unknown): input is F => typeof input === "function", {
    identifier,
    description: "a function"
  })

/** An integer of at least `min`. */
const atLeast = (min: number) => Schema.Int.pipe(Schema.greaterThanOrEqualTo(min))

/** The options of `ErrorTracking.make` / `ErrorTracking.layer`; every field has a default. */
export const ErrorTrackingOptions = Schema.Struct({
  /** Breadcrumbs kept (the oldest are dropped); default 50. `0` keeps none. */
  maxBreadcrumbs: Schema.optionalWith(atLeast(0), { default: () => 50 }),
  /** Error groups kept; the least recently seen is evicted beyond it (and counted); default 1,000. */
  maxGroups: Schema.optionalWith(atLeast(1), { default: () => 1_000 }),
  /** Distinct users counted exactly per group; past it the count reads "at least"; default 100. */
  maxUsersPerGroup: Schema.optionalWith(atLeast(0), { default: () => 100 }),
  /** Captured errors remembered by id, for `getError` and `recordRecovery`; the oldest forgotten beyond it; default 1,000. */
  maxTrackedErrors: Schema.optionalWith(atLeast(1), { default: () => 1_000 }),
  /** Latest occurrences kept per group as its `samples`; default 5, `0` keeps none. */
  maxSamplesPerGroup: Schema.optionalWith(atLeast(0), { default: () => 5 }),
  /** Same fingerprint within this window is sent once, then one `error.repeated` with the count; default 1 second, `0` disables. */
  duplicateWindow: Schema.optionalWith(DurationOption, { default: () => Duration.seconds(1) }),
  /**
   * Errors to drop, matched against the text as thrown (before redaction): a string matches a substring
   * of the message or the whole type name; a RegExp is tested on both. Default none.
   */
  ignore: Schema.optionalWith(Schema.Array(Schema.Union(Schema.String, Schema.instanceOf(RegExp))), {
    default: () => []
  }),
  /** Sees every `error.captured` event (redacted) before it is tracked: return it (edited or not) or `undefined` to drop it. */
  beforeSend: Schema.optional(
    hook<(event: ErrorCapturedData) => ErrorCapturedData | undefined>("BeforeSend")
  ),
  /** Sees every breadcrumb (redacted) before it is stored: return it (edited or not) or `undefined` to drop it. */
  beforeBreadcrumb: Schema.optional(hook<(breadcrumb: Breadcrumb) => Breadcrumb | undefined>("BeforeBreadcrumb"))
}).annotations({ identifier: "ErrorTrackingOptions" })

/** The options as callers write them: every field optional. */
export type ErrorTrackingOptions = Schema.Schema.Encoded<typeof ErrorTrackingOptions>

/**
 * Options an `ErrorTracking` service was given that do not decode: which option (`"maxGroups"`) and why.
 *
 * @since 0.2.0
 * @category errors
 */
export class ErrorTrackingOptionsError extends OptionsError("ErrorTrackingOptionsError") {}

/** The options with every default filled in, as the service uses them. */
export interface Config {
  readonly maxBreadcrumbs: number
  readonly maxGroups: number
  readonly maxUsersPerGroup: number
  readonly maxTrackedErrors: number
  readonly maxSamplesPerGroup: number
  /** `0` or less: no duplicate suppression. */
  readonly duplicateWindowMillis: number
  readonly ignore: ReadonlyArray<string | RegExp>
  readonly beforeSend: ((event: ErrorCapturedData) => ErrorCapturedData | undefined) | undefined
  readonly beforeBreadcrumb: ((breadcrumb: Breadcrumb) => Breadcrumb | undefined) | undefined
}

const decode = decodeOptions(ErrorTrackingOptions, (fields) => new ErrorTrackingOptionsError(fields))

/** Decodes options over the schema's defaults, failing with the first option that does not decode. */
export const resolveOptions = (options?: ErrorTrackingOptions): Effect.Effect<Config, ErrorTrackingOptionsError> =>
  Effect.map(decode(options), (o) => ({
    maxBreadcrumbs: o.maxBreadcrumbs,
    maxGroups: o.maxGroups,
    maxUsersPerGroup: o.maxUsersPerGroup,
    maxTrackedErrors: o.maxTrackedErrors,
    maxSamplesPerGroup: o.maxSamplesPerGroup,
    duplicateWindowMillis: Duration.toMillis(o.duplicateWindow),
    // A global or sticky RegExp keeps state between `test` calls; a copy without those flags does not.
    ignore: o.ignore.map((p) => typeof p === "string" ? p : new RegExp(p.source, p.flags.replace(/[gy]/g, ""))),
    beforeSend: o.beforeSend,
    beforeBreadcrumb: o.beforeBreadcrumb
  }))

/** The defaults of every option, as decoded from no options at all. */
export const defaults: Schema.Schema.Type<typeof ErrorTrackingOptions> = Schema.decodeSync(ErrorTrackingOptions)({})

/**
 * Runs a caller's hook on `value`: `None` when it returns `undefined` (drop the value). A throwing hook
 * must not lose the error: it is logged and the value passes unchanged.
 */
export const runHook = <A>(
  name: string,
  hook: ((a: A) => A | undefined) | undefined,
  value: A
): Effect.Effect<Option.Option<A>> =>
  hook === undefined
    ? Effect.succeed(Option.some(value))
    : Effect.try(() => Option.fromNullable(hook(value))).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning(`ErrorTracking ${name} hook threw; using the value unchanged`, error).pipe(
          Effect.as(Option.some(value))
        )
      )
    )
