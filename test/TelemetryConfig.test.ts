import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option } from "effect"
import { fromOptions, TelemetryConfig } from "../src/schemas/TelemetryConfig.js"

const fromEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(TelemetryConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("TelemetryConfig", () => {
  it.effect("defaults follow the design card", () =>
    Effect.gen(function*() {
      const config = yield* fromEnv({})
      expect(config).toMatchObject({
        enabled: true,
        transport: "console",
        maxBatchSize: 50,
        maxBufferSize: 1_000,
        sampling: "always",
        redactPII: true
      })
      expect(Duration.toMillis(config.flushInterval)).toBe(30_000)
      expect(Option.isNone(config.endpoint)).toBe(true)
    }))

  it.effect("reads every variable", () =>
    Effect.gen(function*() {
      const config = yield* fromEnv({
        TELEMETRY_ENABLED: "false",
        TELEMETRY_TRANSPORT: "http",
        TELEMETRY_ENDPOINT: "http://127.0.0.1:4318/events",
        TELEMETRY_MAX_BATCH_SIZE: "10",
        TELEMETRY_FLUSH_INTERVAL: "5 seconds",
        TELEMETRY_MAX_BUFFER_SIZE: "100",
        TELEMETRY_SAMPLING: "throttled",
        TELEMETRY_SAMPLING_RATE: "0.5",
        TELEMETRY_THROTTLE_LIMIT: "7",
        TELEMETRY_THROTTLE_WINDOW: "2 minutes",
        TELEMETRY_REDACT_PII: "false",
        TELEMETRY_FILE_PATH: "/tmp/t.ndjson",
        TELEMETRY_SHUTDOWN_TIMEOUT: "1 second"
      })
      expect(config).toMatchObject({
        enabled: false,
        transport: "http",
        endpoint: Option.some("http://127.0.0.1:4318/events"),
        maxBatchSize: 10,
        maxBufferSize: 100,
        sampling: "throttled",
        samplingRate: 0.5,
        throttleLimit: 7,
        redactPII: false,
        filePath: "/tmp/t.ndjson"
      })
      expect(Duration.toMillis(config.throttleWindow)).toBe(120_000)
      expect(Duration.toMillis(config.shutdownTimeout)).toBe(1_000)
    }))

  it.effect.each([
    ["TELEMETRY_SAMPLING_RATE", "1.5", "between 0 and 1"],
    ["TELEMETRY_MAX_BATCH_SIZE", "0", "TELEMETRY_MAX_BATCH_SIZE"],
    ["TELEMETRY_MAX_BATCH_SIZE", "ten", "TELEMETRY_MAX_BATCH_SIZE"],
    ["TELEMETRY_FLUSH_INTERVAL", "soon", "duration"],
    ["TELEMETRY_TRANSPORT", "carrier-pigeon", "TELEMETRY_TRANSPORT"],
    ["TELEMETRY_ENABLED", "maybe", "TELEMETRY_ENABLED"],
    ["TELEMETRY_ENDPOINT", "not a url", "http(s) URL"]
  ] as const)("%s=%s fails naming the variable and the reason", ([name, value, reason]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fromEnv({ [name]: value }))
      expect(String(error)).toContain(name)
      expect(String(error)).toContain(reason)
    }))

  it.effect("the http transport needs an endpoint, and the error says it is missing at TELEMETRY_ENDPOINT", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fromEnv({ TELEMETRY_TRANSPORT: "http" }))
      expect(String(error)).toContain("TELEMETRY_ENDPOINT is required")
      expect(String(error)).toContain("Missing data at TELEMETRY_ENDPOINT")
    }))

  it.effect.each(["HTTP", "Otlp", "FILE"])("TELEMETRY_TRANSPORT=%s is read case-insensitively", (value) =>
    Effect.gen(function*() {
      const config = yield* fromEnv({ TELEMETRY_TRANSPORT: value, TELEMETRY_ENDPOINT: "http://127.0.0.1:4318/v1/logs" })
      expect(config.transport).toBe(value.toLowerCase())
      expect((yield* fromEnv({ TELEMETRY_SAMPLING: "Never" })).sampling).toBe("never")
    }))

  it.effect("fromOptions applies the same rules and defaults to an object", () =>
    Effect.gen(function*() {
      const config = yield* fromOptions({ maxBatchSize: 5, flushInterval: "2 seconds" })
      expect(config.maxBatchSize).toBe(5)
      expect(Duration.toMillis(config.flushInterval)).toBe(2_000)
      expect(config.maxBufferSize).toBe(1_000)
      const error = yield* Effect.flip(fromOptions({ samplingRate: 2 }))
      expect(String(error)).toContain("TELEMETRY_SAMPLING_RATE")
    }))
  it.effect("TELEMETRY_RELEASE, TELEMETRY_ENVIRONMENT and TELEMETRY_TAGS are read; none by default", () =>
    Effect.gen(function*() {
      const defaults = yield* fromEnv({})
      expect(Option.isNone(defaults.release) && Option.isNone(defaults.environment)).toBe(true)
      expect(defaults.globalTags).toEqual({})
      const config = yield* fromEnv({
        TELEMETRY_RELEASE: "1.4.2",
        TELEMETRY_ENVIRONMENT: "production",
        TELEMETRY_TAGS: " team=ai, region=eu ,expr=a=b,"
      })
      expect(config.release).toEqual(Option.some("1.4.2"))
      expect(config.environment).toEqual(Option.some("production"))
      expect(config.globalTags).toEqual({ team: "ai", region: "eu", expr: "a=b" })
    }))

  const manyTags = Array.from({ length: 17 }, (_, i) => `t${i}=v`).join(",")
  it.effect.each([
    ["TELEMETRY_TAGS", "a pair without =", "team", "name=value"],
    ["TELEMETRY_TAGS", "an empty name", "=ai", "1 to 128"],
    ["TELEMETRY_TAGS", "a 129-character name", `${"n".repeat(129)}=x`, "1 to 128"],
    ["TELEMETRY_TAGS", "a 1,025-character value", `team=${"v".repeat(1025)}`, "at most 1024"],
    ["TELEMETRY_TAGS", "a name twice", "team=ai,team=search", "once"],
    ["TELEMETRY_TAGS", "the name __proto__", "__proto__=x", "other than __proto__"],
    ["TELEMETRY_TAGS", "17 tags", manyTags, "at most 16 tags"],
    ["TELEMETRY_RELEASE", "empty", "", "non-empty"],
    ["TELEMETRY_ENVIRONMENT", "1,025 characters", "e".repeat(1025), "at most 1024"]
  ] as const)("%s with %s fails naming the variable and the reason", ([name, _what, value, reason]) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fromEnv({ [name]: value }))
      expect(String(error)).toContain(name)
      expect(String(error)).toContain(reason)
    }))

  it.effect("fromOptions takes release, environment and global tags as values, and refuses a comma in a tag", () =>
    Effect.gen(function*() {
      const config = yield* fromOptions({ release: "2.0.0", environment: "dev", globalTags: { team: "ai", expr: "a=b" } })
      expect(config.release).toEqual(Option.some("2.0.0"))
      expect(config.environment).toEqual(Option.some("dev"))
      expect(config.globalTags).toEqual({ team: "ai", expr: "a=b" })
      const comma = yield* Effect.flip(fromOptions({ globalTags: { regions: "eu,us" } }))
      expect(String(comma)).toContain("TELEMETRY_TAGS")
      const tooMany = yield* Effect.flip(fromOptions({ globalTags: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`t${i}`, "v"])) }))
      expect(String(tooMany)).toContain("at most 16 tags")
    }))
})
