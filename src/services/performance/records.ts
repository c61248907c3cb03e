/**
 * What `PerformanceMetrics` records besides time: AI operations, Core Web Vitals and resource snapshots,
 * each switch settled once, when the service is built.
 */
import { Effect } from "effect"
import type { ServiceEvent } from "../../internal/recording.js"
import {
  AIOperation,
  type InvalidMetricError,
  PerformanceEventType,
  type PerformanceTracking,
  rateWebVital,
  type ResourceSnapshot,
  type WebVital,
  WebVitalReport
} from "../../schemas/PerformanceEvents.js"
import type { PerformanceState } from "./PerformanceState.js"
import { metricDecoders } from "./validation.js"

const decodeOperation = metricDecoders.effect(AIOperation)
const decodeReport = metricDecoders.effect(WebVitalReport)

/** A report with its rating settled: the given one, or Google's from the thresholds. */
const rateReport = (input: WebVitalReport) =>
  Effect.map(decodeReport(input), (report): WebVital => ({
    ...report,
    rating: report.rating ?? rateWebVital(report.name, report.value)
  }))

/** `trackAIOperation`, `recordWebVital` and `snapshotResources` over the service's state. */
export const makeRecords = ({ readResources, state, track, trackQuietly, tracking }: {
  readonly state: PerformanceState
  readonly track: (event: ServiceEvent) => Effect.Effect<void, InvalidMetricError>
  readonly trackQuietly: (event: ServiceEvent) => Effect.Effect<void>
  readonly tracking: PerformanceTracking
  /** The resource probe; none when resources are switched off. */
  readonly readResources: Effect.Effect<ResourceSnapshot> | undefined
}) => {
  const trackAIOperation = (input: AIOperation) =>
      Effect.flatMap(decodeOperation(input), (op) =>
        Effect.zipRight(
          Effect.sync(() => state.recordAIOperation(op)),
          track({ type: PerformanceEventType.aiOperation, data: op })
        ))

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
