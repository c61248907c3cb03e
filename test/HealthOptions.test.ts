import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { defaultCheckSettings, resolveRegistration } from "../src/services/health/Options.js"
import { HealthCheck } from "../src/services/HealthCheck.js"
import { Redactor } from "../src/services/Redactor.js"
import { makeRecordingCollector, passThroughRedactor } from "./support/RecordingCollector.js"

const build = (options: unknown) =>
  Effect.gen(function*() {
    const { context } = yield* makeRecordingCollector()
    const layer = HealthCheck.layer(options as HealthCheck.LayerOptions).pipe(
      Layer.provide(Layer.merge(Layer.succeedContext(context), Layer.succeed(Redactor, passThroughRedactor)))
    )
    return yield* Effect.flip(Layer.build(layer))
  })

describe("HealthCheck layer options", () => {
  it.scoped("a bad default fails the layer with HealthCheckOptionsError naming its path", () =>
    Effect.gen(function*() {
      const error = yield* build({ defaults: { interval: 0 } })
      expect(error).toBeInstanceOf(HealthCheck.OptionsError)
      expect(error).toMatchObject({ _tag: "HealthCheckOptionsError", option: "defaults.interval" })
      expect(error.message).toBe("option defaults.interval: must be a positive duration")
    }))

  it.scoped("a misspelt option is refused", () =>
    Effect.gen(function*() {
      expect(yield* build({ exposeErrorDetail: true })).toMatchObject({ option: "exposeErrorDetail" })
      expect(yield* build({ defaults: { failureTreshold: 2 } })).toMatchObject({ option: "defaults.failureTreshold" })
    }))

  it.scoped("exposeErrorDetails must be a boolean", () =>
    Effect.gen(function*() {
      expect(yield* build({ exposeErrorDetails: "yes" })).toMatchObject({ option: "exposeErrorDetails" })
    }))
})

describe("resolveRegistration", () => {
  it.effect("defaults: 60-second interval, 5-second timeout, critical, thresholds 3 and 2, no latency threshold", () =>
    Effect.gen(function*() {
      const settings = yield* resolveRegistration("db", undefined, undefined)
      expect(Duration.toMillis(settings.interval)).toBe(60_000)
      expect(Duration.toMillis(settings.timeout)).toBe(5_000)
      expect(settings).toMatchObject({
        critical: true,
        dependencies: [],
        thresholds: { failureThreshold: 3, recoveryThreshold: 2, degradedLatencyMs: undefined }
      })
      expect(Duration.toMillis(defaultCheckSettings.interval)).toBe(60_000)
    }))

  it.effect("the registration's options win over the layer's defaults; dependencies are deduplicated", () =>
    Effect.gen(function*() {
      const settings = yield* resolveRegistration(
        "api",
        { interval: "10 seconds", dependencies: ["db", "db", "cache"], degradedLatency: 250 },
        { interval: "1 minute", critical: false }
      )
      expect(Duration.toMillis(settings.interval)).toBe(10_000)
      expect(settings.critical).toBe(false)
      expect(settings.dependencies).toEqual(["db", "cache"])
      expect(settings.thresholds.degradedLatencyMs).toBe(250)
    }))

  it.effect("a bad or misspelt option refuses the registration with invalid-option naming it", () =>
    Effect.gen(function*() {
      const misspelt = yield* Effect.flip(resolveRegistration("db", { intervall: "1 second" } as never, undefined))
      expect(misspelt).toMatchObject({ _tag: "HealthCheckRegistrationError", problem: "invalid-option", option: "intervall" })
      const fractional = yield* Effect.flip(resolveRegistration("db", { recoveryThreshold: 1.5 }, undefined))
      expect(fractional).toMatchObject({ problem: "invalid-option", option: "recoveryThreshold", service: "db" })
      const latency = yield* Effect.flip(resolveRegistration("db", { degradedLatency: "-1 millis" as never }, undefined))
      expect(latency).toMatchObject({ problem: "invalid-option", option: "degradedLatency" })
    }))

  it.effect("a name that is empty, too long or holds ':' is refused with invalid-name", () =>
    Effect.gen(function*() {
      for (const name of ["", "x".repeat(129), "db:primary"]) {
        expect(yield* Effect.flip(resolveRegistration(name, undefined, undefined))).toMatchObject({ problem: "invalid-name" })
      }
      expect((yield* resolveRegistration("x".repeat(128), undefined, undefined)).critical).toBe(true)
    }))
})
