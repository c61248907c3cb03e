/**
 * effect-telemetry for browsers (`effect-telemetry/browser`): every service, policy and schema of the main
 * entry, with a `Telemetry` namespace holding the browser layers (HTTP over `fetch`, the localStorage outbox,
 * the page lifecycle hand-over to `sendBeacon`) instead of the Node ones.
 */
export { ErrorTracking } from "./services/ErrorTracking.js"
export { HealthCheck } from "./services/HealthCheck.js"
export { Outbox } from "./services/Outbox.js"
export { PerformanceMetrics } from "./services/PerformanceMetrics.js"
export { Redactor } from "./services/Redactor.js"
export { Sampler } from "./services/Sampler.js"
export { TelemetryCollector } from "./services/TelemetryCollector.js"
export { UsageAnalytics } from "./services/UsageAnalytics.js"
export { Transport } from "./transports/Transport.js"
export { OtlpExport } from "./transports/otlp/Exporters.js"
export { InvalidEventError, TransportError } from "./schemas/errors.js"
export { TelemetryTest } from "./layers/TelemetryTest.js"

/**
 * The event model: `Schemas.TelemetryEvent`, `Schemas.Batch`, `Schemas.EventInput`, … as Schemas and types.
 *
 * @since 0.2.0
 */
export * as Schemas from "./schemas/index.js"

/**
 * The configuration, the browser layers of every service (`Telemetry.layer({ endpoint })`) and the test wiring.
 *
 * @since 0.2.0
 */
export * as Telemetry from "./layers/TelemetryBrowser.js"

/**
 * Core Web Vitals from Google's `web-vitals` into `PerformanceMetrics`: `WebVitals.layer()`.
 *
 * @since 0.2.0
 */
export * as WebVitals from "./layers/WebVitals.js"

/**
 * Effect's own tracing, logging and metrics feeding the services: `Instrumentation.layer()` (the tracer
 * and logger bridges), `Instrumentation.layerTracer`, `Instrumentation.layerLogger`, `Instrumentation.effectMetrics`.
 *
 * @since 0.3.0
 */
export * as Instrumentation from "./instrumentation/Instrumentation.js"
