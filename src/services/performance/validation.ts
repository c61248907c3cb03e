/**
 * How `PerformanceMetrics` checks its callers' input and records it: every refusal is an
 * `InvalidMetricError` naming the offending field.
 */
import { inputDecoders, type InvalidInput } from "../../internal/recording.js"
import { InvalidMetricError } from "../../schemas/PerformanceEvents.js"

/** Builds the service's invalid-input error. */
export const invalidMetric: InvalidInput<InvalidMetricError> = (fields) => new InvalidMetricError(fields)

/** Validators failing with `InvalidMetricError`. */
export const metricDecoders = inputDecoders(invalidMetric)
