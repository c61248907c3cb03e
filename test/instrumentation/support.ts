/**
 * The collector's real intake behind an `EventSink`, so a test sees the trace and span ids each event was
 * buffered with, and ErrorTracking over it.
 */
import { Effect, Layer } from "effect"
import * as Accounting from "../../src/internal/collector/accounting.js"
import * as Intake from "../../src/internal/collector/intake.js"
import * as Pending from "../../src/internal/collector/pending.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { EventSink } from "../../src/services/EventSink.js"
import { Redactor } from "../../src/services/Redactor.js"
import { sampler } from "../collector/fixtures.js"
import { passThroughRedactor } from "../support/RecordingCollector.js"

/** An event as the intake buffered it, with its correlation. */
export type Buffered = Pending.BufferedEvent & Intake.Correlation

/** An intake over a 1,000-event buffer, and the events it buffered. */
export const makeIntake = Effect.map(Effect.clock, (clock) => {
  const pending = Pending.make(1_000)
  const books = Accounting.make({ size: Effect.succeed({ batches: 0, events: 0, bytes: 0 }) }, 0)
  const intake = Intake.make({}, {
    clock,
    sampler: sampler(),
    redactor: passThroughRedactor,
    pending,
    counters: books.counters,
    countAccepted: books.countAccepted,
    current: { enabled: true, session: { id: "s1", startedAt: 0 } },
    buffered: () => undefined
  })
  return { intake, buffered: () => pending.buffer.toArray() as unknown as ReadonlyArray<Buffered> }
})

/** The intake as an `EventSink` (`IntakeEvents` reads what it buffered), and ErrorTracking over it. */
export class IntakeEvents extends Effect.Tag("test/IntakeEvents")<IntakeEvents, {
  readonly buffered: () => ReadonlyArray<Buffered>
}>() {}

export const layerErrorTrackingOverIntake: Layer.Layer<ErrorTracking | EventSink | IntakeEvents> = Layer.unwrapEffect(
  Effect.map(makeIntake, ({ buffered, intake }) => {
    const sink = Layer.succeed(EventSink, EventSink.of({
      track: (input) => intake.track(input),
      currentSession: Effect.succeed({ id: "s1", startedAt: 0 })
    }))
    return ErrorTracking.layer().pipe(
      Layer.provideMerge(sink),
      Layer.provide(Layer.succeed(Redactor, passThroughRedactor)),
      Layer.merge(Layer.succeed(IntakeEvents, { buffered })),
      Layer.orDie
    )
  })
)
