import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Context, Duration, Effect, Exit, Layer, Schema, Scope } from "effect"
import { layerNodeOutbox, layerTelemetry, layerWithTransport, TelemetryLive } from "../src/layers/TelemetryLive.js"
import { fromOptions, type TelemetryConfig } from "../src/schemas/TelemetryConfig.js"
import { type Batch, TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import { Outbox } from "../src/services/Outbox.js"
import { TransportError } from "../src/schemas/errors.js"
import { Redactor } from "../src/services/Redactor.js"
import { Sampler } from "../src/services/Sampler.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { MemoryTransport, Transport } from "../src/transports/Transport.js"
import { fail, makeScripted } from "./support/ScriptedTransport.js"
import { capturingWarnings } from "./support/Logs.js"

const withEnv = (env: Record<string, string>) =>
  Layer.provide(TelemetryLive, Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

const readEvents = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path)
    return text.trim().split("\n").map((line) => Schema.decodeUnknownSync(TelemetryEvent)(JSON.parse(line)))
  })


/** The Node outbox of a configuration, opened and closed again (as one process would), after `use`. */
const withNodeOutbox = <A>(
  config: TelemetryConfig,
  use: (outbox: Outbox["Type"]) => Effect.Effect<A>,
  destination?: string
) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(layerNodeOutbox(config, destination === undefined ? {} : { destination })),
      (context) => use(Context.get(context, Outbox))
    )
  )

const storedBatch: Batch = {
  batchId: "queued-for-http",
  events: [{ id: "e1", type: "chat.message", kind: "custom", timestamp: 1, sessionId: "s", data: { n: "stored" } }]
}

describe("TelemetryLive", () => {
  it.scoped("TELEMETRY_TRANSPORT=file appends redacted NDJSON through the platform FileSystem, flushed on close", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = `${dir}/nested/events.ndjson`
      yield* Effect.gen(function*() {
        const telemetry = yield* TelemetryCollector
        yield* telemetry.track({ type: "chat.message", data: { note: "card 4111 1111 1111 1111", n: 1 } })
        yield* telemetry.track({ type: "chat.message", data: { n: 2 } })
      }).pipe(Effect.provide(withEnv({
        TELEMETRY_TRANSPORT: "file",
        TELEMETRY_FILE_PATH: path,
        TELEMETRY_OUTBOX_DIR: `${dir}/outbox`
      })))
      const events = yield* readEvents(path)
      expect(events.map((e) => e.data.n)).toEqual([1, 2])
      expect(events[0]!.data.note).toBe("card [REDACTED]")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("TELEMETRY_REDACT_PII=false keeps data as given", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const path = `${dir}/events.ndjson`
      yield* Effect.flatMap(TelemetryCollector, (t) => t.track({ type: "x", data: { email: "a@b.co" } })).pipe(
        Effect.provide(layerTelemetry({ transport: "file", filePath: path, redactPII: false, outboxDir: `${dir}/outbox` }))
      )
      expect((yield* readEvents(path))[0]!.data.email).toBe("a@b.co")
    }).pipe(Effect.provide(NodeContext.layer)))

  it.effect("an invalid variable fails construction with a ConfigError that names it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(TelemetryCollector, withEnv({ TELEMETRY_SAMPLING_RATE: "1.5" })))
      expect(ConfigError.isConfigError(error)).toBe(true)
      expect(String(error)).toContain("TELEMETRY_SAMPLING_RATE")
      expect(String(error)).toContain("between 0 and 1")
    }))

  it.effect("TELEMETRY_ENABLED=false builds a collector that counts and drops", () =>
    Effect.gen(function*() {
      const telemetry = yield* TelemetryCollector
      yield* telemetry.track({ type: "x" })
      expect((yield* telemetry.stats).disabled).toBe(1)
    }).pipe(Effect.provide(withEnv({ TELEMETRY_ENABLED: "false", TELEMETRY_TRANSPORT: "memory" }))))

  it.scoped("TELEMETRY_OUTBOX_DIR at a regular file: one warning, and undelivered events kept in memory, not dropped", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const notAFolder = `${dir}/outbox`
      yield* fs.writeFileString(notAFolder, "")
      const config = yield* Effect.orDie(fromOptions({ outboxDir: notAFolder, maxAttempts: 1, maxBatchSize: 5 }))
      const scripted = yield* makeScripted
      yield* scripted.always(fail()) // the receiver is down
      const warnings: Array<string> = []
      const context = yield* Layer.build(layerWithTransport(config, scripted.layer, layerNodeOutbox(config))).pipe(
        Effect.provide(capturingWarnings(warnings))
      )
      const telemetry = Context.get(context, TelemetryCollector)
      for (let n = 0; n < 25; n++) yield* telemetry.track({ type: "chat.message", data: { n } })
      yield* telemetry.flush
      const stats = yield* telemetry.stats
      expect(stats).toMatchObject({ accepted: 25, outboxed: 25, sent: 0 })
      expect(stats.dropped.sendFailed).toBe(0)
      expect(warnings.filter((w) => w.includes(notAFolder))).toHaveLength(1)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("layerWithTransport with a custom transport keeps what it could not deliver on disk, under the destination custom", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const config = yield* Effect.orDie(fromOptions({ outboxDir: dir, maxAttempts: 1 }))
      const scripted = yield* makeScripted
      yield* scripted.always(fail())
      const run = (options?: { readonly destination: string }) =>
        Effect.gen(function*() {
          const scope = yield* Scope.make()
          const context = yield* Layer.build(layerWithTransport(config, scripted.layer, options)).pipe(Scope.extend(scope))
          const telemetry = Context.get(context, TelemetryCollector)
          for (let n = 0; n < 5; n++) yield* telemetry.track({ type: "chat.message", data: { n } })
          yield* Scope.close(scope, Exit.void) // the program ends: its final flush fails, the rest is stored
        })
      yield* run()
      expect(yield* withNodeOutbox(config, (o) => o.size, "custom")).toMatchObject({ events: 5 })
      // a named destination keeps its batches apart
      yield* run({ destination: "billing-api" })
      expect(yield* withNodeOutbox(config, (o) => o.size, "billing-api")).toMatchObject({ events: 5 })
      expect(yield* withNodeOutbox(config, (o) => o.size, "custom")).toMatchObject({ events: 5 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("batches stored for an HTTP endpoint are never written by a run with TELEMETRY_TRANSPORT=file; they wait for it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const http = yield* Effect.orDie(fromOptions({
        transport: "http",
        endpoint: "http://127.0.0.1:9/v1/events",
        outboxDir: `${dir}/outbox`
      }))
      yield* withNodeOutbox(http, (o) => o.put(storedBatch))
      const path = `${dir}/events.ndjson`
      yield* Effect.flatMap(TelemetryCollector, (t) => t.track({ type: "x", data: { n: "own" } })).pipe(
        Effect.provide(layerTelemetry({ transport: "file", filePath: path, outboxDir: `${dir}/outbox` }))
      )
      expect((yield* readEvents(path)).map((e) => e.data.n)).toEqual(["own"])
      expect(yield* withNodeOutbox(http, (o) => o.size)).toMatchObject({ batches: 1, events: 1 })
    }).pipe(Effect.provide(NodeContext.layer)))
})

