import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ErrorTrackingOptionsError, resolveOptions, runHook } from "../../src/services/errors/Options.js"

describe("ErrorTracking options (errors/Options)", () => {
  it.effect("no options decode to the defaults, the window in milliseconds", () =>
    Effect.gen(function*() {
      const config = yield* resolveOptions()
      expect(config).toMatchObject({ maxBreadcrumbs: 50, maxGroups: 1_000, duplicateWindowMillis: 1_000, ignore: [] })
      expect((yield* resolveOptions({ duplicateWindow: "250 millis" })).duplicateWindowMillis).toBe(250)
    }))

  it.effect("a global or sticky ignore RegExp is copied without those flags, so it matches every time", () =>
    Effect.gen(function*() {
      const { ignore } = yield* resolveOptions({ ignore: [/noise/gy, "plain"] })
      const pattern = ignore[0] as RegExp
      expect(pattern.flags).toBe("")
      expect([pattern.test("noise"), pattern.test("noise")]).toEqual([true, true])
      expect(ignore[1]).toBe("plain")
    }))

  it.effect("the first option that does not decode is the error, with its tag and path", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(resolveOptions({ maxSamplesPerGroup: -1, maxGroups: 0 }))
      expect(error).toBeInstanceOf(ErrorTrackingOptionsError)
      expect(error._tag).toBe("ErrorTrackingOptionsError")
      expect(["maxSamplesPerGroup", "maxGroups"]).toContain(error.option)
      expect(String(error)).toContain("ErrorTrackingOptionsError: option ")
    }))

  it.effect("a hook's answer is used; undefined drops; a throwing hook keeps the value", () =>
    Effect.gen(function*() {
      expect(yield* runHook("h", (n: number) => n + 1, 1)).toEqual(Option.some(2))
      expect(yield* runHook("h", (_: number) => undefined, 1)).toEqual(Option.none())
      expect(yield* runHook<number>("h", () => {
        throw new Error("hook bug")
      }, 1)).toEqual(Option.some(1))
      expect(yield* runHook("h", undefined, 1)).toEqual(Option.some(1))
    }))
})
