/**
 * `npm run bench` (part 4): delivery throughput end to end. `track` of N chat-turn events until every batch
 * is acknowledged by a loopback receiver in another process, ours (HTTP transport; OTLP transport in JSON,
 * `otlp`, and in protobuf, `otlp-proto`) against OpenTelemetry JS (`BatchLogRecordProcessor` +
 * `@opentelemetry/exporter-logs-otlp-http`), same batch size, queue as large as the burst. Every run is a fresh process; rounds alternate the systems; the
 * table gives medians of per-round ratios. The receiver counts events by id and reports duplicates; a run
 * that does not deliver all N events once each is reported as such.
 *
 *   node --import tsx bench/delivery.ts [--events 100000] [--rounds 5] [--batches 50,500] [--only http,otlp,otlp-proto,otel]
 *
 * `DELIVERY_PROFILE=/tmp/x.cpuprofile` (with `--rounds 1 --only …`) writes a CPU profile of a run's window.
 *
 * One process plays three roles, by its first argument: the orchestrator (none), `receiver`, `worker`.
 */
import { fork } from "node:child_process"
import * as Http from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { median } from "./measure.js"

type System = "http" | "otlp" | "otlp-proto" | "otel"

interface RunResult {
  readonly system: System
  readonly batch: number
  readonly events: number
  /** From the first `track`/`emit` to the last batch acknowledged. */
  readonly wallMs: number
  /** User + system CPU of the sending process over that window. */
  readonly cpuMs: number
  /** Resident set size of the sending process when the window starts (modules loaded, pipeline built), MiB. */
  readonly rssBeforeMiB: number
  /** Peak resident set size of the sending process, MiB (its whole life: loading included). */
  readonly peakRssMiB: number
  /** What the sender says it lost (our `dropped.total`; OTel cannot say). */
  readonly senderDropped: number
}

interface Received {
  readonly unique: number
  readonly duplicates: number
}

const self = fileURLToPath(import.meta.url)

/** A typical small event: what an AI product tracks per chat turn (as in bench/run.ts). */
const eventData = (i: number) => ({ role: "user", model: "gpt-4o", latencyMs: 120 + (i & 63), prompt_tokens: 52, ok: true })

// ---------------------------------------------------------------------------------------------------------
// receiver: counts events by id, over our JSON batches and OTLP/JSON log requests alike

const otlpIds = (body: any, ids: Array<string>) => {
  for (const rl of body.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        const attribute = (record.attributes ?? []).find((a: any) => a.key === "event.id")
        ids.push(String(attribute?.value?.stringValue))
      }
    }
  }
}

/** OTLP's `ExportLogsServiceRequest`, decoded with OpenTelemetry's own protos, for the protobuf sender. */
const logsRequest = () =>
  createRequire(import.meta.url)("@opentelemetry/otlp-transformer/build/src/generated/root.js").opentelemetry.proto
    .collector.logs.v1.ExportLogsServiceRequest

const receiver = () => {
  const protobuf = logsRequest()
  let seen = new Set<string>()
  let duplicates = 0
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const raw = Buffer.concat(chunks)
      const body = String(request.headers["content-type"]).includes("protobuf")
        ? protobuf.toObject(protobuf.decode(raw), { defaults: false })
        : JSON.parse(raw.toString("utf8"))
      const ids: Array<string> = []
      if (Array.isArray(body.events)) for (const e of body.events) ids.push(e.id)
      else otlpIds(body, ids)
      for (const id of ids) {
        if (seen.has(id)) duplicates++
        else seen.add(id)
      }
      response.writeHead(200, { "content-type": "application/json", "content-length": "2" })
      response.end("{}")
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }))
  process.on("message", (message: { readonly op: string }) => {
    if (message.op === "count") {
      process.send!({ unique: seen.size, duplicates } satisfies Received)
      seen = new Set()
      duplicates = 0
    } else if (message.op === "exit") server.close(() => process.exit(0))
  })
}

// ---------------------------------------------------------------------------------------------------------
// worker: one run of one system, in a fresh process

