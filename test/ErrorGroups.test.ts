import { describe, expect, it } from "@effect/vitest"
import type { ErrorSample } from "../src/schemas/ErrorEvents.js"
import * as ErrorGroups from "../src/services/errors/ErrorGroups.js"
import * as LruMap from "../src/internal/LruMap.js"
import { sampleOf } from "./fixtures/errors/samples.js"

const occurrence = (userId: string, errorId: string): ErrorSample => sampleOf(errorId, "F", { userId })

const bounds = { maxGroups: 10, maxTrackedErrors: 10, maxUsersPerGroup: 10, maxSamplesPerGroup: 2 }

describe("ErrorGroups", () => {
  it("counts distinct users without keeping their ids in memory", () => {
    let state = ErrorGroups.empty(bounds)
    for (const [i, userId] of ["ann@example.com", "bob@example.com", "ann@example.com"].entries()) {
      state = ErrorGroups.recordOccurrence(state, occurrence(userId, `e${i}`))
    }
    const group = LruMap.get(state.groups, "F")!
    expect(ErrorGroups.toErrorGroup(group).affectedUsers).toBe(2)
    expect([...group.users].join(" ")).not.toContain("@example.com")
  })

  it("keeps the latest samples of a group, newest first, sharing them with the records by id", () => {
    let state = ErrorGroups.empty(bounds)
    for (const id of ["e0", "e1", "e2"]) state = ErrorGroups.recordOccurrence(state, occurrence("u", id))
    const samples = ErrorGroups.toErrorGroup(LruMap.get(state.groups, "F")!).samples
    expect(samples.map((s) => s.errorId)).toEqual(["e2", "e1"])
    // One object per occurrence: the sample is the record's, not a copy.
    expect(LruMap.get(state.errors, "e2")!.sample).toBe(samples[0])
    expect(ErrorGroups.recordOf(state, "e0")).toMatchObject({ errorId: "e0", recovery: { attempts: 0 } })
  })
})
