/**
 * Global error handlers as a scoped layer — now `ErrorTracking.layerGlobalHandlers`; this module keeps
 * the names the entries export until they publish the static.
 */
import type * as Layer from "effect/Layer"
import { ErrorTracking } from "../services/ErrorTracking.js"
import type { TelemetryCollector } from "../services/TelemetryCollector.js"

/** Settings of the global handlers: `ErrorTracking.GlobalHandlersOptions`. @internal */
export type GlobalErrorHandlersOptions = ErrorTracking.GlobalHandlersOptions

/** Same as `ErrorTracking.layerGlobalHandlers`. @internal */
export const layerGlobalErrorHandlers = (
  options?: GlobalErrorHandlersOptions
): Layer.Layer<never, never, ErrorTracking | TelemetryCollector> => ErrorTracking.layerGlobalHandlers(options)
