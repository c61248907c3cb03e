/**
 * The settings every platform reads — collector, sampling, redaction, delivery, outbox bounds and the HTTP
 * endpoint: for each, the environment variable it is read from, the Schema its text decodes with and its
 * default, in one table. `TelemetryConfig` reads them (and the transport choice, OTLP and the Node-only paths)
 * through Effect `Config`; `fromCoreOptions` decodes an object with the same Schemas and defaults without
 * `Config`, so a browser page bundles neither the `Config` machinery nor those other settings.
 */
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** One setting: the variable it is read from, the Schema its text decodes with, and its default. */
export interface Setting<A> {
  readonly variable: string
  readonly schema: Schema.Schema<A, string>
  readonly fallback: A
}

/** A setting without a default: `Option.none()` when unset. */
export interface OptionalSetting<A> {
  readonly variable: string
  readonly schema: Schema.Schema<A, string>
  readonly optional: true
}

/** A setting with a default. */
export const setting = <A>(variable: string, schema: Schema.Schema<A, string>, fallback: A): Setting<A> => ({
  variable,
  schema,
  fallback
})

/** A setting without a default. */
export const optional = <A>(variable: string, schema: Schema.Schema<A, string>): OptionalSetting<A> => ({
  variable,
  schema,
  optional: true
})

/** A table of settings. */
export type Settings = { readonly [key: string]: Setting<any> | OptionalSetting<any> }

/**
 * A setting as `table` takes it: its Schema, then its default (none: an optional setting), then its variable
 * when it is not `variableOf` its name.
 */
export type Spec = readonly [schema: Schema.Schema<any, string>, fallback?: unknown, variable?: string]

/** The setting a `Spec` makes. */
export type SettingOf<T> = T extends readonly [Schema.Schema<infer A, string>] ? OptionalSetting<A>
  : T extends readonly [Schema.Schema<infer A, string>, ...Array<unknown>] ? Setting<A>
  : never

/** A spec whose default is of its Schema's type. */
type Checked<T> = T extends readonly [Schema.Schema<infer A, string>, unknown, ...infer Variable]
  ? readonly [Schema.Schema<A, string>, A, ...Variable]
  : T

/** The variable of a setting: `TELEMETRY_` and its name in upper snake case, a run of capitals one word (`redactPII`: `TELEMETRY_REDACT_PII`). */
export const variableOf = (name: string): string => `TELEMETRY_${name.replace(/[A-Z]+/g, "_$&").toUpperCase()}`

/** A table of settings from their specs, each read from the variable its spec names, else `variableOf` its key. */
export const table = <const T extends { readonly [key: string]: Spec }>(
  specs: T & { readonly [K in keyof T]: Checked<T[K]> }
): { readonly [K in keyof T]: SettingOf<T[K]> } =>
  Object.fromEntries(Object.entries<Spec>(specs).map(([key, spec]) => {
    const [schema, fallback, variable = variableOf(key)] = spec
    return [key, spec.length === 1 ? optional(variable, schema) : setting(variable, schema, fallback)]
  })) as { readonly [K in keyof T]: SettingOf<T[K]> }

/** A table of settings decoded: each setting's value, an optional one as an `Option`. */
export type Decoded<S> = {
  readonly [K in keyof S]: S[K] extends OptionalSetting<infer A> ? Option.Option<A> : S[K] extends Setting<infer A> ? A : never
}

/** Sampling policies selectable from configuration. */
export const SamplingKind = Schema.Literal("always", "never", "probabilistic", "throttled")
export type SamplingKind = typeof SamplingKind.Type

/** An integer in `[min, max]`. */
export const integer = (min: number, max: number) => Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))

/** A duration greater than zero, written as Effect reads one (`30 seconds`, `500 millis`). */
export const positiveDuration = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _options, ast) =>
    Option.match(Duration.decodeUnknown(text), {
      onNone: () => ParseResult.fail(new ParseResult.Type(ast, text, `Expected a duration but received "${text}"`)),
      onSome: ParseResult.succeed
    }),
  encode: (duration) => ParseResult.succeed(`${Duration.toMillis(duration)} millis`)
}).pipe(Schema.filter((d) => Duration.greaterThan(d, Duration.zero) || "Expected a positive duration such as \"30 seconds\""))

