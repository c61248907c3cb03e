import { describe, expect, it } from "@effect/vitest"
import * as ErrorGroups from "../src/services/errors/ErrorGroups.js"
import * as LruMap from "../src/services/errors/LruMap.js"

const occurrence = (userId: string, errorId: string): ErrorGroups.Occurrence => ({
  errorId,
  fingerprint: "F",
  type: "Error",
  message: "m",
  category: "unknown",
  severity: "ERROR",
  userId,
  at: 0
})

describe("ErrorGroups", () => {
  it("counts distinct users without keeping their ids in memory", () => {
    let state = ErrorGroups.empty({ maxGroups: 10, maxTrackedErrors: 10, maxUsersPerGroup: 10 })
    for (const [i, userId] of ["ann@example.com", "bob@example.com", "ann@example.com"].entries()) {
      state = ErrorGroups.recordOccurrence(state, occurrence(userId, `e${i}`))
    }
    const group = LruMap.get(state.groups, "F")!
    expect(ErrorGroups.toErrorGroup(group).affectedUsers).toBe(2)
    expect([...group.users].join(" ")).not.toContain("@example.com")
  })
})
