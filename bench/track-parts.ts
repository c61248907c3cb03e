/**
 * `track`'s work piece by piece, beside the floor, in one process: how much of issue 13's 1.25× budget the
 * checks `track` must make leave. Rows alternate within each round; medians of the rounds, ns per event.
 *
 * - floor: `yield* Effect.sync(() => array.push(event))` in a generator loop, as in `bench/peers.ts`;
 * - validation: the walk `track` makes of the chat turn (`validateEventFast`, its fast path);
 * - redaction: the default redactor over the event's data (six fields, one a 50-character text);
 * - track: the collector's `track` itself, over a transport that keeps nothing.
 *
 * `node --import tsx bench/track-parts.ts` (after `npm run build`: the pieces load from `dist/` when it is fresh).
 */
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { library, libraryModule, measuredFrom } from "./compiled.js"
import { chatTurn, median, now } from "./measure.js"

const { validateEventFast } = await libraryModule("schemas/EventValidation") as typeof import("../src/schemas/EventValidation.js")
const { unsafeMake } = await libraryModule("services/Redactor") as typeof import("../src/services/Redactor.js")
const { Outbox, Redactor, Sampler, TelemetryCollector, Transport } = library

const rounds = Number(process.env.PARTS_ROUNDS ?? 15)
const perRound = 20_000
const text = "How do I reset my password before tomorrow's demo?"
const events = Array.from({ length: 500 }, (_, i) => {
  const turn = chatTurn(i)
  return { ...turn, data: { ...turn.data, text } }
})

const collectorLayer = TelemetryCollector.layer({ maxBatchSize: 50, maxBufferSize: 1_000, flushInterval: "30 seconds" })
  .pipe(Layer.provide(Layer.mergeAll(Transport.fromFunction(() => undefined), Sampler.always, Redactor.layer(), Outbox.layerMemory())))
const scope = Effect.runSync(Scope.make())
const collector = Context.get(await Effect.runPromise(Layer.buildWithScope(Layer.orDie(collectorLayer), scope)), TelemetryCollector)

const redactor = unsafeMake()
let kept: Array<unknown> = []

const rows: ReadonlyArray<readonly [string, () => void]> = [
  ["floor: yield* Effect.sync(() => array.push(event))", () =>
    Effect.runSync(Effect.gen(function*() {
      for (let i = 0; i < perRound; i++) yield* Effect.sync(() => kept.push(events[i % 500]))
    }))],
  ["validation walk (validateEventFast)", () => {
    for (let i = 0; i < perRound; i++) kept.push(validateEventFast(events[i % 500]))
  }],
  ["redaction of the data (default redactor)", () => {
    for (let i = 0; i < perRound; i++) kept.push(redactor.redact(events[i % 500]!.data))
  }],
  ["track", () =>
    Effect.runSync(Effect.gen(function*() {
      for (let i = 0; i < perRound; i++) yield* collector.track(events[i % 500]!)
      yield* collector.flush
    }))]
]

const samples = rows.map(() => [] as Array<number>)
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < rows.length; k++) {
    const index = (k + round) % rows.length
    kept = []
    const start = now()
    rows[index]![1]()
    samples[index]!.push((now() - start) / perRound)
  }
}
const floor = median(samples[0]!)
console.log(`\n\`track\`'s parts, ${rounds} rounds of ${perRound.toLocaleString("en")} events, medians; measured from ${measuredFrom}/\n`)
console.log("| per event | ns | ÷ floor |\n|---|---|---|")
rows.forEach(([name], k) => {
  const ns = median(samples[k]!)
  console.log(`| ${name} | ${ns.toFixed(0)} | ${(ns / floor).toFixed(2)}× |`)
})
await Effect.runPromise(Scope.close(scope, Exit.void))
