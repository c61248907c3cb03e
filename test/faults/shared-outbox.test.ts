/**
 * Fault suite, scenario: several processes share one outbox folder (cluster workers, overlapping cron jobs,
 * replicas on one volume — the default `.telemetry/outbox` is shared by all of them). Three processes track
 * events while the receiver is down; two stop gracefully (SIGTERM), one is killed (SIGKILL); the next process
 * delivers every stored event exactly once and leaves no file behind. Real child processes
 * (`fixtures/tracker.ts`), a real loopback server and a real folder, in real time; every wait is bounded.
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

describe("fault: processes sharing one outbox folder", () => {
  it.scopedLive("three processes store while the receiver is down; the next one delivers all 360 events once, no orphan left", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-shared-" })
      const server = yield* TestServer.make
      yield* server.down // connections refused
      const perProcess = 120
      const env = {
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: server.url,
        TELEMETRY_OUTBOX_DIR: outboxDir,
        // three full batches per process, each stored as soon as it fills; then idle: one attempt, no probe
        TELEMETRY_MAX_BATCH_SIZE: "40",
        TELEMETRY_MAX_ATTEMPTS: "1",
        TELEMETRY_RETRY_BASE_DELAY: "1 hour",
        TELEMETRY_RETRY_MAX_DELAY: "1 hour",
        TELEMETRY_FLUSH_INTERVAL: "1 hour"
      }
      const runs = ["a", "b", "c"]
      const writers = yield* Effect.forEach(
        runs,
        (run) => Child.tracker({ ...env, FAULT_EVENTS: String(perProcess), FAULT_RUN: run }),
        { concurrency: "unbounded" }
      )
      const ready = yield* Effect.forEach(writers, (w) => w.phase("ready"), { concurrency: "unbounded" })
      for (const stats of ready) {
        expect(stats).toMatchObject({ accepted: perProcess, sent: 0, outboxed: perProcess, buffered: 0 })
      }
      // two stop gracefully, one crashes: its folder is adopted because its pid is gone
      yield* writers[0]!.kill("SIGTERM")
      yield* writers[1]!.kill("SIGTERM")
      yield* writers[2]!.kill("SIGKILL")
      const exits = yield* Effect.forEach(writers, (w) => w.exit)
      expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }, { code: null, signal: "SIGKILL" }])

      yield* server.up
      const reader = yield* Child.tracker({ ...env, FAULT_UNTIL: "drained" })
      const drained = yield* reader.phase("drained")
      expect(yield* reader.exit).toEqual({ code: 0, signal: null })
      expect(drained).toMatchObject({ restored: 3 * perProcess, sent: 3 * perProcess, outboxed: 0, buffered: 0 })
      expect(drained.dropped.total).toBe(0)

      const delivered = (yield* server.received).filter((r) => r.status === 200).flatMap((r) => decode(r.json).events)
      const keys = delivered.map((e) => `${e.data.run}:${e.data.n}`)
      expect(new Set(keys).size).toBe(keys.length) // each event once
      expect(new Set(delivered.map((e) => e.id)).size).toBe(delivered.length)
      expect(keys.sort()).toEqual(
        runs.flatMap((run) => Array.from({ length: perProcess }, (_, n) => `${run}:${n}`)).sort()
      )
      // nothing left on disk: no orphan batch file, no stale process folder
      const left: Array<string> = []
      for (const name of yield* fs.readDirectory(outboxDir, { recursive: true })) {
        if ((yield* fs.stat(`${outboxDir}/${name}`)).type === "File") left.push(name)
      }
      expect(left).toEqual([])

      yield* report("shared outbox folder (3 processes, receiver down, then 1 with it up)", {
        events: 3 * perProcess,
        delivered: new Set(keys).size,
        duplicates: keys.length - new Set(keys).size,
        restored: drained.restored,
        filesLeft: left.length
      })
    }).pipe(Effect.provide(NodeContext.layer)), faultTestTimeout)
})
