/**
 * effect-telemetry for browsers (`effect-telemetry/browser`): the main entry without what needs Node
 * (`TelemetryLive`, the file-system outbox, the file transport, the health server), plus the page
 * lifecycle layers that deliver what is buffered when the page goes away.
 */
export * from "./schemas/ErrorEvents.js"
export * from "./schemas/errors.js"
export { maxEventBytes, validateEvent } from "./schemas/EventValidation.js"
export * from "./schemas/TelemetryConfig.js"
export * from "./schemas/HealthEvents.js"
export * from "./schemas/PerformanceEvents.js"
export * from "./schemas/TelemetryEvent.js"
export * from "./schemas/UsageEvents.js"

export {
  type CollectorOptions,
  type CollectorStats,
  type Session,
  TelemetryCollector,
  type UserDataExport
} from "./services/TelemetryCollector.js"
export { classify as classifyError } from "./services/errors/Classification.js"
export { fingerprint as errorFingerprint, normalizeMessage } from "./services/errors/Fingerprint.js"
export { parseStack } from "./services/errors/StackTrace.js"
export {
  type BreadcrumbInput,
  captureError,
  captureErrors,
  captureMessage,
  type CaptureOptions,
  defaultErrorTrackingOptions,
  ErrorTracking,
  type ErrorTrackingOptions,
  layer as layerErrorTracking,
  layerBreadcrumbsFromEvents,
  type MessageOptions,
  type RecoveryReport
} from "./services/ErrorTracking.js"
export { healthJsonContentType, type HealthJson, type HealthJsonInfo, type IetfStatus, toHealthJson } from "./services/health/HealthJson.js"
export {
  defaultHealthCheckOptions,
  getHealthReport,
  HealthCheck,
  type HealthCheckLayerOptions,
  type HealthCheckOptions,
  layer as layerHealthCheck,
  register as registerHealthCheck,
  type ServiceCheck
} from "./services/HealthCheck.js"
export {
  layer as layerOutbox,
  layerMemory as layerOutboxMemory,
  type OldestResult,
  Outbox,
  type OutboxOptions,
  type PutResult
} from "./services/Outbox.js"
export {
  type EventLoopDelayHistogram,
  type EventLoopUtilization,
  globalResourceSources,
  type ResourceSources
} from "./services/performance/resources.js"
export {
  layer as layerPerformanceMetrics,
  make as makePerformanceMetrics,
  PerformanceMetrics,
  type PerformanceMetricsOptions
} from "./services/PerformanceMetrics.js"
export {
  layerRedactor,
  layerRedactorDisabled,
  make as makeRedactor,
  Redactor,
  type RedactorInput,
  type RedactorOptions
} from "./services/Redactor.js"
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
} from "./transports/Transport.js"

export {
  type CleanupResult,
  layer as layerUsageAnalytics,
  make as makeUsageAnalytics,
  UsageAnalytics,
  type UsageAnalyticsOptions
} from "./services/UsageAnalytics.js"

export { telemetryMetrics } from "./internal/metrics.js"

export { type GlobalErrorHandlersOptions, layerGlobalErrorHandlers } from "./layers/GlobalErrorHandlers.js"
export {
  HttpTransportConfigError,
  type HttpTransportOptions,
  layerHttpTransport,
  makeHttpTransport,
  maxBatchBytes,
  maxResponseBytes,
  parseRetryAfter
} from "./transports/HttpTransport.js"
export { layerOtlpTransport, makeOtlpTransport, type OtlpTransportOptions, toExportLogsRequest } from "./transports/OtlpTransport.js"
export { layerWithTransport, type TelemetryServices } from "./layers/TelemetryLayers.js"
export {
  type BrowserTelemetryOptions,
  defaultBeaconBytes,
  defaultBrowserOutboxOptions,
  layerBrowserOutbox,
  layerPageLifecycle,
  layerTelemetryBrowser,
  type PageLifecycleOptions
} from "./layers/BrowserLifecycle.js"
export { deliveredBatches, deliveredEvents, layerTelemetryTest, TelemetryTest } from "./layers/TelemetryTest.js"
export {
  layerWebVitals,
  type WebVitalsMetric,
  type WebVitalsOptions,
  type WebVitalsSubscribe,
  type WebVitalsSubscribers
} from "./layers/WebVitals.js"
