/**
 * What a resource snapshot holds: memory, the event loop and the connection, as far as the runtime tells.
 * The data of a `performance.resource` event.
 */
import * as Schema from "effect/Schema"

/** An optional field that, when present, holds a value (never `undefined`), so the data stays JSON. */
const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })

/** Bytes of memory; on Node from `process.memoryUsage()`, in Chromium from `performance.memory`. */
export const MemoryUsage = Schema.Struct({
  heapUsed: optional(Schema.Number),
  heapTotal: optional(Schema.Number),
  /** Browser only: `jsHeapSizeLimit`. */
  heapLimit: optional(Schema.Number),
  rss: optional(Schema.Number),
  external: optional(Schema.Number),
  arrayBuffers: optional(Schema.Number)
}).annotations({ identifier: "MemoryUsage" })
export type MemoryUsage = typeof MemoryUsage.Type

/** Node's event loop since the previous snapshot: delay percentiles (ms) and utilization (0–1). */
export const EventLoopUsage = Schema.Struct({
  delayMeanMs: optional(Schema.Number),
  delayP50Ms: optional(Schema.Number),
  delayP99Ms: optional(Schema.Number),
  delayMaxMs: optional(Schema.Number),
  utilization: optional(Schema.Number)
}).annotations({ identifier: "EventLoopUsage" })
export type EventLoopUsage = typeof EventLoopUsage.Type

/** The browser's `navigator.connection`, where it exists. */
export const ConnectionInfo = Schema.Struct({
  effectiveType: optional(Schema.String),
  downlinkMbps: optional(Schema.Number),
  rttMs: optional(Schema.Number),
  saveData: optional(Schema.Boolean)
}).annotations({ identifier: "ConnectionInfo" })
export type ConnectionInfo = typeof ConnectionInfo.Type

/** What the runtime reports about its resources; anything it cannot tell is absent. */
export const ResourceSnapshot = Schema.Struct({
  memory: optional(MemoryUsage),
  eventLoop: optional(EventLoopUsage),
  connection: optional(ConnectionInfo)
}).annotations({ identifier: "ResourceSnapshot" })
export type ResourceSnapshot = typeof ResourceSnapshot.Type
