import { describe, expect, it } from "@effect/vitest"
import { ConfigError, Duration, Effect, Option } from "effect"
import * as Settings from "../../src/internal/collector/options.js"

const decode = Settings.decode((fields) => ({ _tag: "Refused" as const, ...fields }))

describe("collector options", () => {
  it.effect("absent options take the environment's defaults", () =>
    Effect.gen(function*() {
      const options = yield* decode(undefined)
      expect(options).toMatchObject({ enabled: true, maxBatchSize: 50, maxBufferSize: 1_000, maxAttempts: 5 })
      expect(Duration.toMillis(options.flushInterval)).toBe(30_000)
      expect(Option.isNone(options.release)).toBe(true)
      expect(Object.keys(options).sort()).toEqual([...Settings.optionNames].sort())
    }))

  it.effect("durations are any DurationInput: text, a Duration, or a number of milliseconds", () =>
    Effect.gen(function*() {
      const options = yield* decode({ flushInterval: "2 seconds", flushTimeout: Duration.minutes(1), retryBaseDelay: 250 })
      expect(Duration.toMillis(options.flushInterval)).toBe(2_000)
      expect(Duration.toMillis(options.flushTimeout)).toBe(60_000)
      expect(Duration.toMillis(options.retryBaseDelay)).toBe(250)
    }))

  it.effect("a value out of range names its option and says why", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(decode({ maxBatchSize: 0 }))
      expect(error).toEqual({ _tag: "Refused", option: "maxBatchSize", reason: "Expected a number between 1 and 10000, actual 0" })
      expect((yield* Effect.flip(decode({ release: "" }))).option).toBe("release")
      expect((yield* Effect.flip(decode({ flushInterval: "soon" as never }))).option).toBe("flushInterval")
      expect((yield* Effect.flip(decode({ retryMaxDelay: { nonsense: true } as never }))).option).toBe("retryMaxDelay")
    }))

  it.effect("a misspelt option, or a setting the collector does not read, is refused by name", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(decode({ maxBatchsize: 10 } as never))).toMatchObject({ option: "maxBatchsize" })
      expect(yield* Effect.flip(decode({ transport: "http" } as never))).toMatchObject({ option: "transport" })
    }))

  it("describeConfigError takes the first failure of a composite error", () => {
    const error = ConfigError.And(
      ConfigError.InvalidData(["TELEMETRY_MAX_ATTEMPTS"], "int\n└─ Expected an integer"),
      ConfigError.InvalidData(["TELEMETRY_FLUSH_INTERVAL"], "bad")
    )
    expect(Settings.describeConfigError(error)).toEqual({ option: "maxAttempts", reason: "Expected an integer" })
  })
})
