/**
 * effect-telemetry: product telemetry for Effect programs. Everything of the browser entry, with a `Telemetry`
 * namespace holding the Node layers (the durable file outbox, HTTP over undici, the file transport), plus
 * `TelemetryLive` and the health server.
 */
export * from "./browser.js"

export { TelemetryLive } from "./layers/TelemetryLive.js"

/**
 * The configuration, the Node layers of every service (`Telemetry.layer(options)`, `Telemetry.layerConfig`)
 * and the test wiring.
 *
 * @since 0.2.0
 */
export * as Telemetry from "./layers/TelemetryNode.js"

/**
 * The health report over HTTP as `application/health+json`: `HealthServer.layer({ port })`, `HealthServer.router`.
 *
 * @since 0.2.0
 */
export * as HealthServer from "./layers/HealthRoutes.js"

/**
 * The live dashboard and the static HTML report: `Dashboard.layer()`, `Dashboard.renderReport(snapshot)`.
 *
 * @since 0.2.0
 */
export * as Dashboard from "./dashboard/Dashboard.js"
