/**
 * The OTLP traces exporter: a bounded `SpanSink` the tracer bridge offers ended spans to, and a loop that
 * POSTs them to `/v1/traces` in batches — when a batch is full, or every `tracesInterval` — as
 * OpenTelemetry's batch span processor does. A span offered to a full queue is dropped and counted.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type { HttpTransportConfigError } from "../internal/httpOptions.js"
import { type EndpointSettings, encodingOf } from "./EndpointOptions.js"
import type { ExportCounters } from "./ExportMetrics.js"
import { makeSignalSender } from "./ExportSender.js"
import { tracesJson } from "./Json.js"
import type { Resource, SpanRecord } from "./Model.js"
import { tracesProtobuf } from "./Protobuf.js"
import { scope } from "./Resource.js"
import type { SpanSink } from "./SpanSink.js"

/** The traces exporter's settings. */
export interface TracesSettings {
  /** Spans held waiting for export; more are dropped. */
  readonly maxQueueSize: number
  /** Spans per export request. */
  readonly maxExportBatchSize: number
  /** The longest a span waits before its batch is exported. */
  readonly tracesInterval: Duration.Duration
}

/** The traces exporter's counters: its requests, and the spans it could not deliver. */
export interface SpanCounters extends ExportCounters {
  /** Spans offered to a full queue. */
  dropped: number
  /** Spans of requests given up after their retries, or rejected by the collector. */
  lost: number
}

/** A traces exporter: its sink, the loop to fork, `flush` to send everything queued, its counters. */
export interface TracesExporter {
  readonly sink: SpanSink["Type"]
  readonly loop: Effect.Effect<never>
  readonly flush: Effect.Effect<void>
  readonly counters: SpanCounters
}

/**
 * A traces exporter over the `HttpClient` in context; fails when the URL or a header cannot be used.
 *
 * @internal
 */
export const makeTracesExporter = (
  settings: EndpointSettings,
  resource: Resource,
  options: TracesSettings
): Effect.Effect<TracesExporter, HttpTransportConfigError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const sender = yield* makeSignalSender(settings, "traces")
    const json = encodingOf(settings) === "json"
    const queue = yield* Queue.dropping<SpanRecord>(options.maxQueueSize)
    const fullBatch = yield* Queue.sliding<void>(1)
    const counters: SpanCounters = { exported: 0, failed: 0, dropped: 0, lost: 0 }

    // `span.end` is synchronous: offering must be too (`Queue.unsafeOffer`, no fiber).
    const sink: SpanSink["Type"] = {
      offer: (span) => {
        if (!queue.unsafeOffer(span)) {
          counters.dropped++
          return false
        }
        if (Option.getOrElse(queue.unsafeSize(), () => 0) >= options.maxExportBatchSize) fullBatch.unsafeOffer(undefined)
        return true
      }
    }

    const exportSpans = (spans: ReadonlyArray<SpanRecord>) =>
      Effect.gen(function*() {
        const body = yield* Effect.try(() =>
          json ? new TextEncoder().encode(tracesJson(resource, scope, spans)) : tracesProtobuf(resource, scope, spans)
        )
        const receipt = yield* sender.send(body)
        const rejected = receipt === undefined ? 0 : Math.min(spans.length, Math.max(0, Math.floor(receipt.rejected)))
        yield* Effect.sync(() => {
          counters.exported++
          counters.lost += rejected
        })
        if (receipt !== undefined && (rejected > 0 || receipt.message !== undefined)) {
          yield* Effect.logWarning("telemetry spans partly rejected by the collector").pipe(
            Effect.annotateLogs({ spans: spans.length, rejected, reason: receipt.message ?? "" })
          )
        }
      }).pipe(
        Effect.catchAll((error) =>
          Effect.zipRight(
            Effect.sync(() => {
              counters.failed++
              counters.lost += spans.length
            }),
            Effect.logWarning("telemetry spans export failed; the spans are lost").pipe(
              Effect.annotateLogs({ spans: spans.length, reason: error instanceof Error ? error.message : String(error) })
            )
          )
        )
      )

    const flush: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const spans = yield* Queue.takeUpTo(queue, options.maxExportBatchSize)
        if (spans.length === 0) return
        yield* exportSpans(Array.from(spans))
      }
    })

    const loop = Effect.forever(
      Effect.zipRight(Effect.raceFirst(Queue.take(fullBatch), Effect.sleep(options.tracesInterval)), flush)
    )

    return { sink, loop, flush, counters }
  })
