/**
 * How the OTLP exporters send one export request: one POST to the signal's URL, retried at most twice
 * on what OTLP says may be retried (429, 502, 503, 504, network failures, timeouts), honouring
 * `Retry-After`. An export that still fails is given up: metrics are cumulative, so the next export
 * supersedes it; spans are counted as lost.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { TransportError } from "../../schemas/errors.js"
import type { HttpTransportConfigError } from "../internal/httpOptions.js"
import { makePoster } from "../internal/post.js"
import { type RetryOptions, withRetries } from "../internal/retryPolicy.js"
import type { Receipt } from "../TransportTag.js"
import { type EndpointSettings, policyOf, targetOf } from "./EndpointOptions.js"
import type { Signal } from "./Model.js"

/** Attempts per export request: the first and at most two retries. */
export const maxExportAttempts = 3

/**
 * The retries of one export request: 1 second, then 2, jittered, or the `Retry-After` asked for when longer
 * (capped by `maxRetryAfter` when read); only while the failure is retryable and not a refused credential.
 *
 * @internal
 */
export const exportRetry = (maxRetryAfter: Duration.Duration): RetryOptions => ({
  maxAttempts: maxExportAttempts,
  retryBaseDelay: Duration.seconds(1),
  retryMaxDelay: maxRetryAfter
})

/** Sends one signal's export requests. */
export interface SignalSender {
  /** POSTs one encoded request, with `exportRetry`; the last failure when every attempt failed. */
  readonly send: (body: Uint8Array) => Effect.Effect<void | Receipt, TransportError>
}

/**
 * A sender of `signal` over the `HttpClient` in context; fails when the URL or a header cannot be used.
 *
 * @internal
 */
export const makeSignalSender = (
  settings: EndpointSettings,
  signal: Signal
): Effect.Effect<SignalSender, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.map(makePoster(targetOf(settings, signal), policyOf(settings, signal)), (poster) => ({
    send: (body) => withRetries(exportRetry(settings.maxRetryAfter))(poster.post(body))
  }))
