/**
 * The fault suite's rig: the collector over the real HTTP transport (the Node layers' undici client) and a
 * real loopback server, in simulated time.
 *
 * Why not plain `TestClock.adjust`: sockets answer in real time, and `adjust` fires timers without
 * waiting for them. Were the clock moved while a request was under way, its request timeout could fire
 * although the server had answered — a duplicate the code under test did not cause — and every retry
 * delay would stretch by however long the I/O happened to take. So the rig runs a discrete-event
 * simulation: it moves the clock only to the next pending timer, and only once the collector is quiet —
 * no fiber ready to run (a counting `Scheduler` sees every resumption) and no HTTP request or outbox
 * operation under way, except requests the server is deliberately leaving unanswered (a hang), whose
 * timeouts are what a test wants to fire. I/O thus takes no simulated time, every timer fires at its
 * exact instant, and outcomes do not depend on the machine's speed. Waiting for I/O is the only real
 * waiting, and it is bounded by progress, not by total time (`stallDeadline`): a drain of thousands of
 * requests may take a minute on a loaded machine, but no single step of it may stall.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Chunk, Clock, Context, Duration, Effect, Fiber, FiberRef, Layer, type Scheduler, Schema, TestClock } from "effect"
import { layerNodeOutbox, layerWithTransport, outboxOptions } from "../../../src/layers/TelemetryLive.js"
import * as UndiciClient from "../../../src/layers/UndiciClient.js"
import { fromOptions, type TelemetryConfig, type TelemetryOptions } from "../../../src/schemas/TelemetryConfig.js"
import { type BatchPayload, BatchPayload as BatchPayloadSchema } from "../../../src/schemas/TelemetryEvent.js"
import * as Outbox from "../../../src/services/Outbox.js"
import { TelemetryCollector } from "../../../src/services/TelemetryCollector.js"
import { Transport } from "../../../src/transports/Transport.js"
import * as TestServer from "../../support/TestServer.js"

/** Header carrying a number unique to each HTTP attempt, so a hung request can be told from a pending one. */
const attemptHeader = "x-fault-attempt"

/**
 * How long the collector's I/O may go without any operation finishing (and with no fiber ready to run)
 * before the rig gives up on it: a request or outbox operation stuck that long is a bug, not a slow machine.
 * It bounds each step, not the whole wait, which grows with the work under way and with the machine's load.
 */
const stallDeadline = 20_000

/** What the collector has under way right now. Plain fields: only synchronous code touches them. */
class InFlight {
  sends = 0
  storage = 0
  attempts = new Set<string>()
  nextAttempt = 0
  /** Sends, outbox operations and HTTP attempts finished so far: how `quiet` tells slow I/O from stuck I/O. */
  finished = 0
  /** Whether everything under way is an HTTP attempt the server is leaving unanswered. */
  idleBut(hanging: ReadonlyArray<TestServer.ReceivedRequest>): boolean {
    if (this.storage > 0) return false
    let parked = 0
    for (const request of hanging) {
      const id = request.headers[attemptHeader]
      if (typeof id === "string" && this.attempts.has(id)) parked++
    }
    return this.sends === parked
  }
}

/**
 * The scheduler in use, counting tasks — fiber starts, resumptions after I/O, yields — scheduled but not
 * yet run. A fiber that yields to the event loop in the middle of its work (Effect does, every 2,048
 * operations) is thus still seen as busy.
 */
class CountingScheduler implements Scheduler.Scheduler {
  pending = 0
  constructor(readonly inner: Scheduler.Scheduler) {}
  shouldYield(fiber: Parameters<Scheduler.Scheduler["shouldYield"]>[0]) {
    return this.inner.shouldYield(fiber)
  }
  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Parameters<Scheduler.Scheduler["shouldYield"]>[0]) {
    this.pending++
    this.inner.scheduleTask(() => {
      this.pending--
      task()
    }, priority, fiber)
  }
}

const around = <A, E, R>(enter: () => void, exit: () => void, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Effect.sync(enter), () => effect, () => Effect.sync(exit))

/** The HTTP client, numbering each attempt and counting those without an answer yet. */
const countedHttpClient = (inFlight: InFlight) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      client.pipe(
        HttpClient.mapRequest((request) =>
          HttpClientRequest.setHeader(request, attemptHeader, String(inFlight.nextAttempt++))
        ),
        HttpClient.transform((effect, request) => {
          const id = request.headers[attemptHeader]!
          return around(() => inFlight.attempts.add(id), () => {
            inFlight.attempts.delete(id)
            inFlight.finished++
          }, effect)
        })
      ))
  ).pipe(Layer.provide(UndiciClient.layer))

