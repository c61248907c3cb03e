import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import { type CoreOptions, coreVariables, fromCoreOptions } from "../src/schemas/CoreConfig.js"
import { fromOptions, standardVariables, TelemetryConfig, variables } from "../src/schemas/TelemetryConfig.js"

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
  it.effect("fromOptions fails with the error the environment gives for the same text, every invalid setting named", () =>
    Effect.gen(function*() {
      const fromObject = yield* Effect.flip(fromOptions({
        maxBatchSize: 0,
        samplingRate: 2,
        flushInterval: "soon" as Duration.DurationInput,
        transport: "file"
      }))
      const fromEnvironment = yield* Effect.flip(fromEnv({
        TELEMETRY_MAX_BATCH_SIZE: "0",
        TELEMETRY_SAMPLING_RATE: "2",
        TELEMETRY_FLUSH_INTERVAL: "soon",
        TELEMETRY_TRANSPORT: "file"
      }))
      expect(String(fromObject)).toBe(String(fromEnvironment))
      for (const name of ["TELEMETRY_MAX_BATCH_SIZE", "TELEMETRY_SAMPLING_RATE", "TELEMETRY_FLUSH_INTERVAL"]) {
        expect(String(fromObject)).toContain(name)
      }
      const missing = yield* Effect.flip(fromOptions({ transport: "http" }))
      expect(String(missing)).toBe(String(yield* Effect.flip(fromEnv({ TELEMETRY_TRANSPORT: "http" }))))
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

  it.effect("fromCoreOptions (the browser's) gives every setting of every platform as fromOptions does, and none beyond", () =>
    Effect.gen(function*() {
      const given = {
        maxBatchSize: 5,
        flushInterval: "2 seconds",
        sampling: "throttled",
        userIdKey: Redacted.make("secret"),
        endpoint: "https://example.com/t",
        globalTags: { team: "ai" }
      } as const
      const core = yield* fromCoreOptions(given)
      const full = yield* fromOptions({ ...given, transport: "http" })
      expect(Object.keys(core).sort()).toEqual(Object.keys(coreVariables).sort())
      for (const key of Object.keys(coreVariables) as ReadonlyArray<keyof typeof coreVariables>) {
        expect(core[key]).toEqual(full[key])
      }
      expect(Object.keys(core)).not.toContain("otlpProtocol")
      expect(Object.values(coreVariables).every((name) => Object.values(variables).includes(name))).toBe(true)
    }))

  it.effect.each([
    [{ samplingRate: 2 }, "TELEMETRY_SAMPLING_RATE"],
    [{ maxBatchSize: 1.5 }, "TELEMETRY_MAX_BATCH_SIZE"],
    [{ flushInterval: "soon" }, "TELEMETRY_FLUSH_INTERVAL"],
    [{ flushInterval: 0 }, "TELEMETRY_FLUSH_INTERVAL"],
    [{ sampling: "sometimes" as "always" }, "TELEMETRY_SAMPLING"],
    [{ redactPII: "maybe" as unknown as boolean }, "TELEMETRY_REDACT_PII"],
    [{ release: "" }, "TELEMETRY_RELEASE"],
    [{ endpoint: "ftp://example.com" }, "TELEMETRY_ENDPOINT"],
    [{ globalTags: { regions: "eu,us" } }, "TELEMETRY_TAGS"],
    [{ globalTags: { "": "x" } }, "TELEMETRY_TAGS"],
    [{ samplingRate: 2, maxBatchSize: 0 }, "TELEMETRY_MAX_BATCH_SIZE"]
  ] as ReadonlyArray<readonly [CoreOptions, string]>)("fromCoreOptions refuses %j at %s with fromOptions' own error", ([options, variable]) =>
    Effect.gen(function*() {
      const core = yield* Effect.flip(fromCoreOptions(options))
      const full = yield* Effect.flip(fromOptions(options))
      expect(String(core)).toContain(variable)
      expect(String(core)).toBe(String(full))
    }))

  describe("OTLP settings", () => {
    it.effect("otlp defaults: a collector on localhost:4318, protobuf, no compression, metrics every minute, no traces", () =>
      Effect.gen(function*() {
        const config = yield* fromEnv({ TELEMETRY_TRANSPORT: "otlp" })
        expect(config).toMatchObject({
          endpoint: Option.some("http://localhost:4318"),
          serviceName: "effect-telemetry",
          otlpProtocol: "http/protobuf",
          otlpCompression: "none",
          otlpHeaders: {},
          otlpTraces: false,
          resourceAttributes: {}
        })
        expect(Duration.toMillis(config.metricsInterval)).toBe(60_000)
      }))

    const standard = {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=abc%3D%3D, x-team = a%20b%2Cc",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_SERVICE_NAME: "assistant",
      OTEL_RESOURCE_ATTRIBUTES: "region=eu,service.name=ignored,k8s.pod.name=pod%201",
      OTEL_METRIC_EXPORT_INTERVAL: "15000"
    }

    it.effect("the OTEL_* variables are honoured when ours are unset (headers and attributes percent-decoded)", () =>
      Effect.gen(function*() {
        const config = yield* fromEnv({ TELEMETRY_TRANSPORT: "otlp", ...standard })
        expect(config).toMatchObject({
          endpoint: Option.some("http://otel:4318"),
          serviceName: "assistant",
          otlpProtocol: "http/json",
          otlpCompression: "gzip",
          otlpHeaders: { "api-key": "abc==", "x-team": "a b,c" },
          resourceAttributes: { region: "eu", "service.name": "ignored", "k8s.pod.name": "pod 1" }
        })
        expect(Duration.toMillis(config.metricsInterval)).toBe(15_000)
      }))

    it.effect("ours win over the OTEL_* variables", () =>
      Effect.gen(function*() {
        const config = yield* fromEnv({
          ...standard,
          TELEMETRY_TRANSPORT: "otlp",
          TELEMETRY_ENDPOINT: "https://ours:4318",
          TELEMETRY_OTLP_HEADERS: "authorization=Bearer%20t",
          TELEMETRY_OTLP_PROTOCOL: "HTTP/PROTOBUF",
          TELEMETRY_OTLP_COMPRESSION: "none",
          TELEMETRY_SERVICE_NAME: "chat",
          TELEMETRY_METRICS_INTERVAL: "5 seconds",
          TELEMETRY_OTLP_TRACES: "true"
        })
        expect(config).toMatchObject({
          endpoint: Option.some("https://ours:4318"),
          serviceName: "chat",
          otlpProtocol: "http/protobuf",
          otlpCompression: "none",
          otlpHeaders: { authorization: "Bearer t" },
          otlpTraces: true
        })
        expect(Duration.toMillis(config.metricsInterval)).toBe(5_000)
      }))

    it.effect("service.name of OTEL_RESOURCE_ATTRIBUTES names the service when neither name variable is set", () =>
      Effect.gen(function*() {
        const config = yield* fromEnv({ OTEL_RESOURCE_ATTRIBUTES: "service.name=billing" })
        expect(config.serviceName).toBe("billing")
      }))

    it.effect("OTEL_EXPORTER_OTLP_ENDPOINT is for OTLP only: the http transport still needs TELEMETRY_ENDPOINT", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnv({ TELEMETRY_TRANSPORT: "http", OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel:4318" }))
        expect(String(error)).toContain("TELEMETRY_ENDPOINT is required")
      }))

    it.effect.each([
      ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "grpc is not supported"],
      ["TELEMETRY_OTLP_PROTOCOL", "grpc", "TELEMETRY_OTLP_PROTOCOL"],
      ["TELEMETRY_OTLP_COMPRESSION", "brotli", "TELEMETRY_OTLP_COMPRESSION"],
      ["TELEMETRY_OTLP_HEADERS", "x-key=a%0D%0Ab", "control characters"],
      ["OTEL_EXPORTER_OTLP_HEADERS", "bad name=x", "header names"],
      ["OTEL_EXPORTER_OTLP_HEADERS", "x-key=%E0%A4%A", "percent-encoding"],
      ["OTEL_RESOURCE_ATTRIBUTES", "region", "key=value"],
      ["TELEMETRY_METRICS_INTERVAL", "0 seconds", "positive duration"],
      ["OTEL_METRIC_EXPORT_INTERVAL", "soon", "OTEL_METRIC_EXPORT_INTERVAL"]
    ] as const)("%s=%s fails naming the variable and the reason", ([name, value, reason]) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(fromEnv({ TELEMETRY_TRANSPORT: "otlp", [name]: value }))
        expect(String(error)).toContain(name)
        expect(String(error)).toContain(reason)
      }))

    it.effect("fromOptions takes OTLP headers as an object (commas and = in values survive) and ignores OTEL_*", () =>
      Effect.gen(function*() {
        const config = yield* fromOptions({
          transport: "otlp",
          otlpHeaders: { authorization: "Basic a2V5==", "x-list": "a,b" },
          metricsInterval: "10 seconds",
          otlpProtocol: "http/json"
        })
        expect(config.otlpHeaders).toEqual({ authorization: "Basic a2V5==", "x-list": "a,b" })
        expect(Duration.toMillis(config.metricsInterval)).toBe(10_000)
        expect(config.otlpProtocol).toBe("http/json")
        expect(config.endpoint).toEqual(Option.some("http://localhost:4318"))
      }))

    it("Telemetry.environmentVariables lists every TELEMETRY_ variable, the OTLP ones included, and no OTEL_ one", () => {
      const names = Object.values(variables)
      expect(names).toEqual(expect.arrayContaining([
        "TELEMETRY_OTLP_PROTOCOL",
        "TELEMETRY_OTLP_COMPRESSION",
        "TELEMETRY_OTLP_HEADERS",
        "TELEMETRY_OTLP_TRACES",
        "TELEMETRY_METRICS_INTERVAL"
      ]))
      expect(names.every((name) => name.startsWith("TELEMETRY_"))).toBe(true)
      expect(standardVariables.every((name) => name.startsWith("OTEL_"))).toBe(true)
    })
  })
})
