/** What the test page exposes on `window.telemetry`, and the options it reads from its URL. */
import type { PerformanceMetrics, Telemetry, TelemetryCollector } from "../../../src/browser.js"

type CollectorStats = TelemetryCollector.Stats
type PerformanceSummary = PerformanceMetrics.Summary

/** The page's settings: `Telemetry.layer` options (the endpoint is always `/collect`) and a mode. */
export type PageOptions = Omit<Partial<Telemetry.BrowserOptions>, "endpoint"> & {
  readonly mode?: "browser" | "detachable"
}

export interface TelemetryPage {
  /** Resolves once every layer is built (the outbox read, the listeners installed). */
  readonly ready: Promise<void>
  readonly track: (type: string, data?: Record<string, string | number>) => Promise<void>
  readonly stats: () => Promise<CollectorStats>
  readonly flush: () => Promise<void>
  readonly summary: () => Promise<PerformanceSummary>
  /** Closes the scope of the page lifecycle layer only (`detachable` mode). */
  readonly closeLifecycle: () => Promise<void>
  /** Closes every layer: listeners removed, then the final flush. */
  readonly dispose: () => Promise<void>
}

declare global {
  interface Window {
    readonly telemetry: TelemetryPage
  }
}
