import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref } from "effect"
import type { BreadcrumbInput } from "../../src/services/errors/Breadcrumbs.js"
import { breadcrumbsFromEvents } from "../../src/services/errors/BreadcrumbsFromEvents.js"
import type { ErrorTrackingService } from "../../src/services/errors/Service.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { makeRecordingCollector } from "../support/RecordingCollector.js"

class Crumbs extends Context.Tag("test/Crumbs")<Crumbs, ErrorTrackingService>() {}

describe("BreadcrumbsFromEvents", () => {
  it.scoped("every event tracked through the decorated collector but error.* becomes a breadcrumb, and is still tracked", () =>
    Effect.gen(function*() {
      const rec = yield* makeRecordingCollector()
      const added = yield* Ref.make<ReadonlyArray<BreadcrumbInput>>([])
      const tracking = { addBreadcrumb: (b: BreadcrumbInput) => Ref.update(added, (all) => [...all, b]) } as ErrorTrackingService
      const context = yield* Layer.build(
        breadcrumbsFromEvents(Crumbs).pipe(
          Layer.provide(Layer.merge(Layer.succeed(TelemetryCollector, rec.collector), Layer.succeed(Crumbs, tracking)))
        )
      )
      const collector = Context.get(context, TelemetryCollector)
      yield* collector.track({ type: "page.view", data: { page: "home" } })
      yield* collector.trackUnknown({ type: "button.click" })
      yield* collector.track({ type: "error.captured", data: {} })
      expect(yield* Ref.get(added)).toEqual([
        { category: "event", message: "page.view", data: { page: "home" } },
        { category: "event", message: "button.click" }
      ])
      expect((yield* rec.tracked).map((e) => e.type)).toEqual(["page.view", "button.click", "error.captured"])
    }))
})
