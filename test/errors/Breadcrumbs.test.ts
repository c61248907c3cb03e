import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { Redactor } from "../../src/services/Redactor.js"
import { makeBreadcrumbs } from "../../src/services/errors/Breadcrumbs.js"
import { passThroughRedactor } from "../support/RecordingCollector.js"

const secretRedactor = Redactor.of({
  ...passThroughRedactor,
  redactString: (s) => s.replace("secret", "[X]"),
  redact: (v) => JSON.parse(JSON.stringify(v).replace("secret", "[X]"))
})

describe("Breadcrumbs", () => {
  it.effect("keeps the latest, oldest first, stamped by the Clock, redacted, with defaults filled in", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(5_000)
      const ring = yield* makeBreadcrumbs(2, undefined, secretRedactor)
      yield* ring.add({ message: "one" })
      yield* ring.add({ message: "two secret", data: { key: "secret" }, level: "WARNING", category: "ui" })
      yield* ring.add({ message: "three", timestamp: 7, level: "LOUD" as never })
      expect(yield* ring.all).toEqual([
        { timestamp: 5_000, category: "ui", message: "two [X]", level: "WARNING", data: { key: "[X]" } },
        { timestamp: 7, category: "default", message: "three", level: "INFO" }
      ])
      yield* ring.clear
      expect(yield* ring.all).toEqual([])
    }))

  it.effect("beforeBreadcrumb may drop a crumb, and what it returns is checked and redacted again", () =>
    Effect.gen(function*() {
      const ring = yield* makeBreadcrumbs(5, (crumb) =>
        crumb.message === "drop" ? undefined : { ...crumb, message: `${crumb.message} secret`, timestamp: -1 }, secretRedactor)
      yield* ring.add({ message: "drop" })
      yield* ring.add({ message: "keep", timestamp: 3 })
      expect(yield* ring.all).toEqual([{ timestamp: 3, category: "default", message: "keep [X]", level: "INFO" }])
    }))

  it.effect("a bound of 0 keeps none", () =>
    Effect.gen(function*() {
      const ring = yield* makeBreadcrumbs(0, undefined, passThroughRedactor)
      yield* ring.add({ message: "x" })
      expect(yield* ring.all).toEqual([])
    }))
})
