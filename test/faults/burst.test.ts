/**
 * Fault suite, scenario 5: the receiver stalls (accepts requests and never answers) while a program
 * tracks 1,000,000 events as fast as it can. Memory must stay bounded — the buffer holds at most
 * `maxBufferSize` events, the on-disk outbox keeps only its small index in memory — and every event
 * that cannot be kept must be counted by reason. Production defaults throughout (buffer 1,000, outbox
 * 100,000 events / 32 MiB on disk, 10 s request timeout); real HTTP and folder, simulated time.
 *
 * Heap is read with `process.memoryUsage().heapUsed`: sampled every 10,000 events for the peak (garbage
 * included), and after a forced collection for what is retained.
 */
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Random } from "effect"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as TestServer from "../support/TestServer.js"
import { mb, report } from "./support/Figures.js"
import * as Loopback from "./support/Loopback.js"
import { faultTestTimeout } from "./support/Timeouts.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void
const heapUsed = () => process.memoryUsage().heapUsed
const retained = () => {
  gc()
  return heapUsed()
}

const burst = 1_000_000

const cases = [
  { outbox: "on disk", options: {} },
  // in memory the outbox keeps up with the burst, so it fills and evicts its oldest batches
  { outbox: "in memory, 20,000 events", options: { outboxMaxEvents: 20_000 } }
] as const

describe("fault: stalled receiver under a burst", () => {
  for (const { options, outbox } of cases) {
  it.scoped(`1,000,000 events into a hung receiver, outbox ${outbox}: heap stays bounded, every drop counted exactly`, () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-burst-" })
      const rig = yield* Loopback.start(outbox === "on disk" ? { outboxFolder: folder } : options)
      yield* rig.server.always(TestServer.hang)
      // The outage is found first: a receiver is only taken for dead once a batch has failed (here, every
      // attempt timing out), never because the buffer fills during a first attempt. The burst then meets
      // an offline collector, which moves full batches to the outbox as fast as it takes them.
      for (let n = 0; n < 50; n++) yield* rig.collector.track({ type: "chat.message", data: { n: -1 - n } })
      yield* rig.advanceUntil(Effect.map(rig.stats, (x) => x.offline && x.buffered === 0))

      const baseline = retained()
      let peak = 0
      let retainedEarly = 0
      const started = performance.now()
      for (let n = 0; n < burst; n++) {
        yield* rig.collector.track({
          type: "chat.message",
          data: { n, role: "assistant", model: "gpt-4o", latencyMs: 120 + (n & 63), prompt_tokens: 52, ok: true }
        })
        if (n % 10_000 === 0) peak = Math.max(peak, heapUsed() - baseline)
        if (n === burst / 10) retainedEarly = retained() - baseline
      }
      const burstMillis = performance.now() - started
      yield* rig.quiet
      const retainedLate = retained() - baseline

      const s = yield* rig.stats
      expect(s).toMatchObject({ accepted: burst + 50, sent: 0, offline: true })
      expect(Loopback.balanced(s)).toBe(true)
      expect(s.dropped.bufferOverflow + s.dropped.outboxFull).toBe(burst + 50 - s.buffered - s.outboxed)
      expect(s.buffered).toBeLessThanOrEqual(1_000)
      // Bounded: what the collector holds after 100,000 events is what it holds after 1,000,000. Were the
      // buffer unbounded, 900,000 more events would retain hundreds of MiB.
      expect(retainedLate - retainedEarly).toBeLessThan(8 * 1024 * 1024)
      // The peak includes garbage not yet collected (index rewrites, encoded batches): a loose sanity bound.
      expect(peak).toBeLessThan(256 * 1024 * 1024)

      // The receiver recovers: exactly the events not counted as dropped arrive, each once.
      yield* rig.server.always(TestServer.respond(200))
      yield* rig.advanceUntil(Effect.map(rig.stats, (x) => x.buffered === 0 && x.outboxed === 0))
      const ids = (yield* rig.delivered).flatMap((p) => p.events.map((e) => e.id))
      expect(new Set(ids).size).toBe(ids.length)
      expect(ids.length).toBe(burst + 50 - s.dropped.total)
      const after = yield* rig.stats
      expect(after).toMatchObject({ sent: ids.length, buffered: 0, outboxed: 0 })
      expect(after.dropped).toEqual(s.dropped)
      expect(Loopback.balanced(after)).toBe(true)

      yield* report(`stalled receiver, 1,000,000-event burst (outbox ${outbox})`, {
        burstWall: `${Math.round(burstMillis)} ms`,
        peakHeapDelta: mb(peak),
        retainedAfter100k: mb(retainedEarly),
        retainedAfter1M: mb(retainedLate),
        bufferOverflow: s.dropped.bufferOverflow,
        outboxFull: s.dropped.outboxFull,
        keptInOutbox: s.outboxed,
        keptInBuffer: s.buffered,
        deliveredAfterRecovery: ids.length,
        lostUncounted: burst + 50 - ids.length - s.dropped.total
      })
    }).pipe(
      Effect.withRandom(Random.fixed([0.5])),
      Logger.withMinimumLogLevel(LogLevel.Error),
      Effect.provide(NodeContext.layer)
    ), faultTestTimeout)
  }
})