/** With `DELIVERY_PROFILE=<file>`, a CPU profile of the measured window alone (module loading left out). */
const profiled = async <A>(run: () => Promise<A>): Promise<A> => {
  const file = process.env.DELIVERY_PROFILE
  if (file === undefined) return run()
  const { Session } = await import("node:inspector/promises")
  const { writeFileSync } = await import("node:fs")
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  await session.post("Profiler.setSamplingInterval", { interval: 200 })
  await session.post("Profiler.start")
  const result = await run()
  const { profile } = await session.post("Profiler.stop")
  writeFileSync(file, JSON.stringify(profile))
  return result
}

const measure = async (events: number, send: () => Promise<number>): Promise<Omit<RunResult, "system" | "batch">> => {
  const rssBeforeMiB = process.memoryUsage().rss / 1024 / 1024
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const senderDropped = await profiled(send)
  const wallMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  return {
    events,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBeforeMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    senderDropped
  }
}

const runOurs = async (system: "http" | "otlp" | "otlp-proto", batch: number, events: number, port: number) => {
  const { Context, Effect, Layer } = await import("effect")
  const { Outbox, Redactor, Sampler, Telemetry, TelemetryCollector, Transport } = (await import("./compiled.js")).library
  const transport = system === "http"
    ? Transport.http({ url: `http://127.0.0.1:${port}/v1/events` })
    : Transport.otlp({
      endpoint: `http://127.0.0.1:${port}`,
      protocol: system === "otlp" ? "http/json" : "http/protobuf"
    })
  const layer = TelemetryCollector.layer({
    maxBatchSize: batch,
    maxBufferSize: events, // as large as the burst: nothing is dropped
    flushInterval: "30 seconds",
    flushTimeout: "10 minutes"
  }).pipe(
    Layer.provide(Layer.mergeAll(
      // the client `TelemetryLive` sends with
      transport.pipe(Layer.provide(Telemetry.layerHttpClient)),
      Sampler.always,
      Redactor.layer(),
      Outbox.layerMemory()
    )),
    Layer.orDie
  )
  return Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    // built in this scope (an `Effect.provide` would close the collector as soon as it returned it)
    const collector = Context.get(yield* Layer.build(layer), TelemetryCollector)
    return yield* Effect.promise(() =>
      measure(events, () =>
        Effect.runPromise(Effect.gen(function*() {
          for (let i = 0; i < events; i++) yield* collector.track({ type: "chat.message", data: eventData(i) })
          yield* collector.flush
          const stats = yield* collector.stats
          if (stats.sent + stats.dropped.total !== events || stats.outboxed !== 0) {
            throw new Error(`not all delivered: ${JSON.stringify(stats)}`)
          }
          return stats.dropped.total
        })))
    )
  })))
}

const runOtel = async (batch: number, events: number, port: number) => {
  const { BatchLogRecordProcessor, LoggerProvider } = await import("@opentelemetry/sdk-logs")
  const { OTLPLogExporter } = await import("@opentelemetry/exporter-logs-otlp-http")
  const provider = new LoggerProvider({
    processors: [
      // 0.2xx exporters drop a batch when 30 are already in flight (`concurrencyLimit`): as large as the burst, nothing is.
      new BatchLogRecordProcessor(new OTLPLogExporter({ url: `http://127.0.0.1:${port}/v1/logs`, concurrencyLimit: events }), {
        maxQueueSize: events, // as large as the burst: nothing is dropped
        maxExportBatchSize: batch,
        exportTimeoutMillis: 600_000
      })
    ]
  })
  const logger = provider.getLogger("bench")
  const result = await measure(events, async () => {
    for (let i = 0; i < events; i++) {
      logger.emit({ eventName: "chat.message", body: eventData(i), attributes: { "event.id": String(i) } })
    }
    await provider.forceFlush()
    return 0
  })
  await provider.shutdown()
  return result
}

const worker = async () => {
  const [system, batch, events, port] = [process.argv[3] as System, Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6])]
  const result = system === "otel" ? await runOtel(batch, events, port) : await runOurs(system, batch, events, port)
  process.send!({ system, batch, ...result } satisfies RunResult, () => process.exit(0))
}

// ---------------------------------------------------------------------------------------------------------
// orchestrator

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? process.argv[at + 1]! : fallback
}


