/**
 * `Telemetry` in the browser entry: the shared configuration and test wiring, plus the layers of a page —
 * the HTTP transport over `fetch`, the outbox in localStorage (re-sent at start-up), and the page lifecycle
 * hand-over to `sendBeacon` — for every service (`layer`) or for the collector alone (`layerCollector`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ConfigError } from "effect/ConfigError"
import { type CoreOptions, fromCoreOptions } from "../schemas/CoreConfig.js"
import type { EventSink } from "../services/EventSink.js"
import * as Outbox from "../services/Outbox.js"
import type { Redactor } from "../services/Redactor.js"
import type { TelemetryCollector } from "../services/TelemetryCollector.js"
import { type HttpTransportConfigError, makeHttp } from "../transports/HttpTransport.js"
import { Transport } from "../transports/TransportTag.js"
import { layerPageLifecycle } from "./PageLifecycle.js"
import { layerCollector as layerCollectorWith, layerWithTransport, outboxOptions, type TelemetryServices } from "./TelemetryLayers.js"

export * from "./Telemetry.js"

export {
  /**
   * Default of `PageLifecycleOptions.maxBytes`: 64,000 bytes, under the 64 KiB browsers allow in flight.
   *
   * @since 0.2.0
   * @category constants
   */
  defaultBeaconBytes,
  /**
   * For the life of its scope, hands everything buffered to `sendBeacon` on `pagehide` and when the page
   * becomes hidden; `Telemetry.layer` installs it.
   *
   * @since 0.2.0
   * @category layers
   */
  layerPageLifecycle,
  /**
   * Settings of `layerPageLifecycle`: the beacon URL, the byte budget, whether a hidden page hands over.
   *
   * @since 0.2.0
   * @category models
   */
  type PageLifecycleOptions
} from "./PageLifecycle.js"

export {
  /**
   * Every service over the given transport layer and (by default in-memory) outbox layer.
   *
   * @since 0.2.0
   * @category layers
   */
  layerWithTransport
} from "./TelemetryLayers.js"

/**
 * Default bounds of the browser outbox: 10,000 events and 2,000,000 characters, well inside the ~5 MB
 * localStorage gives an origin, leaving room for the page's own data.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultOutboxOptions: Outbox.OutboxOptions = { maxEvents: 10_000, maxBytes: 2_000_000 }

/**
 * The collector's outbox in localStorage (keys prefixed `effect-telemetry-outbox:`), so batches that
 * could not be delivered survive the page and are re-sent when the next page starts. A full storage
 * quota evicts the oldest batches to make room; without usable localStorage (disabled, sandboxed) the
 * outbox is kept in memory, with a warning.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerOutbox = (options: Partial<Outbox.OutboxOptions> = {}): Layer.Layer<Outbox.Outbox> => {
  const bounds = { ...defaultOutboxOptions, ...options }
  return Outbox.layer(bounds).pipe(
    // What `@effect/platform-browser`'s `layerLocalStorage` is, without making that package a peer dependency.
    Layer.provide(KeyValueStore.layerStorage(() => localStorage)),
    Layer.catchAllCause((cause) =>
      Layer.effectDiscard(
        Effect.logWarning("telemetry outbox: localStorage unusable; keeping the outbox in memory", Cause.pretty(cause))
      ).pipe(Layer.provideMerge(Outbox.layerMemory(bounds)))
    )
  )
}

/**
 * Settings of `Telemetry.layer` in the browser: those of `Telemetry.Options` a page uses (collector, sampling,
 * redaction, delivery, outbox bounds; not the transport choice, OTLP, instrumentation or Node paths), with
 * the endpoint required.
 *
 * @since 0.2.0
 * @category models
 */
export interface BrowserOptions extends Omit<CoreOptions, "endpoint"> {
  /** Where batches are POSTed and beacons sent: absolute, or relative to the page. */
  readonly endpoint: string
  /** Extra headers of the POST requests, e.g. `authorization`; beacons cannot carry headers. */
  readonly headers?: Readonly<Record<string, string>>
  /** Body bytes one page hide may hand to the browser; default 64,000 (see `PageLifecycleOptions`). */
  readonly beaconMaxBytes?: number
}

