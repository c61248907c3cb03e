/**
 * A/B of `track` between two checkouts in one process, rounds interleaved with OpenTelemetry's emit so load
 * drift hits all three alike: `node --expose-gc --import tsx bench/ab-track.ts <other checkout root>`.
 */
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs"
import { Context, Duration, Effect, Layer, Scope } from "effect"
import * as Path from "node:path"
import { chatTurn, median, now } from "./measure.js"

const rounds = Number(process.env.ROUNDS ?? 41)
const perRound = 20_000
const eventAt = chatTurn

const collectorFrom = async (root: string) => {
  const Outbox = await import(Path.join(root, "src/services/Outbox.ts"))
  const Redactor = await import(Path.join(root, "src/services/Redactor.ts"))
  const Sampler = await import(Path.join(root, "src/services/Sampler.ts"))
  const Collector = await import(Path.join(root, "src/services/TelemetryCollector.ts"))
  const Transport = await import(Path.join(root, "src/transports/Transport.ts"))
  const layer: Layer.Layer<unknown> = Collector.layer({
    enabled: true, maxBatchSize: 50, maxBufferSize: 1_000, flushInterval: Duration.seconds(30),
    shutdownTimeout: Duration.seconds(1), flushTimeout: Duration.seconds(5), maxAttempts: 1,
    retryBaseDelay: Duration.millis(10), retryMaxDelay: Duration.millis(10)
  }).pipe(Layer.provide(Layer.mergeAll(
    // The static of the current API, or the module-level layer of a tree from before it.
    (Transport.Transport.fromFunction ?? Transport.layerFunctionTransport)(() => undefined),
    Sampler.layer({ policy: Sampler.SamplingPolicy.Always() }).pipe(Layer.orDie),
    Redactor.layerRedactor(),
    Outbox.layerMemory()
  )))
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.build(layer).pipe(Scope.extend(scope)))
  return Context.get(context, Collector.TelemetryCollector) as { track: (i: unknown) => Effect.Effect<void, unknown>; flush: Effect.Effect<void> }
}

const trackRound = (collector: Awaited<ReturnType<typeof collectorFrom>>) =>
  Effect.runPromise(Effect.gen(function*() {
    const inputs = Array.from({ length: perRound }, (_, i) => eventAt(i))
    const start = now()
    for (let i = 0; i < perRound; i++) yield* collector.track(inputs[i]!)
    const ns = (now() - start) / perRound
    yield* collector.flush
    return ns
  }))

const main = async () => {
  const other = process.argv[2]!
  const here = Path.resolve(import.meta.dirname, "..")
  const a = await collectorFrom(other)
  const b = await collectorFrom(here)
  const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor(
    { export: (_r, done) => done({ code: 0 }), shutdown: async () => {} },
    { maxQueueSize: 1_000, maxExportBatchSize: 50, scheduledDelayMillis: 30_000
  })] })
  const logger = provider.getLogger("bench")
  const otelRound = async () => {
    const inputs = Array.from({ length: perRound }, (_, i) => eventAt(i))
    const start = now()
    for (let i = 0; i < perRound; i++) logger.emit({ eventName: inputs[i]!.type, body: inputs[i]!.type, attributes: inputs[i]!.data })
    const ns = (now() - start) / perRound
    await provider.forceFlush()
    return ns
  }
  const ra: Array<number> = [], rb: Array<number> = [], ro: Array<number> = []
  console.error("built both collectors")
  for (let r = 0; r < rounds; r++) {
    // rotate the order so no implementation always runs first after a GC
    const steps = [async () => ra.push(await trackRound(a)), async () => rb.push(await trackRound(b)), async () => ro.push(await otelRound())]
    for (let k = 0; k < 3; k++) await steps[(r + k) % 3]!()
  }
  const otel = median(ro)
  console.log(`otel ${otel.toFixed(0)} ns | ${other}: ${median(ra).toFixed(0)} ns (${(median(ra) / otel).toFixed(2)}×) | ${here}: ${median(rb).toFixed(0)} ns (${(median(rb) / otel).toFixed(2)}×)`)
  // per-round ratios, paired: the fairest comparison on a noisy machine
  console.log(`paired median(new/old) per round: ${median(rb.map((x, i) => x / ra[i]!)).toFixed(3)}`)
}
main().then(() => process.exit(0))
