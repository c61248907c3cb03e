/**
 * The collector's configuration: one `Config` per environment variable, each validated by a Schema,
 * with the defaults in one place. `TelemetryConfig.fromOptions` runs the same validation on an object.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

/** Transports `TelemetryLive` can build from configuration. */
export const TransportKind = Schema.Literal("console", "http", "otlp", "file", "memory")
export type TransportKind = typeof TransportKind.Type

/** Sampling policies selectable from configuration. */
export const SamplingKind = Schema.Literal("always", "never", "probabilistic", "throttled")
export type SamplingKind = typeof SamplingKind.Type

const integer = (name: string, min: number, max: number, fallback: number) =>
  Schema.Config(name, Schema.NumberFromString.pipe(Schema.int(), Schema.between(min, max))).pipe(
    Config.withDefault(fallback)
  )

const duration = (name: string, fallback: Duration.DurationInput) =>
  Config.duration(name).pipe(
    Config.validate({
      message: "Expected a positive duration such as \"30 seconds\"",
      validation: (d) => Duration.greaterThan(d, Duration.zero)
    }),
    Config.withDefault(Duration.decode(fallback))
  )

const boolean = (name: string, fallback: boolean) =>
  Schema.Config(name, Schema.Literal("true", "false", "1", "0")).pipe(
    Config.map((s) => s === "true" || s === "1"),
    Config.withDefault(fallback)
  )

/** A file-system path: a NUL in it would make every write fail, forever, at run time. */
const path = (name: string, fallback: string) =>
  Schema.Config(name, Schema.String.pipe(Schema.filter((p) => p.length > 0 && !p.includes("\0") || "Expected a non-empty path without NUL characters"))).pipe(
    Config.withDefault(fallback)
  )

const isParsableUrl = (url: string): boolean => {
  try {
    return new URL(url).host !== ""
  } catch {
    return false
  }
}

/** An optional non-empty string, at most `max` characters (a tag value's limit). */
const optionalText = (name: string, max: number) =>
  Config.option(Schema.Config(name, Schema.String.pipe(
    Schema.minLength(1, { message: () => "Expected a non-empty string" }),
    Schema.maxLength(max, { message: () => `Expected at most ${max} characters` })
  )))

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

/** One of a few lower-case words, read case-insensitively (`HTTP` is `http`). */
const literal = <A extends string>(name: string, schema: Schema.Schema<A>, fallback: A) =>
  Schema.Config(name, Schema.compose(Schema.Lowercase, schema)).pipe(Config.withDefault(fallback))

