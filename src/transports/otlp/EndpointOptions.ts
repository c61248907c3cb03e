/**
 * What the OTLP transport and the OTLP exporters share: where the collector is (a base URL each signal's
 * path is appended to), how bodies are encoded and compressed, the headers and resource, and the
 * OTLP/HTTP status policy (retry 429, 502, 503, 504 only; read `partialSuccess` from a 2xx answer).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { DurationOption } from "../../internal/DurationOption.js"
import { HttpOptions } from "../internal/httpOptions.js"
import type { PostPolicy, PostTarget } from "../internal/post.js"
import { isRetryableOtlpStatus } from "../internal/response.js"
import { gzip } from "./Gzip.js"
import type { Encoding, Signal } from "./Model.js"
import { partialSuccess } from "./Response.js"

/** The default collector: an OpenTelemetry Collector's OTLP/HTTP receiver on this machine. */
export const defaultEndpoint = "http://localhost:4318"

/** The options every OTLP sender reads; every field has a default. */
export const EndpointOptions = Schema.Struct({
  /** The collector's base URL; `/v1/logs`, `/v1/metrics`, `/v1/traces` are appended; default `http://localhost:4318`. */
  endpoint: Schema.optionalWith(Schema.String, { default: () => defaultEndpoint }),
  /** `http/protobuf` (default, as OpenTelemetry's SDKs) or `http/json`. */
  protocol: Schema.optionalWith(Schema.Literal("http/protobuf", "http/json"), { default: () => "http/protobuf" as const }),
  /** `gzip` compresses every request body (`content-encoding: gzip`); default `none`. */
  compression: Schema.optionalWith(Schema.Literal("gzip", "none"), { default: () => "none" as const }),
  timeout: HttpOptions.fields.timeout,
  headers: HttpOptions.fields.headers,
  maxRetryAfter: HttpOptions.fields.maxRetryAfter,
  /** `service.name` of the exported resource; default `effect-telemetry`. */
  serviceName: Schema.optional(Schema.String),
  /** `service.version` of the exported resource (the release); none by default. */
  serviceVersion: Schema.optional(Schema.String),
  /** `deployment.environment.name` of the exported resource; none by default. */
  deploymentEnvironment: Schema.optional(Schema.String),
  /** Extra resource attributes; none by default. */
  resourceAttributes: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  })
})

/** The shared OTLP options once decoded. */
export type EndpointSettings = Schema.Schema.Type<typeof EndpointOptions>

/**
 * The URL a signal is POSTed to: the base URL with `/v1/<signal>` appended. A base that already ends in
 * a signal's path (the logs URL `TELEMETRY_ENDPOINT` held before 0.3) is taken without it, so
 * `http://collector:4318/v1/logs` still sends logs to `/v1/logs` and metrics to `/v1/metrics`.
 *
 * @internal
 */
export const signalUrl = (endpoint: string, signal: Signal): string => {
  const base = endpoint.replace(/\/+$/, "").replace(/\/v1\/(logs|metrics|traces)$/, "")
  return `${base}/v1/${signal}`
}

/** The encoding a protocol names. */
export const encodingOf = (settings: Pick<EndpointSettings, "protocol">): Encoding =>
  settings.protocol === "http/json" ? "json" : "protobuf"

/** Where and how a signal is sent: its URL, with the shared timeout, headers and `Retry-After` cap. */
export const targetOf = (settings: EndpointSettings, signal: Signal, url?: string): PostTarget => ({
  url: url ?? signalUrl(settings.endpoint, signal),
  timeout: settings.timeout,
  headers: settings.headers,
  maxRetryAfter: settings.maxRetryAfter
})

/** The OTLP/HTTP status policy for one signal: content type, compression, retryable statuses, `partialSuccess`. */
export const policyOf = (settings: EndpointSettings, signal: Signal): PostPolicy => {
  const encoding = encodingOf(settings)
  return {
    contentType: encoding === "json" ? "application/json" : "application/x-protobuf",
    compression: settings.compression === "gzip" ? gzip() : undefined,
    isRetryableStatus: isRetryableOtlpStatus,
    receipt: (body) => body.byteLength === 0 ? undefined : partialSuccess(body, encoding, signal)
  }
}

/** The `Duration` of a decoded option, for options declared with `DurationOption`. */
export const durationOption = (fallback: Duration.DurationInput) =>
  Schema.optionalWith(DurationOption, { default: () => Duration.decode(fallback) })
