/**
 * Fault suite, scenario 3: a process stopped with SIGTERM while the receiver is down keeps everything in
 * its outbox folder, and the next process with the same `TELEMETRY_OUTBOX_DIR` delivers all of it, under
 * the same batch and event ids. Real child processes (`fixtures/tracker.ts`, configured only through
 * `TELEMETRY_*` variables and `TelemetryLive`), a real loopback server, a real temporary folder — so
 * this suite runs in real time (`it.scopedLive`); every wait is bounded.
 */
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { BatchPayload } from "../../src/schemas/TelemetryEvent.js"
import * as TestServer from "../support/TestServer.js"
import { faultTestTimeout } from "./support/Timeouts.js"
import * as Child from "./support/Child.js"
import { report } from "./support/Figures.js"

const decode = Schema.decodeUnknownSync(BatchPayload)

describe("fault: process restart", () => {
  it.scopedLive("SIGTERM with the receiver down stores everything; the next process delivers all of it, ids unchanged", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-restart-" })
      const server = yield* TestServer.make
      yield* server.always(TestServer.respond(503, {}, "down for maintenance"))
      const events = 2_026 // 40 full batches of 50, and 26 events more
      const env = {
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: server.url,
        TELEMETRY_OUTBOX_DIR: outboxDir,
        TELEMETRY_MAX_BUFFER_SIZE: "10000",
        TELEMETRY_MAX_ATTEMPTS: "2",
        TELEMETRY_RETRY_BASE_DELAY: "10 millis",
        TELEMETRY_RETRY_MAX_DELAY: "200 millis"
      }

      const first = yield* Child.tracker({ ...env, FAULT_EVENTS: String(events), FAULT_RUN: "first" })
      const ready = yield* first.phase("ready")
      // the full batches are in the outbox; the last 26 events too if a probe came before this report
      expect(ready).toMatchObject({ accepted: events, sent: 0, offline: true })
      expect(ready.outboxed + ready.buffered).toBe(events)
      expect(ready.buffered === 26 || ready.buffered === 0).toBe(true)
      yield* first.kill("SIGTERM")
      const stopped = yield* first.exit
      expect(stopped).toEqual({ code: 0, signal: null }) // a clean exit through runMain, not death by signal
      const triedByFirst = (yield* server.received).map((r) => decode(r.json))
      expect(triedByFirst.length).toBeGreaterThanOrEqual(2) // the failed batch, its retry, probes, the final probe

      yield* server.always(TestServer.respond(200))
      const started = performance.now()
      const second = yield* Child.tracker({ ...env, FAULT_UNTIL: "drained" })
      const drained = yield* second.phase("drained")
      const drainWall = performance.now() - started
      expect(yield* second.exit).toEqual({ code: 0, signal: null })

      expect(drained).toMatchObject({ restored: events, accepted: events, sent: events, outboxed: 0, buffered: 0 })
      expect(drained.dropped.total).toBe(0)
      const delivered = (yield* server.received).filter((r) => r.status === 200).map((r) => decode(r.json))
      const deliveredEvents = delivered.flatMap((p) => p.events)
      expect(deliveredEvents.map((e) => e.data.n)).toEqual(Array.from({ length: events }, (_, n) => n))
      expect(deliveredEvents.every((e) => e.data.run === "first")).toBe(true)
      expect(new Set(deliveredEvents.map((e) => e.id)).size).toBe(events)
      // what the first process attempted arrives under the same batch id, with the same event ids
      const byBatch = new Map(delivered.map((p) => [p.batchId, p.events.map((e) => e.id).join()]))
      for (const tried of triedByFirst) {
        expect(byBatch.get(tried.batchId)).toBe(tried.events.map((e) => e.id).join())
      }

      yield* report("restart (SIGTERM, receiver down)", {
        events,
        lost: events - new Set(deliveredEvents.map((e) => e.id)).size,
        restored: drained.restored,
        batches: delivered.length,
        secondProcessWall: `${Math.round(drainWall)} ms (start-up included)`
      })
    }).pipe(Effect.provide(NodeContext.layer)), faultTestTimeout)

  it.scopedLive("SIGTERM while the receiver hangs: the final flush gives up at the shutdown timeout and stores the rest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-restart-" })
      const server = yield* TestServer.make
      yield* server.always(TestServer.hang)
      const events = 1_026
      const env = {
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: server.url,
        TELEMETRY_OUTBOX_DIR: outboxDir,
        TELEMETRY_MAX_BUFFER_SIZE: "10000",
        TELEMETRY_SHUTDOWN_TIMEOUT: "500 millis",
        // Far beyond the bound below, so a loaded machine's slow exit is never taken for a wait on the request.
        TELEMETRY_REQUEST_TIMEOUT: "2 minutes"
      }
      const first = yield* Child.tracker({ ...env, FAULT_EVENTS: String(events) })
      const tracked = yield* first.phase("tracked")
      // the first batch is stuck in a hung request; everything else waits in memory
      expect(tracked).toMatchObject({ accepted: events, sent: 0, outboxed: 0, buffered: events })
      const signalled = performance.now()
      yield* first.kill("SIGTERM")
      expect(yield* first.exit).toEqual({ code: 0, signal: null })
      const shutdownMillis = performance.now() - signalled
      expect(shutdownMillis).toBeLessThan(60_000) // not the 2 minutes of even one request timeout

      yield* server.always(TestServer.respond(200))
      const second = yield* Child.tracker({ ...env, FAULT_UNTIL: "drained" })
      const drained = yield* second.phase("drained")
      expect(yield* second.exit).toEqual({ code: 0, signal: null })
      expect(drained).toMatchObject({ restored: events, sent: events, outboxed: 0 })
      const ns = (yield* server.received)
        .filter((r) => r.status === 200)
        .flatMap((r) => decode(r.json).events.map((e) => e.data.n as number))
      expect(ns).toEqual(Array.from({ length: events }, (_, n) => n))

      yield* report("restart (SIGTERM, receiver hanging)", {
        events,
        lost: events - new Set(ns).size,
        shutdown: `${Math.round(shutdownMillis)} ms from SIGTERM to exit (shutdown timeout 500 ms)`
      })
    }).pipe(Effect.provide(NodeContext.layer)), faultTestTimeout)
})
