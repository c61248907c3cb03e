/**
 * The configuration: the settings of every platform (`CoreConfig.ts`) plus the transport choice, OTLP and the
 * Node-only paths — one `Config` per environment variable, each validated by a Schema, with the defaults in one
 * place. `fromOptions` runs the same validation on an object.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { headerName, invalidHeaderValue } from "../transports/internal/httpOptions.js"
import {
  boolean,
  checkGlobalTags,
  coreSettings,
  type Decoded,
  decodeOptions,
  httpUrl,
  lowercase,
  optional,
  type OptionOf,
  positiveDuration,
  setting,
  type Settings as SettingTable,
  text,
  variablesOf
} from "./CoreConfig.js"

export { maxGlobalTags, SamplingKind } from "./CoreConfig.js"

/** Transports `TelemetryLive` can build from configuration. */
export const TransportKind = Schema.Literal("console", "http", "otlp", "file", "memory")
export type TransportKind = typeof TransportKind.Type

/** A file-system path: a NUL in it would make every write fail, forever, at run time. */
const path = Schema.String.pipe(
  Schema.filter((p) => p.length > 0 && !p.includes("\0") || "Expected a non-empty path without NUL characters")
)

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
const AttributeList = /* @__PURE__ */ keyValueList(() => undefined)

const noPairs: { readonly [key: string]: string } = Object.freeze({})

/** The OTLP/HTTP encodings we speak. */
export const OtlpProtocol = Schema.Literal("http/protobuf", "http/json")
export type OtlpProtocol = typeof OtlpProtocol.Type

/** Body compressions of the OTLP exporters. */
export const OtlpCompression = Schema.Literal("gzip", "none")
export type OtlpCompression = typeof OtlpCompression.Type

/** The base URL of an OpenTelemetry Collector's OTLP/HTTP receiver on this machine: the `otlp` transport's default. */
export const defaultOtlpEndpoint = "http://localhost:4318"

/** The settings beyond those of every platform: the transport, OTLP, instrumentation and the Node paths. */
const nodeSettings = {
  /** `TELEMETRY_TRANSPORT` — `console` (default), `http`, `otlp`, `file` or `memory`. */
  transport: setting("TELEMETRY_TRANSPORT", lowercase(TransportKind), "console"),
  /** `TELEMETRY_SERVICE_NAME` — `service.name` of the OTLP resource; default `OTEL_SERVICE_NAME`, else `effect-telemetry`. */
  serviceName: optional("TELEMETRY_SERVICE_NAME", text(1024)),
  /** `TELEMETRY_OTLP_PROTOCOL` — `http/protobuf` or `http/json`; default `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
  otlpProtocol: optional("TELEMETRY_OTLP_PROTOCOL", lowercase(OtlpProtocol)),
  /** `TELEMETRY_OTLP_COMPRESSION` — `gzip` or `none`; default `OTEL_EXPORTER_OTLP_COMPRESSION`, else `none`. */
  otlpCompression: optional("TELEMETRY_OTLP_COMPRESSION", lowercase(OtlpCompression)),
  /** `TELEMETRY_OTLP_HEADERS` — headers of every OTLP request, `k=v,k2=v2` percent-decoded; default `OTEL_EXPORTER_OTLP_HEADERS`, else none. */
  otlpHeaders: optional("TELEMETRY_OTLP_HEADERS", HeaderList),
  /** `TELEMETRY_OTLP_TRACES` — with `otlp`, export Effect's spans to `/v1/traces`; default `false`. */
  otlpTraces: setting("TELEMETRY_OTLP_TRACES", boolean, false),
  /**
   * `TELEMETRY_INSTRUMENT` — read what the program already says: Effect's spans become timings, failures and AI
   * operations, its logs breadcrumbs (the tracer and logger bridges of `Instrumentation`); default `false`
   * (the tracer bridge is on anyway with `TELEMETRY_OTLP_TRACES`, which exports its spans).
   */
  instrument: setting("TELEMETRY_INSTRUMENT", boolean, false),
  /** `TELEMETRY_METRICS_INTERVAL` — with `otlp`, time between metrics exports; default `OTEL_METRIC_EXPORT_INTERVAL` (ms), else 60 seconds. */
  metricsInterval: optional("TELEMETRY_METRICS_INTERVAL", positiveDuration),
  /** `TELEMETRY_FILE_PATH` — the NDJSON file of the `file` transport; default `.telemetry/events.ndjson`. */
  filePath: setting("TELEMETRY_FILE_PATH", path, ".telemetry/events.ndjson"),
  /** `TELEMETRY_OUTBOX_DIR` — folder of the durable outbox on Node; default `.telemetry/outbox`. */
  outboxDir: setting("TELEMETRY_OUTBOX_DIR", path, ".telemetry/outbox")
}

