/**
 * What telemetry costs a browser page, in bytes (deterministic: sizes, not time). The apps of
 * `test/fixtures/bundle/` are bundled with esbuild as a browser app ships (ESM, minified) and gzipped -9;
 * each telemetry app is the baseline Effect app plus telemetry, so the increment is what telemetry adds.
 * `bench/bundle-size.ts` prints the same measures as a table, with Sentry's and PostHog's SDKs beside them.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { entry, type Measured, measure } from "./fixtures/bundle/measure.js"

/**
 * Ceilings of the gzip increment over the baseline, in bytes: what the bundles measure today plus a little
 * room, so that growth fails here. They were 27/64 KiB (25.4 and 60.7 KiB measured); issue 10's session moved them
 * to 28/66 KiB (27.6 and 65.2 KiB): trace correlation, the OTLP settings the configuration validates, the metrics
 * snapshot, and code that buys speed with bytes — up to four sends in flight, a character scan before the
 * redactor's patterns, the capture redacting its own event once. Issue 15's targets are lower — 12 KB for the
 * collector, 31 KB for every service — and not reached yet (see docs/browser.md).
 */
const ceilings = { collector: 28 * 1024, allServices: 66 * 1024 }

/** Modules the collector alone must not bring: the other services, the OTLP and file transports, `web-vitals`. */
const otherServices = [
  /src\/services\/(ErrorTracking|UsageAnalytics|PerformanceMetrics|HealthCheck)\.ts$/,
  /src\/services\/(errors|usage|performance|health)\//,
  /src\/transports\/(OtlpTransport|FileTransport)\.ts$/,
  /src\/layers\/(WebVitals|TelemetryTest)\.ts$/,
  /node_modules\/web-vitals\//
]

/** The bundled modules of an app (those that left bytes in what the page loads) matching one of `patterns`. */
const modulesMatching = (app: Measured, patterns: ReadonlyArray<RegExp>) =>
  app.inputs.filter(([path, bytes]) => bytes > 0 && patterns.some((pattern) => pattern.test(path))).map(([path]) => path)

let baseline: Measured
let collector: Measured
let collectorSubpath: Measured
let allServices: Measured

beforeAll(async () => {
  ;[baseline, collector, collectorSubpath, allServices] = await Promise.all([
    measure(entry("baseline")),
    measure(entry("collector")),
    measure(entry("collector-subpath")),
    // `web-vitals` is loaded by `WebVitals.layer`, so it counts.
    measure(entry("all"), { lazy: true })
  ])
}, 60_000)

describe("the browser bundle", () => {
  it("the collector alone, through effect-telemetry/browser/Telemetry, adds at most 28 KB gzip to an Effect app", () => {
    expect(collectorSubpath.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.collector)
  })

  it("every service, with web vitals, adds at most 66 KB gzip to an Effect app", () => {
    expect(allServices.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.allServices)
  })

  it("an app providing only the collector through the subpath bundles none of the other services, OTLP, test wiring or web-vitals", () => {
    expect(modulesMatching(collectorSubpath, otherServices)).toEqual([])
  })

  it("through the browser entry's Telemetry namespace esbuild keeps every member: the collector app costs what every service does", () => {
    // esbuild materialises a namespace re-exported by name with all its members; this documents the gap
    // between the two collector apps, and fails once it closes (then the namespace path gets the budget above).
    expect(modulesMatching(collector, otherServices).length).toBeGreaterThan(0)
    expect(collector.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.allServices)
  })
})
