import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Ref } from "effect"
import * as ErrorGroups from "../../src/services/errors/ErrorGroups.js"
import { hash64 } from "../../src/services/errors/Fingerprint.js"
import { makeOutcomes } from "../../src/services/errors/Outcomes.js"
import { makeRecords } from "../../src/services/errors/Records.js"
import { sampleOf } from "../fixtures/errors/samples.js"
import { makeRecordingCollector, passThroughRedactor } from "../support/RecordingCollector.js"

const bounds = { maxGroups: 10, maxTrackedErrors: 10, maxUsersPerGroup: 10, maxSamplesPerGroup: 2 }

/** Records over a state holding the given occurrences. */
const recordsOver = (samples: ReadonlyArray<ReturnType<typeof sampleOf>>) =>
  Effect.gen(function*() {
    const rec = yield* makeRecordingCollector()
    const state = yield* Ref.make(samples.reduce(ErrorGroups.recordOccurrence, ErrorGroups.empty(bounds)))
    const outcomes = yield* makeOutcomes(rec.sink, passThroughRedactor)
    return { rec, records: makeRecords(state, outcomes, (s) => s.replace("ann", "[N]")) }
  })

describe("Records", () => {
  it.effect("a recovery counts against the error and its group and is reported as error.recovery", () =>
    Effect.gen(function*() {
      const { rec, records } = yield* recordsOver([sampleOf("e1", "F"), sampleOf("e2", "F")])
      yield* records.recordRecovery("e1", true)
      yield* Effect.exit(records.attemptRecovery("F", Effect.fail("still down")))
      expect(Option.getOrThrow(yield* records.recoveryStats("e1"))).toMatchObject({
        error: { attempts: 1, successes: 1 },
        group: { attempts: 2, successes: 1, recoveryRate: 0.5 }
      })
      expect((yield* rec.dataOf<{ succeeded: boolean }>("error.recovery")).map((d) => d.succeeded)).toEqual([true, false])
    }))

  it.effect("an unknown key is None and tracks nothing", () =>
    Effect.gen(function*() {
      const { rec, records } = yield* recordsOver([])
      expect(yield* records.recordRecovery("nope", true)).toEqual(Option.none())
      expect(yield* records.getError("nope")).toEqual(Option.none())
      expect(yield* rec.tracked).toEqual([])
    }))

  it.effect("a fingerprint is found as the caller gave it: redacted, or hashed when long", () =>
    Effect.gen(function*() {
      const long = "x".repeat(300)
      const { records } = yield* recordsOver([sampleOf("e1", "[N]-inbox"), sampleOf("e2", hash64(long))])
      expect(Option.map(yield* records.group("ann-inbox"), (g) => g.fingerprint)).toEqual(Option.some("[N]-inbox"))
      expect(Option.map(yield* records.group(long), (g) => g.fingerprint)).toEqual(Option.some(hash64(long)))
      expect(yield* records.group("bob-inbox")).toEqual(Option.none())
      expect((yield* records.groups).map((g) => g.fingerprint)).toEqual([hash64(long), "[N]-inbox"])
    }))
})
