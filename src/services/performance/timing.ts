/**
 * Time by `Clock`: `timed` runs, marks, and measures between marks — how `PerformanceMetrics` turns
 * elapsed time into samples and `performance.timing` / `performance.measure` events.
 */
import { Cause, Effect, Either, Exit } from "effect"
import type { ServiceEvent } from "../../internal/recording.js"
import {
  InvalidMetricError,
  MarkNotFoundError,
  MeasureRange,
  MetricAttributes,
  MetricName,
  PerformanceEventType,
  type TimingOutcome
} from "../../schemas/PerformanceEvents.js"
import type { PerformanceState } from "./PerformanceState.js"
import { metricDecoders } from "./validation.js"

/** What the timing operations record through. */
export interface TimingRecorder {
  readonly state: PerformanceState
  readonly track: (event: ServiceEvent) => Effect.Effect<void, InvalidMetricError>
  readonly trackQuietly: (event: ServiceEvent) => Effect.Effect<void>
}

const nanosToMillis = (nanos: bigint): number => Number(nanos) / 1e6

const nowMillis = Effect.clockWith((clock) => Effect.sync(() => nanosToMillis(clock.unsafeCurrentTimeNanos())))

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): TimingOutcome =>
  Exit.isSuccess(exit) ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

const checkName = metricDecoders.either(MetricName, "name")
const checkAttributes = metricDecoders.either(MetricAttributes, "attributes")
const decodeName = metricDecoders.effect(MetricName, "name")
const decodeRange = metricDecoders.effect(MeasureRange, "range")

/** `timed`, `mark` and `measure` over the service's state. */
export const makeTiming = ({ state, track, trackQuietly }: TimingRecorder) => {
  const recordTiming = (name: string, attributes: MetricAttributes | undefined, outcome: TimingOutcome, ms: number) =>
    Effect.zipRight(
      Effect.sync(() => state.recordTiming(name, ms, outcome)),
      trackQuietly({
        type: PerformanceEventType.timing,
        data: attributes === undefined
          ? { name, durationMs: ms, outcome }
          : { name, durationMs: ms, outcome, attributes }
      })
    ).pipe(Effect.catchAllCause((cause) => Effect.logDebug("timing not recorded", cause)))

  const timed = (name: string, attributes?: MetricAttributes) => {
    const checked = Either.all([
      checkName(name),
      attributes === undefined ? Either.right(undefined) : checkAttributes(attributes)
    ])
    return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      if (Either.isLeft(checked)) {
        return Effect.zipRight(
          Effect.logWarning(`timed: ${checked.left.field} ${checked.left.message}; not recorded`),
          self
        )
      }
      const [metric, attrs] = checked.right
      return Effect.clockWith((clock) => {
        const start = clock.unsafeCurrentTimeNanos()
        return Effect.onExit(self, (exit) =>
          recordTiming(metric, attrs, outcomeOf(exit), nanosToMillis(clock.unsafeCurrentTimeNanos() - start)))
      })
    }
  }

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
    mark,
    measure,
    clearMarks: (name?: string) => Effect.sync(() => state.clearMarks(name))
  }
}
