/**
 * `npm run bench`: the cost of `track` on the hot path and the heap held per buffered event, beside a
 * plain object push and OpenTelemetry JS's `BatchLogRecordProcessor` emit, measured in the same run.
 * Ratios, not absolute figures, are what to compare across machines.
 */
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs"
import { Context, Duration, Effect, Exit, Layer, Scope } from "effect"
import * as Outbox from "../src/services/Outbox.js"
import { layerRedactor } from "../src/services/Redactor.js"
import * as Sampler from "../src/services/Sampler.js"
import * as TelemetryCollector from "../src/services/TelemetryCollector.js"
import { Transport } from "../src/transports/Transport.js"
import { chatTurn, median, now } from "./measure.js"

const rounds = 25
const perRound = 20_000


const eventAt = chatTurn

const gc = () => (globalThis as { gc?: () => void }).gc?.()

const collectorLayer = (options: Partial<TelemetryCollector.CollectorOptions>, sampler: Sampler.SamplerOptions) =>
  TelemetryCollector.layer({
    enabled: true,
    maxBatchSize: 50,
    maxBufferSize: 1_000,
    flushInterval: Duration.seconds(30),
    shutdownTimeout: Duration.seconds(1),
    flushTimeout: Duration.seconds(5),
    maxAttempts: 1,
    retryBaseDelay: Duration.millis(10),
    retryMaxDelay: Duration.millis(10),
    ...options
  }).pipe(
    Layer.provide(Layer.mergeAll(
      Transport.fromFunction(() => undefined),
      Sampler.layer(sampler),
      layerRedactor(),
      Outbox.layerMemory()
    ))
  )

const withCollector = <A>(
  layer: Layer.Layer<TelemetryCollector.TelemetryCollector>,
  f: (collector: TelemetryCollector.TelemetryCollector["Type"]) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(layer)
    return yield* f(Context.get(context, TelemetryCollector.TelemetryCollector))
  })))

/** Median ns per `track`, each round one loop inside one running Effect program. */
const trackNs = (sampler: Sampler.SamplerOptions) =>
  withCollector(collectorLayer({}, sampler), (collector) =>
    Effect.gen(function*() {
      const samples: Array<number> = []
      for (let r = 0; r < rounds; r++) {
        const inputs = Array.from({ length: perRound }, (_, i) => eventAt(i))
        const start = now()
        for (let i = 0; i < perRound; i++) yield* collector.track(inputs[i]!)
        samples.push((now() - start) / perRound)
        yield* collector.flush
      }
      const stats = yield* collector.stats
      return { ns: median(samples), stats }
    }))

const pushNs = () => {
  const samples: Array<number> = []
  let sink: Array<unknown> = []
  for (let r = 0; r < rounds; r++) {
    const inputs = Array.from({ length: perRound }, (_, i) => eventAt(i))
    const start = now()
    for (let i = 0; i < perRound; i++) {
      const input = inputs[i]!
      sink.push({ ...input, timestamp: Date.now() })
      if (sink.length >= 1_000) sink = []
    }
    samples.push((now() - start) / perRound)
  }
  return median(samples)
}

const otelNs = async () => {
  const provider = new LoggerProvider({
    processors: [
      new BatchLogRecordProcessor(
        { export: (_records, done) => done({ code: 0 }), shutdown: async () => {} },
        { maxQueueSize: 1_000,
        maxExportBatchSize: 50,
        scheduledDelayMillis: 30_000 }
      )
    ]
  })
  const logger = provider.getLogger("bench")
  const samples: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const inputs = Array.from({ length: perRound }, (_, i) => eventAt(i))
    const start = now()
    for (let i = 0; i < perRound; i++) {
      const input = inputs[i]!
      logger.emit({ eventName: input.type, body: input.type, attributes: input.data })
    }
    samples.push((now() - start) / perRound)
    await provider.forceFlush()
  }
  await provider.shutdown()
  return median(samples)
}

/**
 * Heap bytes per event held, beyond the caller's own event objects (allocated before measuring, as they
 * exist anyway): the collector's buffer vs a naive buffer of enriched copies `{ id, type, timestamp,
 * sessionId, data }`.
 */
const heapPerEvent = async () => {
  const n = 100_000
  const measure = async (fill: (inputs: ReadonlyArray<ReturnType<typeof eventAt>>) => Promise<unknown>) => {
    const inputs = Array.from({ length: n }, (_, i) => eventAt(i))
    gc()
    const before = process.memoryUsage().heapUsed
    const held = await fill(inputs)
    gc()
    const after = process.memoryUsage().heapUsed
    void held
    return (after - before) / n
  }
  const sessionId = crypto.randomUUID()
  const plain = await measure(async (inputs) =>
    inputs.map((input) => ({ id: crypto.randomUUID(), type: input.type, timestamp: Date.now(), sessionId, data: input.data }))
  )
  const scope = Effect.runSync(Scope.make())
  const collector = await Effect.runPromise(
    Layer.build(collectorLayer({ maxBufferSize: n, maxBatchSize: 1_000_000_000 }, { policy: Sampler.SamplingPolicy.Always() })).pipe(
      Effect.map((context) => Context.get(context, TelemetryCollector.TelemetryCollector)),
      Scope.extend(scope)
    )
  )
  const ours = await measure((inputs) =>
    Effect.runPromise(Effect.forEach(inputs, (input) => collector.track(input), { discard: true }))
  )
  const buffered = (await Effect.runPromise(collector.stats)).buffered
  await Effect.runPromise(Scope.close(scope, Exit.void))
  return { plain, ours, buffered }
}

const main = async () => {
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    console.warn("run with --expose-gc (npm run bench does) for the heap figures")
  }
  const push = pushNs()
  const otel = await otelNs()
  const always = await trackNs({ policy: Sampler.SamplingPolicy.Always() })
  const probabilistic = await trackNs({ policy: Sampler.SamplingPolicy.Probabilistic({ rate: 0.5 }) })
  const heap = await heapPerEvent()
  const row = (name: string, ns: number) =>
    `| ${name.padEnd(58)} | ${ns.toFixed(0).padStart(6)} | ${(ns / push).toFixed(1).padStart(6)}× | ${(ns / otel).toFixed(2).padStart(6)}× |`
  console.log(`node ${process.version}, ${rounds} rounds × ${perRound} events, medians\n`)
  console.log(`| ${"per event".padEnd(58)} | ${"ns".padStart(6)} | ${"÷ push".padStart(7)} | ${"÷ OTel".padStart(7)} |`)
  console.log(`|${"-".repeat(60)}|${"-".repeat(8)}|${"-".repeat(9)}|${"-".repeat(9)}|`)
  console.log(row("plain object push (baseline)", push))
  console.log(row("OpenTelemetry BatchLogRecordProcessor emit", otel))
  console.log(row("track: validate + sample(always) + redact + buffer", always.ns))
  console.log(row("track: validate + sample(probabilistic 0.5) + redact + buffer", probabilistic.ns))
  console.log(
    `\nheap per held event (${heap.buffered} buffered, the caller's data objects excluded): ` +
      `collector buffer ${heap.ours.toFixed(0)} B, naive enriched copies ${heap.plain.toFixed(0)} B ` +
      `(${(heap.ours / heap.plain).toFixed(2)}×)`
  )
}

main()
