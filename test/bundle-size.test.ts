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
 * redactor's patterns, the capture redacting its own event once. Issue 15's second session lowered the collector's
 * to 26.5 KiB (26.0 measured): a page and the collector validate options against the settings of every platform
 * only (`CoreConfig`), without Effect's `Config` machinery and the OTLP and Node settings. Its third session moved
 * them to 24/65 KiB (23.4 and 64.0 measured): a smaller redactor, outbox, sampler and settings table, no `Schedule`
 * in the retries, and the page's outbox opening from its own index. Issue 15's targets are
 * lower — 12 KB for the collector, 31 KB for every service — and not reached yet (see docs/browser.md).
 */
const ceilings = { collector: 24 * 1024, allServices: 65 * 1024 }

/** Modules no page app that does not ask for them may bring: the OTLP and file transports, the test wiring, `web-vitals`. */
const optionalParts = [
  /src\/transports\/(OtlpTransport|FileTransport)\.ts$/,
  /src\/layers\/(WebVitals|TelemetryTest)\.ts$/,
  /node_modules\/web-vitals\//
]

/**
 * Modules the collector alone must not bring: the other services, the optional parts, and the full
 * configuration (OTLP and Node settings, Effect's `Config`): the collector validates `CoreConfig` only.
 */
const otherServices = [
  /src\/services\/(ErrorTracking|UsageAnalytics|PerformanceMetrics|HealthCheck)\.ts$/,
  /src\/services\/(errors|usage|performance|health)\//,
  /src\/schemas\/TelemetryConfig\.ts$/,
  ...optionalParts
]

/** Each service's fixture (`collector-<name>.entry.ts`: the collector plus that service's layer) and its modules. */
const services = {
  errors: [/src\/services\/ErrorTracking\.ts$/, /src\/services\/errors\//],
  usage: [/src\/services\/UsageAnalytics\.ts$/, /src\/services\/usage\//],
  performance: [/src\/services\/PerformanceMetrics\.ts$/, /src\/services\/performance\//],
  health: [/src\/services\/HealthCheck\.ts$/, /src\/services\/health\//]
} as const
type ServiceName = keyof typeof services

/**
 * Modules of another service a service may bring: `HealthCheck` names a failed check's error (its type and
 * message) with `ErrorTracking`'s safe readers of thrown values, and nothing else of that service.
 */
const shared: { readonly [S in ServiceName]: ReadonlyArray<RegExp> } = {
  errors: [],
  usage: [],
  performance: [],
  health: [/src\/services\/errors\/(ErrorValues|Bounds)\.ts$/]
}

/** The bundled modules of an app (those that left bytes in what the page loads) matching one of `patterns`. */
const modulesMatching = (app: Measured, patterns: ReadonlyArray<RegExp>) =>
  app.inputs.filter(([path, bytes]) => bytes > 0 && patterns.some((pattern) => pattern.test(path))).map(([path]) => path)

let baseline: Measured
let collector: Measured
let collectorSubpath: Measured
let allServices: Measured
const withService = new Map<ServiceName, Measured>()

beforeAll(async () => {
  ;[baseline, collector, collectorSubpath, allServices] = await Promise.all([
    measure(entry("baseline")),
    measure(entry("collector")),
    measure(entry("collector-subpath")),
    // `web-vitals` is loaded by `WebVitals.layer`, so it counts.
    measure(entry("all"), { lazy: true })
  ])
  for (const name of Object.keys(services) as ReadonlyArray<ServiceName>) {
    withService.set(name, await measure(entry(`collector-${name}`)))
  }
}, 120_000)

describe("the browser bundle", () => {
  it("the collector alone, through effect-telemetry/browser/Telemetry, adds at most 26.5 KB gzip to an Effect app", () => {
    expect(collectorSubpath.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.collector)
  })

  it("every service, with web vitals, adds at most 66 KB gzip to an Effect app", () => {
    expect(allServices.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.allServices)
  })

  it("an app providing only the collector through the subpath bundles none of the other services, OTLP, test wiring or web-vitals", () => {
    expect(modulesMatching(collectorSubpath, otherServices)).toEqual([])
  })

  it.each(Object.keys(services) as ReadonlyArray<ServiceName>)(
    "an app providing the collector and %s alone bundles that service and none of the others, nor OTLP or web-vitals",
    (name) => {
      const app = withService.get(name)!
      expect(modulesMatching(app, services[name]).length).toBeGreaterThan(0)
      const others = (Object.keys(services) as ReadonlyArray<ServiceName>).filter((other) => other !== name)
        .flatMap((other) => services[other])
      const foreign = modulesMatching(app, [...others, ...optionalParts])
        .filter((path) => !shared[name].some((pattern) => pattern.test(path)))
      expect(foreign).toEqual([])
    }
  )

  it("through the browser entry's Telemetry namespace esbuild keeps every member: the collector app costs what every service does", () => {
    // esbuild materialises a namespace re-exported by name with all its members; this documents the gap
    // between the two collector apps, and fails once it closes (then the namespace path gets the budget above).
    expect(modulesMatching(collector, otherServices).length).toBeGreaterThan(0)
    expect(collector.gzip - baseline.gzip).toBeLessThanOrEqual(ceilings.allServices)
  })
})
