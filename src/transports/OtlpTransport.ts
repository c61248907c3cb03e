/**
 * A transport that exports events as OpenTelemetry log records over OTLP/HTTP with JSON encoding, to the
 * collectors users already run (`POST <collector>:4318/v1/logs`). One event is one log record: its type is
 * the `eventName` and the body, its data a structured body, its id, kind, session and user attributes.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { Batch, Json, TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { makePostTransport } from "./HttpTransport.js"
import { decodeHttpOptions, HttpOptions, type HttpTransportConfigError } from "./internal/httpOptions.js"
import { Transport, type TransportService } from "./TransportTag.js"

/** The OTLP transport's options: the HTTP ones, plus the exported resource's attributes. */
const OtlpOptions = Schema.Struct({
  ...HttpOptions.fields,
  /** `service.name` of the exported resource; default `effect-telemetry`. */
  serviceName: Schema.optionalWith(Schema.String, { default: () => "effect-telemetry" }),
  /** `service.version` of the exported resource (the release); none by default. */
  serviceVersion: Schema.optional(Schema.String),
  /** `deployment.environment.name` of the exported resource; none by default. */
  deploymentEnvironment: Schema.optional(Schema.String),
  /** Extra resource attributes, e.g. `deployment.environment`; none by default. */
  resourceAttributes: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  })
})

/** Settings of the OTLP transport, as users write them: the HTTP ones, plus the exported resource's attributes. */
export type OtlpTransportOptions = Schema.Schema.Encoded<typeof OtlpOptions>

/** What `toExportLogsRequest` reads of the options: the resource's attributes. */
type ResourceOptions = Pick<
  OtlpTransportOptions,
  "serviceName" | "serviceVersion" | "deploymentEnvironment" | "resourceAttributes"
>

/** An OTLP `AnyValue` in the JSON encoding (64-bit integers as strings). */
type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number | "NaN" | "Infinity" | "-Infinity" }
  | { readonly arrayValue: { readonly values: ReadonlyArray<AnyValue> } }
  | { readonly kvlistValue: { readonly values: ReadonlyArray<KeyValue> } }
  | {}

interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

const anyValue = (value: Json): AnyValue => {
  if (value === null) return {}
  switch (typeof value) {
    case "string":
      return { stringValue: value }
    case "boolean":
      return { boolValue: value }
    case "number":
      return Number.isSafeInteger(value)
        ? { intValue: String(value) }
        // JSON has no NaN or Infinity (JSON.stringify would write null): proto3 JSON spells them as strings.
        : { doubleValue: Number.isFinite(value) ? value : Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" }
    default:
      return Array.isArray(value)
        ? { arrayValue: { values: value.map(anyValue) } }
        : { kvlistValue: { values: keyValues(value as { readonly [key: string]: Json }) } }
  }
}

const keyValues = (record: { readonly [key: string]: Json }): Array<KeyValue> =>
  Object.entries(record).map(([key, value]) => ({ key, value: anyValue(value) }))

const stringAttribute = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } })

/** OTLP severity numbers of the error tracker's severities; other events are INFO, `error.*` ERROR. */
const severities: Readonly<Record<string, readonly [number, string]>> = {
  DEBUG: [5, "DEBUG"],
  INFO: [9, "INFO"],
  WARNING: [13, "WARN"],
  ERROR: [17, "ERROR"],
  CRITICAL: [21, "FATAL"]
}

const severityOf = (event: TelemetryEvent): readonly [number, string] => {
  const declared = event.data.severity
  // Own keys only: `"constructor"` or `"__proto__"` must not reach Object.prototype.
  if (typeof declared === "string" && Object.hasOwn(severities, declared)) return severities[declared]!
  return event.kind === "error" ? [17, "ERROR"] : [9, "INFO"]
}

/** The largest OTLP time: `timeUnixNano` is an unsigned 64-bit count of nanoseconds. */
const maxNanos = 2n ** 64n - 1n

/**
 * Epoch milliseconds as OTLP's unsigned 64-bit nanoseconds (a decimal string, microsecond precision);
 * throws a `RangeError` naming `what` for a time OTLP cannot hold (negative, not finite, after 2554).
 */
const nanos = (millis: number, what: string): string => {
  const micros = Math.round(millis * 1_000)
  const value = Number.isFinite(micros) && micros >= 0 ? BigInt(micros) * 1_000n : undefined
  if (value === undefined || value > maxNanos) {
    throw new RangeError(`${what} ${millis} ms is outside OTLP's unsigned 64-bit nanoseconds`)
  }
  return value.toString()
}

/**
 * A batch as an OTLP `ExportLogsServiceRequest` in JSON. Throws a `RangeError` naming the event for a
 * timestamp OTLP cannot hold (the transport turns it into an `encode` failure of that batch).
 *
 * @internal
 */
export const toExportLogsRequest = (batch: Batch, sentAt: number, options: ResourceOptions = {}) => ({
  resourceLogs: [{
    resource: {
      attributes: [
        stringAttribute("service.name", options.serviceName ?? "effect-telemetry"),
        ...(options.serviceVersion === undefined ? [] : [stringAttribute("service.version", options.serviceVersion)]),
        ...(options.deploymentEnvironment === undefined
          ? []
          : [stringAttribute("deployment.environment.name", options.deploymentEnvironment)]),
        ...Object.entries(options.resourceAttributes ?? {}).map(([key, value]) => stringAttribute(key, value))
      ]
    },
    scopeLogs: [{
      scope: { name: "effect-telemetry" },
      logRecords: batch.events.map((event) => {
        const [severityNumber, severityText] = severityOf(event)
        return {
          timeUnixNano: nanos(event.timestamp, `event ${event.id}: timestamp`),
          observedTimeUnixNano: nanos(sentAt, "sentAt"),
          severityNumber,
          severityText,
          eventName: event.type,
          body: { kvlistValue: { values: keyValues(event.data) } },
          attributes: [
            stringAttribute("event.id", event.id),
            stringAttribute("event.kind", event.kind),
            stringAttribute("session.id", event.sessionId),
            stringAttribute("telemetry.batch_id", batch.batchId),
            ...(event.userId === undefined ? [] : [stringAttribute("user.id", event.userId)]),
            ...Object.entries(event.tags ?? {}).map(([key, value]) => stringAttribute(`tag.${key}`, value))
          ]
        }
      })
    }]
  }]
})

const decode = decodeHttpOptions(OtlpOptions)

/**
 * Builds the OTLP/HTTP transport over the `HttpClient` in context (see `Transport.makeOtlp`); `url` is the
 * logs endpoint (`…/v1/logs`). Fails when an option cannot be used; a batch it cannot encode fails its `send`
 * with `encode`.
 */
export const makeOtlp = (
  options: OtlpTransportOptions
): Effect.Effect<TransportService, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(decode(options), (settings) =>
    makePostTransport(settings, (batch, sentAt) => Either.right(JSON.stringify(toExportLogsRequest(batch, sentAt, settings)))))

/** The OTLP/HTTP transport as a layer, over the `HttpClient` in context (see `Transport.otlp`). */
export const layerOtlp = (
  options: OtlpTransportOptions
): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> => Layer.effect(Transport, makeOtlp(options))
