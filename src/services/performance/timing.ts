/**
 * Time by `Clock`: `timed` runs, marks, and measures between marks — how `PerformanceMetrics` turns
 * elapsed time into samples and `performance.timing` / `performance.measure` events.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as RuntimeFlags from "effect/RuntimeFlags"
import type { ServiceEvent } from "../../internal/recording.js"
import {
  InvalidMetricError,
  MarkNotFoundError,
  MeasureRange,
  MetricAttributes,
  MetricName,
  PerformanceEventType,
  type TimingOutcome,
  type TimingSample
} from "../../schemas/PerformanceEvents.js"
import type { InvalidEventError } from "../../schemas/errors.js"
import type { EventSink } from "../EventSink.js"
import type { DimensionReader, SeriesDimensions } from "./dimensions.js"
import type { PerformanceState } from "./PerformanceState.js"
import { fastAttributes } from "./fastChecks.js"
import { metricDecoders } from "./validation.js"

/** What the timing operations record through. */
export interface TimingRecorder {
  readonly state: PerformanceState
  readonly dimensions: DimensionReader
  readonly track: (event: ServiceEvent) => Effect.Effect<void, InvalidMetricError>
  /** Where `timed` tracks its runs' events directly, ending each as the run did. */
  readonly sink: EventSink["Type"]
}

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1e6

const nowMillis = Effect.clockWith((clock) => Effect.sync(() => nanosToMillis(clock.unsafeCurrentTimeNanos())))

/**
 * A `matchCauseEffect`'s handlers, given as arguments: tsx (which runs the benches) wraps an arrow written
 * as an object property in a `defineProperty` naming it, once per evaluation — per timed run here.
 */
const handlers = <E, A, B>(onFailure: (cause: Cause.Cause<E>) => B, onSuccess: (value: A) => B) => ({ onFailure, onSuccess })

const checkNameBySchema = metricDecoders.either(MetricName, "name")
const checkAttributesBySchema = metricDecoders.either(MetricAttributes, "attributes")
/** Attributes without a Schema decode when they are plainly valid (see `fastChecks`). */
const checkAttributes = (attributes: unknown): Either.Either<MetricAttributes, InvalidMetricError> => {
  const fast = fastAttributes(attributes)
  return fast !== undefined ? Either.right(fast) : checkAttributesBySchema(attributes)
}
/** `timed`'s attributes as recorded (the schema's output when it judged them), or why they are refused. */
const timedAttributes = (attributes: unknown): MetricAttributes | InvalidMetricError => {
  const fast = fastAttributes(attributes)
  if (fast !== undefined) return fast
  const decoded = checkAttributesBySchema(attributes)
  return Either.isRight(decoded) ? decoded.right : decoded.left
}
const noAttributes = Either.right(undefined)
const decodeName = metricDecoders.effect(MetricName, "name")
const decodeRange = metricDecoders.effect(MeasureRange, "range")

