/**
 * What the services built on the collector (performance, usage, errors, health) need of it: a place to
 * record events and the session they belong to. The collector's layer provides it beside
 * `TelemetryCollector`; a test or an app may provide its own.
 */
import { Context, type Effect } from "effect"
import type { InvalidEventError } from "../schemas/errors.js"
import type { EventData, JsonObject, TrackInput } from "../schemas/TelemetryEvent.js"

/** The current session as the services see it: its id and, once known, its user. */
export interface SinkSession {
  readonly id: string
  readonly startedAt: number
  readonly userId?: string
}

/**
 * Records events for the services built on the collector.
 *
 * @since 0.2.0
 * @category tags
 */
export class EventSink extends Context.Tag("effect-telemetry/EventSink")<EventSink, {
  /** Records an event, as `TelemetryCollector.track` does; fails only when the input is invalid. */
  readonly track: <Data extends object & EventData<Data> = JsonObject>(
    input: TrackInput<Data>
  ) => Effect.Effect<void, InvalidEventError>
  /** The session events are being attributed to. */
  readonly currentSession: Effect.Effect<SinkSession>
}>() {}
