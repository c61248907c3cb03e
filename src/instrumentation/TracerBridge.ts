/**
 * The tracer bridge: wraps the tracer in place when its layer is built (Effect's own, or
 * `@effect/opentelemetry`'s) and feeds every ended span to the services — its duration to
 * `PerformanceMetrics`, its failure to `ErrorTracking` (once), its GenAI attributes to the AI operation and
 * provider statistics, and the span itself to the OTLP `SpanSink` when trace export is on.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"
import type { TimingOutcome } from "../schemas/PerformanceEvents.js"
import { ErrorTracking } from "../services/ErrorTracking.js"
import { PerformanceMetrics } from "../services/PerformanceMetrics.js"
import { UsageAnalytics } from "../services/UsageAnalytics.js"
import { SpanSink } from "../transports/otlp/SpanSink.js"
import { type BridgeSpan, wrap } from "./BridgeTracer.js"
import * as CaptureOnce from "./CaptureOnce.js"
import * as Drain from "./Drain.js"
import { type GenAICall, genAICallOf } from "./GenAI.js"
import { spanRecordOf } from "./SpanRecords.js"

/** Options of the tracer bridge. */
export interface TracerOptions {
  /** Distinct span names timed under their own name; later names are timed as `span.other`. Default 100. */
  readonly maxSpanNames?: number
  /** Ended spans waiting for the bridge; beyond it a span is not seen (counted `dropped`). Default 4,096. */
  readonly queueCapacity?: number
  /** Span attributes copied onto its timing as dimensions (keep them low-cardinality). Default none. */
  readonly timingAttributes?: ReadonlyArray<string>
  /** Whether a span that ends in a failure or defect is captured by ErrorTracking. Default true. */
  readonly captureErrors?: boolean
}

/** The defaults of `TracerOptions`. */
export const tracerDefaults = {
  maxSpanNames: 100,
  queueCapacity: 4_096,
  timingAttributes: [] as ReadonlyArray<string>,
  captureErrors: true
} as const

/** The name spans are timed under once `maxSpanNames` distinct names are taken. */
export const otherSpanName = "span.other"

/**
 * The metric name a span is timed under: its name with each run of characters a metric name may not hold
 * (`chat claude-sonnet`: the space) replaced by `_`, cut to 128 characters.
 */
export const metricNameOf = (spanName: string): string =>
  spanName.replace(/[^A-Za-z0-9_.:/-]+/g, "_").slice(0, 128) || "span.unnamed"

/** What the tracer bridge has seen since it was built. */
export interface TracerBridgeStats {
  /** Spans that ended. */
  readonly spansEnded: number
  /** Spans not seen because the queue was full. */
  readonly dropped: number
  /** Spans handled by the drain. */
  readonly processed: number
  /** Distinct span names timed under their own name. */
  readonly spanNames: number
  /** Spans timed as `span.other` because `maxSpanNames` names were taken. */
  readonly foldedSpans: number
  /** Failed spans captured by ErrorTracking (a failure seen by an inner span or a log is not captured again). */
  readonly errorsCaptured: number
  /** GenAI spans recorded as AI operations. */
  readonly aiOperations: number
  /** Spans the OTLP span sink took. */
  readonly exported: number
  /** Calls into a service that failed (an invalid timing, a refused AI operation, …); the spans were still seen. */
  readonly failures: number
}

/**
 * The installed tracer bridge: what it has seen, and a way to wait until it has handled every ended span.
 *
 * @since 0.3.0
 * @category tags
 */
export class TracerBridge extends Context.Tag("effect-telemetry/Instrumentation/TracerBridge")<TracerBridge, {
  /** Counters since the bridge was built. */
  readonly stats: Effect.Effect<TracerBridgeStats>
  /** Handles every span ended so far (tests, benchmarks, a shutdown); never fails. */
  readonly flush: Effect.Effect<void>
}>() {}

type Sample = {
  name: string
  durationMs: number
  outcome: TimingOutcome
  attributes?: Readonly<Record<string, string | number | boolean>>
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): TimingOutcome =>
  exit._tag === "Success" ? "success" : Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failure"

/** The error class a failed provider call is counted under: the span's `error.type`, else the failure's tag or name. */
const errorTypeOf = (cause: Cause.Cause<unknown>): string | undefined => {
  const error = Option.getOrUndefined(Cause.failureOption(cause)) ?? Option.getOrUndefined(Cause.dieOption(cause))
  if (typeof error !== "object" || error === null) return undefined
  const tag = (error as { readonly _tag?: unknown })._tag
  const name = typeof tag === "string" ? tag : (error as { readonly name?: unknown }).name
  return typeof name === "string" && name.length > 0 ? name.slice(0, 128) : undefined
}

/**
 * Builds the bridge over the tracer current when it runs, and the services found in context then (each
 * optional): returns the wrapping tracer to install and the `TracerBridge` service.
 */
