/**
 * Time by `Clock`: `timed` runs, marks, and measures between marks — how `PerformanceMetrics` turns
 * elapsed time into samples and `performance.timing` / `performance.measure` events.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
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
import type { DimensionReader, SeriesDimensions } from "./dimensions.js"
import type { PerformanceState } from "./PerformanceState.js"
import { fastAttributes } from "./fastChecks.js"
import { metricDecoders } from "./validation.js"

/** What the timing operations record through. */
export interface TimingRecorder {
  readonly state: PerformanceState
  readonly dimensions: DimensionReader
  readonly track: (event: ServiceEvent) => Effect.Effect<void, InvalidMetricError>
  readonly trackQuietly: (event: ServiceEvent) => Effect.Effect<void>
}

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1e6

const nowMillis = Effect.clockWith((clock) => Effect.sync(() => nanosToMillis(clock.unsafeCurrentTimeNanos())))

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): TimingOutcome =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

const checkNameBySchema = metricDecoders.either(MetricName, "name")
const checkAttributesBySchema = metricDecoders.either(MetricAttributes, "attributes")
/** Attributes without a Schema decode when they are plainly valid (see `fastChecks`). */
const checkAttributes = (attributes: unknown): Either.Either<MetricAttributes, InvalidMetricError> => {
  const fast = fastAttributes(attributes)
  return fast !== undefined ? Either.right(fast) : checkAttributesBySchema(attributes)
}
const noAttributes = Either.right(undefined)
const decodeName = metricDecoders.effect(MetricName, "name")
const decodeRange = metricDecoders.effect(MeasureRange, "range")

/** `timed`, `mark` and `measure` over the service's state. */
export const makeTiming = ({ dimensions, state, track, trackQuietly }: TimingRecorder) => {
  // Metric names repeat on every call: one accepted is remembered (up to 1,024), so `timed` pays its
  // pattern decode once per name. A plain `Set` read synchronously: a measured hot path.
  const acceptedNames = new Set<string>()
  const checkName = (name: string): Either.Either<string, InvalidMetricError> => {
    if (acceptedNames.has(name)) return Either.right(name)
    const result = checkNameBySchema(name)
    if (Either.isRight(result)) {
      if (acceptedNames.size >= 1_024) acceptedNames.clear()
      acceptedNames.add(name)
    }
    return result
  }

  /**
   * Records a run, then tracks it; never fails (a defect is logged at debug level). Called as `onExit`'s
   * cleanup, which already runs in the fiber: recording there, not in an `Effect.suspend`, spares a step.
   */
  const recordTiming = (
    name: string,
    attributes: MetricAttributes | undefined,
    series: SeriesDimensions | undefined,
    outcome: TimingOutcome,
    ms: number
  ): Effect.Effect<void> => {
    try {
      state.recordTiming(name, ms, outcome, series)
    } catch (defect) {
      return Effect.logDebug("timing not recorded", Cause.die(defect))
    }
    return trackQuietly({
      type: PerformanceEventType.timing,
      data: attributes === undefined
        ? { name, durationMs: ms, outcome }
        : { name, durationMs: ms, outcome, attributes }
    })
  }

  const timed = (name: string, attributes?: MetricAttributes) => {
    const checkedName = checkName(name)
    const checkedAttributes = attributes === undefined ? noAttributes : checkAttributes(attributes)
    return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const invalid = Either.isLeft(checkedName)
        ? checkedName.left
        : Either.isLeft(checkedAttributes)
        ? checkedAttributes.left
        : undefined
      if (invalid !== undefined) {
        return Effect.zipRight(Effect.logWarning(`timed: ${invalid.field} ${invalid.message}; not recorded`), self)
      }
      const metric = (checkedName as Either.Right<never, string>).right
      const attrs = (checkedAttributes as Either.Right<never, MetricAttributes | undefined>).right
      const series = dimensions.read(attrs)
      return Effect.clockWith((clock) => {
        const start = clock.unsafeCurrentTimeNanos()
        return Effect.onExit(self, (exit) =>
          recordTiming(metric, attrs, series, outcomeOf(exit), nanosToMillis(clock.unsafeCurrentTimeNanos() - start)))
      })
    }
  }

  /** Whether one sample of `recordTimings` may be recorded; its attributes are checked apart. */
  const isRecordable = (sample: TimingSample): boolean =>
    typeof sample === "object" && sample !== null &&
    typeof sample.durationMs === "number" && sample.durationMs >= 0 && sample.durationMs < Number.POSITIVE_INFINITY &&
    (sample.outcome === "success" || sample.outcome === "failure" || sample.outcome === "interrupted") &&
    Either.isRight(checkName(sample.name))

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