/**
 * Request bodies up to this size are sent with `keepalive`, so a batch in flight when the page goes
 * away is still delivered; larger ones would be refused by the browser's 64 KiB keepalive quota.
 */
const keepaliveRequestBytes = 32_000

const keepaliveFetch: typeof globalThis.fetch = (input, init) =>
  globalThis.fetch(
    input,
    init?.body instanceof Uint8Array && init.body.byteLength <= keepaliveRequestBytes ? { ...init, keepalive: true } : init
  )

/** `FetchHttpClient` whose small requests outlive the page. */
const layerKeepaliveFetchClient = FetchHttpClient.layer.pipe(
  Layer.provide(Layer.succeed(FetchHttpClient.Fetch, keepaliveFetch))
)

const resolveEndpoint = (endpoint: string): string => {
  const base = (globalThis as { readonly location?: { readonly href: string } }).location?.href
  try {
    return new URL(endpoint, base).href
  } catch {
    return endpoint // left to the configuration's validation to report
  }
}

/** The endpoint for beacons: `sendBeacon` and `fetch` refuse URLs with user-info, and cannot send it as a header. */
const withoutUserInfo = (url: string): string => {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    return parsed.href
  } catch {
    return url
  }
}

/**
 * The services a collector-only page has: the collector, with the `EventSink` and `Redactor` it was built
 * over, on which `ErrorTracking.layer()`, `UsageAnalytics.layer()`, … can be added one by one.
 *
 * @since 0.2.0
 * @category models
 */
export type CollectorServices = TelemetryCollector | EventSink | Redactor

/**
 * The collector alone for a browser page: the HTTP transport over `fetch`, the outbox in localStorage
 * (re-sent at start-up) and the page lifecycle hand-over to `sendBeacon`, with none of the other
 * services' code. Same options and defaults as `layer`; add services with their own layers
 * (`ErrorTracking.layer().pipe(Layer.provideMerge(Telemetry.layerCollector(options)))`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerCollector = (
  options: BrowserOptions
): Layer.Layer<CollectorServices, ConfigError | HttpTransportConfigError> =>
  Layer.unwrapEffect(Effect.map(pageParts(options), (parts) =>
    // The lifecycle listeners are built after the collector and removed before its final flush.
    parts.lifecycle.pipe(Layer.provideMerge(layerCollectorWith(parts.config, parts.transport, parts.outbox)))))

/**
 * Every telemetry service for a browser page: `layerCollector` and, over it, performance, usage, errors
 * and health. Unset settings take `Telemetry.Options`' defaults, except the outbox bounds
 * (`defaultOutboxOptions`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (
  options: BrowserOptions
): Layer.Layer<TelemetryServices, ConfigError | HttpTransportConfigError> =>
  Layer.unwrapEffect(Effect.map(pageParts(options), (parts) =>
    parts.lifecycle.pipe(Layer.provideMerge(layerWithTransport(parts.config, parts.transport, parts.outbox)))))

/** What `layer` and `layerCollector` build a page's telemetry from: the configuration and the page's layers. */
const pageParts = (options: BrowserOptions) => {
  const { beaconMaxBytes, endpoint, headers, ...settings } = options
  const url = resolveEndpoint(endpoint)
  const beaconUrl = withoutUserInfo(url)
  const lifecycle = layerPageLifecycle(beaconMaxBytes === undefined ? { url: beaconUrl } : { url: beaconUrl, maxBytes: beaconMaxBytes })
  return Effect.map(
    fromCoreOptions({
      outboxMaxEvents: defaultOutboxOptions.maxEvents,
      outboxMaxBytes: defaultOutboxOptions.maxBytes,
      ...settings,
      endpoint: url
    }),
    (config) => {
      const http = { url, timeout: config.requestTimeout }
      const transport = Layer.effect(Transport, makeHttp(headers === undefined ? http : { ...http, headers })).pipe(
        Layer.provide(layerKeepaliveFetchClient)
      )
      return { config, transport, outbox: layerOutbox(outboxOptions(config)), lifecycle }
    }
  )
}