/** `true`, `false`, `1` or `0`. */
export const boolean = Schema.transform(
  Schema.compose(Schema.String, Schema.Literal("true", "false", "1", "0"), { strict: false }),
  Schema.Boolean,
  { strict: true, decode: (text) => text === "true" || text === "1", encode: (value) => value ? "true" : "false" }
)

const isParsableUrl = (url: string): boolean => {
  try {
    return new URL(url).host !== ""
  } catch {
    return false
  }
}

/** An http(s) URL that parses. */
export const httpUrl = Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/, {
  message: () => "Expected an http(s) URL"
}), Schema.filter((url) => isParsableUrl(url) || "Expected an http(s) URL that parses"))

/** A non-empty string of at most `max` characters (a tag value's limit). */
export const text = (max: number) =>
  Schema.String.pipe(
    Schema.minLength(1, { message: () => "Expected a non-empty string" }),
    Schema.maxLength(max, { message: () => `Expected at most ${max} characters` })
  )

/** One of a few lower-case words, read case-insensitively (`HTTP` is `http`). */
export const lowercase = <A extends string>(schema: Schema.Schema<A>) => Schema.compose(Schema.Lowercase, schema)

/** Global tags at most: half the 32 an event may carry, so an event's own tags keep room. */
export const maxGlobalTags = 16

const noTags: { readonly [name: string]: string } = Object.freeze({})

const globalTagsText = (tags: { readonly [name: string]: string }): string =>
  Object.entries(tags).map(([name, value]) => `${name}=${value}`).join(",")

/**
 * `name=value` pairs separated by commas (`team=ai,region=eu`), blanks around them ignored: at most
 * `maxGlobalTags`, names of 1–128 characters, values up to 1,024, no name twice. A value may hold `=`;
 * neither may hold `,`.
 */
const GlobalTags = Schema.transformOrFail(Schema.String, Schema.Record({ key: Schema.String, value: Schema.String }), {
  strict: true,
  decode: (text, _options, ast) => {
    const tags = new Map<string, string>()
    const fail = (message: string) => ParseResult.fail(new ParseResult.Type(ast, text, message))
    for (const pair of text.split(",")) {
      if (pair.trim() === "") continue
      const eq = pair.indexOf("=")
      if (eq < 0) return fail(`Expected name=value pairs separated by commas, got "${pair.trim()}"`)
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (name.length === 0 || name.length > 128) return fail("Expected tag names of 1 to 128 characters")
      if (value.length > 1024) return fail(`Expected the value of tag ${name} to be at most 1024 characters`)
      if (name === "__proto__") return fail("Expected a tag name other than __proto__")
      if (tags.has(name)) return fail(`Expected each tag name once, got ${name} twice`)
      tags.set(name, value)
    }
    return tags.size > maxGlobalTags
      ? fail(`Expected at most ${maxGlobalTags} tags, got ${tags.size}`)
      : ParseResult.succeed(Object.freeze(Object.fromEntries(tags)))
  },
  encode: (tags) => ParseResult.succeed(globalTagsText(tags))
})

