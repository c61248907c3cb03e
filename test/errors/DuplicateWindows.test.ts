import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Ref, Scope, TestClock } from "effect"
import { type DuplicateWindow, makeDuplicateWindows } from "../../src/services/errors/DuplicateWindows.js"

const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Windows of `millis` whose reports are kept in order. */
const windowsOf = (millis: number) =>
  Effect.gen(function*() {
    const reports = yield* Ref.make<ReadonlyArray<readonly [string, DuplicateWindow]>>([])
    const windows = yield* makeDuplicateWindows(millis, (fp, w) => Ref.update(reports, (r) => [...r, [fp, w] as const]))
    return { windows, reports: Ref.get(reports) }
  })

describe("DuplicateWindows", () => {
  it.scoped("the first occurrence opens a window; later ones inside it are duplicates, reported once when it closes", () =>
    Effect.gen(function*() {
      const { reports, windows } = yield* windowsOf(1_000)
      expect(yield* windows.isDuplicate("F", 0, "Error", "m")).toBe(false)
      expect(yield* windows.isDuplicate("F", 10, "Error", "m")).toBe(true)
      expect(yield* windows.isDuplicate("F", 20, "Error", "m")).toBe(true)
      expect(yield* windows.isDuplicate("G", 20, "Error", "m")).toBe(false)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* reports).toEqual([["F", { firstSeen: 0, lastSeen: 20, duplicates: 2, type: "Error", message: "m" }]])
    }))

  it.effect("closing the scope reports the windows still open; reset forgets them unreported", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { reports, windows } = yield* windowsOf(60_000).pipe(Scope.extend(scope))
      yield* windows.isDuplicate("F", 0, "Error", "m")
      yield* windows.isDuplicate("F", 1, "Error", "m")
      yield* windows.isDuplicate("G", 0, "Error", "m")
      yield* windows.isDuplicate("G", 1, "Error", "m")
      yield* windows.reset
      yield* windows.isDuplicate("F", 2, "Error", "m")
      yield* windows.isDuplicate("F", 3, "Error", "m")
      yield* Scope.close(scope, Exit.void)
      expect((yield* reports).map(([fp, w]) => [fp, w.duplicates])).toEqual([["F", 1]])
    }))

  it.scoped("a window of 0 suppresses nothing", () =>
    Effect.gen(function*() {
      const { windows } = yield* windowsOf(0)
      expect(yield* windows.isDuplicate("F", 0, "Error", "m")).toBe(false)
      expect(yield* windows.isDuplicate("F", 0, "Error", "m")).toBe(false)
    }))
})
