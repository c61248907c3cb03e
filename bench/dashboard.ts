/**
 * `npx tsx bench/dashboard.ts [--rounds 15] [--poll 250]`: what a connected dashboard costs `track`.
 *
 * One set of services (delivering to a function that drops batches) with `Dashboard.layer` on a loopback
 * port, holding 20 metrics, 50 error groups, providers and features, so a snapshot has real work to do.
 * Rounds of 100,000 `track` calls (~¼ s each) alternate between no client and a client fetching `/snapshot.json` every
 * `--poll` ms (4× the page's default rate) over real HTTP from another process, as a browser tab would;
 * the tracking loop gives the event loop a turn every 500 events, so the client is served during the
 * timed rounds and its cost (reading the services, JSON, HTTP) is in the figure.
 * Prints the median ns per `track` of each, their paired ratio, and what one snapshot costs.
 *
 * `npx tsx bench/dashboard.ts --report 200`: instead, writes a 200 MB NDJSON file of events (timings, errors,
 * usage, health, 1 line in 10,000 cut in half) to a temporary folder and builds its report with the
 * `effect-telemetry report` command in a child process — `dist/bin/report.js` with plain `node` when built
 * (`npm run build`), else the sources through tsx — printing its time and peak RSS.
 */
import { Context, Effect, Exit, Layer, Schedule, Scope } from "effect"
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Dashboard from "../src/dashboard/Dashboard.js"
import { layerWithTransport } from "../src/layers/TelemetryLayers.js"
import { fromOptions } from "../src/schemas/TelemetryConfig.js"
import { ErrorTracking } from "../src/services/ErrorTracking.js"
import { PerformanceMetrics } from "../src/services/PerformanceMetrics.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { UsageAnalytics } from "../src/services/UsageAnalytics.js"
import { Transport } from "../src/transports/Transport.js"
import { median, now } from "./measure.js"

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at > 0 && process.argv[at + 1] !== undefined ? Number(process.argv[at + 1]) : fallback
}
const rounds = argument("rounds", 15)
const pollMs = argument("poll", 250)
const perRound = 100_000

/**
 * The dashboard's client: polls `url` every `ms` between "start" and "stop" on stdin, a "." per answer; as
 * the page does, it asks only for the history points after the last one it holds (`?since=`).
 */
const clientScript = `
const [url, ms] = process.argv.slice(1)
let on = false
let last
process.stdin.on("data", (d) => { on = String(d).trim().split("\\n").pop() === "start" })
const loop = async () => {
  if (on) {
    try {
      const snapshot = await (await fetch(last === undefined ? url : url + "?since=" + last)).json()
      last = snapshot.history.at(-1)?.t ?? last
      process.stdout.write(".")
    } catch {}
  }
  setTimeout(loop, Number(ms))
}
loop()
`

const services = Layer.unwrapEffect(Effect.map(
  fromOptions({ maxBatchSize: 50, maxBufferSize: 1_000, flushInterval: "1 second" }),
  (config) => layerWithTransport(config, Transport.fromFunction(() => undefined))
)).pipe(Layer.orDie)

const populate = Effect.gen(function*() {
  const performance = yield* PerformanceMetrics
  const errors = yield* ErrorTracking
  const usage = yield* UsageAnalytics
  for (let m = 0; m < 20; m++) {
    for (let i = 0; i < 500; i++) yield* performance.timed(`op.${m}`)(Effect.void)
  }
  for (let g = 0; g < 50; g++) yield* errors.captureError(new Error(`failure number ${g} in module ${String.fromCharCode(97 + (g % 26))}${g}`))
  for (let p = 0; p < 6; p++) {
    yield* usage.trackProviderRequest({ provider: `provider-${p}`, model: "m", durationMs: 100 * p, success: p % 2 === 0 })
    yield* usage.trackFeature(`feature-${p}`, "use", `user-${p}`)
  }
}).pipe(Effect.orDie)