/** Every setting of every platform, the variable it is read from (`variableOf` its name but one), and its default. */
export const coreSettings = table({
  /** `TELEMETRY_ENABLED` — collect at all; default `true`. */
  enabled: [boolean, true],
  /**
   * `TELEMETRY_ENDPOINT` — the URL the `http` transport POSTs to (required for it); for `otlp`, the collector's
   * base URL (`/v1/logs`, `/v1/metrics`, `/v1/traces` appended), default `OTEL_EXPORTER_OTLP_ENDPOINT`, else
   * `http://localhost:4318`.
   */
  endpoint: [httpUrl],
  /** `TELEMETRY_RELEASE` — the release (version) of the app, tagged `release` on every event and `service.version` in OTLP; none by default. */
  release: [text(1024)],
  /** `TELEMETRY_ENVIRONMENT` — where it runs (`production`), tagged `environment` on every event and `deployment.environment.name` in OTLP; none by default. */
  environment: [text(1024)],
  /** `TELEMETRY_TAGS` — global tags on every event, `team=ai,region=eu` (at most 16); none by default. */
  globalTags: [GlobalTags, noTags, "TELEMETRY_TAGS"],
  /** `TELEMETRY_MAX_BATCH_SIZE` — events per batch; default 50. */
  maxBatchSize: [integer(1, 10_000), 50],
  /** `TELEMETRY_FLUSH_INTERVAL` — time between scheduled flushes; default 30 seconds. */
  flushInterval: [positiveDuration, Duration.seconds(30)],
  /** `TELEMETRY_MAX_BUFFER_SIZE` — events held in memory before the oldest are dropped; default 1,000. */
  maxBufferSize: [integer(1, 10_000_000), 1_000],
  /** `TELEMETRY_SAMPLING` — `always` (default), `never`, `probabilistic` or `throttled`. */
  sampling: [lowercase(SamplingKind), "always"],
  /** `TELEMETRY_SAMPLING_RATE` — share of events kept by `probabilistic`, 0–1; default 1. */
  samplingRate: [Schema.NumberFromString.pipe(Schema.between(0, 1)), 1],
  /** `TELEMETRY_THROTTLE_LIMIT` — events per type per window kept by `throttled`; default 100. */
  throttleLimit: [integer(1, 1_000_000_000), 100],
  /** `TELEMETRY_THROTTLE_WINDOW` — the `throttled` window; default 1 minute. */
  throttleWindow: [positiveDuration, Duration.minutes(1)],
  /** `TELEMETRY_REDACT_PII` — replace personal data before buffering; default `true`. */
  redactPII: [boolean, true],
  /** `TELEMETRY_SHUTDOWN_TIMEOUT` — how long the final flush may take when the layer closes; default 5 seconds. */
  shutdownTimeout: [positiveDuration, Duration.seconds(5)],
  /** `TELEMETRY_FLUSH_TIMEOUT` — the longest a caller's `flush` waits; what is left stays buffered or outboxed; default 5 seconds. */
  flushTimeout: [positiveDuration, Duration.seconds(5)],
  /** `TELEMETRY_PSEUDONYMIZE_USER_IDS` — replace PII-shaped user ids (an e-mail, a phone number) by a stable keyed hash; default `true`. */
  pseudonymizeUserIds: [boolean, true],
  /** `TELEMETRY_USER_ID_KEY` — the key of that hash; default a fixed key of the library (set your own secret to stop dictionary guesses). */
  userIdKey: [Schema.Redacted(Schema.String)],
  /** `TELEMETRY_REQUEST_TIMEOUT` — timeout of one HTTP request; default 10 seconds. */
  requestTimeout: [positiveDuration, Duration.seconds(10)],
  /** `TELEMETRY_MAX_ATTEMPTS` — delivery attempts per batch before it counts as failed; default 5. */
  maxAttempts: [integer(1, 100), 5],
  /** `TELEMETRY_RETRY_BASE_DELAY` — first retry delay, doubled on each attempt, with jitter; default 500 millis. */
  retryBaseDelay: [positiveDuration, Duration.millis(500)],
  /** `TELEMETRY_RETRY_MAX_DELAY` — longest wait between attempts, `Retry-After` included; default 30 seconds. */
  retryMaxDelay: [positiveDuration, Duration.seconds(30)],
  /** `TELEMETRY_OUTBOX_MAX_EVENTS` — events the outbox keeps before dropping the oldest; default 100,000. */
  outboxMaxEvents: [integer(1, 100_000_000), 100_000],
  /** `TELEMETRY_OUTBOX_MAX_BYTES` — bytes the outbox keeps before dropping the oldest; default 32 MiB. */
  outboxMaxBytes: [integer(1_024, Number.MAX_SAFE_INTEGER), 32 * 1024 * 1024]
})

