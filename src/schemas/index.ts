/**
 * The event model, published as `Schemas`: what `track` takes, what the collector makes of it, and the batches
 * transports deliver — each a Schema and its type, so a receiver or a custom transport can decode them.
 */
export {
  /**
   * A batch handed to a `Transport`: `{ batchId, events }`; its `batchId` stays the same on every re-send.
   *
   * @since 0.2.0
   * @category models
   */
  Batch,
  /**
   * What the HTTP transport POSTs: `{ batchId, sentAt, events }`.
   *
   * @since 0.2.0
   * @category models
   */
  BatchPayload,
  /**
   * Event data of type `A` as `track` takes it: an object of JSON values, interfaces and optional fields allowed.
   *
   * @since 0.2.0
   * @category models
   */
  type EventData,
  /**
   * An event as `track` records it once validated: `{ type, data?, userId?, tags?, timestamp? }`.
   *
   * @since 0.2.0
   * @category models
   */
  EventInput,
  /**
   * The family of an event (`custom`, `session`, `performance`, `usage`, `error`, `health`), from its type's
   * first segment.
   *
   * @since 0.2.0
   * @category models
   */
  EventKind,
  /**
   * An event type such as `chat.message`: 1–128 letters, digits and `. _ - : /`, never PII-shaped.
   *
   * @since 0.2.0
   * @category models
   */
  EventType,
  /**
   * A JSON value.
   *
   * @since 0.2.0
   * @category models
   */
  type Json,
  /**
   * A plain object of JSON values: what event data is once tracked.
   *
   * @since 0.2.0
   * @category models
   */
  JsonObject,
  /**
   * The kind of an event type: its first dot-separated segment when that names a kind, else `custom`.
   *
   * @since 0.2.0
   * @category utils
   */
  kindOf,
  /**
   * String tags: at most 32, names up to 128 characters, values up to 1,024.
   *
   * @since 0.2.0
   * @category models
   */
  Tags,
  /**
   * An enriched event as buffered and delivered: `{ id, type, kind, timestamp, sessionId, userId?, data, tags? }`.
   *
   * @since 0.2.0
   * @category models
   */
  TelemetryEvent,
  /**
   * Epoch milliseconds, from 0 to 18,446,744,073,709 (what OTLP's 64-bit nanoseconds hold).
   *
   * @since 0.2.0
   * @category models
   */
  Timestamp,
  /**
   * What a caller passes to `track`: an `EventInput` whose `data` keeps the caller's own type.
   *
   * @since 0.2.0
   * @category models
   */
  type TrackInput,
  /**
   * A user identifier, 1–256 characters.
   *
   * @since 0.2.0
   * @category models
   */
  UserId
} from "./TelemetryEvent.js"

export {
  /**
   * The largest event `track` accepts once serialized: 32 KiB.
   *
   * @since 0.2.0
   * @category constants
   */
  maxEventBytes,
  /**
   * Validates input as `track` does, collecting every problem with its path into an `InvalidEventError`.
   *
   * @since 0.2.0
   * @category utils
   */
  validateEvent
} from "./EventValidation.js"
