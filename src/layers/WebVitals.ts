/**
 * Core Web Vitals from Google's `web-vitals` library, recorded into `PerformanceMetrics` for the life of
 * the layer's scope. Browser only in practice; the subscribe functions can be injected (tests, or a
 * page that already loaded `web-vitals/attribution`). Published as the `WebVitals` namespace:
 * `WebVitals.layer()`, `WebVitals.Options`.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type { WebVitalReport } from "../schemas/PerformanceEvents.js"
import { PerformanceMetrics } from "../services/PerformanceMetrics.js"

/**
 * What `web-vitals` passes to a callback, as far as it is read.
 *
 * @since 0.2.0
 * @category models
 */
export interface Metric {
  readonly name: string
  readonly value: number
  readonly rating?: string
  readonly delta?: number
  readonly id?: string
  readonly navigationType?: string
}

/**
 * A `web-vitals` subscribe function such as `onLCP`.
 *
 * @since 0.2.0
 * @category models
 */
export type Subscribe = (
  report: (metric: Metric) => void,
  options?: { readonly reportAllChanges?: boolean }
) => void

/**
 * The `web-vitals` functions the layer subscribes with.
 *
 * @since 0.2.0
 * @category models
 */
export interface Subscribers {
  readonly onLCP: Subscribe
  readonly onINP: Subscribe
  readonly onCLS: Subscribe
  readonly onFCP: Subscribe
  readonly onTTFB: Subscribe
}

/**
 * How the web-vitals layer is set up; every field has a default.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The subscribe functions; default those of the `web-vitals` package, loaded when the layer is built. */
  readonly subscribers?: Subscribers
  /** Ask `web-vitals` for every change, not only final values; default `false`. */
  readonly reportAllChanges?: boolean
  /** Reports waiting to be recorded; default 100, the oldest dropped past it. */
  readonly maxQueued?: number
}

const loadWebVitals: Effect.Effect<Subscribers | undefined> = Effect.promise(() =>
  import("web-vitals").then(
    (module): Subscribers | undefined => module as unknown as Subscribers,
    () => undefined
  )
)

const stop = Symbol("stop")

const toReport = (metric: Metric): WebVitalReport => {
  const report: Record<string, unknown> = { name: metric.name, value: metric.value }
  if (metric.rating !== undefined) report.rating = metric.rating
  if (metric.id !== undefined) report.id = metric.id
  if (metric.delta !== undefined) report.delta = metric.delta
  if (metric.navigationType !== undefined) report.navigationType = metric.navigationType
  // Checked by `recordWebVital`, which refuses (and we log) what is not a valid report.
  return report as unknown as WebVitalReport
}

/**
 * Subscribes to LCP, INP, CLS, FCP and TTFB and records every report with `recordWebVital` (so repeated
 * reports of one metric id replace each other); defaults: the `web-vitals` package, final values only,
 * 100 reports queued. Callbacks only enqueue; a fiber in the scope records. `web-vitals` cannot
 * unsubscribe, so closing the scope detaches the callbacks (later reports are ignored) and records what
 * was queued before it. With `trackWebVitals: false` on `PerformanceMetrics` it neither loads
 * `web-vitals` nor subscribes.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<never, never, PerformanceMetrics> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const performance = yield* PerformanceMetrics
    if (!performance.tracking.webVitals) {
      return yield* Effect.logDebug("web vitals are switched off (trackWebVitals: false); not subscribing")
    }
    const subscribers = options.subscribers ?? (yield* loadWebVitals)
    if (subscribers === undefined) {
      return yield* Effect.logWarning("web-vitals could not be loaded; Core Web Vitals are not recorded")
    }
    const queue = yield* Queue.sliding<WebVitalReport | typeof stop>(options.maxQueued ?? 100)
    const record = (report: WebVitalReport) =>
      performance.recordWebVital(report).pipe(
        Effect.catchAll((error) => Effect.logWarning(`web vital not recorded: ${error.field} ${error.message}`))
      )
    // The consumer ends at `stop` rather than by interruption, which could lose a report already taken.
    const consume: Effect.Effect<void> = Effect.flatMap(
      Queue.take(queue),
      (item) => item === stop ? Effect.void : Effect.zipRight(record(item), Effect.suspend(() => consume))
    )
    const consumer = yield* Effect.forkScoped(consume)
    // A plain flag, not a Ref: `web-vitals` calls the callback outside any fiber, and reading a Ref there
    // would cost a `runSync` per report. Only the finalizer below writes it, once.
    let attached = true
    // Registered after the fork, so it runs first on close: detach, let the consumer drain, wait for it.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        attached = false
        return Effect.zipRight(Queue.offer(queue, stop), Fiber.await(consumer))
      })
    )
    const callback = (metric: Metric) => {
      if (attached) Queue.unsafeOffer(queue, toReport(metric))
    }
    const subscribeOptions = { reportAllChanges: options.reportAllChanges ?? false }
    for (const name of ["onLCP", "onINP", "onCLS", "onFCP", "onTTFB"] as const) {
      yield* Effect.try(() => subscribers[name](callback, subscribeOptions)).pipe(
        Effect.catchAll((error) => Effect.logWarning(`web-vitals ${name} could not subscribe`, error.error))
      )
    }
  }))
