/**
 * `npm run bench` (last part): every peer a user would otherwise install, and our service calls, in one
 * process, over the same event, each round running every row in turn (rotating which goes first, so load
 * drift hits all rows alike); medians of the rounds. The floor is `yield* Effect.sync(() => array.push(event))`
 * in the same loop: no Effect-returning API can be cheaper.
 *
 * Each row runs in chunks of `chunk` calls; only the calls are timed, by the clock and by this process's CPU time
 * (all its threads, V8's concurrent GC and compiler included; waiting for a core on a loaded machine does not
 * count). Between chunks, outside the timing,
 * each library is settled (buffers flushed or emptied) so no row measures an overflowing queue. Rows whose
 * work is asynchronous (Sentry's event processing) include awaiting it in their chunk, and so does ours.
 *
 * No peer touches the network: Sentry gets a transport that counts envelopes and answers 200, PostHog has
 * flushing off (no `flushAt` reached, no interval) and a `fetch` that counts calls, OpenTelemetry exports to
 * functions that drop records; pino writes to /dev/null. The bench fails if any peer tried to send.
 */
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Sentry from "@sentry/node"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import pino from "pino"
import { PostHog } from "posthog-node"
import { library, measuredFrom } from "./compiled.js"
import { heap } from "./heap.js"
import { chatTurn, median, now } from "./measure.js"

const { ErrorTracking, PerformanceMetrics, Telemetry, TelemetryCollector, UsageAnalytics } = library

const rounds = Number(process.env.PEERS_ROUNDS ?? 15)
/** `PEERS_ONLY=<regex>`: only the rows whose names match it (and the floor), for a quicker look at a few. */
const only = process.env.PEERS_ONLY === undefined ? undefined : new RegExp(process.env.PEERS_ONLY, "i")
const chunk = 500

// ---- the event: one chat turn ------------------------------------------------------------------------

const text = "How do I reset my password before tomorrow's demo?"
const eventAt = (i: number) => {
  const turn = chatTurn(i)
  return { ...turn, data: { ...turn.data, text } }
}
type ChatEvent = ReturnType<typeof eventAt>
const events: ReadonlyArray<ChatEvent> = Array.from({ length: chunk }, (_, i) => eventAt(i))

/** A fresh error per capture, thrown from the same place: its stack is formatted lazily, on first read, by whoever captures it. */
const failUpstream = (i: number) => new Error(`Request to /v1/chat failed: upstream returned 503 (attempt ${i & 3})`)
const freshErrors = () => Array.from({ length: chunk }, (_, i) => failUpstream(i))

// ---- peers, configured so that nothing leaves the process -----------------------------------------

let attemptedSends = 0

const dropRecords = {
  export: (_records: unknown, done: (r: { code: 0 }) => void) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {}
}
const loggerProvider = new LoggerProvider({
  processors: [new BatchLogRecordProcessor(dropRecords, { scheduledDelayMillis: 30_000 })]
})
const otelLogger = loggerProvider.getLogger("bench")
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(dropRecords as never, { scheduledDelayMillis: 30_000 })]
})
const tracer = tracerProvider.getTracer("bench")

Sentry.init({
  dsn: "http://public@127.0.0.1:9/1",
  // Every capture processed and handed to the transport, as ours with `duplicateWindow: 0` below.
  integrations: (defaults) => defaults.filter((i) => i.name !== "Dedupe"),
  transport: (options) =>
    Sentry.createTransport(options, async () => {
      sentEnvelopes++
      return { statusCode: 200 }
    }),
  // Room for a whole chunk in flight: a full buffer would drop events before they are processed.
  transportOptions: { bufferSize: 10_000 },
  tracesSampleRate: 0,
  maxBreadcrumbs: 100
})
let sentEnvelopes = 0

const posthog = new PostHog("phc_bench", {
  host: "http://127.0.0.1:9",
  flushAt: 1_000_000_000,
  flushInterval: 0,
  fetch: async () => {
    attemptedSends++
    throw new Error("the bench never sends")
  }
})
const emptyPosthogQueue = () => (posthog as unknown as { setPersistedProperty(k: string, v: unknown): void }).setPersistedProperty("queue", [])

const logger = pino(pino.destination("/dev/null"))

// ---- ours, over the file transport to /dev/null -------------------------------------------------------

const outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), "peers-bench-"))
const telemetry = Telemetry.layer({ transport: "file", filePath: "/dev/null", outboxDir })
// Every capture sent (no duplicate window), as Sentry's without its Dedupe integration.
const errorTrackingSendingAll = ErrorTracking.layer({ duplicateWindow: 0 })
const layer = Layer.merge(telemetry, errorTrackingSendingAll.pipe(Layer.provide(telemetry)))

// ---- 50 µs of work ------------------------------------------------------------------------------------

// Busy until 50 µs of the monotonic clock have passed: an iteration count calibrated before the JIT warmed up
// came out at 11–22 µs once optimised, and any count drifts with the machine's load.
const work = Effect.sync(() => {
  const end = now() + 50_000
  while (now() < end) {
    // spinning
  }
})

// ---- rows -------------------------------------------------------------------------------------------

interface Row {
  readonly name: string
  /** Calls per round (fewer for the expensive ones). */
  readonly calls: number
  /** Runs `n` calls; timed. */
  readonly run: (n: number) => Effect.Effect<void, unknown>
  /** Settles the library between chunks; not timed. */
  readonly settle?: Effect.Effect<void>
  /** Prepares a chunk's input before it is timed. */
  readonly prepare?: () => void
}

const program = Effect.gen(function*() {
  const collector = yield* TelemetryCollector
  const usage = yield* UsageAnalytics
  const errors = yield* ErrorTracking
  const perf = yield* PerformanceMetrics
  const flushOurs = Effect.asVoid(collector.flush)
  let floorBuffer: Array<unknown> = []
  let errorsToCapture = freshErrors()
  const aiOperation = {
    operation: "chat",
    provider: "openai",
    model: "gpt-4o",
    totalMs: 840,
    apiCallMs: 790,
    promptTokens: 52,
    completionTokens: 180,
    success: true
  }
  const attributes = { model: "gpt-4o" }

  const allRows: ReadonlyArray<Row> = [
    {
      name: "floor: yield* Effect.sync(() => array.push(event))",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            yield* Effect.sync(() => floorBuffer.push(e))
          }
        }),
      settle: Effect.sync(() => {
        floorBuffer = []
      })
    },
    {
      name: "OpenTelemetry logs emit (BatchLogRecordProcessor)",
      calls: 20_000,
      run: (n) =>
        Effect.sync(() => {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            otelLogger.emit({ eventName: e.type, body: e.data.text, attributes: e.data })
          }
        }),
      settle: Effect.promise(() => loggerProvider.forceFlush())
    },
    {
      name: "OpenTelemetry span start + end (BatchSpanProcessor)",
      calls: 20_000,
      run: (n) =>
        Effect.sync(() => {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            tracer.startSpan(e.type, { attributes: e.data }).end()
          }
        }),
      settle: Effect.promise(() => tracerProvider.forceFlush())
    },
    {
      name: "Sentry addBreadcrumb",
      calls: 20_000,
      run: (n) =>
        Effect.sync(() => {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            Sentry.addBreadcrumb({ category: e.type, message: e.data.text, data: e.data })
          }
        })
    },
    {
      name: "Sentry captureException (+ its async processing)",
      calls: 2_000,
      prepare: () => {
        errorsToCapture = freshErrors()
      },
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) Sentry.captureException(errorsToCapture[i])
          yield* Effect.promise(() => Sentry.flush(10_000))
        })
    },
    {
      name: "posthog-node capture (no flushing)",
      calls: 20_000,
      run: (n) =>
        Effect.sync(() => {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            posthog.capture({ distinctId: "user-1", event: e.type, properties: e.data })
          }
        }),
      settle: Effect.sync(emptyPosthogQueue)
    },
    {
      name: "pino info to /dev/null",
      calls: 20_000,
      run: (n) =>
        Effect.sync(() => {
          for (let i = 0; i < n; i++) {
            const e = events[i]!
            logger.info(e.data, e.type)
          }
        })
    },
    {
      name: "ours: track",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* collector.track(events[i]!)
        }),
      settle: flushOurs
    },
    {
      name: "ours: UsageAnalytics.trackFeature",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* usage.trackFeature("chat", "send")
        }),
      settle: flushOurs
    },
    {
      name: "ours: PerformanceMetrics.timed (no-op effect)",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* perf.timed("chat.turn")(Effect.void)
        }),
      settle: flushOurs
    },
    {
      name: "ours: PerformanceMetrics.timed (no-op, 1 attribute)",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* perf.timed("chat.turn", attributes)(Effect.void)
        }),
      settle: flushOurs
    },
    {
      name: "ours: PerformanceMetrics.trackAIOperation",
      calls: 20_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* perf.trackAIOperation(aiOperation)
        }),
      settle: flushOurs
    },
    {
      name: "ours: ErrorTracking.captureError (every capture sent)",
      calls: 2_000,
      prepare: () => {
        errorsToCapture = freshErrors()
      },
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* errors.captureError(errorsToCapture[i])
          // Symmetric with Sentry's row: the events handed to the transport.
          yield* flushOurs
        })
    },
    {
      name: "50 µs operation, bare",
      calls: 2_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* work
        })
    },
    {
      name: "50 µs operation + timed + one track",
      calls: 2_000,
      run: (n) =>
        Effect.gen(function*() {
          for (let i = 0; i < n; i++) {
            yield* perf.timed("chat.turn", attributes)(work)
            yield* collector.track(events[i]!)
          }
        }),
      settle: flushOurs
    }
  ]

  const rows = allRows.filter((row) => only === undefined || row.name.startsWith("floor") || only.test(row.name))

  /** ns per call of one round of a row. */
  /** ns per call of one round of a row: wall time, and this process's CPU time (steadier on a loaded machine). */
  const roundOf = (row: Row) =>
    Effect.gen(function*() {
      let wall = 0
      let cpu = 0
      for (let done = 0; done < row.calls; done += chunk) {
        const n = Math.min(chunk, row.calls - done)
        row.prepare?.()
        if (row.settle !== undefined) yield* row.settle
        const start = now()
        const cpuStart = process.cpuUsage()
        yield* row.run(n)
        const used = process.cpuUsage(cpuStart)
        wall += now() - start
        cpu += (used.user + used.system) * 1000
      }
      if (row.settle !== undefined) yield* row.settle
      return { wall: wall / row.calls, cpu: cpu / row.calls }
    })

  // Warm-up: every row once, so the JIT has seen them all before anything is kept.
  for (const row of rows) yield* roundOf(row)

  const samples = rows.map(() => [] as Array<number>)
  const cpuSamples = rows.map(() => [] as Array<number>)
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < rows.length; k++) {
      const index = (k + r) % rows.length
      const { cpu, wall } = yield* roundOf(rows[index]!)
      samples[index]!.push(wall)
      cpuSamples[index]!.push(cpu)
    }
  }

  /** Heap bytes still held after one chunk, per call (the library settled before, not after). */
  const heapPerCall = (row: Row) =>
    Effect.gen(function*() {
      const readings: Array<number> = []
      for (let k = 0; k < 3; k++) {
        row.prepare?.()
        if (row.settle !== undefined) yield* row.settle
        const before = heap()
        yield* row.run(chunk)
        readings.push((heap() - before) / chunk)
      }
      if (row.settle !== undefined) yield* row.settle
      return Math.max(0, median(readings))
    })
  const heaps: Array<number> = []
  for (const row of rows) heaps.push(yield* heapPerCall(row))

  return { rows, ns: samples.map(median), cpuNs: cpuSamples.map(median), samples, heaps }
})

