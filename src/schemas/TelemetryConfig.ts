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
import { headerName, invalidHeaderValue } from "../transports/internal/httpOptions.js"

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

const positiveDuration = (name: string) =>
  Config.duration(name).pipe(
    Config.validate({
      message: "Expected a positive duration such as \"30 seconds\"",
      validation: (d) => Duration.greaterThan(d, Duration.zero)
    })
  )

const duration = (name: string, fallback: Duration.DurationInput) =>
  positiveDuration(name).pipe(Config.withDefault(Duration.decode(fallback)))

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

/**
 * `key=value` pairs separated by commas, each part percent-decoded, blanks around them ignored (the format
 * of `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES`). A value may hold `=`; a pair without
 * one, an empty key or a part that does not decode fails. `check` vets each decoded pair.
 */
const keyValueList = (check: (key: string, value: string) => string | undefined) =>
  Schema.transformOrFail(Schema.String, Schema.Record({ key: Schema.String, value: Schema.String }), {
    strict: true,
    decode: (text, _options, ast) => {
      const pairs = new Map<string, string>()
      const fail = (message: string) => ParseResult.fail(new ParseResult.Type(ast, text, message))
      for (const pair of text.split(",")) {
        if (pair.trim() === "") continue
        const eq = pair.indexOf("=")
        if (eq < 0) return fail("Expected key=value pairs separated by commas")
        let key: string
        let value: string
        try {
          key = decodeURIComponent(pair.slice(0, eq).trim())
          value = decodeURIComponent(pair.slice(eq + 1).trim())
        } catch {
          return fail("Expected valid percent-encoding (%XX)")
        }
        if (key.length === 0 || key === "__proto__") return fail("Expected non-empty keys other than __proto__")
        const problem = check(key, value)
        if (problem !== undefined) return fail(problem)
        pairs.set(key, value)
      }
      return ParseResult.succeed(Object.freeze(Object.fromEntries(pairs)))
    },
    encode: (pairs) =>
      ParseResult.succeed(
        Object.entries(pairs).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join(",")
      )
  })

/** Request headers as `name=value,…`: names are HTTP tokens, values hold no control characters (CR, LF…). */
const HeaderList = keyValueList((name, value) =>
  !headerName.test(name)
    ? "Expected header names of letters, digits and !#$%&'*+-.^_`|~ only"
    : invalidHeaderValue.test(value)
    ? `Expected the value of header ${name} without control characters or characters beyond Latin-1`
    : undefined
)

/** Resource attributes as `key=value,…`. */
const AttributeList = keyValueList(() => undefined)

const noPairs: { readonly [key: string]: string } = Object.freeze({})

/** The OTLP/HTTP encodings we speak. */
export const OtlpProtocol = Schema.Literal("http/protobuf", "http/json")
export type OtlpProtocol = typeof OtlpProtocol.Type

/** Body compressions of the OTLP exporters. */
export const OtlpCompression = Schema.Literal("gzip", "none")
export type OtlpCompression = typeof OtlpCompression.Type

const httpUrl = Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/, {
  message: () => "Expected an http(s) URL"
}), Schema.filter((url) => isParsableUrl(url) || "Expected an http(s) URL that parses"))

/** The base URL of an OpenTelemetry Collector's OTLP/HTTP receiver on this machine: the `otlp` transport's default. */
export const defaultOtlpEndpoint = "http://localhost:4318"

/** One of a few lower-case words, read case-insensitively (`HTTP` is `http`). */
const literal = <A extends string>(name: string, schema: Schema.Schema<A>, fallback: A) =>
  Schema.Config(name, Schema.compose(Schema.Lowercase, schema)).pipe(Config.withDefault(fallback))

