/**
 * Automatic breadcrumbs: the collector, decorated so that every event tracked through it (other than
 * `error.*`) also becomes a breadcrumb of the ErrorTracking in context.
 *
 * @internal
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { EventInput } from "../../schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../TelemetryCollector.js"
import type { ErrorTrackingService } from "./Service.js"

/** The collector, decorated so that every event tracked through it (other than `error.*`) becomes a breadcrumb. */
export const breadcrumbsFromEvents = <I>(
  tag: Context.Tag<I, ErrorTrackingService>
): Layer.Layer<TelemetryCollector, never, TelemetryCollector | I> =>
  Layer.effect(
    TelemetryCollector,
    Effect.gen(function*() {
      const collector = yield* TelemetryCollector
      const tracking = yield* tag
      const crumb = (input: unknown): Effect.Effect<void> => {
        const { data, type } = input as EventInput
        if (type.startsWith("error.")) return Effect.void
        return tracking.addBreadcrumb(data === undefined ? { category: "event", message: type } : { category: "event", message: type, data })
      }
      return TelemetryCollector.of({
        ...collector,
        track: (input) => Effect.tap(collector.track(input), () => crumb(input)),
        trackUnknown: (input) => Effect.tap(collector.trackUnknown(input), () => crumb(input))
      })
    })
  )
