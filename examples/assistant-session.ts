/**
 * A simulated AI-assistant session: a few hundred chat, provider and error events — some carrying
 * e-mail addresses and card numbers — tracked through `TelemetryLive` into the embedded default sink,
 * an NDJSON file under `.telemetry/`. Set TELEMETRY_* variables to send them elsewhere.
 *
 *   npm start
 */
import { NodeRuntime } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Layer, Random } from "effect"
import { TelemetryCollector, TelemetryLive } from "../src/index.js"

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

const conversation = (user: string, turns: number) =>
  Effect.gen(function*() {
    const telemetry = yield* TelemetryCollector
    yield* telemetry.startSession({ userId: user })
    yield* telemetry.track({ type: "chat.opened", data: { surface: "sidebar" } })
    for (let turn = 0; turn < turns; turn++) {
      const prompt = prompts[yield* Random.nextIntBetween(0, prompts.length)]!
      const { meanLatencyMs, model, provider } = providers[yield* Random.nextIntBetween(0, providers.length)]!
      const latencyMs = Math.round(meanLatencyMs * (0.5 + (yield* Random.next)))
      const failed = (yield* Random.next) < 0.05
      yield* telemetry.track({ type: "chat.message", data: { role: "user", prompt, length: prompt.length } })
      yield* telemetry.track({
        type: "provider.request",
        data: { provider, model, latencyMs, prompt_tokens: prompt.length * 2, max_tokens: 1_024, ok: !failed }
      })
      if (failed) {
        yield* telemetry.track({
          type: "error.provider",
          data: { provider, message: `upstream 503 for ${user}@example.com`, status: 503 }
        })
      } else {
        yield* telemetry.track({ type: "chat.message", data: { role: "assistant", length: 200 + turn } })
      }
    }
    yield* telemetry.endSession
  })

const program = Effect.gen(function*() {
  const telemetry = yield* TelemetryCollector
  for (let user = 0; user < 12; user++) yield* conversation(`user-${user}`, 8)
  yield* telemetry.flush
  const stats = yield* telemetry.stats
  yield* Console.log(
    [
      "effect-telemetry example: one simulated assistant session",
      `  tracked ${stats.tracked}, sent ${stats.sent} in ${stats.batches} batches, buffered ${stats.buffered}, dropped ${stats.dropped.total}`,
      `  sink: ${process.env.TELEMETRY_TRANSPORT ?? "file"} ${process.env.TELEMETRY_TRANSPORT === undefined ? "→ .telemetry/events.ndjson (e-mails and card numbers redacted)" : ""}`
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

program.pipe(
  Effect.provide(TelemetryLive.pipe(Layer.provide(Layer.setConfigProvider(embeddedDefault)))),
  NodeRuntime.runMain
)
