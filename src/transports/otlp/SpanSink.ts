/**
 * Where ended spans go to be exported over OTLP (`/v1/traces`). The OTLP layer provides it when trace
 * export is on; the tracer bridge offers each span it sees, synchronously (a span ends inside
 * `span.end`, which cannot run effects). Bounded: a span offered to a full sink is dropped and counted.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type { SpanRecord } from "./Model.js"

/**
 * A bounded, synchronous queue of spans waiting for export.
 *
 * @internal
 */
export class SpanSink extends Context.Tag("effect-telemetry/SpanSink")<SpanSink, {
  /** Queues one ended span; false (and counted as dropped) when the queue is full. */
  readonly offer: (span: SpanRecord) => boolean
}>() {}
