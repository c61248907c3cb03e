/**
 * The options of `PerformanceMetrics`: what a user may set, the schema that checks them and holds their
 * defaults, and the one error a wrong option fails with.
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { decodeOptions, OptionsError } from "../../internal/decode.js"
import { PositiveDuration } from "../../internal/DurationOption.js"
import { maxScale, relativeErrorAt } from "../../internal/LogBuckets.js"
import { defaultMaxBuckets, defaultRelativeAccuracy } from "../../internal/QuantileSketch.js"
import type { ResourceSources } from "./resources.js"

/**
 * How `PerformanceMetrics` is set up; every field has a default.
 *
 * @since 0.2.0
 * @category models
 */
export interface PerformanceMetricsOptions {
  /**
   * Relative accuracy of percentiles, between 0 and 0.5; default 0.01. The buckets are OTLP's base-2
   * exponential ones at the coarsest scale within it: 0.01 (and anything down to 0.00542) gives scale 6,
   * whose error is 0.54 %.
   */
  readonly relativeAccuracy?: number
  /** Buckets per series sketch, ≥ 2; default 1,088 (17 octaves at scale 6, ≤ 4.8 KB per series). */
  readonly maxBuckets?: number
  /** Distinct metric names held; default 256. Samples of further names are only counted. */
  readonly maxMetrics?: number
  /**
   * Attribute keys that split a metric into series (`timed` attributes, an AI operation's `provider` and
   * `model`); default `["provider", "model"]`. A sample carrying some goes to the series of those values
   * as well as to its name's series of every sample.
   */
  readonly dimensions?: ReadonlyArray<string>
  /**
   * Series with dimensions held across all names (and GenAI attribute sets); default 256. A sample of a
   * further series is kept under its name only, and counted in `droppedSamples`.
   */
  readonly maxSeries?: number
  /** Marks held; default 1,000, the least recently set forgotten first. */
  readonly maxMarks?: number
  /** Web-vital instance ids remembered for de-duplication; default 1,000. */
  readonly maxWebVitalInstances?: number
  /** Take a resource snapshot this often, in the layer's scope; default never (call `snapshotResources`). */
  readonly resourceInterval?: Duration.DurationInput
  /** Where resource figures come from; default the running runtime's (`globalResourceSources()`). */
  readonly resourceSources?: ResourceSources
  /**
   * Record Core Web Vitals; default `true`. When `false`, `recordWebVital` still validates and returns
   * the rated vital but records and tracks nothing, and `WebVitals.layer` does not subscribe.
   */
  readonly trackWebVitals?: boolean
  /**
   * Take resource snapshots; default `true`. When `false`, `snapshotResources` returns `{}` without
   * reading the runtime, nothing is kept or tracked, and `resourceInterval` is ignored.
   */
  readonly trackResources?: boolean
}

/**
 * Options a `PerformanceMetrics` service was given that do not decode: `option` names the first wrong
 * one (a misspelt option is refused), `reason` says why.
 *
 * @since 0.2.0
 * @category errors
 */
export class PerformanceMetricsOptionsError extends OptionsError("PerformanceMetricsOptionsError") {}

const count = (min: number, fallback: number) =>
  Schema.optionalWith(
    Schema.Number.pipe(
      Schema.int({ message: () => "must be a whole number" }),
      Schema.greaterThanOrEqualTo(min, { message: () => `must be at least ${min}` })
    ),
    { default: () => fallback }
  )

const ResourceSourcesSchema = Schema.declare(
  (u: unknown): u is ResourceSources => typeof u === "object" && u !== null,
  { identifier: "ResourceSources", description: "an object of resource source functions" }
)

const Options = Schema.Struct({
  relativeAccuracy: Schema.optionalWith(
    Schema.Number.pipe(
      // The finest OTLP scale, 20, is within 3.3e-7: nothing finer can be held.
      Schema.greaterThanOrEqualTo(relativeErrorAt(maxScale), { message: () => "must be between 3.4e-7 and 0.5" }),
      Schema.lessThan(0.5, { message: () => "must be between 3.4e-7 and 0.5" })
    ),
    { default: () => defaultRelativeAccuracy }
  ),
  maxBuckets: count(2, defaultMaxBuckets),
  maxMetrics: count(1, 256),
  dimensions: Schema.optionalWith(
    Schema.Array(Schema.String.pipe(
      Schema.minLength(1, { message: () => "must not hold an empty key" }),
      Schema.maxLength(128, { message: () => "must not hold a key longer than 128 characters" })
    )).pipe(Schema.maxItems(16, { message: () => "must hold at most 16 keys" })),
    { default: () => ["provider", "model"] }
  ),
  maxSeries: count(1, 256),
  maxMarks: count(1, 1_000),
  maxWebVitalInstances: count(1, 1_000),
  resourceInterval: Schema.optionalWith(PositiveDuration, { exact: true }),
  resourceSources: Schema.optionalWith(ResourceSourcesSchema, { exact: true }),
  trackWebVitals: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  trackResources: Schema.optionalWith(Schema.Boolean, { default: () => true })
})

/** The options with every default filled in and durations decoded. */
export type PerformanceSettings = typeof Options.Type

/** Decodes the options, failing with a `PerformanceMetricsOptionsError` for the first wrong one. */
export const decodePerformanceOptions: (
  options: PerformanceMetricsOptions | undefined
) => Effect.Effect<PerformanceSettings, PerformanceMetricsOptionsError> = decodeOptions(
  Options,
  (fields) => new PerformanceMetricsOptionsError(fields)
)
