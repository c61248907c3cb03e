import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, FiberId, Ref } from "effect"
import { makeBreadcrumbs } from "../../src/services/errors/Breadcrumbs.js"
import { candidatesOf, makeCapture } from "../../src/services/errors/Capture.js"
import { makeDuplicateWindows } from "../../src/services/errors/DuplicateWindows.js"
import { describeError } from "../../src/services/errors/ErrorDescription.js"
import * as ErrorGroups from "../../src/services/errors/ErrorGroups.js"
import { resolveOptions } from "../../src/services/errors/Options.js"
import { makeOutcomes } from "../../src/services/errors/Outcomes.js"
import type { ErrorTrackingOptions } from "../../src/services/errors/Options.js"
import { makeRecordingCollector, passThroughRedactor } from "../support/RecordingCollector.js"

/** The capture calls over a recording sink, with their state. */
const capture = (options: ErrorTrackingOptions = {}) =>
  Effect.gen(function*() {
    const rec = yield* makeRecordingCollector({ sessionUserId: "session-user" })
    const config = yield* Effect.orDie(resolveOptions(options))
    const outcomes = yield* makeOutcomes(rec.sink, passThroughRedactor)
    const state = yield* Ref.make(ErrorGroups.empty(config))
    const breadcrumbs = yield* makeBreadcrumbs(config.maxBreadcrumbs, undefined, passThroughRedactor)
    const windows = yield* makeDuplicateWindows(config.duplicateWindowMillis, () => Effect.void)
    const calls = makeCapture({ config, sink: rec.sink, redactor: passThroughRedactor, outcomes, state, breadcrumbs, windows })
    return { ...calls, rec, state, counters: Ref.get(outcomes.counters) }
  })

describe("Capture", () => {
  it("the candidates of a Cause are its failures and defects, most severe first; interruptions only when alone", () => {
    const mixed = describeError(Cause.parallel(Cause.fail(new Error("400 bad request")), Cause.die(new Error("bug"))))
    expect(candidatesOf(mixed).map((c) => [c.leaf.kind, c.classification.severity])).toEqual([
      ["die", "CRITICAL"],
      ["fail", "WARNING"]
    ])
    const interrupted = describeError(Cause.interrupt(FiberId.none))
    expect(candidatesOf(interrupted).map((c) => c.leaf.kind)).toEqual(["interrupt"])
  })

  it.scoped("an ignored error is counted and not grouped; a sent one is grouped, attributed to the session user", () =>
    Effect.gen(function*() {
      const c = yield* capture({ ignore: ["noise"] })
      expect(yield* c.captureError(new Error("noise here"))).toEqual({ errorId: "", fingerprint: "", outcome: "ignored" })
      const sent = yield* c.captureError(new Error("real"), { tags: { area: "x" } })
      expect(sent.outcome).toBe("sent")
      expect(yield* c.rec.tracked).toMatchObject([{ type: "error.captured", userId: "session-user", tags: { area: "x" } }])
      expect(ErrorGroups.recordOf(yield* Ref.get(c.state), sent.errorId)).toMatchObject({ message: "real" })
      expect(yield* c.counters).toMatchObject({ captured: 2, ignored: 1, sent: 1 })
    }))

  it.scoped("a failing sink makes the capture failed, with the reason, counted — never a failure of the caller", () =>
    Effect.gen(function*() {
      const c = yield* capture()
      yield* Ref.set(c.rec.failing, true)
      expect(yield* c.captureError(new Error("while down"))).toMatchObject({ outcome: "failed", reason: "collector is down" })
      const message = yield* c.captureMessage("hello", "WARNING")
      expect(message.outcome).toBe("failed")
      expect(yield* c.counters).toMatchObject({ captured: 2, failed: 2, trackFailures: 2 })
    }))

  it.scoped("captureErrors captures a failure and re-raises it; an interruption is not captured", () =>
    Effect.gen(function*() {
      const c = yield* capture()
      const exit = yield* Effect.exit(c.captureErrors(Effect.fail("typed"), { tags: { via: "captureErrors" } }))
      expect(exit._tag).toBe("Failure")
      yield* Effect.exit(c.captureErrors(Effect.interrupt))
      expect(yield* c.rec.dataOf("error.captured")).toMatchObject([{ mechanism: "captureErrors", kind: "fail" }])
    }))
})
