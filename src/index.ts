/**
 * effect-telemetry: product telemetry for Effect programs.
 */
export * from "./schemas/errors.js"
export { maxEventBytes, validateEvent } from "./schemas/EventValidation.js"
export * from "./schemas/TelemetryConfig.js"
export * from "./schemas/TelemetryEvent.js"

export {
  type CollectorOptions,
  type CollectorStats,
  type Session,
  TelemetryCollector,
  type UserDataExport
} from "./services/TelemetryCollector.js"
export { layerRedactor, layerRedactorDisabled, Redactor, type RedactorOptions } from "./services/Redactor.js"
export {
  layer as layerSampler,
  layerAlways as layerSamplerAlways,
  Sampler,
  type SamplerOptions,
  SamplingPolicy
} from "./services/Sampler.js"
export {
  layerConsoleTransport,
  layerFunctionTransport,
  layerMemoryTransport,
  MemoryTransport,
  Transport
} from "./services/Transport.js"

export { layerFileTransport } from "./layers/FileTransport.js"
export {
  type HttpTransportOptions,
  layerHttpTransport,
  makeHttpTransport,
  maxBatchBytes,
  parseRetryAfter
} from "./layers/HttpTransport.js"
export { layerFromConfig, layerTelemetry, layerWithTransport, TelemetryLive, type TelemetryServices } from "./layers/TelemetryLive.js"
export { deliveredBatches, deliveredEvents, layerTelemetryTest, TelemetryTest } from "./layers/TelemetryTest.js"
