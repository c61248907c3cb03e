/**
 * The event pipeline: validate → consent → sample → enrich → redact → bounded buffer → batches sent by a
 * flush fiber, with retries, in the layer's scope. Every accepted event is accounted for:
 * `accepted = sent + buffered + outboxed + dropped.total`.
 *
 * This module wires the parts in `internal/collector/`: the hot path (`intake`), the events held in
 * memory (`pending`), `delivery`, the books (`accounting`) and `sessions` (with consent and GDPR).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Accounting from "../internal/collector/accounting.js"
import * as Delivery from "../internal/collector/delivery.js"
import * as Intake from "../internal/collector/intake.js"
import * as Settings from "../internal/collector/options.js"
import * as Pending from "../internal/collector/pending.js"
import * as Sessions from "../internal/collector/sessions.js"
import { OptionsError } from "../internal/decode.js"
import { recordMetrics, telemetryMetrics } from "../internal/metrics.js"
import type { InvalidEventError } from "../schemas/errors.js"
import type { TelemetryConfig } from "../schemas/TelemetryConfig.js"
import type { Batch, EventData, JsonObject, TrackInput } from "../schemas/TelemetryEvent.js"
import { Transport } from "../transports/TransportTag.js"
import { EventSink, type Session } from "./EventSink.js"
import { Outbox } from "./Outbox.js"
import { Redactor } from "./Redactor.js"
import { Sampler } from "./Sampler.js"

export type { Stats as CollectorStats } from "../internal/collector/accounting.js"
export type { UserDataExport } from "../internal/collector/sessions.js"
export type { Session } from "./EventSink.js"

/**
 * The settings the collector reads, decoded (a `TelemetryConfig` is one). The global context (`release`,
 * `environment`, `globalTags`) is optional here and none by default.
 *
 * @internal
 */
export type CollectorOptions =
  & Pick<
    TelemetryConfig,
    | "enabled"
    | "maxBatchSize"
    | "maxBufferSize"
    | "flushInterval"
    | "shutdownTimeout"
    | "flushTimeout"
    | "maxAttempts"
    | "retryBaseDelay"
    | "retryMaxDelay"
  >
  & Partial<Pick<TelemetryConfig, "release" | "environment" | "globalTags">>

/**
 * Options of `TelemetryCollector.make` / `TelemetryCollector.layer` that do not decode: `option` names the
 * one at fault (`"maxBatchSize"`), `reason` says why.
 *
 * @since 0.2.0
 * @category errors
 */
export class TelemetryCollectorOptionsError extends OptionsError("TelemetryCollectorOptionsError") {}

const decode = Settings.decode((fields) => new TelemetryCollectorOptionsError(fields))

/**
 * Builds the collector from decoded settings; its flush fiber and final flush live in the given scope.
 *
 * @internal
 */
export const make = (
  options: CollectorOptions
): Effect.Effect<TelemetryCollector.Service, never, Transport | Sampler | Redactor | Outbox | Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const sampler = yield* Sampler
    const redactor = yield* Redactor
    const outbox = yield* Outbox
    const clock = yield* Effect.clock
    const restored = (yield* outbox.size).events
    const accounting = Accounting.make(outbox, restored)
    const pending = Pending.make(options.maxBufferSize)
    const delivery = yield* Delivery.make(options, { clock, transport, outbox, pending, accounting })
    const current: Intake.Current = { enabled: options.enabled, session: Sessions.newSession(clock, redactor) }
    const { buffered, exclusive } = delivery
    const intake = Intake.make(options, { clock, sampler, redactor, pending, counters: accounting.counters, countAccepted: accounting.countAccepted, current, buffered })
    const sessions = yield* Sessions.make({ clock, redactor, outbox, pending, accounting, current, intake, exclusive })
    const stats = Effect.map(delivery.offline, (offline) => accounting.snapshot(pending.count(), offline))
    const recordStats = Effect.flatMap(stats, recordMetrics)

    // Registered before the loop is forked, so it runs after the loop is stopped (finalizers run in
    // reverse): a flush bounded by the shutdown timeout, then whatever is left goes to the outbox.
    yield* Effect.addFinalizer(() =>
      delivery.shutdown.pipe(
        Effect.zipRight(stats),
        Effect.flatMap((s) =>
          s.outboxed === 0 ? Effect.void : Effect.logInfo("telemetry closed; undelivered events kept in the outbox").pipe(
            Effect.annotateLogs({ outboxed: s.outboxed })
          )
        ),
        Effect.zipRight(recordStats)
      )
    )
    yield* Effect.forkScoped(delivery.loop(recordStats))
    // What a previous run left in the outbox is re-sent at once.
    if (restored > 0) delivery.wake()

    return TelemetryCollector.of({
      ...sessions,
      track: intake.track,
      trackUnknown: intake.track,
      flush: delivery.flush,
      flushSync: delivery.flushSync,
      stats
    })
  })

/**
 * The collector from decoded settings (a `TelemetryConfig`, without decoding it again) as a layer over a
 * `Transport`, a `Sampler`, a `Redactor` and an `Outbox`; it also provides the `EventSink` the other
 * services record through.
 *
 * @internal
 */
export const layer = (
  options: CollectorOptions
): Layer.Layer<TelemetryCollector | EventSink, never, Transport | Sampler | Redactor | Outbox> =>
  Layer.scopedContext(
    Effect.map(make(options), (collector) =>
      Context.make(TelemetryCollector, collector).pipe(
        Context.add(EventSink, { track: collector.track, currentSession: collector.currentSession })
      ))
  )

