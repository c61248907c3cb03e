/**
 * The tracer bridge's cost per span: `Effect.withSpan` around `Effect.void`, with Effect's own tracer alone,
 * wrapped by the bridge with no services, and wrapped by the bridge feeding the test services (timings,
 * errors) — compared with Effect's tracer in a runtime holding the same services, since every span copies
 * the fiber's context (`withParentSpan`), which costs more the more services it holds. Rounds alternate in one process so load drift hits every variant alike; a bridged round's clock
 * stops only once the bridge has handled every span (`TracerBridge.flush`).
 * `node --import tsx bench/tracer-bridge.ts` (ROUNDS, SPANS to change the defaults; CLOCK=cpu times the
 * process's CPU time, all threads, instead of the wall clock: steadier on a busy machine).
 */
import { Context, DefaultServices, Effect, Exit, Layer, ManagedRuntime, Option, Tracer } from "effect"
import { wrap } from "../src/instrumentation/BridgeTracer.js"
import * as Instrumentation from "../src/instrumentation/Instrumentation.js"
import { TelemetryTest } from "../src/layers/TelemetryTest.js"
import { median, now as wallClock } from "./measure.js"

const rounds = Number(process.env.ROUNDS ?? 31)
const perRound = Number(process.env.SPANS ?? 20_000)
const cpuClock = () => {
  const { system, user } = process.cpuUsage()
  return (user + system) * 1_000
}
const now = process.env.CLOCK === "cpu" ? cpuClock : wallClock

const spans = Effect.gen(function*() {
  for (let i = 0; i < perRound; i++) yield* Effect.withSpan(Effect.void, "op")
})

const round = <R>(flush: Effect.Effect<void, never, R>) =>
  Effect.gen(function*() {
    const start = now()
    yield* spans
    yield* flush
    return (now() - start) / perRound
  })

const bridge = Instrumentation.layerTracer({ queueCapacity: perRound })
const flushBridge = Effect.flatMap(Instrumentation.TracerBridge, (b) => b.flush)

/**
 * The synchronous part alone, without a fiber: `tracer.span(...)` then `span.end(...)` on Effect's tracer,
 * bare, wrapped with an `onEnd` that keeps nothing, and wrapped with one that keeps every span until the
 * round ends (as the queue does until the drain runs: the spans then live longer, which the GC pays for).
 */
const syncCost = () => {
  const native = Context.get(DefaultServices.liveServices, Tracer.Tracer)
  const ended: Array<unknown> = []
  const variants = {
    bare: native,
    wrapped: wrap(native, () => undefined),
    retained: wrap(native, (span) => void ended.push(span))
  }
  const once = (tracer: Tracer.Tracer) => {
    const start = now()
    for (let i = 0; i < perRound; i++) {
      tracer.span("op", Option.none(), Context.empty(), [], 0n, "internal").end(1n, Exit.void)
    }
    ended.length = 0
    return (now() - start) / perRound
  }
  const results = { bare: [] as Array<number>, wrapped: [] as Array<number>, retained: [] as Array<number> }
  const keys = ["bare", "wrapped", "retained"] as const
  for (let r = 0; r < rounds + 3; r++) {
    // The order rotates: the GC debt one variant leaves (the retained spans) lands on each of the others alike.
    for (let k = 0; k < keys.length; k++) {
      const key = keys[(r + k) % keys.length]!
      const ns = once(variants[key])
      if (r >= 3) results[key].push(ns)
    }
  }
  return { bare: median(results.bare), wrapped: median(results.wrapped), retained: median(results.retained) }
}

const main = async () => {
  const plain = ManagedRuntime.make(Layer.empty)
  const services = ManagedRuntime.make(TelemetryTest)
  const bare = ManagedRuntime.make(bridge)
  const fed = ManagedRuntime.make(bridge.pipe(Layer.provideMerge(TelemetryTest)))
  const results = {
    plain: [] as Array<number>,
    bare: [] as Array<number>,
    services: [] as Array<number>,
    fed: [] as Array<number>
  }
  const variants = [
    ["plain", () => plain.runPromise(round(Effect.void))],
    ["bare", () => bare.runPromise(round(flushBridge))],
    ["services", () => services.runPromise(round(Effect.void))],
    ["fed", () => fed.runPromise(round(flushBridge))]
  ] as const
  for (let r = 0; r < rounds + 3; r++) {
    // The order rotates: the GC debt a round leaves behind lands on each variant alike.
    for (let k = 0; k < variants.length; k++) {
      const [key, run] = variants[(r + k) % variants.length]!
      const ns = await run()
      if (r >= 3) results[key].push(ns) // the first three rounds warm up
    }
  }
  const bareStats = await bare.runPromise(Effect.flatMap(Instrumentation.TracerBridge, (b) => b.stats))
  const fedStats = await fed.runPromise(Effect.flatMap(Instrumentation.TracerBridge, (b) => b.stats))
  const p = median(results.plain)
  const b = median(results.bare)
  const s = median(results.services)
  const f = median(results.fed)
  const row = (name: string, ns: number, base = p) =>
    `${name.padEnd(36)} ${ns.toFixed(0).padStart(6)} ns/span  ×${(ns / base).toFixed(2)}  +${(ns - base).toFixed(0)} ns`
  console.log(`withSpan(Effect.void), ${rounds} rounds × ${perRound} spans, medians, ${process.env.CLOCK === "cpu" ? "CPU" : "wall"} time`)
  console.log(row("Effect tracer", p))
  console.log(row("bridge, no services", b))
  console.log(row("Effect tracer, TelemetryTest context", s))
  console.log(row("bridge + TelemetryTest services", f, s) + " (vs the line above)")
  console.log(`dropped: bare ${bareStats.dropped}, fed ${fedStats.dropped}; failures: ${fedStats.failures}`)
  const sync = syncCost()
  console.log(
    `span()+end() without a fiber: ${sync.bare.toFixed(0)} ns bare; wrapped +${(sync.wrapped - sync.bare).toFixed(0)} ns; ` +
      `wrapped, spans kept until the round ends +${(sync.retained - sync.bare).toFixed(0)} ns`
  )
  await Promise.all([plain.dispose(), bare.dispose(), services.dispose(), fed.dispose()])
}

main()