const main = async () => {
  const { cpuNs, heaps, ns, rows, samples } = await Effect.runPromise(Effect.scoped(Effect.provide(program, layer)))
  await Promise.all([loggerProvider.shutdown(), tracerProvider.shutdown(), (emptyPosthogQueue(), posthog.shutdown(100)).catch(() => {})])
  await Sentry.close(1_000)
  fs.rmSync(outboxDir, { recursive: true, force: true })
  if (attemptedSends > 0) throw new Error(`posthog tried to send ${attemptedSends} times`)

  const byName = (prefix: string) => rows.findIndex((r) => r.name.startsWith(prefix))
  const floor = ns[byName("floor")]!
  const cpuFloor = cpuNs[byName("floor")]!
  const width = Math.max(...rows.map((r) => r.name.length)) + 2
  console.log(
    `\nnode ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; ` +
      `${rounds} rounds, rows alternating, medians (captures and the 50 µs rows: 2,000 calls a round, others 20,000); ` +
      `ours measured from ${measuredFrom === "dist" ? "dist/ (compiled)" : "src/ through tsx (dist/ missing or stale: run npm run build)"}\n`
  )
  console.log(
    `| ${"per event".padEnd(width)} | ${"ns".padStart(7)} | ${"÷ floor".padStart(8)} | ${"CPU ns".padStart(7)} | ${
      "CPU ÷ floor".padStart(11)
    } | ${"heap B/event".padStart(12)} |`
  )
  console.log(`|${"-".repeat(width + 2)}|${"-".repeat(9)}|${"-".repeat(10)}|${"-".repeat(9)}|${"-".repeat(13)}|${"-".repeat(14)}|`)
  rows.forEach((row, i) => {
    console.log(
      `| ${row.name.padEnd(width)} | ${ns[i]!.toFixed(0).padStart(7)} | ${(ns[i]! / floor).toFixed(2).padStart(7)}× | ${
        cpuNs[i]!.toFixed(0).padStart(7)
      } | ${(cpuNs[i]! / cpuFloor).toFixed(2).padStart(10)}× | ${heaps[i]!.toFixed(0).padStart(12)} |`
    )
  })

  const track = ns[byName("ours: track")]!
  const bare = byName("50 µs operation, bare")
  const instrumented = byName("50 µs operation + timed")
  // Paired per round: both rows ran in the same round, so load drift cancels.
  const overhead = instrumented < 0 || bare < 0
    ? NaN
    : median(samples[instrumented]!.map((x, r) => x / samples[bare]![r]! - 1)) * 100
  const cpuTrack = cpuNs[byName("ours: track")]!
  const ratio = (prefix: string, to: number) => ns[byName(prefix)]! / to
  const cpuRatio = (prefix: string, to: number) => cpuNs[byName(prefix)]! / to
  // A goal whose rows were left out (`PEERS_ONLY`) is not printed.
  const goal = (name: string, measured: number, text: string, cpuText: string, target: string) => {
    if (Number.isFinite(measured)) console.log(`| ${name} | ${text} | ${cpuText} | ${target} |`)
  }
  console.log(`\n| goal | measured | by CPU time | target |`)
  console.log(`|---|---|---|---|`)
  goal("track ÷ floor", track / floor, `${(track / floor).toFixed(2)}×`, `${(cpuTrack / cpuFloor).toFixed(2)}×`, "≤ 1.25×")
  for (
    const [name, prefix, target] of [
      ["timed (1 attribute) ÷ track", "ours: PerformanceMetrics.timed (no-op, 1", "≤ 1.5×"],
      ["timed (no attribute) ÷ track", "ours: PerformanceMetrics.timed (no-op effect", "≤ 1.5×"],
      ["trackFeature ÷ track", "ours: UsageAnalytics.trackFeature", "≤ 1.5×"],
      ["trackAIOperation ÷ track", "ours: PerformanceMetrics.trackAIOperation", "≤ 2×"]
    ] as const
  ) goal(name, ratio(prefix, track), `${ratio(prefix, track).toFixed(2)}×`, `${cpuRatio(prefix, cpuTrack).toFixed(2)}×`, target)
  const sentryRatio = ns[byName("Sentry captureException")]! / ns[byName("ours: ErrorTracking.captureError")]!
  const cpuSentryRatio = cpuNs[byName("Sentry captureException")]! / cpuNs[byName("ours: ErrorTracking.captureError")]!
  goal("Sentry captureException ÷ captureError", sentryRatio, `${sentryRatio.toFixed(1)}×`, `${cpuSentryRatio.toFixed(1)}×`, "≥ 10×")
  const cpuOverhead = instrumented < 0 || bare < 0 ? NaN : (cpuNs[instrumented]! / cpuNs[bare]! - 1) * 100
  goal(
    `50 µs operation (${(ns[bare]! / 1000).toFixed(1)} µs measured) + timed + track`,
    overhead,
    `${overhead >= 0 ? "+" : ""}${overhead.toFixed(1)} %`,
    `${cpuOverhead >= 0 ? "+" : ""}${cpuOverhead.toFixed(1)} %`,
    "≤ 2 %"
  )
  console.log(`\nSentry envelopes handed to its (local, counting) transport: ${sentEnvelopes}; PostHog send attempts: ${attemptedSends}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
