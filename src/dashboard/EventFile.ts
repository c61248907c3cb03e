/**
 * Reads a file of our events as NDJSON — one event per line, as the file and console transports write them,
 * or one wire-format batch `{ "batchId", "events": [...] }` per line, as an HTTP receiver might store them —
 * streaming it in chunks, so memory stays flat however large the file. Lines that are not JSON, not events,
 * longer than `maxLineBytes`, or cut off at the end are skipped and counted by reason; nothing throws.
 *
 * @internal
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import type { TelemetryEvent } from "../schemas/TelemetryEvent.js"

/** The file could not be opened or read. */
export class EventFileError extends Data.TaggedError("EventFileError")<{
  readonly path: string
  readonly message: string
}> {}

/** Why a line was skipped. */
export type MalformedReason = "json" | "not-an-event" | "too-long" | "truncated"

/** What reading counted. */
export interface ReadCounts {
  readonly bytes: number
  /** Lines holding something (blank lines are not counted). */
  readonly lines: number
  readonly events: number
  readonly malformed: number
  readonly malformedByReason: Readonly<Record<MalformedReason, number>>
}

/** Lines longer than this (1 MiB) are skipped as `too-long`: one runaway line must not hold the memory. */
export const defaultMaxLineBytes = 1024 * 1024

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * An event as far as the report needs one: a `type`, a finite `timestamp`, and `data` an object when present.
 * (Checked by hand rather than by Schema: a large file holds millions of lines.)
 */
export const asEvent = (u: unknown): TelemetryEvent | undefined => {
  if (!isRecord(u)) return undefined
  const { data, timestamp, type } = u
  if (typeof type !== "string" || type.length === 0 || typeof timestamp !== "number" || !Number.isFinite(timestamp)) {
    return undefined
  }
  if (data !== undefined && !isRecord(data)) return undefined
  return (data === undefined ? { ...u, data: {} } : u) as unknown as TelemetryEvent
}

/** Splits chunks into lines and each line into events, counting what it skips. */
export const makeLineReader = (onEvent: (event: TelemetryEvent) => void, maxLineBytes = defaultMaxLineBytes) => {
  const counts = {
    bytes: 0,
    lines: 0,
    events: 0,
    malformed: 0,
    malformedByReason: { json: 0, "not-an-event": 0, "too-long": 0, truncated: 0 } as Record<MalformedReason, number>
  }
  let pending: Array<Buffer> = []
  let pendingBytes = 0
  let skipping = false

  const malformed = (reason: MalformedReason) => {
    counts.malformed++
    counts.malformedByReason[reason]++
  }

  const line = (text: string, last: boolean) => {
    const trimmed = text.trim()
    if (trimmed.length === 0) return
    counts.lines++
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      // A last line without its newline that does not parse was cut off mid-write.
      return malformed(last ? "truncated" : "json")
    }
    if (isRecord(parsed) && Array.isArray(parsed["events"]) && typeof parsed["type"] !== "string") {
      let bad = 0
      for (const element of parsed["events"]) {
        const event = asEvent(element)
        if (event === undefined) bad++
        else {
          counts.events++
          onEvent(event)
        }
      }
      if (bad > 0) malformed("not-an-event")
      return
    }
    const event = asEvent(parsed)
    if (event === undefined) return malformed("not-an-event")
    counts.events++
    onEvent(event)
  }

  const take = (last: boolean) => {
    const text = Buffer.concat(pending, pendingBytes).toString("utf8")
    pending = []
    pendingBytes = 0
    line(text, last)
  }

  return {
    counts: counts as ReadCounts,
    push: (chunk: Buffer): void => {
      counts.bytes += chunk.length
      let start = 0
      while (start < chunk.length) {
        const newline = chunk.indexOf(10, start)
        const end = newline === -1 ? chunk.length : newline
        if (skipping) {
          if (newline !== -1) skipping = false
        } else if (pendingBytes + end - start > maxLineBytes) {
          pending = []
          pendingBytes = 0
          counts.lines++
          malformed("too-long")
          skipping = newline === -1
        } else {
          pending.push(chunk.subarray(start, end))
          pendingBytes += end - start
          if (newline !== -1) take(false)
        }
        if (newline === -1) break
        start = newline + 1
      }
    },
    end: (): void => {
      if (pendingBytes > 0) take(true)
      skipping = false
    }
  }
}

/** Streams the file at `path`, calling `onEvent` for each event, and returns what it counted. */
export const read = (
  path: string,
  onEvent: (event: TelemetryEvent) => void,
  options: { readonly maxLineBytes?: number } = {}
): Effect.Effect<ReadCounts, EventFileError> =>
  Effect.tryPromise({
    try: async () => {
      const info = await stat(path)
      if (!info.isFile()) throw new Error("not a file")
      const reader = makeLineReader(onEvent, options.maxLineBytes)
      for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) reader.push(chunk as Buffer)
      reader.end()
      return reader.counts
    },
    catch: (cause) => new EventFileError({ path, message: cause instanceof Error ? cause.message : String(cause) })
  })
