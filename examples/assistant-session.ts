/**
 * A simulated AI-assistant session through every service of `TelemetryLive`: chats, provider calls with
 * varying latency timed by `PerformanceMetrics.timed`, a few provider failures captured by
 * `ErrorTracking`, usage analytics, a health check — a few hundred events, some carrying e-mail addresses
 * and card numbers — into the embedded default sink, an NDJSON file under `.telemetry/`. Set TELEMETRY_*
 * variables to send them elsewhere. At the end it writes the static report of the run,
 * `.telemetry/report.html` (see docs/dashboard.md), and prints its path.
 *
 *   npm start
 *
 * `examples/dashboard.ts` (`npm run dashboard`) runs the same conversations without end, with the live dashboard.
 */
import { NodeRuntime } from "@effect/platform-node"
import { ConfigProvider, Console, Data, Effect, Layer, Random } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { Dashboard } from "../src/index.js"
import {
  ErrorTracking,
  HealthCheck,
  PerformanceMetrics,
  TelemetryCollector,
  TelemetryLive,
  UsageAnalytics
} from "../src/index.js"

class ProviderError extends Data.TaggedError("ProviderError")<{ readonly status: number; readonly provider: string }> {}

const providers = [
  { provider: "openai", model: "gpt-4o", meanLatencyMs: 900 },
  { provider: "anthropic", model: "claude-sonnet", meanLatencyMs: 1_100 },
  { provider: "local", model: "llama-3-8b", meanLatencyMs: 300 }
] as const

const prompts = [
  "Summarize this thread for me",
  "Draft a reply to jane.doe@example.com about the invoice",
  "My card 4111 1111 1111 1111 was charged twice, what do I do?",
  "Explain the stack trace below",
  "Call me at +1 415 555 0132 tomorrow"
]

/** A provider call: sleeps 1/100 of its simulated latency so the example stays quick; fails 5 % of the time. */
const callProvider = (provider: string, latencyMs: number) =>
  Effect.gen(function*() {
    yield* Effect.sleep(latencyMs / 100)
    if ((yield* Random.next) < 0.05) return yield* new ProviderError({ status: 503, provider })
    return { completionTokens: 150 + Math.round(latencyMs / 10) }
  })

/** One user's conversation of `turns` turns, through every service. */
export const conversation = (user: string, turns: number) =>
  Effect.gen(function*() {
    const telemetry = yield* TelemetryCollector
    const performance = yield* PerformanceMetrics
    const usage = yield* UsageAnalytics
    const errors = yield* ErrorTracking
    yield* telemetry.startSession({ userId: user })
    const conversationId = yield* usage.startConversation({ userId: user })
    yield* usage.trackFeature("chat", "open", user)
    for (let turn = 0; turn < turns; turn++) {
      const prompt = prompts[yield* Random.nextIntBetween(0, prompts.length)]!
      const { meanLatencyMs, model, provider } = providers[yield* Random.nextIntBetween(0, providers.length)]!
      const latencyMs = Math.round(meanLatencyMs * (0.5 + (yield* Random.next)))
      yield* telemetry.track({ type: "chat.message", data: { role: "user", prompt, length: prompt.length } })
      yield* usage.trackMessage(conversationId, { role: "user", length: prompt.length })
      const answer = yield* callProvider(provider, latencyMs).pipe(
        performance.timed("provider.call", { provider, model }),
        errors.captureErrors,
        Effect.either
      )
      yield* usage.trackProviderRequest({
        provider,
        model,
        durationMs: latencyMs,
        success: answer._tag === "Right",
        promptTokens: prompt.length * 2,
        ...(answer._tag === "Right" ? { completionTokens: answer.right.completionTokens } : { errorType: "unavailable" })
      })
      if (answer._tag === "Right") {
        yield* usage.trackMessage(conversationId, { role: "assistant", length: 200 + turn })
        if (turn % 3 === 0) yield* usage.trackFeature("code-explain", "use", user)
      }
    }
    yield* usage.endConversation(conversationId, "completed")
    yield* telemetry.endSession
  })

const program = Effect.gen(function*() {
  const telemetry = yield* TelemetryCollector
  const performance = yield* PerformanceMetrics
  const usage = yield* UsageAnalytics
  const errors = yield* ErrorTracking
  const health = yield* HealthCheck
  yield* health.register("provider-gateway", Effect.void, { interval: "10 seconds" })
  for (let user = 0; user < 12; user++) yield* conversation(`user-${user}`, 8)
  const latency = yield* performance.percentiles("provider.call")
  const adoption = yield* usage.featureAdoption
  const groups = yield* errors.groups
  const report = yield* health.getHealthReport({ refresh: true })
  yield* telemetry.flush
  const stats = yield* telemetry.stats
  const recorder = yield* Dashboard.Recorder
  yield* recorder.sample
  const reportFile = Path.resolve(".telemetry/report.html")
  const html = yield* Effect.flatMap(Dashboard.snapshot, Dashboard.renderReport)
  yield* Effect.promise(() => Fs.mkdir(Path.dirname(reportFile), { recursive: true }).then(() => Fs.writeFile(reportFile, html)))
  const sink = process.env.TELEMETRY_TRANSPORT === undefined
    ? "file .telemetry/events.ndjson (e-mails and card numbers redacted)"
    : process.env.TELEMETRY_TRANSPORT
  yield* Console.log(
    [
      "effect-telemetry example: 12 simulated assistant conversations",
      `  events: tracked ${stats.tracked}, sent ${stats.sent} in ${stats.batches} batches, buffered ${stats.buffered}, dropped ${stats.dropped.total}`,
      `  provider.call (simulated ms / 100): p50 ${latency.p50.toFixed(1)}, p95 ${latency.p95.toFixed(1)}, p99 ${latency.p99.toFixed(1)} over ${latency.count} calls`,
      `  adoption: ${adoption.map((f) => `${f.feature} ${(f.adoptionRate * 100).toFixed(0)} %`).join(", ")}`,
      `  error groups: ${groups.map((g) => `${g.type} (${g.category}) ×${g.count}, ${g.affectedUsers} users`).join(", ") || "none"}`,
      `  health: ${report.status}`,
      `  sink: ${sink}`,
      `  report: ${reportFile}`
    ].join("\n")
  )
})

// The environment wins; without it the example writes to the embedded NDJSON sink.
const embeddedDefault = ConfigProvider.fromEnv().pipe(
  ConfigProvider.orElse(() =>
    ConfigProvider.fromMap(new Map([
      ["TELEMETRY_TRANSPORT", "file"],
      ["TELEMETRY_FILE_PATH", ".telemetry/events.ndjson"]
    ]))
  )
)

/** Every service as `npm start` configures them: the environment first, else the embedded NDJSON sink. */
export const ExampleTelemetry = TelemetryLive.pipe(Layer.provide(Layer.setConfigProvider(embeddedDefault)))

// Run only as the entry (`npm start`), not when `examples/dashboard.ts` imports the conversations.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(Path.resolve(process.argv[1])).href) {
  program.pipe(
    // The report's history: the services sampled every 100 ms while the conversations run.
    Effect.provide(Dashboard.layerRecorder({ sampleInterval: "100 millis", title: "effect-telemetry example session" })),
    Effect.provide(ExampleTelemetry),
    NodeRuntime.runMain
  )
}
