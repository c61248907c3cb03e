/**
 * Instrumenting by writing plain Effect code: the program below only uses `Effect.withSpan`, `Effect.log*`
 * and OpenTelemetry's GenAI attributes. The bridges turn that into timings, captured errors (once each,
 * with their trace and span ids), breadcrumbs, AI operation and provider statistics — while
 * `@effect/opentelemetry` keeps recording the very same spans (here into memory; in an app, an OTLP
 * exporter).
 *
 *   npx tsx examples/instrumented.ts
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { NodeRuntime } from "@effect/platform-node"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Data, Effect, Layer } from "effect"
import * as Instrumentation from "../src/instrumentation/Instrumentation.js"
import { ErrorTracking, PerformanceMetrics, TelemetryLive, UsageAnalytics } from "../src/index.js"

class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfterMs: number }> {}

/** A model call, described with the OpenTelemetry GenAI semantic conventions. */
const complete = (prompt: string, fail: boolean) =>
  Effect.gen(function*() {
    yield* Effect.annotateCurrentSpan("gen_ai.usage.input_tokens", prompt.length)
    if (fail) return yield* new RateLimited({ retryAfterMs: 1_000 })
    yield* Effect.annotateCurrentSpan("gen_ai.usage.output_tokens", 42)
    return `answer to ${prompt}`
  }).pipe(
    Effect.withSpan("chat claude-sonnet", {
      kind: "client",
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet"
      }
    })
  )

/** One conversation turn: nested spans, a log, and a failure that is logged and propagates through two spans. */
const turn = (prompt: string, fail: boolean) =>
  Effect.gen(function*() {
    yield* Effect.logInfo("turn started").pipe(Effect.annotateLogs("promptLength", prompt.length))
    const answer = yield* complete(prompt, fail).pipe(Effect.tapErrorCause(Effect.logError))
    yield* Effect.sleep("5 millis").pipe(Effect.withSpan("render"))
    return answer
  }).pipe(Effect.withSpan("turn"), Effect.catchTag("RateLimited", () => Effect.succeed("(rate limited)")))

const exporter = new InMemorySpanExporter()

/** OpenTelemetry is provided *to* the bridges, so they wrap its tracer; the telemetry services to both. */
const InstrumentedLive = Instrumentation.layer().pipe(
  Layer.provide(NodeSdk.layer(() => ({
    resource: { serviceName: "instrumented-example" },
    spanProcessor: new SimpleSpanProcessor(exporter)
  }))),
  Layer.provideMerge(TelemetryLive)
)

const program = Effect.gen(function*() {
  for (const [i, prompt] of ["hello", "summarize", "translate"].entries()) yield* turn(prompt, i === 1)
  const bridge = yield* Instrumentation.TracerBridge
  yield* bridge.flush
  yield* Effect.flatMap(Instrumentation.LoggerBridge, (logs) => logs.flush)
  yield* Console.log("bridge", yield* bridge.stats)
  yield* Console.log("errors captured", (yield* (yield* ErrorTracking).stats).captured)
  yield* Console.log("timings", (yield* (yield* PerformanceMetrics).timings()).map((t) => `${t.name}×${t.count}`))
  yield* Console.log("providers", yield* (yield* UsageAnalytics).providerStats)
  yield* Console.log("OpenTelemetry spans", exporter.getFinishedSpans().map((s) => s.name))
})

NodeRuntime.runMain(program.pipe(Effect.provide(InstrumentedLive)))
