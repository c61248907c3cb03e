import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as EventFile from "../../src/dashboard/EventFile.js"
import type { TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"

const event = (i: number) =>
  JSON.stringify({ id: `e${i}`, type: "chat.message", kind: "custom", timestamp: 1_700_000_000_000 + i, sessionId: "s", data: { i } })

/** Reads `text` pushed in the given chunk sizes; returns the events' ids and the counts. */
const readChunks = (text: string, sizes: ReadonlyArray<number> = [text.length], maxLineBytes?: number) => {
  const ids: Array<string> = []
  const reader = EventFile.makeLineReader((e: TelemetryEvent) => ids.push(e.id), maxLineBytes)
  const bytes = Buffer.from(text)
  let at = 0
  for (let k = 0; at < bytes.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length]!)
    reader.push(bytes.subarray(at, at + size))
    at += size
  }
  reader.end()
  return { ids, counts: reader.counts }
}

describe("EventFile", () => {
  it("skips and counts lines that are not JSON, not events, or cut off at the end; blank lines are ignored", () => {
    const text = [event(1), "not json", "", "{\"type\":42,\"timestamp\":1}", "[1,2]", event(2), "   ", "{\"id\":\"e3\",\"ty"].join("\n")
    const { counts, ids } = readChunks(text)
    expect(ids).toEqual(["e1", "e2"])
    expect(counts).toMatchObject({
      lines: 6,
      events: 2,
      malformed: 4,
      malformedByReason: { json: 1, "not-an-event": 2, truncated: 1, "too-long": 0 }
    })
  })

  it("a line longer than maxLineBytes is skipped as too-long, and the next lines are read", () => {
    const long = JSON.stringify({ type: "x", timestamp: 1, data: { blob: "y".repeat(5_000) } })
    const { counts, ids } = readChunks([event(1), long, event(2), long].join("\n") + "\n", [700], 1_024)
    expect(ids).toEqual(["e1", "e2"])
    expect(counts.malformedByReason["too-long"]).toBe(2)
    expect(counts.malformed).toBe(2)
  })

  it("wire-format batches, one per line, give their events; a bad event in a batch counts its line once", () => {
    const batch = (ids: ReadonlyArray<number>) => `{"batchId":"b","sentAt":1,"events":[${ids.map(event).join(",")}]}`
    const { counts, ids } = readChunks([batch([1, 2]), batch([3]), `{"batchId":"c","events":[${event(4)},{"nope":1}]}`].join("\n"))
    expect(ids).toEqual(["e1", "e2", "e3", "e4"])
    expect(counts).toMatchObject({ lines: 3, events: 4, malformed: 1 })
  })

  it("however the file is cut into chunks, the same events and counts come out", () => {
    const text = [event(1), "garbage", event(2), event(3), "{\"type\":\"a\"}", event(4)].join("\r\n") + "\n"
    const whole = readChunks(text)
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (sizes) => {
      expect(readChunks(text, sizes)).toEqual(whole)
    }))
  })

  it.effect("read streams a file; a missing file fails with EventFileError naming it", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "event-file-"))
      const file = Path.join(dir, "events.ndjson")
      Fs.writeFileSync(file, Array.from({ length: 5_000 }, (_, i) => event(i)).join("\n") + "\n{broken")
      let n = 0
      const counts = yield* EventFile.read(file, () => void n++)
      expect(n).toBe(5_000)
      expect(counts).toMatchObject({ events: 5_000, malformed: 1, bytes: Fs.statSync(file).size })
      const missing = yield* Effect.exit(EventFile.read(Path.join(dir, "nope.ndjson"), () => undefined))
      expect(missing).toMatchObject(Exit.fail({ _tag: "EventFileError", path: Path.join(dir, "nope.ndjson") }))
      Fs.rmSync(dir, { recursive: true, force: true })
    }))
})