describe("policies provided around TelemetryLive replace the configured ones", () => {
  /** `layerTelemetry` (what `TelemetryLive` is, from an object) with `policies` provided around it. */
  const withPolicies = <A, E, PE>(
    policies: Layer.Layer<never, PE>,
    use: (collector: TelemetryCollector["Type"], delivered: Effect.Effect<ReadonlyArray<TelemetryEvent>>) => Effect.Effect<A, E>
  ) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-policies-" })
      const telemetry = layerTelemetry({ outboxDir, transport: "console" }).pipe(
        Layer.provide(policies),
        Layer.provideMerge(Transport.memory)
      )
      const context = yield* Layer.build(telemetry)
      const memory = Context.get(context, MemoryTransport)
      return yield* use(Context.get(context, TelemetryCollector), memory.events)
    }).pipe(Effect.provide(NodeContext.layer))

  it.scoped("a Sampler layer is used: 10 of 50 pass a throttle of 10", () =>
    withPolicies(
      Sampler.throttled(10, Duration.minutes(1)),
      (collector, delivered) =>
        Effect.gen(function*() {
          for (let n = 0; n < 50; n++) yield* collector.track({ type: "chat.message", data: { n } })
          yield* collector.flush
          expect(yield* delivered).toHaveLength(10)
          expect((yield* collector.stats).sampledOut).toBe(40)
        })
    ))

  it.scoped("a Redactor layer is used: its safe field is kept, other PII still replaced", () =>
    withPolicies(
      Redactor.layer({ safeFields: ["debugEmail"] }),
      (collector, delivered) =>
        Effect.gen(function*() {
          yield* collector.track({ type: "chat.message", data: { debugEmail: "ann@example.com", note: "bob@example.com" } })
          yield* collector.flush
          expect((yield* delivered).map((e) => e.data)).toEqual([{ debugEmail: "ann@example.com", note: "[REDACTED]" }])
        })
    ))

  it.scoped("a Transport layer is used instead of the configured console", () =>
    withPolicies(Layer.empty, (collector, delivered) =>
      Effect.gen(function*() {
        yield* collector.track({ type: "chat.message", data: { n: 1 } })
        yield* collector.flush
        expect((yield* delivered).map((e) => e.data)).toEqual([{ n: 1 }])
        expect((yield* collector.stats).sent).toBe(1)
      })))

  it.scoped("an Outbox layer is used: what the transport cannot deliver is stored there, not in TELEMETRY_OUTBOX_DIR", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const outboxDir = yield* fs.makeTempDirectoryScoped({ prefix: "telemetry-policies-" })
      const outboxContext = yield* Layer.build(Outbox.layerMemory())
      const outbox = Context.get(outboxContext, Outbox)
      const telemetry = layerTelemetry({ outboxDir, transport: "console", maxAttempts: 1 }).pipe(
        Layer.provide(Layer.succeedContext(outboxContext)),
        Layer.provideMerge(Transport.memory)
      )
      const context = yield* Layer.build(telemetry)
      yield* Context.get(context, MemoryTransport).failWith(
        new TransportError({ reason: "network", retryable: true, message: "down" })
      )
      const collector = Context.get(context, TelemetryCollector)
      yield* collector.track({ type: "chat.message", data: { n: 1 } })
      yield* collector.flush
      expect((yield* outbox.size).events).toBe(1)
      expect((yield* collector.stats).outboxed).toBe(1)
      expect(yield* fs.readDirectory(outboxDir)).toEqual([])
    }).pipe(Effect.provide(NodeContext.layer)))
})