/** The settings of every platform, validated. */
export type CoreConfig = Decoded<typeof coreSettings>

/** The variable of each setting of a table. */
export const variablesOf = <S extends Settings>(settings: S): { readonly [K in keyof S]: string } =>
  Object.fromEntries(Object.entries(settings).map(([key, s]) => [key, s.variable])) as { readonly [K in keyof S]: string }

/** Environment variable of each setting of every platform. */
export const coreVariables = variablesOf(coreSettings)

/** What an option of setting `A` may be given as: a duration as any `DurationInput`, an optional one as its value. */
export type OptionOf<A> = [A] extends [Duration.Duration] ? Duration.DurationInput
  : [A] extends [Option.Option<infer V>] ? [V] extends [Duration.Duration] ? Duration.DurationInput : V
  : A

/** The settings of every platform given as an object; each is optional and defaults as its variable does. */
export type CoreOptions = { readonly [K in keyof CoreConfig]?: OptionOf<CoreConfig[K]> }

/**
 * An option as the text its variable would hold, so an object meets the same rules as the environment:
 * strings, numbers and booleans as they print, `Redacted` values unwrapped, `globalTags` as `TELEMETRY_TAGS`
 * text, anything else as a duration.
 */
export const optionText = (key: string, value: unknown): string =>
  Redacted.isRedacted(value)
    ? Redacted.value(value as Redacted.Redacted<string>)
    : typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : key === "globalTags"
    ? globalTagsText(value as { readonly [name: string]: string })
    : `${Duration.toMillis(Duration.decode(value as Duration.DurationInput))} millis`

/** Refuses global tags whose `TELEMETRY_TAGS` text would split or join them differently. */
export const checkGlobalTags = (options: { readonly globalTags?: unknown }): ConfigError.ConfigError | undefined =>
  Object.entries((options.globalTags ?? {}) as { readonly [name: string]: string }).some(([name, value]) =>
      name.includes(",") || name.includes("=") || value.includes(",")
    )
    ? ConfigError.InvalidData([coreSettings.globalTags.variable], "Expected tag names without , or = and values without ,")
    : undefined

/**
 * Decodes options with a table's Schemas and defaults, each written as the text of its variable (`optionText`),
 * failing as `Config` would read the same text: `InvalidData` at the variable of every invalid one, joined
 * with `And` in the table's order. Options that are not in the table are ignored.
 */
export const decodeOptions = <S extends Settings>(
  table: S,
  options: { readonly [key: string]: unknown }
): Either.Either<Decoded<S>, ConfigError.ConfigError> => {
  const refused = checkGlobalTags(options)
  if (refused !== undefined) return Either.left(refused)
  const decoded: Record<string, unknown> = {}
  let error: ConfigError.ConfigError | undefined
  for (const [key, s] of Object.entries(table)) {
    const value = Object.hasOwn(options, key) ? options[key] : undefined
    const optional = "optional" in s
    if (value === undefined) {
      decoded[key] = optional ? Option.none() : s.fallback
      continue
    }
    const result = ParseResult.decodeUnknownEither(s.schema)(optionText(key, value))
    if (Either.isRight(result)) {
      decoded[key] = optional ? Option.some(result.right) : result.right
      continue
    }
    const invalid = ConfigError.InvalidData([s.variable], ParseResult.TreeFormatter.formatIssueSync(result.left))
    error = error === undefined ? invalid : ConfigError.And(error, invalid)
  }
  return error === undefined ? Either.right(decoded as Decoded<S>) : Either.left(error)
}

/**
 * Validates the settings of every platform given as an object with the same Schemas, defaults and errors as
 * the environment, without `Config`. Options that are not settings of every platform are ignored.
 */
export const fromCoreOptions = (options: CoreOptions): Effect.Effect<CoreConfig, ConfigError.ConfigError> =>
  Effect.suspend(() => decodeOptions(coreSettings, options))
