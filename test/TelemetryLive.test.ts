import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Layer, Schema } from "effect"
import { layerTelemetry, TelemetryLive } from "../src/layers/TelemetryLive.js"
import { TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"

const withEnv = (env: Record<string, string>) =>
  Layer.provide(TelemetryLive, Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

const readEvents = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path)
    return text.trim().split("\n").map((line) => Schema.decodeUnknownSync(TelemetryEvent)(JSON.parse(line)))
  })

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
      }).pipe(Effect.provide(withEnv({ TELEMETRY_TRANSPORT: "file", TELEMETRY_FILE_PATH: path })))
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
        Effect.provide(layerTelemetry({ transport: "file", filePath: path, redactPII: false }))
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
})
