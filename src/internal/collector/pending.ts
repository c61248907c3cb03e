/**
 * The events a collector holds in memory: the bounded buffer `track` fills, and the batches taken from it
 * whose send is under way. Events are kept small while buffered and become `TelemetryEvent`s when they
 * leave the buffer.
 *
 * @internal
 */
import { BoundedBuffer } from "../BoundedBuffer.js"
import { markValidated } from "../json.js"
import { type Batch, type JsonObject, kindOf, type TelemetryEvent } from "../../schemas/TelemetryEvent.js"

/**
 * An event as buffered. The id is a sequence number until the event leaves the buffer (see `materialize`);
 * `kind` is derived from `type`. Keeping the record this small is what holds a buffered event under
 * ~100 bytes of overhead.
 */
export interface BufferedEvent {
  readonly seq: number
  readonly type: string
  readonly timestamp: number
  readonly sessionId: string
  readonly userId: string | undefined
  readonly data: JsonObject
  readonly tags: { readonly [key: string]: string } | undefined
  /** The current span's ids when tracked (see `intake.ts`). */
  readonly traceId?: string | undefined
  readonly spanId?: string | undefined
}

/** A batch taken from the buffer whose send is under way; `release` takes it off the in-flight list. */
export interface Held {
  readonly events: ReadonlyArray<BufferedEvent>
  readonly batch: Batch
  readonly release: () => void
}

/**
 * The buffer and the batches in flight. Plain mutable structures: `track` pushes into the buffer for every
 * event, a measured hot path (`npm run bench`); they change only inside synchronous blocks.
 */
export interface Pending {
  readonly buffer: BoundedBuffer<BufferedEvent>
  /** The next event's sequence number (its id once materialized); `track` takes it. */
  readonly nextSeq: () => number
  /** The event as it leaves the collector, with its UUID-shaped id. */
  readonly materialize: (event: BufferedEvent) => TelemetryEvent
  /** Events held in memory: buffered, or in a send under way. */
  readonly count: () => number
  /** Takes up to `n` buffered events as a new batch, on the in-flight list until released. */
  readonly hold: (n: number) => Held
  /** Takes up to `n` buffered events as a new batch, not tracked as in flight (for a synchronous send). */
  readonly take: (n: number) => Batch
  /** The user's events held in memory: in flight first, then buffered. */
  readonly eventsOf: (userId: string) => ReadonlyArray<TelemetryEvent>
  /** Removes the user's buffered events (those in flight are settled by their send); returns how many. */
  readonly removeUser: (userId: string) => number
}

/** An empty buffer of at most `capacity` events. */
export const make = (capacity: number): Pending => {
  const buffer = new BoundedBuffer<BufferedEvent>(capacity)
  const inFlight: Array<Held> = []
  let seq = 0
  const ids = idPrefix()
  const materialize = (e: BufferedEvent): TelemetryEvent => {
    const event: { -readonly [K in keyof TelemetryEvent]: TelemetryEvent[K] } = {
      id: ids + e.seq.toString(16).padStart(12, "0"),
      type: e.type,
      kind: kindOf(e.type),
      timestamp: e.timestamp,
      sessionId: e.sessionId,
      data: e.data
    }
    if (e.userId !== undefined) event.userId = e.userId
    if (e.tags !== undefined) event.tags = e.tags
    if (e.traceId !== undefined) event.traceId = e.traceId
    if (e.spanId !== undefined) event.spanId = e.spanId
    return event
  }
  // Events were validated by `track`: the batch is marked so the HTTP transport need not check them again.
  const take = (n: number): Batch => markValidated({ batchId: crypto.randomUUID(), events: buffer.take(n).map(materialize) })
  const hold = (n: number): Held => {
    const events = buffer.take(n)
    const held: Held = {
      events,
      batch: markValidated({ batchId: crypto.randomUUID(), events: events.map(materialize) }),
      release: () => {
        const at = inFlight.indexOf(held)
        if (at >= 0) inFlight.splice(at, 1)
      }
    }
    inFlight.push(held)
    return held
  }
  return {
    buffer,
    nextSeq: () => seq++,
    materialize,
    count: () => buffer.length + inFlight.reduce((n, held) => n + held.events.length, 0),
    hold,
    take,
    eventsOf: (userId) => [
      ...inFlight.flatMap((held) => held.batch.events.filter((e) => e.userId === userId)),
      ...buffer.toArray().filter((e) => e.userId === userId).map(materialize)
    ],
    removeUser: (userId) => buffer.removeWhere((e) => e.userId === userId)
  }
}

/**
 * Event ids are UUID-shaped: 24 random characters fixed per collector followed by the event's sequence
 * number in (at least) 12 hex digits, unique without a `randomUUID` call per event.
 */
const idPrefix = (): string => crypto.randomUUID().slice(0, 24)