/** Every setting, the variable it is read from, and its default. */
const settings = {
  /** `TELEMETRY_ENABLED` — collect at all; default `true`. */
  enabled: boolean("TELEMETRY_ENABLED", true),
  /** `TELEMETRY_TRANSPORT` — `console` (default), `http`, `otlp`, `file` or `memory`. */
  transport: literal("TELEMETRY_TRANSPORT", TransportKind, "console"),
  /** `TELEMETRY_ENDPOINT` — the URL the `http` and `otlp` transports POST to (`…/v1/logs` for OTLP); required for them. */
  endpoint: Config.option(Schema.Config("TELEMETRY_ENDPOINT", Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/, {
    message: () => "Expected an http(s) URL"
  }), Schema.filter((url) => isParsableUrl(url) || "Expected an http(s) URL that parses")))),
  /** `TELEMETRY_SERVICE_NAME` — `service.name` of the `otlp` transport's resource; default `effect-telemetry`. */
  serviceName: Config.string("TELEMETRY_SERVICE_NAME").pipe(Config.withDefault("effect-telemetry")),
  /** `TELEMETRY_RELEASE` — the release (version) of the app, tagged `release` on every event and `service.version` in OTLP; none by default. */
  release: optionalText("TELEMETRY_RELEASE", 1024),
  /** `TELEMETRY_ENVIRONMENT` — where it runs (`production`), tagged `environment` on every event and `deployment.environment.name` in OTLP; none by default. */
  environment: optionalText("TELEMETRY_ENVIRONMENT", 1024),
  /** `TELEMETRY_TAGS` — global tags on every event, `team=ai,region=eu` (at most 16); none by default. */
  globalTags: Schema.Config("TELEMETRY_TAGS", GlobalTags).pipe(Config.withDefault(noTags)),
  /** `TELEMETRY_MAX_BATCH_SIZE` — events per batch; default 50. */
  maxBatchSize: integer("TELEMETRY_MAX_BATCH_SIZE", 1, 10_000, 50),
  /** `TELEMETRY_FLUSH_INTERVAL` — time between scheduled flushes; default 30 seconds. */
  flushInterval: duration("TELEMETRY_FLUSH_INTERVAL", "30 seconds"),
  /** `TELEMETRY_MAX_BUFFER_SIZE` — events held in memory before the oldest are dropped; default 1,000. */
  maxBufferSize: integer("TELEMETRY_MAX_BUFFER_SIZE", 1, 10_000_000, 1_000),
  /** `TELEMETRY_SAMPLING` — `always` (default), `never`, `probabilistic` or `throttled`. */
  sampling: literal("TELEMETRY_SAMPLING", SamplingKind, "always"),
  /** `TELEMETRY_SAMPLING_RATE` — share of events kept by `probabilistic`, 0–1; default 1. */
  samplingRate: Schema.Config("TELEMETRY_SAMPLING_RATE", Schema.NumberFromString.pipe(Schema.between(0, 1))).pipe(
    Config.withDefault(1)
  ),
  /** `TELEMETRY_THROTTLE_LIMIT` — events per type per window kept by `throttled`; default 100. */
  throttleLimit: integer("TELEMETRY_THROTTLE_LIMIT", 1, 1_000_000_000, 100),
  /** `TELEMETRY_THROTTLE_WINDOW` — the `throttled` window; default 1 minute. */
  throttleWindow: duration("TELEMETRY_THROTTLE_WINDOW", "1 minute"),
  /** `TELEMETRY_REDACT_PII` — replace personal data before buffering; default `true`. */
  redactPII: boolean("TELEMETRY_REDACT_PII", true),
  /** `TELEMETRY_FILE_PATH` — the NDJSON file of the `file` transport; default `.telemetry/events.ndjson`. */
  filePath: path("TELEMETRY_FILE_PATH", ".telemetry/events.ndjson"),
  /** `TELEMETRY_SHUTDOWN_TIMEOUT` — how long the final flush may take when the layer closes; default 5 seconds. */
  shutdownTimeout: duration("TELEMETRY_SHUTDOWN_TIMEOUT", "5 seconds"),
  /** `TELEMETRY_FLUSH_TIMEOUT` — the longest a caller's `flush` waits; what is left stays buffered or outboxed; default 5 seconds. */
  flushTimeout: duration("TELEMETRY_FLUSH_TIMEOUT", "5 seconds"),
  /** `TELEMETRY_PSEUDONYMIZE_USER_IDS` — replace PII-shaped user ids (an e-mail, a phone number) by a stable keyed hash; default `true`. */
  pseudonymizeUserIds: boolean("TELEMETRY_PSEUDONYMIZE_USER_IDS", true),
  /** `TELEMETRY_USER_ID_KEY` — the key of that hash; default a fixed key of the library (set your own secret to stop dictionary guesses). */
  userIdKey: Config.option(Config.redacted("TELEMETRY_USER_ID_KEY")),
  /** `TELEMETRY_REQUEST_TIMEOUT` — timeout of one HTTP request; default 10 seconds. */
  requestTimeout: duration("TELEMETRY_REQUEST_TIMEOUT", "10 seconds"),
  /** `TELEMETRY_MAX_ATTEMPTS` — delivery attempts per batch before it counts as failed; default 5. */
  maxAttempts: integer("TELEMETRY_MAX_ATTEMPTS", 1, 100, 5),
  /** `TELEMETRY_RETRY_BASE_DELAY` — first retry delay, doubled on each attempt, with jitter; default 500 millis. */
  retryBaseDelay: duration("TELEMETRY_RETRY_BASE_DELAY", "500 millis"),
  /** `TELEMETRY_RETRY_MAX_DELAY` — longest wait between attempts, `Retry-After` included; default 30 seconds. */
  retryMaxDelay: duration("TELEMETRY_RETRY_MAX_DELAY", "30 seconds"),
  /** `TELEMETRY_OUTBOX_DIR` — folder of the durable outbox on Node; default `.telemetry/outbox`. */
  outboxDir: path("TELEMETRY_OUTBOX_DIR", ".telemetry/outbox"),
  /** `TELEMETRY_OUTBOX_MAX_EVENTS` — events the outbox keeps before dropping the oldest; default 100,000. */
  outboxMaxEvents: integer("TELEMETRY_OUTBOX_MAX_EVENTS", 1, 100_000_000, 100_000),
  /** `TELEMETRY_OUTBOX_MAX_BYTES` — bytes the outbox keeps before dropping the oldest; default 32 MiB. */
  outboxMaxBytes: integer("TELEMETRY_OUTBOX_MAX_BYTES", 1_024, Number.MAX_SAFE_INTEGER, 32 * 1024 * 1024)
}

