/**
 * CPU time per request of a 50-event JSON batch, by HTTP client, against `bench/delivery.ts`' loopback
 * receiver in another process: raw `undici.request`, `@effect/platform-node`'s `NodeHttpClient.layerUndici`, our
 * `Telemetry.layerHttpClient`, and the HTTP transport over each of the two. Eight requests in flight, as the
 * collector keeps when its buffer is deep; rows alternate within each round; medians of the rounds, round 1 left
 * out (warm-up). CPU is `process.cpuUsage()` of this process (all its threads).
 *
 * `node --import tsx bench/http-client.ts` (after `npm run build`: ours loads from `dist/` when it is fresh).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { NodeHttpClient } from "@effect/platform-node"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Agent, request } from "@effect/platform-node/Undici"
import { library, libraryModule, measuredFrom } from "./compiled.js"
import { median } from "./measure.js"

const { Telemetry, Transport } = library
const { markValidated } = await libraryModule("internal/json") as typeof import("../src/internal/json.js")

const rounds = Number(process.env.CLIENT_ROUNDS ?? 12)
const requests = 3_000
const inFlight = 8

const receiver = fork(fileURLToPath(new URL("./delivery.ts", import.meta.url)), ["receiver"], {
  execArgv: ["--import", "tsx"]
})
const port = await new Promise<number>((resolve) => receiver.once("message", (m: { port: number }) => resolve(m.port)))
const url = `http://127.0.0.1:${port}/v1/events`

const events = Array.from({ length: 50 }, (_, i) => ({
  id: crypto.randomUUID(),
  type: "chat.message",
  kind: "custom" as const,
  timestamp: 1_700_000_000_000 + i,
  sessionId: "0190c4b2-7f1e-7cc2-9f6a-2b1f3c4d5e6f",
  data: { role: "user", model: "gpt-4o", latencyMs: 120 + i, prompt_tokens: 52, ok: true }
}))
const body = new TextEncoder().encode(JSON.stringify({ batchId: "b", sentAt: 1_700_000_000_000, events }))
const batch = () => markValidated({ batchId: crypto.randomUUID(), events })

const scope = Effect.runSync(Scope.make())
/** The client a layer builds, and the HTTP transport over it. */
const over = async (clientLayer: Layer.Layer<HttpClient.HttpClient>) => {
  const context = await Effect.runPromise(
    Layer.buildWithScope(Layer.orDie(Transport.http({ url })).pipe(Layer.provideMerge(clientLayer)), scope)
  )
  return {
    // Tracing off, as our transports run it.
    client: Context.get(context, HttpClient.HttpClient).pipe(HttpClient.withTracerDisabledWhen(() => true)),
    transport: Context.get(context, Transport)
  }
}
const platform = await over(NodeHttpClient.layerUndici)
const ours = await over(Telemetry.layerHttpClient)

/** `inFlight` lanes sharing `requests` requests. */
const lanes = (lane: (count: number) => Promise<void>) =>
  Promise.all(Array.from({ length: inFlight }, () => lane(requests / inFlight))).then(() => undefined)
const effectLanes = (one: Effect.Effect<unknown, unknown>) =>
  lanes((count) => Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < count; i++) yield* one
  })))
const exchange = (client: HttpClient.HttpClient) =>
  Effect.flatMap(
    client.execute(HttpClientRequest.bodyUint8Array(HttpClientRequest.post(url), body, "application/json")),
    (response) => response.arrayBuffer
  )

const dispatcher = new Agent()
const rows: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ["raw undici.request", () =>
    lanes(async (count) => {
      for (let i = 0; i < count; i++) {
        const answer = await request(url, { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher })
        await answer.body.arrayBuffer()
      }
    })],
  ["NodeHttpClient.layerUndici: execute + arrayBuffer", () => effectLanes(exchange(platform.client))],
  ["Telemetry.layerHttpClient: execute + arrayBuffer", () => effectLanes(exchange(ours.client))],
  ["Transport.http over NodeHttpClient.layerUndici", () => effectLanes(Effect.suspend(() => platform.transport.send(batch())))],
  ["Transport.http over Telemetry.layerHttpClient", () => effectLanes(Effect.suspend(() => ours.transport.send(batch())))]
]

const samples = rows.map(() => [] as Array<number>)
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < rows.length; k++) {
    const index = (k + round) % rows.length
    const before = process.cpuUsage()
    await rows[index]![1]()
    const used = process.cpuUsage(before)
    if (round > 0) samples[index]!.push((used.user + used.system) / requests)
  }
}

console.log(`\nCPU per request of a 50-event batch (${body.byteLength} bytes), ${inFlight} in flight, ${rounds - 1} rounds of ${requests.toLocaleString("en")} after a warm-up, medians; ours from ${measuredFrom}/\n`)
console.log("| client | CPU µs / request | ÷ raw undici |\n|---|---|---|")
const raw = median(samples[0]!)
rows.forEach(([name], k) => {
  const us = median(samples[k]!)
  console.log(`| ${name} | ${us.toFixed(0)} | ${(us / raw).toFixed(2)}× |`)
})
receiver.send({ op: "exit" })
await Effect.runPromise(Scope.close(scope, Exit.void))
await dispatcher.close()