const main = Effect.gen(function*() {
  const scope = yield* Scope.make()
  const context = yield* Layer.buildWithScope(
    Dashboard.layer({ port: 0 }).pipe(Layer.provideMerge(services)),
    scope
  )
  yield* populate.pipe(Effect.provide(context))
  const url = `${yield* Dashboard.url().pipe(Effect.provide(context))}snapshot.json`
  const collector = Context.get(context, TelemetryCollector)
  const recorder = Context.get(context, Dashboard.Recorder)

  // A page open for a while: the recorder's ring full (300 points, its default), as after five minutes.
  for (let i = 0; i < 300; i++) yield* recorder.sample
  // What one snapshot costs, read in process (what the route does before serialising).
  const reads = 200
  const started = now()
  for (let i = 0; i < reads; i++) yield* recorder.snapshot
  const snapshotUs = (now() - started) / reads / 1_000
  const full = yield* recorder.snapshot
  const bytes = JSON.stringify(full).length
  const sinceBytes = JSON.stringify(yield* recorder.snapshotSince(full.history.at(-1)?.t ?? 0)).length

  // The client is another process, as a browser tab is: only serving it is charged to this one.
  const client = spawn(process.execPath, ["-e", clientScript, url, String(pollMs)], { stdio: ["pipe", "pipe", "inherit"] })
  let polls = 0
  let timedPolls = 0
  client.stdout.on("data", (chunk: Buffer) => void (polls += chunk.length))
  const polling = (on: boolean) => Effect.sync(() => void client.stdin.write(on ? "start\n" : "stop\n"))
  const inputs = Array.from({ length: perRound }, (_, i) => ({
    type: "chat.message",
    data: { role: "user", model: "gpt-4o", latencyMs: 120 + (i & 63), prompt_tokens: 52, ok: true }
  }))
  // An application tracks between other work: every 500 events the loop gives the event loop a turn
  // (`setImmediate`), as a server handling requests would, so the dashboard's client is served meanwhile
  // and what serving it costs lands in the timed rounds.
  const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
  const trackRound = Effect.gen(function*() {
    const start = now()
    for (let i = 0; i < perRound; i++) {
      yield* collector.track(inputs[i]!)
      if (i % 500 === 499) yield* turn
    }
    const ns = (now() - start) / perRound
    yield* collector.flush
    return ns
  }).pipe(Effect.orDie)

  const without: Array<number> = []
  const polled: Array<number> = []
  yield* trackRound // warm-up
  for (let r = 0; r < rounds; r++) {
    // Alternate which mode goes first, so neither always follows a GC of the other.
    for (const withClient of r % 2 === 0 ? [false, true] : [true, false]) {
      // Both modes start alike: the client switched on or off, then the same pause before timing.
      yield* polling(withClient)
      yield* Effect.sleep("50 millis")
      const before = polls
      const ns = yield* trackRound
      if (withClient) {
        polled.push(ns)
        timedPolls += polls - before
      } else without.push(ns)
    }
  }
  yield* polling(false)
  client.kill()
  yield* Scope.close(scope, Exit.void)
  const ratios = polled.map((x, i) => x / without[i]!)
  console.log(
    [
      `dashboard: track without a client ${median(without).toFixed(0)} ns, with a client polling /snapshot.json every ${pollMs} ms ${median(polled).toFixed(0)} ns`,
      `  paired median ratio (with/without) over ${rounds} rounds of ${perRound.toLocaleString("en-US")}: ${median(ratios).toFixed(3)}× (${timedPolls} snapshots served during the timed rounds)`,
      `  one snapshot (20 metrics, 50 error groups, ${full.history.length} history points): ${snapshotUs.toFixed(0)} µs to read, ${(bytes / 1024).toFixed(0)} KiB of JSON; ${(sinceBytes / 1024).toFixed(0)} KiB as the polling page asks for it (\`?since=\` its last point)`
    ].join("\n")
  )
})

/** One synthetic event line; the `i`-th of the file. */
const line = (i: number): string => {
  const base = { id: `ev-${i}`, timestamp: 1_790_000_000_000 + i * 50, sessionId: `s-${i >> 6}`, userId: `user-${i % 5_000}` }
  switch (i % 8) {
    case 0:
      return JSON.stringify({ ...base, type: "error.captured", kind: "error", data: {
        errorId: `err-${i}`, fingerprint: `fp-${i % 40}`, type: "ProviderError", message: `provider ${i % 40} answered 503`,
        severity: "ERROR", category: "api", kind: "fail", handled: true, mechanism: "captureErrors",
        frames: [{ inApp: true, file: "/app/src/chat.ts", line: 41, column: 7 }, { inApp: false, file: "node:internal/process" }],
        breadcrumbs: [{ timestamp: base.timestamp - 5, category: "event", message: "chat.message", level: "INFO" }], context: {}
      } })
    case 1:
      return JSON.stringify({ ...base, type: "usage.provider.request", kind: "usage", data: { provider: "openai", model: "gpt-4o", durationMs: 300 + (i % 900), success: i % 16 !== 1, promptTokens: 120, completionTokens: 300 } })
    case 2:
      return JSON.stringify({ ...base, type: "usage.feature", kind: "usage", data: { feature: `feature-${i % 12}`, action: "use" } })
    case 3:
      return JSON.stringify({ ...base, type: "health.status_changed", kind: "health", data: { service: `svc-${i % 5}`, from: "HEALTHY", to: i % 3 === 0 ? "DEGRADED" : "HEALTHY", reason: "latency", critical: true, consecutiveFailures: 0, lastError: null, overall: "HEALTHY" } })
    default:
      return JSON.stringify({ ...base, type: "performance.timing", kind: "performance", data: { name: `op.${i % 10}`, durationMs: (i * 7919) % 1_000 / 3, outcome: "success", attributes: { provider: "openai" } } })
  }
}

const reportBench = (megabytes: number) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-report-bench-"))
  try {
    const file = Path.join(dir, "events.ndjson")
    const fd = Fs.openSync(file, "w")
    let bytes = 0
    let chunk: Array<string> = []
    for (let i = 0; bytes < megabytes * 1e6; i++) {
      const text = i % 10_000 === 9_999 ? line(i).slice(0, 80) : line(i)
      chunk.push(text)
      bytes += text.length + 1
      if (chunk.length === 10_000) {
        Fs.writeSync(fd, chunk.join("\n") + "\n")
        chunk = []
      }
    }
    Fs.writeSync(fd, chunk.join("\n") + "\n")
    Fs.closeSync(fd)
    const root = Path.resolve(import.meta.dirname, "..")
    const built = Path.join(root, "dist", "bin", "report.js")
    const [command, args] = Fs.existsSync(built)
      ? [process.execPath, [built]]
      : [process.execPath, ["--import", "tsx", Path.join(root, "src", "bin", "report.ts")]]
    const out = execFileSync(command, [...args, "report", file, "-o", Path.join(dir, "report.html"), "--stats"], { encoding: "utf8" })
    console.log(`report of ${(bytes / 1e6).toFixed(0)} MB (${Fs.existsSync(built) ? "dist/bin/report.js" : "src/bin/report.ts via tsx"}):\n${out.trim()}`)
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}

const reportMegabytes = argument("report", 0)
if (reportMegabytes > 0) {
  reportBench(reportMegabytes)
  process.exit(0)
}

Effect.runPromise(main).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