const exited = (child: ReturnType<typeof fork>) => new Promise((resolve) => child.once("exit", resolve))

const once = <A>(child: ReturnType<typeof fork>) => new Promise<A>((resolve) => child.once("message", (m) => resolve(m as A)))

const orchestrate = async () => {
  const events = Number(argument("events", "100000"))
  const rounds = Number(argument("rounds", "5"))
  const batches = argument("batches", "50,500").split(",").map(Number)
  const systems = argument("only", "http,otlp,otlp-proto,otel").split(",") as Array<System>
  const execArgv = ["--import", "tsx"]
  const receiverProcess = fork(self, ["receiver"], { execArgv })
  const { port } = await once<{ port: number }>(receiverProcess)
  const results: Array<RunResult & Received & { readonly round: number }> = []
  const started = performance.now()
  for (let round = 0; round < rounds; round++) {
    for (const batch of batches) {
      // alternate the order of the systems from round to round, so drift in the machine's load hits each alike
      const order = round % 2 === 0 ? systems : [...systems].reverse()
      for (const system of order) {
        const child = fork(self, ["worker", system, String(batch), String(events), String(port)], { execArgv })
        const exit = exited(child)
        const result = await once<RunResult>(child)
        await exit
        receiverProcess.send({ op: "count" })
        const received = await once<Received>(receiverProcess)
        results.push({ ...result, ...received, round })
        process.stderr.write(
          `round ${round + 1}/${rounds} batch ${batch} ${system}: ${Math.round(events / result.wallMs * 1000)} events/s, ` +
            `${received.unique} received once, ${received.duplicates} duplicates\n`
        )
      }
    }
  }
  receiverProcess.send({ op: "exit" })

  const name: Record<System, string> = {
    http: "ours, HTTP (JSON)",
    otlp: "ours, OTLP/JSON",
    "otlp-proto": "ours, OTLP/protobuf",
    otel: "OpenTelemetry JS (OTLP/JSON)"
  }
  console.log(`\nDelivery throughput: ${events.toLocaleString("en")} chat-turn events per run, ${rounds} rounds, ` +
    `fresh process per run, receiver in another process (${Math.round((performance.now() - started) / 1000)} s); ` +
    `ours measured from ${(await import("./compiled.js")).measuredFrom === "dist" ? "dist/ (compiled)" : "src/ through tsx (dist/ missing or stale)"}\n`)
  console.log("| batch | sender | events/s | ÷ OTel (median of rounds) | CPU ms / 1,000 events | CPU ÷ OTel | RSS MiB at start → peak | delivered once | duplicates |")
  console.log("|---|---|---|---|---|---|---|---|---|")
  for (const batch of batches) {
    const of = (system: System) => results.filter((r) => r.batch === batch && r.system === system)
    const otel = of("otel")
    for (const system of systems) {
      const runs = of(system)
      if (runs.length === 0) continue
      const rate = median(runs.map((r) => r.events / r.wallMs * 1000))
      const cpu = median(runs.map((r) => r.cpuMs / r.events * 1000))
      const paired = (f: (r: RunResult) => number) =>
        otel.length === 0 ? "—" : `${median(runs.map((r) => f(r) / f(otel.find((o) => o.round === (r as any).round)!))).toFixed(2)}×`
      const delivered = runs.map((r) => r.unique)
      const allOnce = delivered.every((d) => d === events)
      console.log(
        `| ${batch} | ${name[system]} | ${Math.round(rate).toLocaleString("en")} | ${system === "otel" ? "1.00×" : paired((r) => r.events / r.wallMs)} | ` +
          `${cpu.toFixed(1)} | ${system === "otel" ? "1.00×" : paired((r) => r.cpuMs / r.events)} | ` +
          `${Math.round(median(runs.map((r) => r.rssBeforeMiB)))} → ${Math.round(median(runs.map((r) => r.peakRssMiB)))} | ${allOnce ? "all" : `${Math.min(...delivered)}–${Math.max(...delivered)} of ${events} (dropped)`} | ` +
          `${runs.reduce((n, r) => n + r.duplicates, 0)} |`
      )
    }
  }
}

const role = process.argv[2]
if (role === "receiver") receiver()
else if (role === "worker") await worker()
else await orchestrate()
