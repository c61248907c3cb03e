/**
 * Every telemetry service over a transport and an outbox given as layers, with nothing tied to a
 * platform: `TelemetryLive` (Node), `Telemetry.layer` (browser) and `TelemetryTest` each supply their own.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { CoreConfig } from "../schemas/CoreConfig.js"
import * as ErrorTracking from "../services/ErrorTracking.js"
import type { EventSink } from "../services/EventSink.js"
import * as HealthCheck from "../services/HealthCheck.js"
import * as Outbox from "../services/Outbox.js"
import * as PerformanceMetrics from "../services/PerformanceMetrics.js"
import * as Redactor from "../services/Redactor.js"
import * as Sampler from "../services/Sampler.js"
import * as TelemetryCollector from "../services/TelemetryCollector.js"
import type { Transport } from "../transports/Transport.js"
import * as UsageAnalytics from "../services/UsageAnalytics.js"

/**
 * The services `TelemetryLive` and `TelemetryTest` provide: the five of the contract, plus the `EventSink` and
 * the `Redactor` they were built over, so a service layer of your own (`ErrorTracking.layer({ … })`) composes on
 * top of them.
 */
export type TelemetryServices =
  | TelemetryCollector.TelemetryCollector
  | EventSink
  | PerformanceMetrics.PerformanceMetrics
  | UsageAnalytics.UsageAnalytics
  | ErrorTracking.ErrorTracking
  | HealthCheck.HealthCheck
  | Redactor.Redactor

/** The sampling policy a configuration names. */
export const samplerOptions = (config: CoreConfig): Sampler.SamplerOptions => {
  switch (config.sampling) {
    case "always":
      return { policy: Sampler.SamplingPolicy.Always() }
    case "never":
      return { policy: Sampler.SamplingPolicy.Never() }
    case "probabilistic":
      return { policy: Sampler.SamplingPolicy.Probabilistic({ rate: config.samplingRate }) }
    case "throttled":
      return {
        policy: Sampler.SamplingPolicy.Throttled({ limit: config.throttleLimit, window: config.throttleWindow })
      }
  }
}

/** The redactor settings a configuration names (user-id pseudonymisation; the patterns are the built-in ones). */
export const redactorOptions = (config: CoreConfig): Partial<Redactor.RedactorOptions> =>
  Option.match(config.userIdKey, {
    onNone: () => ({ pseudonymizeUserIds: config.pseudonymizeUserIds }),
    onSome: (userIdKey) => ({ pseudonymizeUserIds: config.pseudonymizeUserIds, userIdKey })
  })

/** The outbox bounds a configuration names. */
export const outboxOptions = (config: CoreConfig): Outbox.OutboxOptions => ({
  maxEvents: config.outboxMaxEvents,
  maxBytes: config.outboxMaxBytes
})

/**
 * `fallback`, unless the layer is built where a `tag` service is already present — a layer the user
 * provided around it (`TelemetryLive.pipe(Layer.provide(Sampler.throttled(10, "1 minute")))`) — in which case that one is used.
 */
export const unlessProvided = <I, S, E, R>(
  tag: Context.Tag<I, S>,
  fallback: Layer.Layer<I, E, R>
): Layer.Layer<I, E, R> =>
  Layer.unwrapEffect(Effect.map(
    Effect.serviceOption(tag),
    Option.match({
      onNone: () => fallback,
      onSome: (service) => Layer.succeed(tag, service)
    })
  ))

/**
 * The collector over the given transport and outbox layers (by default an outbox in memory: this module
 * stays free of Node so browser bundles can use it; the Node entry's `layerWithTransport`, in
 * `TelemetryLive.ts`, defaults to the durable outbox instead), with the `Redactor` it was built over, which
 * the other services use too.
 */
export const layerCollector = <E, R>(
  config: CoreConfig,
  transport: Layer.Layer<Transport, E, R>,
  outbox: Layer.Layer<Outbox.Outbox> = Outbox.layerMemory(outboxOptions(config))
): Layer.Layer<TelemetryCollector.TelemetryCollector | EventSink | Redactor.Redactor, E, R> => {
  const redactor = unlessProvided(
    Redactor.Redactor,
    config.redactPII ? Redactor.layerRedactor(redactorOptions(config)) : Redactor.Redactor.disabled
  )
  const policies = Layer.mergeAll(
    transport,
    unlessProvided(Outbox.Outbox, outbox),
    unlessProvided(Sampler.Sampler, Sampler.layer(samplerOptions(config))),
    redactor
  )
  return TelemetryCollector.layer(config).pipe(Layer.provide(policies), Layer.provideMerge(redactor))
}

/** The four services built on the collector, with their default options. */
export const layerServices = (): Layer.Layer<
  PerformanceMetrics.PerformanceMetrics | UsageAnalytics.UsageAnalytics | ErrorTracking.ErrorTracking | HealthCheck.HealthCheck,
  never,
  EventSink | Redactor.Redactor
> =>
  // The services' options have valid defaults, so their option errors cannot occur here.
  Layer.mergeAll(
    PerformanceMetrics.PerformanceMetrics.layer(),
    UsageAnalytics.UsageAnalytics.layer(),
    ErrorTracking.ErrorTracking.layer(),
    HealthCheck.HealthCheck.layer()
  ).pipe(Layer.orDie)

/**
 * Every service over the given transport and outbox layers (see `layerCollector`). The collector is built
 * first and released last, so what the other services report while closing is still flushed.
 */
export const layerWithTransport = <E, R>(
  config: CoreConfig,
  transport: Layer.Layer<Transport, E, R>,
  outbox?: Layer.Layer<Outbox.Outbox>
): Layer.Layer<TelemetryServices, E, R> => layerServices().pipe(Layer.provideMerge(layerCollector(config, transport, outbox)))
