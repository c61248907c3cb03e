/**
 * The simulated assistant session of `examples/assistant-session.ts`, run without end — a new user's
 * conversation every few hundred milliseconds — with the live dashboard on http://127.0.0.1:9300/
 * (`DASHBOARD_PORT` to change it). Stop it with Ctrl-C.
 *
 *   npm run dashboard
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Layer, Random, Schedule } from "effect"
import { ErrorTracking, HealthCheck, PerformanceMetrics, UsageAnalytics } from "../src/index.js"
import { Dashboard } from "../src/index.js"
import { conversation, ExampleTelemetry } from "./assistant-session.js"

const port = Number(process.env.DASHBOARD_PORT ?? Dashboard.defaultPort)

const program = Effect.gen(function*() {
  const health = yield* HealthCheck
  const performance = yield* PerformanceMetrics
  const usage = yield* UsageAnalytics
  const errors = yield* ErrorTracking
  // A gateway that is mostly up, and a search index that flaps: the health chart has something to show.
  yield* health.register("provider-gateway", Effect.void, { interval: "2 seconds" })
  yield* health.register(
    "search-index",
    Effect.flatMap(Random.next, (r) => (r < 0.3 ? Effect.fail(new Error("search index timed out")) : Effect.void)),
    { interval: "1 second", critical: false, failureThreshold: 2, recoveryThreshold: 2 }
  )
  yield* Console.log(`effect-telemetry dashboard: ${yield* Dashboard.url()}  (Ctrl-C to stop)`)
  let user = 0
  const oneUser = Effect.gen(function*() {
    const name = `user-${user++ % 40}`
    yield* conversation(name, yield* Random.nextIntBetween(2, 7))
    const shown = yield* usage.suggestionShown({ kind: "follow-up", userId: name })
    if ((yield* Random.next) < 0.4) yield* usage.suggestionAccepted(shown)
    else yield* usage.suggestionDismissed(shown)
    yield* performance.trackAIOperation({
      operation: "chat",
      provider: "openai",
      model: "gpt-4o",
      totalMs: 400 + (yield* Random.nextIntBetween(0, 900)),
      apiCallMs: 300 + (yield* Random.nextIntBetween(0, 600)),
      promptTokens: 120,
      completionTokens: 300
    })
    if ((yield* Random.next) < 0.05) yield* errors.captureMessage("rate limited by provider", "WARNING")
  })
  yield* oneUser.pipe(Effect.orDie, Effect.repeat(Schedule.spaced("300 millis")))
})

program.pipe(
  Effect.provide(Dashboard.layer({ port, title: "effect-telemetry example (live)" }).pipe(Layer.provideMerge(ExampleTelemetry))),
  NodeRuntime.runMain
)