export const make = (options: TracerOptions = {}) =>
  Effect.gen(function*() {
    const maxSpanNames = options.maxSpanNames ?? tracerDefaults.maxSpanNames
    const timingAttributes = options.timingAttributes ?? tracerDefaults.timingAttributes
    const captureErrors = options.captureErrors ?? tracerDefaults.captureErrors
    const metrics = yield* Effect.serviceOption(PerformanceMetrics)
    const usage = yield* Effect.serviceOption(UsageAnalytics)
    const errors = yield* Effect.serviceOption(ErrorTracking)
    const sink = yield* Effect.serviceOption(SpanSink)
    const once = Option.map(errors, CaptureOnce.forService)
    // Span name → the metric name it is timed under, for the first `maxSpanNames` names.
    const names = new Map<string, string>()
    // Written by the drain fiber only.
    const counters = { foldedSpans: 0, errorsCaptured: 0, aiOperations: 0, exported: 0, failures: 0 }

    const nameOf = (name: string): string => {
      const known = names.get(name)
      if (known !== undefined) return known
      if (names.size < maxSpanNames) {
        const metricName = metricNameOf(name)
        names.set(name, metricName)
        return metricName
      }
      counters.foldedSpans++
      return otherSpanName
    }
    const attempt = (effect: Effect.Effect<unknown, unknown>) =>
      Effect.catchAllCause(effect, () =>
        Effect.sync(() => {
          counters.failures++
        }))

    const dimensionsOf = (span: BridgeSpan): Record<string, string | number | boolean> | undefined => {
      let out: Record<string, string | number | boolean> | undefined
      for (const key of timingAttributes) {
        const value = span.attributes.get(key)
        if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
          ;(out ??= {})[key] = value
        }
      }
      return out
    }

    /** What a span needs beyond its timing: its failure captured, its GenAI call recorded. */
    const afterSpan = (span: BridgeSpan, exit: Exit.Exit<unknown, unknown>, durationMs: number, ai: GenAICall | undefined) =>
      Effect.gen(function*() {
        const failed = exit._tag === "Failure" && !Cause.isInterruptedOnly(exit.cause)
        if (failed && captureErrors && Option.isSome(errors) && Option.isSome(once) && once.value.firstTime(exit.cause)) {
          counters.errorsCaptured++
          yield* errors.value.captureError(exit.cause, {
            traceId: span.traceId,
            spanId: span.spanId,
            mechanism: "span",
            context: { span: span.name }
          })
        }
        if (ai === undefined) return
        const success = exit._tag === "Success"
        counters.aiOperations++
        const tokens = {
          ...(ai.inputTokens === undefined ? {} : { promptTokens: ai.inputTokens }),
          ...(ai.outputTokens === undefined ? {} : { completionTokens: ai.outputTokens })
        }
        if (Option.isSome(metrics)) {
          yield* attempt(metrics.value.trackAIOperation({
            ...(ai.operation === undefined ? {} : { operation: ai.operation }),
            ...(ai.provider === undefined ? {} : { provider: ai.provider }),
            ...(ai.model === undefined ? {} : { model: ai.model }),
            totalMs: durationMs,
            ...tokens,
            success
          }))
        }
        if (Option.isSome(usage) && ai.provider !== undefined && ai.model !== undefined) {
          const errorType = success ? undefined : ai.errorType ?? (exit._tag === "Failure" ? errorTypeOf(exit.cause) : undefined)
          yield* attempt(usage.value.trackProviderRequest({
            provider: ai.provider,
            model: ai.model,
            durationMs,
            success,
            ...tokens,
            ...(errorType === undefined ? {} : { errorType })
          }))
        }
      })

    const capturing = captureErrors && Option.isSome(errors)
    const timings = Option.getOrUndefined(metrics)
    const withDimensions = timingAttributes.length > 0
    const spanSink = Option.getOrUndefined(sink)
    // Synchronous for the common span (a success without GenAI attributes): an effect only for the others.
    // Only what a service consumes is computed: no PerformanceMetrics, no samples; no SpanSink, no records.
    const process = (spans: ReadonlyArray<BridgeSpan>): Effect.Effect<void> => {
      const samples: Array<Sample> = []
      let followUps: Array<Effect.Effect<void>> | undefined
      for (const span of spans) {
        const status = span.status
        if (status._tag !== "Ended") continue
        const { exit } = status
        const durationMs = Math.max(0, Number(status.endTime - status.startTime) / 1e6)
        const name = nameOf(span.name)
        if (timings !== undefined) {
          const sample: Sample = { name, durationMs, outcome: outcomeOf(exit) }
          if (withDimensions) {
            const attributes = dimensionsOf(span)
            if (attributes !== undefined) sample.attributes = attributes
          }
          samples.push(sample)
        }
        const ai = genAICallOf(span.attributes)
        if (ai !== undefined || (capturing && exit._tag === "Failure")) {
          // Inside the ended span, as far as the services can tell: the events they track carry its ids.
          ;(followUps ??= []).push(
            Effect.withParentSpan(afterSpan(span, exit, durationMs, ai), Tracer.externalSpan(span))
          )
        }
        if (spanSink !== undefined) {
          const record = spanRecordOf(span)
          if (record !== undefined && spanSink.offer(record)) counters.exported++
        }
      }
      // One call per chunk: `recordTimings` records the whole chunk in one synchronous pass.
      const recorded = timings !== undefined && samples.length > 0 ? attempt(timings.recordTimings(samples)) : Effect.void
      return followUps === undefined ? recorded : Effect.zipRight(Effect.all(followUps, { discard: true }), recorded)
    }

    const drain = yield* Drain.make(options.queueCapacity ?? tracerDefaults.queueCapacity, process)
    const inner = yield* Effect.tracer
    const tracer = wrap(inner, drain.offer)
    const bridge: TracerBridge["Type"] = {
      stats: Effect.sync(() => ({
        spansEnded: drain.counts.offered,
        dropped: drain.counts.dropped,
        processed: drain.counts.processed,
        spanNames: names.size,
        ...counters,
        failures: counters.failures + drain.counts.failures
      })),
      flush: drain.flush
    }
    return { tracer, bridge }
  })

/**
 * Installs the bridge around the tracer current when the layer is built: provide the tracer you want
 * wrapped (e.g. `@effect/opentelemetry`'s) *to* this layer, and the telemetry services to it as well.
 */
export const layer = (options?: TracerOptions): Layer.Layer<TracerBridge> =>
  Layer.unwrapScoped(Effect.map(make(options), ({ bridge, tracer }) =>
    Layer.merge(Layer.setTracer(tracer), Layer.succeed(TracerBridge, bridge))))
