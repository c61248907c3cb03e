/**
 * Fault suite, scenario 4: a process killed with SIGKILL (no finalizer runs) loses at most what it held
 * in memory — `stats.buffered` at the kill: events in the buffer or in a send or outbox write under way,
 * at most `maxBufferSize + maxBatchSize` — and the next process delivers everything the outbox holds.
 * Real child processes and folders, real time (`it.scopedLive`); every wait is bounded.
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

/** Starts a process over the same outbox folder with a working receiver and waits until it has delivered everything. */
const restartAndDrain = (env: Readonly<Record<string, string>>, server: TestServer.TestServer) =>
  Effect.gen(function*() {
    // the same receiver, back (batches are only re-sent to the endpoint they were stored for)
    yield* server.up
    const second = yield* Child.tracker({ ...env, FAULT_UNTIL: "drained" })
    const drained = yield* second.phase("drained")
    expect(yield* second.exit).toEqual({ code: 0, signal: null })
    const ns = (yield* server.received)
      .filter((r) => r.status === 200)
      .flatMap((r) => decode(r.json).events.map((e) => e.data.n as number))
    return { drained, ns }
  })

const range = (length: number) => Array.from({ length }, (_, n) => n)

describe("fault: hard kill", () => {
  it.scopedLive("SIGKILL while idle loses exactly the buffered events; the next process delivers the rest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-kill-" })
      const server = yield* TestServer.make
      yield* server.down // the receiver is down: connections are refused
      const events = 1_150
      const env = {
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: server.url,
        TELEMETRY_OUTBOX_DIR: outboxDir,
        TELEMETRY_MAX_BATCH_SIZE: "200",
        // one attempt, then no probe and no timed flush for an hour: after its burst the process is idle,
        // so what it reports is exactly what it holds when it is killed
        TELEMETRY_MAX_ATTEMPTS: "1",
        TELEMETRY_RETRY_BASE_DELAY: "1 hour",
        TELEMETRY_RETRY_MAX_DELAY: "1 hour",
        TELEMETRY_FLUSH_INTERVAL: "1 hour"
      }
      const first = yield* Child.tracker({ ...env, FAULT_EVENTS: String(events) })
      const ready = yield* first.phase("ready")
      // full batches went to the outbox as soon as they filled; the last 150 events wait in memory
      expect(ready).toMatchObject({ accepted: events, sent: 0, outboxed: 1_000, buffered: 150, offline: true })
      expect(ready.dropped.total).toBe(0)
      yield* first.kill("SIGKILL")
      expect(yield* first.exit).toEqual({ code: null, signal: "SIGKILL" })

      const { drained, ns } = yield* restartAndDrain(env, server)
      expect(drained).toMatchObject({ restored: 1_000, sent: 1_000, outboxed: 0 })
      expect(drained.dropped.total).toBe(0)
      expect(ns).toEqual(range(1_000))
      const lost = events - ns.length
      expect(lost).toBe(ready.buffered)
      expect(lost).toBeLessThanOrEqual(1_000) // maxBufferSize (default)

      yield* report("hard kill (SIGKILL, idle)", { events, lost, bufferedAtKill: ready.buffered, delivered: ns.length })
    }).pipe(Effect.provide(NodeContext.layer)), faultTestTimeout)

  it.scopedLive("SIGKILL in the middle of spilling a burst loses at most what was buffered; start-up still works", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-kill-" })
      const server = yield* TestServer.make
      yield* server.down
      const events = 5_000
      const env = {
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: server.url,
        TELEMETRY_OUTBOX_DIR: outboxDir,
        TELEMETRY_MAX_BUFFER_SIZE: "10000",
        TELEMETRY_MAX_ATTEMPTS: "1"
      }
      const first = yield* Child.tracker({ ...env, FAULT_EVENTS: String(events), FAULT_REPORT_STORED: "1" })
      // killed as soon as it reports its first batch stored, while the rest are still being written
      const tracked = yield* first.phase("stored")
      yield* first.kill("SIGKILL")
      expect(yield* first.exit).toEqual({ code: null, signal: "SIGKILL" })
      expect(tracked).toMatchObject({ accepted: events, sent: 0 })
      expect(tracked.outboxed).toBeGreaterThan(0)
      expect(tracked.buffered).toBeGreaterThan(0)
      expect(tracked.dropped.total).toBe(0)

      const { drained, ns } = yield* restartAndDrain(env, server)
      // what survived is the oldest part of the burst, each event once; a batch torn by the kill is
      // skipped and counted as corrupted, never blocking start-up
      expect(ns).toEqual(range(ns.length))
      expect(ns.length).toBeGreaterThanOrEqual(tracked.outboxed)
      expect(drained.restored).toBe(ns.length + drained.dropped.corrupted)
      const lost = events - ns.length
      expect(lost).toBeLessThanOrEqual(tracked.buffered)
      expect(tracked.buffered).toBeLessThanOrEqual(10_000 + 50) // maxBufferSize + maxBatchSize

      yield* report("hard kill (SIGKILL, mid-spill)", {
        events,
        lost,
        bufferedAtLastReport: tracked.buffered,
        outboxedAtLastReport: tracked.outboxed,
        delivered: ns.length,
        corruptedOnRestart: drained.dropped.corrupted
      })
    }).pipe(Effect.provide(NodeContext.layer)), faultTestTimeout)
})
