/**
 * What the services built on the collector (performance, usage, errors, health) need of it: a place to
 * record events and the session they belong to. The collector's layer provides it beside
 * `TelemetryCollector`; a test or an app may provide its own.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { InvalidEventError } from "../schemas/errors.js"
import type { EventData, JsonObject, TrackInput } from "../schemas/TelemetryEvent.js"

/**
 * A user session: events tracked while it is current carry its id (and its user, when they name none).
 *
 * @since 0.2.0
 * @category models
 */
export interface Session {
  readonly id: string
  readonly startedAt: number
  readonly userId?: string
}

/**
 * The current session as the services see it (the same shape as `Session`).
 *
 * @since 0.2.0
 * @category models
 */
export type SinkSession = Session

/**
 * Records events for the services built on the collector.
 *
 * @since 0.2.0
 * @category tags
 */
export class EventSink extends Context.Tag("effect-telemetry/EventSink")<EventSink, EventSink.Service>() {}

/** @since 0.2.0 */
export declare namespace EventSink {
  /**
   * What an event sink does: record an event, tell the current session.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service {
    /** Records an event, as `TelemetryCollector.track` does; fails only when the input is invalid. */
    readonly track: <Data extends object & EventData<Data> = JsonObject>(
      input: TrackInput<Data>
    ) => Effect.Effect<void, InvalidEventError>
    /** The session events are being attributed to. */
    readonly currentSession: Effect.Effect<Session>
  }
  /**
   * A user session (id, start time, user once known).
   *
   * @since 0.2.0
   * @category models
   */
  export type Session = import("./EventSink.js").Session
}
