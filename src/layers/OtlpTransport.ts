/**
 * A transport that exports events as OpenTelemetry log records over OTLP/HTTP with JSON encoding, to the
 * collectors users already run (`POST <collector>:4318/v1/logs`). One event is one log record: its type is
 * the `eventName` and the body, its data a structured body, its id, kind, session and user attributes.
 */
import type { HttpClient } from "@effect/platform"
import { Either, Layer } from "effect"
import type { Effect } from "effect"
import type { Batch, Json, TelemetryEvent } from "../schemas/TelemetryEvent.js"
import { Transport } from "../services/Transport.js"
import { type HttpTransportOptions, makePostTransport } from "./HttpTransport.js"

/** Settings of the OTLP transport: the HTTP ones, plus the resource's service name. */
export interface OtlpTransportOptions extends HttpTransportOptions {
  /** `service.name` of the exported resource; default `effect-telemetry`. */
  readonly serviceName?: string
  /** Extra resource attributes, e.g. `deployment.environment`. */
  readonly resourceAttributes?: Readonly<Record<string, string>>
}

/** An OTLP `AnyValue` in the JSON encoding (64-bit integers as strings). */
type AnyValue =
  | { readonly stringValue: string }
  | { readonly boolValue: boolean }
  | { readonly intValue: string }
  | { readonly doubleValue: number }
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
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
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
  if (typeof declared === "string" && severities[declared] !== undefined) return severities[declared]
  return event.kind === "error" ? [17, "ERROR"] : [9, "INFO"]
}

const nanos = (millis: number): string => (BigInt(Math.round(millis * 1_000)) * 1_000n).toString()

/** A batch as an OTLP `ExportLogsServiceRequest` in JSON. */
export const toExportLogsRequest = (
  batch: Batch,
  sentAt: number,
  options: Pick<OtlpTransportOptions, "serviceName" | "resourceAttributes"> = {}
) => ({
  resourceLogs: [{
    resource: {
      attributes: [
        stringAttribute("service.name", options.serviceName ?? "effect-telemetry"),
        ...Object.entries(options.resourceAttributes ?? {}).map(([key, value]) => stringAttribute(key, value))
      ]
    },
    scopeLogs: [{
      scope: { name: "effect-telemetry" },
      logRecords: batch.events.map((event) => {
        const [severityNumber, severityText] = severityOf(event)
        return {
          timeUnixNano: nanos(event.timestamp),
          observedTimeUnixNano: nanos(sentAt),
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

/** Builds the OTLP/HTTP transport over the `HttpClient` in context; `url` is the logs endpoint (`…/v1/logs`). */
export const makeOtlpTransport = (
  options: OtlpTransportOptions
): Effect.Effect<Transport["Type"], never, HttpClient.HttpClient> =>
  makePostTransport(options, (batch, sentAt) => Either.right(JSON.stringify(toExportLogsRequest(batch, sentAt, options))))

/** The OTLP/HTTP transport as a layer, over the `HttpClient` in context. */
export const layerOtlpTransport = (options: OtlpTransportOptions): Layer.Layer<Transport, never, HttpClient.HttpClient> =>
  Layer.effect(Transport, makeOtlpTransport(options))
