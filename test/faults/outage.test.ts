/**
 * Fault suite, scenario 1: the receiver is down for 60 simulated seconds while 1,000 events a second are
 * tracked, then comes back. Real loopback HTTP and real undici sockets; time is simulated by the rig in
 * `support/Loopback.ts`, which moves the `TestClock` from timer to timer and only once the I/O a timer
 * started has finished — so retry and probe times are exact and nothing depends on the machine's speed.
 *
 * Events are tracked in one burst per simulated second, so the buffer is sized for a burst
 * (`maxBufferSize: 10,000`); every other setting is the production default (batches of 50, 5 attempts
 * from 500 ms doubling, probes backing off up to 30 s, flush every 30 s, 10 s request timeout).
 */
import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Logger, LogLevel, Random } from "effect"
import * as TestServer from "../support/TestServer.js"
import { report } from "./support/Figures.js"
import * as Loopback from "./support/Loopback.js"
import { faultTestTimeout } from "./support/Timeouts.js"

const perSecond = 1_000
const healthySeconds = 5
const outageSeconds = 60
const afterSeconds = 10
const total = perSecond * (healthySeconds + outageSeconds + afterSeconds)

type Outage = "refused" | "503"

const scenario = (outage: Outage, outbox: "disk" | "memory") =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const folder = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-outage-" })
    const rig = yield* Loopback.start({
      maxBufferSize: 10_000,
      ...(outbox === "disk" ? { outboxFolder: folder } : {})
    })
    let n = 0
    /** One simulated second: a burst of 1,000 events, then time moves on by a second. */
    const second = Effect.gen(function*() {
      for (let i = 0; i < perSecond; i++) {
        yield* rig.collector.track({ type: "chat.message", data: { n: n++, role: "user", latencyMs: 120 + (i % 64) } })
      }
      yield* rig.advance("1 second")
    })

    for (let s = 0; s < healthySeconds; s++) yield* second
    expect(yield* rig.stats).toMatchObject({ sent: healthySeconds * perSecond, offline: false })

    const downAt = yield* Clock.currentTimeMillis
    if (outage === "refused") yield* rig.server.down
    else yield* rig.server.always(TestServer.respond(503, { "content-type": "text/plain" }, "maintenance"))
    for (let s = 0; s < outageSeconds; s++) yield* second
    const during = yield* rig.stats
    expect(Loopback.balanced(during)).toBe(true)
    expect(during).toMatchObject({ offline: true, sent: healthySeconds * perSecond, buffered: 0 })
    expect(during.outboxed).toBe(outageSeconds * perSecond)
    expect(during.dropped.total).toBe(0)

    const upAt = yield* Clock.currentTimeMillis
    if (outage === "refused") yield* rig.server.up
    else yield* rig.server.always(TestServer.respond(200))
    let drainWallMillis = 0
    for (let s = 0; s < afterSeconds; s++) {
      const outboxedBefore = (yield* rig.stats).outboxed
      const started = performance.now()
      yield* second
      if (outboxedBefore > 0 && (yield* rig.stats).outboxed === 0) drainWallMillis = performance.now() - started
    }
    expect((yield* rig.stats).outboxed).toBe(0) // the first probe after recovery came within 10 s
    yield* rig.collector.flush

    // every event arrived, none twice, in batches each delivered once
    const delivered = yield* rig.delivered
    const ids = delivered.flatMap((p) => p.events.map((e) => e.id))
    expect(ids.length).toBe(total)
    expect(new Set(ids).size).toBe(total)
    expect(new Set(delivered.map((p) => p.batchId)).size).toBe(delivered.length)
    const ns = delivered.flatMap((p) => p.events.map((e) => e.data.n as number)).sort((a, b) => a - b)
    expect(ns).toEqual(Array.from({ length: total }, (_, i) => i))
    const after = yield* rig.stats
    expect(after).toMatchObject({ accepted: total, sent: total, buffered: 0, outboxed: 0, offline: false })
    expect(after.dropped.total).toBe(0)
    expect(Loopback.balanced(after)).toBe(true)

    // The first probe after recovery succeeded and the whole outbox — the outage plus the bursts tracked
    // while waiting for that probe — drained at that instant (I/O takes no simulated time), oldest first.
    const attempts = yield* rig.attempts
    const probeAt = attempts.find((a) => a.sentAt >= upAt && a.status === 200)!.sentAt
    const drained = attempts.filter((a) => a.sentAt === probeAt && a.status === 200)
    const drainedNs = drained.flatMap((a) => a.events.map((e) => e.data.n as number))
    const waitedSeconds = Math.ceil((probeAt - upAt) / 1000)
    expect(drainedNs).toEqual(
      Array.from({ length: during.outboxed + waitedSeconds * perSecond }, (_, i) => healthySeconds * perSecond + i)
    )

    yield* report(`outage (${outage}, outbox ${outbox})`, {
      events: total,
      lost: total - new Set(ids).size,
      duplicates: ids.length - new Set(ids).size,
      outboxedAtRecovery: during.outboxed,
      firstProbeAfterRecovery: `${(probeAt - upAt) / 1000} s simulated`,
      drained: `${drainedNs.length} events in ${drained.length} batches`,
      drainWall: `${Math.round(drainWallMillis)} ms`
    })
    return { attempts, downAt, upAt, probeAt }
  }).pipe(
    Effect.withRandom(Random.fixed([0.5])), // jitter ×1: the delays are exactly the schedule's
    Logger.withMinimumLogLevel(LogLevel.Error),
    Effect.provide(NodeContext.layer)
  )

describe("fault: receiver down for 60 s at 1,000 events/s", () => {
  it.scoped("connection refused, outbox on disk: after recovery every event arrives exactly once", () =>
    Effect.gen(function*() {
      const { attempts, downAt } = yield* scenario("refused", "disk")
      // refused connections never reach the server: it saw only the deliveries
      expect(attempts.filter((a) => a.sentAt >= downAt).every((a) => a.status === 200)).toBe(true)
    }), faultTestTimeout)

  it.scoped("503 answers, outbox in memory: retries, then probes backing off to 30 s, then a full drain", () =>
    Effect.gen(function*() {
      const { attempts, downAt, probeAt, upAt } = yield* scenario("503", "memory")
      const failed = attempts.filter((a) => a.status === 503)
      const at = failed.map((a) => (a.sentAt - downAt) / 1000)
      // The first batch of the outage is tried at once and retried after 0.5, 1 and 2 s; during the 4 s wait
      // the buffer passes 75 % (7 bursts of 1,000), so it is stored at 7 s and the collector goes offline.
      // Probes then back off 0.5, 1, 2, 4, 8, 16 s and stay at the 30 s cap.
      expect(at).toEqual([0, 0.5, 1.5, 3.5, 7.5, 8.5, 10.5, 14.5, 22.5, 38.5])
      expect(new Set(failed.map((a) => a.batchId)).size).toBe(1) // every attempt, the same oldest batch
      expect((probeAt - downAt) / 1000).toBe(68.5)
      expect(probeAt).toBeGreaterThanOrEqual(upAt)
    }), faultTestTimeout)
})
