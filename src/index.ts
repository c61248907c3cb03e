/**
 * effect-telemetry: product telemetry for Effect programs. Everything of the browser entry, plus what
 * needs Node: `TelemetryLive`, the file-system outbox, the file transport and the health server.
 */
export * from "./browser.js"

export { layerFileTransport } from "./transports/FileTransport.js"
export {
  healthRouter,
  type HealthRouteOptions,
  type HealthServerOptions,
  layerHealthServer,
  makeHealthRouter
} from "./layers/HealthRoutes.js"
// The Node `layerWithTransport` (durable outbox by default) shadows the browser entry's (outbox in memory).
export {
  type DestinationOptions,
  destinationOf,
  layerFromConfig,
  layerNodeOutbox,
  layerTelemetry,
  layerWithTransport,
  TelemetryLive
} from "./layers/TelemetryLive.js"