/** `timed`, `mark` and `measure` over the service's state. */
export const makeTiming = ({ dimensions, sink, state, track }: TimingRecorder) => {
  // Metric names repeat on every call: one accepted is remembered (up to 1,024), so `timed` pays its
  // pattern decode once per name. A plain `Set` read synchronously: a measured hot path.
  const acceptedNames = new Set<string>()
  /** Why `name` is refused, or `undefined` when it is a valid metric name. */
  const nameError = (name: string): InvalidMetricError | undefined => {
    if (acceptedNames.has(name)) return undefined
    const result = checkNameBySchema(name)
    if (Either.isLeft(result)) return result.left
    if (acceptedNames.size >= 1_024) acceptedNames.clear()
    acceptedNames.add(name)
    return undefined
  }

  /**
   * Records a run, tracks its event, then ends as the run did (`exit`); never fails: a defect recording or
   * a refusal by the sink is logged at debug level. One `matchCauseEffect` around the sink's `track`, not
   * `trackQuietly` and a `zipRight`: two fiber steps fewer on every run.
   */
  const recordRun = <A, E>(
    exit: Exit.Exit<A, E>,
    name: string,
    attributes: MetricAttributes | undefined,
    series: SeriesDimensions | undefined,
    outcome: TimingOutcome,
    ms: number
  ): Effect.Effect<A, E> => {
    try {
      state.recordTiming(name, ms, outcome, series)
    } catch (defect) {
      return Effect.zipRight(Effect.logDebug("timing not recorded", Cause.die(defect)), exit)
    }
    return Effect.matchCauseEffect(
      sink.track({
        type: PerformanceEventType.timing,
        data: attributes === undefined
          ? { name, durationMs: ms, outcome }
          : { name, durationMs: ms, outcome, attributes }
      }),
      handlers<InvalidEventError, void, Effect.Effect<A, E>>(
        (cause) => Effect.zipRight(Effect.logDebug("performance event not tracked", cause), exit),
        () => exit
      )
    )
  }

  /**
   * `Effect.onExit`'s guarantee in fewer steps: the clock and the caller's interruptibility read in one
   * step, and the handlers recording before handing back the run's own `Exit`. Under an interruptible
   * caller, `self` runs interruptible inside an uninterruptible region, so that an interruption still
   * reaches the failure handler (an interruptible region would skip it); under an uninterruptible caller,
   * nothing changes the flags — as `uninterruptibleMask`'s `restore` does.
   */
  const timeRun = <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    attributes: MetricAttributes | undefined,
    series: SeriesDimensions | undefined
  ): Effect.Effect<A, E, R> =>
    Effect.withFiberRuntime((fiber, status) => {
      const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
      const start = clock.unsafeCurrentTimeNanos()
      const interruptible = RuntimeFlags.interruption(status.runtimeFlags)
      const run = Effect.matchCauseEffect(
        interruptible ? Effect.interruptible(self) : self,
        handlers<E, A, Effect.Effect<A, E>>(
          (cause) =>
            recordRun(
              Exit.failCause(cause),
              name,
              attributes,
              series,
              Cause.isInterruptedOnly(cause) ? "interrupted" : "failure",
              nanosToMillis(clock.unsafeCurrentTimeNanos() - start)
            ),
          (value) =>
            recordRun(Exit.succeed(value), name, attributes, series, "success", nanosToMillis(clock.unsafeCurrentTimeNanos() - start))
        )
      )
      return interruptible ? Effect.uninterruptible(run) : run
    })

  const timed = (name: string, attributes?: MetricAttributes) => {
    const checkedAttributes = attributes === undefined ? undefined : timedAttributes(attributes)
    const invalid = nameError(name) ??
      (checkedAttributes instanceof InvalidMetricError ? checkedAttributes : undefined)
    return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      if (invalid !== undefined) {
        return Effect.zipRight(Effect.logWarning(`timed: ${invalid.field} ${invalid.message}; not recorded`), self)
      }
      const attrs = checkedAttributes as MetricAttributes | undefined
      return timeRun(self, name, attrs, dimensions.read(attrs))
    }
  }

  /** Whether one sample of `recordTimings` may be recorded; its attributes are checked apart. */
  const isRecordable = (sample: TimingSample): boolean =>
    typeof sample === "object" && sample !== null &&
    typeof sample.durationMs === "number" && sample.durationMs >= 0 && sample.durationMs < Number.POSITIVE_INFINITY &&
    (sample.outcome === "success" || sample.outcome === "failure" || sample.outcome === "interrupted") &&
    nameError(sample.name) === undefined

  // One synchronous pass per chunk, no Effect per sample: the tracer bridge calls this per drained chunk.
  const recordTimings = (samples: Iterable<TimingSample>): Effect.Effect<void> =>
    Effect.suspend(() => {
      try {
        for (const sample of samples) {
          const attributes = isRecordable(sample)
            ? sample.attributes === undefined ? noAttributes : checkAttributes(sample.attributes)
            : undefined
          if (attributes === undefined || Either.isLeft(attributes)) state.drop()
          else state.recordTiming(sample.name, sample.durationMs, sample.outcome, dimensions.read(attributes.right))
        }
      } catch (defect) {
        return Effect.logDebug("timings not recorded", Cause.die(defect))
      }
      return Effect.void
    })

  const mark = (name: string) =>
    Effect.flatMap(decodeName(name), (valid) => Effect.flatMap(nowMillis, (now) => Effect.sync(() => state.setMark(valid, now))))

  /** The span of a range at `now`, read from the marks in one synchronous step. */
  const span = (
    start: string,
    end: string | undefined,
    now: number
  ): Effect.Effect<number, MarkNotFoundError | InvalidMetricError> =>
    Effect.suspend((): Effect.Effect<number, MarkNotFoundError | InvalidMetricError> => {
      const startAt = state.getMark(start)
      if (startAt === undefined) return Effect.fail(new MarkNotFoundError({ mark: start }))
      const endAt = end === undefined ? now : state.getMark(end)
      if (endAt === undefined) return Effect.fail(new MarkNotFoundError({ mark: end! }))
      if (endAt < startAt) {
        return Effect.fail(new InvalidMetricError({ field: "range.end", message: `mark "${end}" was set before "${start}"` }))
      }
      return Effect.succeed(endAt - startAt)
    })

  const measure = (name: string, range: MeasureRange) =>
    Effect.gen(function*() {
      const metric = yield* decodeName(name)
      const { end, start } = yield* decodeRange(range)
      const durationMs = yield* span(start, end, yield* nowMillis)
      state.observe(metric, durationMs)
      yield* track({
        type: PerformanceEventType.measure,
        data: end === undefined ? { name: metric, start, durationMs } : { name: metric, start, end, durationMs }
      })
      return durationMs
    })

  return {
    timed,
    recordTimings,
    mark,
    measure,
    clearMarks: (name?: string) => Effect.sync(() => state.clearMarks(name))
  }
}