/** `make` from options given as an object, each optional and defaulting as its environment variable does. */
const makeFromOptions = (options?: TelemetryCollector.Options) => Effect.flatMap(decode(options), make)

/**
 * Collects events and ships them in batches; `yield* TelemetryCollector` for `track`, `flush`, `stats`,
 * sessions and the user's data.
 *
 * @since 0.2.0
 * @category tags
 */
export class TelemetryCollector
  extends Context.Tag("effect-telemetry/TelemetryCollector")<TelemetryCollector, TelemetryCollector.Service>()
{
  /**
   * Builds the collector over the `Transport`, `Sampler`, `Redactor` and `Outbox` in context; its flush
   * fiber and final flush live in the scope. Options default as their environment variables do (batches of
   * 50, a buffer of 1,000, a flush every 30 seconds, 5 attempts…).
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make: (
    options?: TelemetryCollector.Options
  ) => Effect.Effect<
    TelemetryCollector.Service,
    TelemetryCollectorOptionsError,
    Transport | Sampler | Redactor | Outbox | Scope.Scope
  > = makeFromOptions

  /**
   * The collector as a layer over a `Transport`, a `Sampler`, a `Redactor` and an `Outbox` (replace any of
   * them with your own layer); it also provides the `EventSink` the other services record through.
   * Options default as in `make`.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: TelemetryCollector.Options
  ): Layer.Layer<TelemetryCollector | EventSink, TelemetryCollectorOptionsError, Transport | Sampler | Redactor | Outbox> =>
    Layer.unwrapEffect(Effect.map(decode(options), layer))

  /**
   * The collector's accounting as Effect gauges (`effect_telemetry_events_*`), set after every flush.
   *
   * @since 0.2.0
   * @category utils
   */
  static readonly metrics = telemetryMetrics

  /**
   * The narrow tag the services built on the collector record through (`track`, `currentSession`); the
   * collector's layer provides it.
   *
   * @since 0.2.0
   * @category tags
   */
  static readonly EventSink = EventSink

  /**
   * The error of options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = TelemetryCollectorOptionsError
}

/** @since 0.2.0 */
export declare namespace TelemetryCollector {
  /**
   * What the collector does: recording and delivery here, consent and the user's rights from `Consent`.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service extends Sessions.Consent {
    /**
     * Records an event; fails only when the input is invalid. Never waits for delivery. `undefined` in data
     * and tags is left out as `JSON.stringify` leaves it; `data` may be of any interface or object type.
     */
    readonly track: <Data extends object & EventData<Data> = JsonObject>(
      input: TrackInput<Data>
    ) => Effect.Effect<void, InvalidEventError>
    /** Like `track` for input of unknown shape, e.g. from outside the program. */
    readonly trackUnknown: (input: unknown) => Effect.Effect<void, InvalidEventError>
    /**
     * Sends everything buffered now; resolves when done, when delivery gave up (which `stats` counts), or at
     * the latest after `flushTimeout`, leaving what is not sent buffered or in the outbox.
     */
    readonly flush: Effect.Effect<void>
    /**
     * Hands everything buffered to a synchronous channel such as `navigator.sendBeacon`, for a page being
     * unloaded: a batch the channel accepts counts as sent, one it refuses goes to the outbox. Runs without
     * waiting for a flush under way, so it can run inside an event handler with `runSync` (over a
     * synchronous outbox store such as localStorage).
     */
    readonly flushSync: (send: (batch: Batch) => boolean) => Effect.Effect<void>
    /** The accounting of every event so far: a consistent snapshot, even while a batch is being settled. */
    readonly stats: Effect.Effect<Stats>
    /** Ends the current session (if any) and starts a new one, tracking `session.start`. */
    readonly startSession: (options?: { readonly userId?: string }) => Effect.Effect<Session>
    /** The session events are being attributed to. */
    readonly currentSession: Effect.Effect<Session>
    /**
     * Names the user of the current session (pseudonymised like every user id): later events naming no user
     * carry it. Tracks `session.identify` with `data: { traits }`; invalid traits fail and change nothing.
     * The session is not rotated.
     */
    readonly identify: <Traits extends object & EventData<Traits> = JsonObject>(
      userId: string,
      traits?: Traits
    ) => Effect.Effect<Session, InvalidEventError>
    /** Tracks `session.end` for the current session and rotates to a new anonymous one. */
    readonly endSession: Effect.Effect<Session>
  }

  /**
   * Options of `make` / `layer`, each optional and defaulting as its environment variable does
   * (`maxBatchSize` 50, `flushInterval` "30 seconds", …; see `TelemetryConfig`).
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = Settings.Options

  /**
   * Where every event went: `accepted = sent + buffered + outboxed + dropped.total`.
   *
   * @since 0.2.0
   * @category models
   */
  export type Stats = Accounting.Stats

  /**
   * A user session: its id, start and (once known) its user.
   *
   * @since 0.2.0
   * @category models
   */
  export type Session = import("./EventSink.js").Session

  /**
   * What `exportUserData` returns: the user's events still held by this process, redacted.
   *
   * @since 0.2.0
   * @category models
   */
  export type UserDataExport = Sessions.UserDataExport

  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = TelemetryCollectorOptionsError
}
