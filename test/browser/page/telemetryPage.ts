/**
 * The page under test, bundled by esbuild and served by `PageServer`. It builds telemetry from the
 * `options` query parameter and exposes a small API on `window.telemetry` for the tests to drive:
 *
 * - `mode: "browser"` (default): `Telemetry.layer` (fetch transport, localStorage outbox, page
 *   lifecycle) with `WebVitals.layer`, the way an application would use it;
 * - `mode: "detachable"`: `Telemetry.layerTest` (memory transport) with `Telemetry.layerPageLifecycle` built in a
 *   scope of its own, which `closeLifecycle` closes while the collector lives on.
 */
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { PerformanceMetrics, Telemetry, TelemetryCollector, WebVitals } from "../../../src/browser.js"
import type { PageOptions, TelemetryPage } from "./api.js"

const options: PageOptions = JSON.parse(new URLSearchParams(location.search).get("options") ?? "{}")

/** The page API over a runtime of every telemetry service. */
const pageApi = (
  runtime: ManagedRuntime.ManagedRuntime<Telemetry.Services, unknown>,
  ready: Promise<void>,
  closeLifecycle: () => Promise<void>
): TelemetryPage => ({
  ready,
  track: (type, data) =>
    runtime.runPromise(Effect.flatMap(TelemetryCollector, (c) => c.track(data === undefined ? { type } : { type, data }))),
  stats: () => runtime.runPromise(Effect.flatMap(TelemetryCollector, (c) => c.stats)),
  flush: () => runtime.runPromise(Effect.flatMap(TelemetryCollector, (c) => c.flush)),
  summary: () => runtime.runPromise(Effect.flatMap(PerformanceMetrics, (p) => p.getSummary)),
  closeLifecycle,
  dispose: () => runtime.dispose()
})

const browserPage = (): TelemetryPage => {
  const { mode: _, ...settings } = options
  const layer = WebVitals.layer().pipe(
    Layer.provideMerge(Telemetry.layer({ endpoint: "/collect", ...settings }))
  )
  const runtime = ManagedRuntime.make(layer)
  return pageApi(runtime, runtime.runPromise(Effect.void), () => Promise.reject(new Error("not detachable")))
}

const detachablePage = (): TelemetryPage => {
  const runtime = ManagedRuntime.make(Telemetry.layerTest({ flushInterval: "1 hour" }))
  const lifecycleScope = Effect.runSync(Scope.make())
  const ready = runtime.runPromise(Layer.buildWithScope(Telemetry.layerPageLifecycle({ url: "/collect" }), lifecycleScope))
  return pageApi(runtime, ready.then(() => undefined), () => Effect.runPromise(Scope.close(lifecycleScope, Exit.void)))
}

;(window as unknown as { telemetry: TelemetryPage }).telemetry = options.mode === "detachable"
  ? detachablePage()
  : browserPage()
