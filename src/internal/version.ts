/**
 * The library's name and version, as OTLP's `telemetry.sdk.*` resource attributes and instrumentation
 * scope carry them. A test holds the version equal to `package.json`'s.
 *
 * @internal
 */
export const libraryName = "effect-telemetry"

/** @internal */
export const libraryVersion = "0.1.0"
