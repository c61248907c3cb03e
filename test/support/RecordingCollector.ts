/**
 * Test doubles for the services that sit on a collector: a `TelemetryCollector` that validates like the
 * real one and keeps what was tracked, and a `Redactor` that changes nothing.
 */
import { Context, Effect, Either, Ref } from "effect"
import { validateEvent } from "../../src/schemas/EventValidation.js"
import type { EventInput } from "../../src/schemas/TelemetryEvent.js"
import { EventSink } from "../../src/services/EventSink.js"
import { Redactor } from "../../src/services/Redactor.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"

export interface RecordingCollectorOptions {
  /** The user of the current session at the start; none by default. */
  readonly sessionUserId?: string | undefined
  /** Replaces the recording `track`, e.g. with one that dies; recording by default. */
  readonly track?: TelemetryCollector["Type"]["track"] | undefined
}

/** A collector and the handles a test reads and steers it by. */
export interface RecordingCollector {
  readonly collector: TelemetryCollector["Type"]
  /** The collector as the services see it. */
  readonly sink: EventSink["Type"]
  /** The collector under both tags, `TelemetryCollector` and `EventSink`, to provide to a service. */
  readonly context: Context.Context<TelemetryCollector | EventSink>
  /** The valid events tracked so far, in order. */
  readonly tracked: Effect.Effect<ReadonlyArray<EventInput>>
  /** The tracked events of one type, in order. */
  readonly ofType: (type: string) => Effect.Effect<ReadonlyArray<EventInput>>
  /** The `data` of the tracked events of one type, in order, as the shape the test expects. */
  readonly dataOf: <A>(type: string) => Effect.Effect<ReadonlyArray<A>>
  /** While true, `track` dies as a broken collector would; false at the start. */
  readonly failing: Ref.Ref<boolean>
  /** How many times `flush` ran. */
  readonly flushes: Ref.Ref<number>
  /** The user of the current session, which services fall back to when a call names none. */
  readonly sessionUser: Ref.Ref<string | undefined>
}

/** A collector that validates with `validateEvent` like the real one and records every valid event. */
export const makeRecordingCollector = (options: RecordingCollectorOptions = {}): Effect.Effect<RecordingCollector> =>
  Effect.gen(function*() {
    // Appended in place: copying the array per event would make bulk tests quadratic.
    const events: Array<EventInput> = []
    const failing = yield* Ref.make(false)
    const flushes = yield* Ref.make(0)
    const sessionUser = yield* Ref.make(options.sessionUserId)
    const unused = Effect.dieMessage("not used by the services under test")
    const record = (input: unknown) =>
      Effect.flatMap(Ref.get(failing), (fail) => {
        if (fail) return Effect.die(new Error("collector is down"))
        const valid = validateEvent(input)
        return Either.isLeft(valid) ? Effect.fail(valid.left) : Effect.sync(() => void events.push(valid.right))
      })
    const collector = TelemetryCollector.of({
      track: options.track ?? record,
      trackUnknown: record,
      flush: Ref.update(flushes, (n) => n + 1),
      flushSync: () => unused,
      stats: unused,
      startSession: () => unused,
      identify: () => unused,
      currentSession: Effect.map(Ref.get(sessionUser), (userId) =>
        userId === undefined ? { id: "s1", startedAt: 0 } : { id: "s1", startedAt: 0, userId }),
      endSession: unused,
      optIn: unused,
      optOut: unused,
      isEnabled: Effect.succeed(true),
      exportUserData: () => unused,
      eraseUserData: () => unused
    })
    const tracked = Effect.sync((): ReadonlyArray<EventInput> => [...events])
    const ofType = (type: string) => Effect.map(tracked, (all) => all.filter((e) => e.type === type))
    const dataOf = <A>(type: string) => Effect.map(ofType(type), (all) => all.map((e) => e.data as unknown as A))
    const sink = EventSink.of({ track: collector.track, currentSession: collector.currentSession })
    const context = Context.make(TelemetryCollector, collector).pipe(Context.add(EventSink, sink))
    return { collector, sink, context, tracked, ofType, dataOf, failing, flushes, sessionUser }
  })

/** A Redactor that returns every value as it is. */
export const passThroughRedactor = Redactor.of({ redact: (value) => value, redactString: (s) => s, pseudonymize: (id) => id })