/** The transport, counting sends under way (a send includes reading the answer). */
const countedTransport = (inFlight: InFlight, inner: Layer.Layer<Transport>) =>
  Layer.effect(
    Transport,
    Effect.map(Transport, (transport) =>
      Transport.of({
        send: (batch) =>
          around(() => inFlight.sends++, () => {
            inFlight.sends--
            inFlight.finished++
          }, transport.send(batch))
      }))
  ).pipe(Layer.provide(inner))

/** The outbox, counting operations under way (a file-system outbox does real I/O). */
const countedOutbox = (inFlight: InFlight, inner: Layer.Layer<Outbox.Outbox>) =>
  Layer.effect(
    Outbox.Outbox,
    Effect.map(Outbox.Outbox, (outbox) => {
      const counted = <A>(effect: Effect.Effect<A>) =>
        around(() => inFlight.storage++, () => {
          inFlight.storage--
          inFlight.finished++
        }, effect)
      return Outbox.Outbox.of({
        put: (batch, position) => counted(outbox.put(batch, position)),
        replace: (batchId, parts) => counted(outbox.replace(batchId, parts)),
        oldest: counted(outbox.oldest),
        remove: (batchId) => counted(outbox.remove(batchId)),
        size: counted(outbox.size),
        eventsOf: (userId) => counted(outbox.eventsOf(userId)),
        erase: (userId) => counted(outbox.erase(userId))
      })
    })
  ).pipe(Layer.provide(inner))

/** One turn of the event loop: fibers scheduled through microtasks or timers get to run, and so does I/O. */
const nextTurn = Effect.async<void>((resume) => {
  const immediate = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(immediate))
})

const realTimer = (millis: number) =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

const decodePayload = Schema.decodeUnknownSync(BatchPayloadSchema)

/** A payload as the server received it, and how the server answered. */
export interface Attempt extends BatchPayload {
  readonly reply: TestServer.ReceivedRequest["reply"]
  readonly status: number | undefined
}

export interface RigOptions extends TelemetryOptions {
  /** Where the outbox lives: in memory (default), or a folder through `layerNodeOutbox`. */
  readonly outboxFolder?: string
}

export interface Rig {
  readonly server: TestServer.TestServer
  readonly collector: TelemetryCollector["Type"]
  readonly config: TelemetryConfig
  /** Waits (in real time) until the collector has no I/O under way except hung requests; the clock stays. */
  readonly quiet: Effect.Effect<void>
  /** Moves simulated time forward by `duration`, timer by timer, letting the I/O each timer starts finish. */
  readonly advance: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** Advances, timer by timer, until `done` holds (checked whenever the collector is quiet); fails after `limit`. */
  readonly advanceUntil: (
    done: Effect.Effect<boolean>,
    limit?: Duration.DurationInput
  ) => Effect.Effect<void>
  /** Every payload the server received, answered or not, in order. */
  readonly attempts: Effect.Effect<ReadonlyArray<Attempt>>
  /** The payloads the server answered with a 2xx: what was delivered. */
  readonly delivered: Effect.Effect<ReadonlyArray<BatchPayload>>
  readonly stats: Effect.Effect<TelemetryCollector.Stats>
}

/**
 * Starts a loopback server and a collector posting to it, both closing with the scope (the collector
 * first, with its final flush). Settings default as in production except where `options` says.
 */
