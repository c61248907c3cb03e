/**
 * A transport that exports events as OpenTelemetry log records over OTLP/HTTP, to the collectors users
 * already run (`POST <endpoint>/v1/logs`), in protobuf (default) or JSON, optionally gzipped. One event
 * is one log record (see `otlp/Logs.ts`). It retries only what OTLP says may be retried (429, 502, 503,
 * 504, connection failures and timeouts) and counts the events a `partialSuccess` answer rejected.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { makePostTransport } from "./HttpTransport.js"
import { decodeOptions } from "../internal/decode.js"
import { HttpTransportConfigError } from "./internal/httpOptions.js"
import { encodingOf, EndpointOptions, policyOf, targetOf } from "./otlp/EndpointOptions.js"
import { logsJson } from "./otlp/Json.js"
import { logRecords } from "./otlp/Logs.js"
import { logsProtobuf } from "./otlp/Protobuf.js"
import { makeResource, scope } from "./otlp/Resource.js"
import { Transport, type TransportService } from "./TransportTag.js"

/** The OTLP transport's options: the shared OTLP ones, plus the logs URL of 0.2. */
const OtlpOptions = Schema.Struct({
  ...EndpointOptions.fields,
  /**
   * The full logs URL (`…/v1/logs`), as 0.2 took it; when set it wins over `endpoint` for logs. Prefer
   * `endpoint`, the collector's base URL.
   */
  url: Schema.optional(Schema.String)
})

/**
 * Settings of the OTLP transport, as users write them: `endpoint` (default `http://localhost:4318`),
 * `protocol` (`http/protobuf`), `compression` (`none`), `headers`, `timeout`, `maxRetryAfter`, the
 * resource's `serviceName`, `serviceVersion`, `deploymentEnvironment`, `resourceAttributes`, and the
 * legacy `url`.
 */
export type OtlpTransportOptions = Schema.Schema.Encoded<typeof OtlpOptions>

const decode = decodeOptions(OtlpOptions, (fields) => new HttpTransportConfigError(fields))

/**
 * Builds the OTLP/HTTP transport over the `HttpClient` in context (see `Transport.makeOtlp`). Fails when an
 * option cannot be used; a batch it cannot encode fails its `send` with `encode`.
 */
export const makeOtlp = (
  options: OtlpTransportOptions = {}
): Effect.Effect<TransportService, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.flatMap(decode(options), (settings) => {
    const resource = makeResource({
      serviceName: settings.serviceName,
      serviceVersion: settings.serviceVersion,
      deploymentEnvironment: settings.deploymentEnvironment,
      attributes: settings.resourceAttributes
    })
    const json = encodingOf(settings) === "json"
    return makePostTransport(
      targetOf(settings, "logs", settings.url),
      (batch, sentAt) => {
        const records = logRecords(batch, sentAt)
        return Either.right(json ? logsJson(resource, scope, records) : logsProtobuf(resource, scope, records))
      },
      policyOf(settings, "logs")
    )
  })

/** The OTLP/HTTP transport as a layer, over the `HttpClient` in context (see `Transport.otlp`). */
export const layerOtlp = (
  options: OtlpTransportOptions = {}
): Layer.Layer<Transport, HttpTransportConfigError, HttpClient.HttpClient> => Layer.effect(Transport, makeOtlp(options))
