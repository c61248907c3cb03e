/**
 * What `PerformanceMetrics` records besides time: AI operations, Core Web Vitals and resource snapshots,
 * each switch settled once, when the service is built.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { ServiceEvent } from "../../internal/recording.js"
import {
  AIOperation,
  InvalidMetricError,
  PerformanceEventType,
  type PerformanceTracking,
  rateWebVital,
  type ResourceSnapshot,
  type WebVital,
  WebVitalReport
} from "../../schemas/PerformanceEvents.js"
import type { DimensionReader } from "./dimensions.js"
import type { PerformanceState } from "./PerformanceState.js"
import { fastAIOperation } from "./fastChecks.js"
import { metricDecoders } from "./validation.js"

const decodeOperationBySchema = metricDecoders.either(AIOperation)
/** An operation without a Schema decode when it is plainly valid (see `fastChecks`); an Either is an Effect. */
const decodeOperation = (input: unknown): Either.Either<AIOperation, InvalidMetricError> => {
  const fast = fastAIOperation(input)
  return fast !== undefined ? Either.right(fast) : decodeOperationBySchema(input)
}
const decodeReport = metricDecoders.effect(WebVitalReport)

/** A report with its rating settled: the given one, or Google's from the thresholds. */
const rateReport = (input: WebVitalReport) =>
  Effect.map(decodeReport(input), (report): WebVital => ({
    ...report,
    rating: report.rating ?? rateWebVital(report.name, report.value)
  }))

/** `trackAIOperation`, `recordWebVital` and `snapshotResources` over the service's state. */
export const makeRecords = ({ dimensions, readResources, state, track, trackQuietly, tracking }: {
  readonly state: PerformanceState
  readonly dimensions: DimensionReader
  readonly track: (event: ServiceEvent) => Effect.Effect<void, InvalidMetricError>
  readonly trackQuietly: (event: ServiceEvent) => Effect.Effect<void>
  readonly tracking: PerformanceTracking
  /** The resource probe; none when resources are switched off. */
  readonly readResources: Effect.Effect<ResourceSnapshot> | undefined
}) => {
  // Validated and recorded in one synchronous step, then tracked: no Effect per stage.
  const trackAIOperation = (input: AIOperation): Effect.Effect<void, InvalidMetricError> =>
    Effect.suspend(() => {
      const op = decodeOperation(input)
      if (Either.isLeft(op)) return Effect.fail(op.left)
      // Its `provider` and `model` fields win over attributes of those names.
      state.recordAIOperation(op.right, dimensions.read(op.right.attributes, { provider: op.right.provider, model: op.right.model }))
      return track({ type: PerformanceEventType.aiOperation, data: op.right })
    })

    // Each switch picks an implementation here, once, rather than being tested on every call.
  const recordWebVital = tracking.webVitals
      ? (input: WebVitalReport) =>
        Effect.tap(rateReport(input), (vital) =>
          Effect.zipRight(
            Effect.sync(() => state.recordWebVital(vital)),
            track({ type: PerformanceEventType.webVital, data: vital })
          ))
      : rateReport

  const snapshotResources: Effect.Effect<ResourceSnapshot> = readResources === undefined
      ? Effect.succeed({})
      : Effect.tap(readResources, (snapshot) =>
        Effect.zipRight(
          Effect.sync(() => state.setResources(snapshot)),
          trackQuietly({ type: PerformanceEventType.resource, data: snapshot })
        ))
  return { trackAIOperation, recordWebVital, snapshotResources }
}