/** Every setting, the variable it is read from, and its default. */
const settings = { ...coreSettings, ...nodeSettings }

/** Environment variable of each setting. */
export const variables: { readonly [K in keyof typeof settings]: string } = variablesOf(settings)

/** A table of settings read through Effect `Config`: each from its variable, an unset one taking its default. */
const configOf = <S extends SettingTable>(table: S): Config.Config<Decoded<S>> =>
  Config.all(Object.fromEntries(Object.entries(table).map(([key, s]) => {
    const read = Schema.Config(s.variable, s.schema)
    return [key, "optional" in s ? Config.option(read) : Config.withDefault(read, s.fallback)]
  }))) as Config.Config<Decoded<S>>

/**
 * The standard OpenTelemetry variables read when ours are unset (`OTEL_EXPORTER_OTLP_ENDPOINT` only for
 * the `otlp` transport): they configure every OpenTelemetry SDK of a process, so ours win.
 */
const standardSettings = () => ({
  endpoint: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_ENDPOINT", httpUrl)),
  headers: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_HEADERS", HeaderList)),
  protocol: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_PROTOCOL", Schema.Lowercase.pipe(
    Schema.filter((p) => p === "http/protobuf" || p === "http/json" ||
      `Expected http/protobuf or http/json (grpc is not supported: set TELEMETRY_OTLP_PROTOCOL to override)`)
  ))),
  compression: Config.option(Schema.Config("OTEL_EXPORTER_OTLP_COMPRESSION", Schema.compose(Schema.Lowercase, OtlpCompression))),
  serviceName: Config.option(Schema.Config("OTEL_SERVICE_NAME", text(1024))),
  resourceAttributes: Schema.Config("OTEL_RESOURCE_ATTRIBUTES", AttributeList).pipe(Config.withDefault(noPairs)),
  metricExportInterval: Config.option(
    Schema.Config("OTEL_METRIC_EXPORT_INTERVAL", Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
  )
})

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

type Settings = Decoded<typeof settings>
type Standard = { readonly [K in keyof ReturnType<typeof standardSettings>]: Config.Config.Success<ReturnType<typeof standardSettings>[K]> }

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

/** The settings resolved with the standard ones, once the `http` transport is known to have its endpoint. */
const complete = (c: Settings, otel: Standard) =>
  c.transport === "http" && Option.isNone(c.endpoint)
    // Reported as missing data at the variable itself, so the message names it.
    ? Either.left(ConfigError.MissingData(
      ["TELEMETRY_ENDPOINT"],
      `TELEMETRY_ENDPOINT is required when TELEMETRY_TRANSPORT is ${c.transport}`
    ))
    : Either.right(resolve(c, otel))

/** The standard settings when none is set: what `fromOptions` resolves with, reading no environment. */
const noStandard: Standard = {
  endpoint: Option.none(),
  headers: Option.none(),
  protocol: Option.none(),
  compression: Option.none(),
  serviceName: Option.none(),
  resourceAttributes: noPairs,
  metricExportInterval: Option.none()
}

const readConfig = () =>
  Config.all([configOf(settings), Config.all(standardSettings())]).pipe(Config.mapOrFail(([c, otel]) => complete(c, otel)))

// Built by a call marked pure, so a bundle that only validates options (`fromOptions`) drops it, and `Config` with it.
/** Reads the configuration through Effect `Config` (the environment by default); fails naming the variable. */
export const TelemetryConfig = /* @__PURE__ */ readConfig()

/** Settings given as an object; each is optional and defaults as its variable does. */
export type TelemetryOptions = { readonly [K in keyof Settings]?: OptionOf<Settings[K]> }

/**
 * Validates settings given as an object with the same rules, defaults and errors as the environment (without
 * reading it, nor the `OTEL_*` variables), and without `Config`, so that code validating options bundles
 * none of it.
 */
export const fromOptions = (options: TelemetryOptions): Effect.Effect<TelemetryConfig, ConfigError.ConfigError> =>
  Effect.suspend(() => {
    const headers = options.otlpHeaders
    const texts = headers === undefined ? options : {
      ...options,
      otlpHeaders: Object.entries(headers).map(([name, text]) => `${encodeURIComponent(name)}=${encodeURIComponent(text)}`)
        .join(",")
    }
    return Either.flatMap(decodeOptions(settings, texts), (c) => complete(c, noStandard))
  })
