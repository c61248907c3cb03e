import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { makeOutcomes, noCounters } from "../../src/services/errors/Outcomes.js"
import { makeRecordingCollector, passThroughRedactor } from "../support/RecordingCollector.js"

describe("Outcomes", () => {
  it.effect("an accepted event is sent; a refused one is refused with the reason; a failing sink is failed", () =>
    Effect.gen(function*() {
      const rec = yield* makeRecordingCollector()
      const outcomes = yield* makeOutcomes(rec.sink, passThroughRedactor)
      expect(yield* outcomes.send("error.recovery", { ok: true }, { userId: "u1", tags: { a: "b" } })).toEqual({ outcome: "sent" })
      expect(yield* rec.tracked).toMatchObject([{ type: "error.recovery", userId: "u1", tags: { a: "b" } }])
      const refused = yield* outcomes.send("", {}, {})
      expect(refused.outcome).toBe("refused")
      yield* Ref.set(rec.failing, true)
      expect(yield* outcomes.send("error.recovery", {}, {})).toEqual({ outcome: "failed", reason: "collector is down" })
      expect((yield* Ref.get(outcomes.counters)).trackFailures).toBe(2)
    }))

  it.effect("tally counts the capture and its outcome together", () =>
    Effect.gen(function*() {
      const rec = yield* makeRecordingCollector()
      const outcomes = yield* makeOutcomes(rec.sink, passThroughRedactor)
      yield* outcomes.tally("dropped")
      yield* outcomes.tally("sent")
      expect(yield* Ref.get(outcomes.counters)).toEqual({ ...noCounters, captured: 2, droppedByBeforeSend: 1, sent: 1 })
    }))
})
