/**
 * One call per signal from the OTLP model to a request body in the chosen encoding, with its
 * `Content-Type`.
 *
 * @internal
 */
import { logsJson, metricsJson, tracesJson } from "./Json.js"
import type { Encoding, LogRecord, Resource, Scope, ScopeMetrics, SpanRecord } from "./Model.js"
import { logsProtobuf, metricsProtobuf, tracesProtobuf } from "./Protobuf.js"

/** A request body and the `Content-Type` it is sent with. */
export interface Encoded {
  readonly body: Uint8Array
  readonly contentType: string
}

/** The `Content-Type` of each encoding, as OTLP/HTTP names them. */
export const contentTypes: { readonly [E in Encoding]: string } = {
  json: "application/json",
  protobuf: "application/x-protobuf"
}

const utf8 = new TextEncoder()

const encoded = (encoding: Encoding, json: () => string, protobuf: () => Uint8Array): Encoded => ({
  body: encoding === "json" ? utf8.encode(json()) : protobuf(),
  contentType: contentTypes[encoding]
})

/** An `ExportLogsServiceRequest` body. */
export const encodeLogs = (
  resource: Resource,
  scope: Scope,
  records: ReadonlyArray<LogRecord>,
  encoding: Encoding
): Encoded => encoded(encoding, () => logsJson(resource, scope, records), () => logsProtobuf(resource, scope, records))

/** An `ExportTraceServiceRequest` body. */
export const encodeTraces = (
  resource: Resource,
  scope: Scope,
  spans: ReadonlyArray<SpanRecord>,
  encoding: Encoding
): Encoded => encoded(encoding, () => tracesJson(resource, scope, spans), () => tracesProtobuf(resource, scope, spans))

/** An `ExportMetricsServiceRequest` body. */
export const encodeMetrics = (
  resource: Resource,
  scopes: ReadonlyArray<ScopeMetrics>,
  encoding: Encoding
): Encoded => encoded(encoding, () => metricsJson(resource, scopes), () => metricsProtobuf(resource, scopes))