/** Every setting, the variable it is read from, and its default. */
const settings = {
  /** `TELEMETRY_ENABLED` — collect at all; default `true`. */
  enabled: boolean("TELEMETRY_ENABLED", true),
  /** `TELEMETRY_TRANSPORT` — `console` (default), `http`, `otlp`, `file` or `memory`. */
  transport: literal("TELEMETRY_TRANSPORT", TransportKind, "console"),
  /**
   * `TELEMETRY_ENDPOINT` — the URL the `http` transport POSTs to (required for it); for `otlp`, the collector's
   * base URL (`/v1/logs`, `/v1/metrics`, `/v1/traces` appended), default `OTEL_EXPORTER_OTLP_ENDPOINT`, else
   * `http://localhost:4318`.
   */
  endpoint: Config.option(Schema.Config("TELEMETRY_ENDPOINT", httpUrl)),
  /** `TELEMETRY_SERVICE_NAME` — `service.name` of the OTLP resource; default `OTEL_SERVICE_NAME`, else `effect-telemetry`. */
  serviceName: optionalText("TELEMETRY_SERVICE_NAME", 1024),
  /** `TELEMETRY_OTLP_PROTOCOL` — `http/protobuf` or `http/json`; default `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
  otlpProtocol: Config.option(Schema.Config("TELEMETRY_OTLP_PROTOCOL", Schema.compose(Schema.Lowercase, OtlpProtocol))),
  /** `TELEMETRY_OTLP_COMPRESSION` — `gzip` or `none`; default `OTEL_EXPORTER_OTLP_COMPRESSION`, else `none`. */
  otlpCompression: Config.option(Schema.Config("TELEMETRY_OTLP_COMPRESSION", Schema.compose(Schema.Lowercase, OtlpCompression))),
  /** `TELEMETRY_OTLP_HEADERS` — headers of every OTLP request, `k=v,k2=v2` percent-decoded; default `OTEL_EXPORTER_OTLP_HEADERS`, else none. */
  otlpHeaders: Config.option(Schema.Config("TELEMETRY_OTLP_HEADERS", HeaderList)),
  /** `TELEMETRY_OTLP_TRACES` — with `otlp`, export Effect's spans to `/v1/traces`; default `false`. */
  otlpTraces: boolean("TELEMETRY_OTLP_TRACES", false),
  /**
   * `TELEMETRY_INSTRUMENT` — read what the program already says: Effect's spans become timings, failures and AI
   * operations, its logs breadcrumbs (the tracer and logger bridges of `Instrumentation`); default `false`
   * (the tracer bridge is on anyway with `TELEMETRY_OTLP_TRACES`, which exports its spans).
   */
  instrument: boolean("TELEMETRY_INSTRUMENT", false),
  /** `TELEMETRY_METRICS_INTERVAL` — with `otlp`, time between metrics exports; default `OTEL_METRIC_EXPORT_INTERVAL` (ms), else 60 seconds. */
  metricsInterval: Config.option(positiveDuration("TELEMETRY_METRICS_INTERVAL")),
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
  otlpProtocol: "TELEMETRY_OTLP_PROTOCOL",
  otlpCompression: "TELEMETRY_OTLP_COMPRESSION",
  otlpHeaders: "TELEMETRY_OTLP_HEADERS",
  otlpTraces: "TELEMETRY_OTLP_TRACES",
  instrument: "TELEMETRY_INSTRUMENT",
  metricsInterval: "TELEMETRY_METRICS_INTERVAL",
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

/**
 * The standard OpenTelemetry variables read when ours are unset (`OTEL_EXPORTER_OTLP_ENDPOINT` only for
 * the `otlp` transport): they configure every OpenTelemetry SDK of a process, so ours win.
 */
const standard = {
  endpoint: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_ENDPOINT", httpUrl)),
  headers: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_HEADERS", HeaderList)),
  protocol: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_PROTOCOL", Schema.Lowercase.pipe(
    Schema.filter((p) => p === "http/protobuf" || p === "http/json" ||
      `Expected http/protobuf or http/json (grpc is not supported: set TELEMETRY_OTLP_PROTOCOL to override)`)
  ))),
  compression: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_COMPRESSION", Schema.compose(Schema.Lowercase, OtlpCompression))),
  serviceName: optionalText("OTEL_SERVICE_NAME", 1024),
  resourceAttributes: Schema.Config("OTEL_RESOURCE_ATTRIBUTES", AttributeList).pipe(Config.withDefault(noPairs)),
  metricExportInterval: Config.option(
    Schema.Config("OTEL_METRIC_EXPORT_INTERVAL", Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
  )
}