export const start = (options: RigOptions = {}) =>
  Effect.gen(function*() {
    const server = yield* TestServer.make
    const { outboxFolder, ...settings } = options
    const config = yield* Effect.orDie(fromOptions({
      transport: "http",
      endpoint: server.url,
      ...settings,
      ...(outboxFolder === undefined ? {} : { outboxDir: outboxFolder })
    }))
    const inFlight = new InFlight()
    // Every fiber the test starts from here on — the collector's included — runs on the counting scheduler.
    const scheduler = new CountingScheduler(yield* FiberRef.get(FiberRef.currentScheduler))
    yield* FiberRef.set(FiberRef.currentScheduler, scheduler)
    const http = Transport.http({ url: server.url, timeout: config.requestTimeout }).pipe(
      Layer.provide(countedHttpClient(inFlight)),
      Layer.orDie // a loopback URL and no headers: nothing to refuse
    )
    const outbox = outboxFolder === undefined ? Outbox.layerMemory(outboxOptions(config)) : layerNodeOutbox(config)
    // Closing the collector runs its final flush, bounded by `shutdownTimeout` on the TestClock. Nothing
    // moves that clock once the test body is over (say, after a failed assertion), so while the collector
    // closes, a fiber keeps time going; it is started just before and stopped just after.
    let closeDriver: Fiber.RuntimeFiber<never> | undefined
    yield* Effect.addFinalizer(() => (closeDriver === undefined ? Effect.void : Fiber.interrupt(closeDriver)))
    const context = yield* Layer.build(
      layerWithTransport(config, countedTransport(inFlight, http), countedOutbox(inFlight, outbox))
    )
    const collector = Context.get(context, TelemetryCollector)
    // (interruptible explicitly: finalizers run uninterruptibly, and a fiber forked there would inherit that)
    const keepTimeGoing = Effect.interruptible(Effect.forever(Effect.zipRight(realTimer(1), TestClock.adjust("100 millis"))))
    yield* Effect.addFinalizer(() =>
      Effect.map(Effect.forkDaemon(keepTimeGoing), (fiber) => {
        closeDriver = fiber
      })
    )

    const isIdle = Effect.map(server.hanging, (hanging) => scheduler.pending === 0 && inFlight.idleBut(hanging))

    // `adjust(0)` runs no timer but lets the event loop turn: belt and braces for work woken outside Effect.
    const settle = Effect.zipRight(TestClock.adjust(0), Effect.yieldNow())

    const quiet: Effect.Effect<void> = Effect.gen(function*() {
      // Fibers running or an operation finishing is progress; only a wait without either is bounded.
      let finished = inFlight.finished
      let progressAt = performance.now()
      while (true) {
        if (scheduler.pending > 0) {
          progressAt = performance.now()
          yield* nextTurn
          continue
        }
        if (yield* isIdle) {
          yield* settle
          if (yield* isIdle) return
          continue
        }
        if (inFlight.finished !== finished) {
          finished = inFlight.finished
          progressAt = performance.now()
        } else if (performance.now() - progressAt > stallDeadline) {
          return yield* Effect.dieMessage(
            `collector I/O made no progress for ${stallDeadline} ms: ${inFlight.sends} sends, ` +
              `${inFlight.storage} outbox operations, ${inFlight.attempts.size} HTTP attempts under way`
          )
        }
        yield* realTimer(1)
      }
    })

    const nextTimer = Effect.map(TestClock.sleeps(), (sleeps) =>
      Chunk.reduce(sleeps, Number.POSITIVE_INFINITY, (min, at) => Math.min(min, at)))

    /** Moves the clock to `target`, stopping at each timer on the way. */
    const runTo = (target: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        while (true) {
          yield* quiet
          const now = yield* Clock.currentTimeMillis
          const next = yield* nextTimer
          if (next > target) {
            if (target > now) yield* TestClock.adjust(target - now)
            return yield* quiet
          }
          yield* TestClock.adjust(Math.max(0, next - now))
        }
      })

    const advance = (duration: Duration.DurationInput) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => runTo(now + Duration.toMillis(duration)))

    const advanceUntil = (done: Effect.Effect<boolean>, limit: Duration.DurationInput = "1 hour") =>
      Effect.gen(function*() {
        const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(limit)
        while (true) {
          yield* quiet
          if (yield* done) return
          const now = yield* Clock.currentTimeMillis
          const next = yield* nextTimer
          if (next > deadline || now >= deadline) {
            return yield* Effect.dieMessage(`condition not reached within ${Duration.format(limit)} of simulated time`)
          }
          yield* TestClock.adjust(Math.max(0, next - now))
        }
      })

    const attempts = Effect.map(server.received, (received) =>
      received.filter((r) => r.json !== undefined).map((r): Attempt => ({
        ...decodePayload(r.json),
        reply: r.reply,
        status: r.status
      })))

    const delivered = Effect.map(server.received, (received) =>
      received.filter((r) => r.status !== undefined && r.status < 300 && r.json !== undefined).map((r) =>
        decodePayload(r.json)
      ))

    return {
      server,
      collector,
      config,
      quiet,
      advance,
      advanceUntil,
      attempts,
      delivered,
      stats: collector.stats
    } satisfies Rig
  })

/** The accounting identities every test checks: nothing accepted is unaccounted for. */
export const balanced = (s: TelemetryCollector.Stats): boolean =>
  s.accepted === s.sent + s.buffered + s.outboxed + s.dropped.total &&
  s.tracked === s.accepted - s.restored + s.sampledOut + s.disabled &&
  s.dropped.total === s.dropped.bufferOverflow + s.dropped.rejected + s.dropped.outboxFull + s.dropped.corrupted +
      s.dropped.sendFailed + s.dropped.erased