/** Environment variable of each setting. */
export const variables: { readonly [K in keyof typeof settings]: string } = {
  enabled: "TELEMETRY_ENABLED",
  transport: "TELEMETRY_TRANSPORT",
  endpoint: "TELEMETRY_ENDPOINT",
  serviceName: "TELEMETRY_SERVICE_NAME",
  release: "TELEMETRY_RELEASE",
  environment: "TELEMETRY_ENVIRONMENT",
  globalTags: "TELEMETRY_TAGS",
  maxBatchSize: "TELEMETRY_MAX_BATCH_SIZE",
  flushInterval: "TELEMETRY_FLUSH_INTERVAL",
  maxBufferSize: "TELEMETRY_MAX_BUFFER_SIZE",
  sampling: "TELEMETRY_SAMPLING",
  samplingRate: "TELEMETRY_SAMPLING_RATE",
  throttleLimit: "TELEMETRY_THROTTLE_LIMIT",
  throttleWindow: "TELEMETRY_THROTTLE_WINDOW",
  redactPII: "TELEMETRY_REDACT_PII",
  filePath: "TELEMETRY_FILE_PATH",
  shutdownTimeout: "TELEMETRY_SHUTDOWN_TIMEOUT",
  flushTimeout: "TELEMETRY_FLUSH_TIMEOUT",
  pseudonymizeUserIds: "TELEMETRY_PSEUDONYMIZE_USER_IDS",
  userIdKey: "TELEMETRY_USER_ID_KEY",
  requestTimeout: "TELEMETRY_REQUEST_TIMEOUT",
  maxAttempts: "TELEMETRY_MAX_ATTEMPTS",
  retryBaseDelay: "TELEMETRY_RETRY_BASE_DELAY",
  retryMaxDelay: "TELEMETRY_RETRY_MAX_DELAY",
  outboxDir: "TELEMETRY_OUTBOX_DIR",
  outboxMaxEvents: "TELEMETRY_OUTBOX_MAX_EVENTS",
  outboxMaxBytes: "TELEMETRY_OUTBOX_MAX_BYTES"
}

/** The validated configuration. */
export type TelemetryConfig = Config.Config.Success<typeof TelemetryConfig>

/** Reads the configuration through Effect `Config` (the environment by default); fails naming the variable. */
export const TelemetryConfig = Config.all(settings).pipe(
  // Reported as missing data at the variable itself, so the message names it.
  Config.mapOrFail((c) =>
    (c.transport === "http" || c.transport === "otlp") && Option.isNone(c.endpoint)
      ? Either.left(ConfigError.MissingData(
        ["TELEMETRY_ENDPOINT"],
        `TELEMETRY_ENDPOINT is required when TELEMETRY_TRANSPORT is ${c.transport}`
      ))
      : Either.right(c)
  )
)

/** Settings given as an object; each is optional and defaults as its variable does. */
export type TelemetryOptions = {
  readonly [K in keyof TelemetryConfig]?: TelemetryConfig[K] extends Duration.Duration ? Duration.DurationInput
    : TelemetryConfig[K] extends Option.Option<infer A> ? A
    : TelemetryConfig[K]
}

/** Validates settings given as an object with the same rules and defaults as the environment. */
export const fromOptions = (options: TelemetryOptions): Effect.Effect<TelemetryConfig, ConfigError.ConfigError> => {
  const entries = new Map<string, string>()
  const tags = options.globalTags ?? {}
  // Written as TELEMETRY_TAGS text below, where a comma would silently split one tag into two.
  if (Object.entries(tags).some(([name, value]) => name.includes(",") || name.includes("=") || value.includes(","))) {
    return Effect.fail(ConfigError.InvalidData(
      [variables.globalTags],
      "Expected tag names without , or = and values without ,"
    ))
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    const name = variables[key as keyof typeof variables]
    if (name === undefined) continue
    entries.set(
      name,
      Redacted.isRedacted(value)
        ? Redacted.value(value as Redacted.Redacted<string>)
        : typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : key === "globalTags"
        ? globalTagsText(value as { readonly [name: string]: string })
        : `${Duration.toMillis(Duration.decode(value as Duration.DurationInput))} millis`
    )
  }
  return Effect.withConfigProvider(TelemetryConfig, ConfigProvider.fromMap(entries))
}