/** The standard OpenTelemetry variables honoured when ours are unset. */
export const standardVariables: ReadonlyArray<string> = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_COMPRESSION",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_METRIC_EXPORT_INTERVAL"
]

type Settings = Config.Config.Success<Config.Config<{ [K in keyof typeof settings]: Config.Config.Success<(typeof settings)[K]> }>>
type Standard = { readonly [K in keyof typeof standard]: Config.Config.Success<(typeof standard)[K]> }

/** Our settings and the standard ones resolved into one value: ours first, then `OTEL_*`, then the default. */
const resolve = (c: Settings, otel: Standard) => {
  const otlp = c.transport === "otlp"
  const resourceAttributes = otel.resourceAttributes
  return {
    ...c,
    endpoint: otlp
      ? Option.some(Option.getOrElse(Option.orElse(c.endpoint, () => otel.endpoint), () => defaultOtlpEndpoint))
      : c.endpoint,
    serviceName: Option.getOrElse(
      Option.orElse(c.serviceName, () => otel.serviceName),
      () => Object.hasOwn(resourceAttributes, "service.name") ? resourceAttributes["service.name"]! : "effect-telemetry"
    ),
    otlpProtocol: Option.getOrElse(
      Option.orElse(c.otlpProtocol, () => otel.protocol as Option.Option<OtlpProtocol>),
      (): OtlpProtocol => "http/protobuf"
    ),
    otlpCompression: Option.getOrElse(Option.orElse(c.otlpCompression, () => otel.compression), (): OtlpCompression => "none"),
    otlpHeaders: Option.getOrElse(Option.orElse(c.otlpHeaders, () => otel.headers), () => noPairs),
    metricsInterval: Option.getOrElse(
      Option.orElse(c.metricsInterval, () => Option.map(otel.metricExportInterval, Duration.millis)),
      () => Duration.seconds(60)
    ),
    /** `OTEL_RESOURCE_ATTRIBUTES`, merged under the resource fields our settings name. */
    resourceAttributes
  }
}

/** The validated configuration. */
export type TelemetryConfig = Config.Config.Success<typeof TelemetryConfig>

/** Reads the configuration through Effect `Config` (the environment by default); fails naming the variable. */
export const TelemetryConfig = Config.all([Config.all(settings), Config.all(standard)]).pipe(
  // Reported as missing data at the variable itself, so the message names it.
  Config.mapOrFail(([c, otel]) =>
    c.transport === "http" && Option.isNone(c.endpoint)
      ? Either.left(ConfigError.MissingData(
        ["TELEMETRY_ENDPOINT"],
        `TELEMETRY_ENDPOINT is required when TELEMETRY_TRANSPORT is ${c.transport}`
      ))
      : Either.right(resolve(c, otel))
  )
)

type Setting<K extends keyof Settings> = Settings[K] extends Duration.Duration ? Duration.DurationInput
  : Settings[K] extends Option.Option<infer A> ? A extends Duration.Duration ? Duration.DurationInput : A
  : Settings[K]

/** Settings given as an object; each is optional and defaults as its variable does. */
export type TelemetryOptions = { readonly [K in keyof Settings]?: Setting<K> }

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
        : key === "otlpHeaders"
        ? Object.entries(value as { readonly [name: string]: string })
          .map(([name, text]) => `${encodeURIComponent(name)}=${encodeURIComponent(text)}`).join(",")
        : `${Duration.toMillis(Duration.decode(value as Duration.DurationInput))} millis`
    )
  }
  return Effect.withConfigProvider(TelemetryConfig, ConfigProvider.fromMap(entries))
}
