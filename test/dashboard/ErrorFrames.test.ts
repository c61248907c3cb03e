import { describe, expect, it } from "@effect/vitest"
import * as Snapshot from "../../src/dashboard/Snapshot.js"
import type { ErrorSample, StackFrame } from "../../src/schemas/ErrorEvents.js"
import * as ErrorGroups from "../../src/services/errors/ErrorGroups.js"
import * as LruMap from "../../src/internal/LruMap.js"

const sample = (errorId: string, timestamp: number): ErrorSample => ({
  errorId,
  fingerprint: "f1",
  type: "TypeError",
  message: "boom",
  severity: "ERROR",
  category: "runtime",
  kind: "thrown",
  handled: true,
  mechanism: "captureError",
  timestamp,
  breadcrumbs: 0
})

const state = ErrorGroups.empty({ maxGroups: 10, maxTrackedErrors: 10, maxUsersPerGroup: 10, maxSamplesPerGroup: 5 })

/** 15 in-app frames between library frames, each with a field the view must not keep. */
const frames: ReadonlyArray<StackFrame> = Array.from({ length: 30 }, (_, i) =>
  i % 2 === 0
    ? ({ function: `f${i}`, file: `/app/src/m${i}.ts`, line: i + 1, column: 3, inApp: true, extra: "x" }) as StackFrame
    : { function: `lib${i}`, file: "node_modules/lib/index.js", line: 1, inApp: false })

const groupOf = (s: ErrorGroups.ErrorGroupsState) => ErrorGroups.toErrorGroup(LruMap.get(s.groups, "f1")!)

describe("Error sample frames", () => {
  it("a group keeps the first 10 in-app frames (function, file, line, column) of its latest occurrence only", () => {
    const once = ErrorGroups.recordOccurrenceWithFrames(state, sample("e1", 1), frames)
    const group = groupOf(once)
    expect(group.frames).toHaveLength(ErrorGroups.maxInAppFrames)
    expect(group.frames![0]).toEqual({ function: "f0", file: "/app/src/m0.ts", line: 1, column: 3, inApp: true })
    expect(group.frames!.every((f) => f.inApp)).toBe(true)
    expect(group.frames!.map((f) => f.function)).toEqual(Array.from({ length: 10 }, (_, i) => `f${i * 2}`))
    // The dashboard's sample view carries them.
    expect(Snapshot.toGroupView(group).sample!.frames).toEqual(group.frames)
    // The next occurrence's frames replace them; one with none leaves the group without.
    const twice = ErrorGroups.recordOccurrenceWithFrames(once, sample("e2", 2), [{ function: "g", inApp: true }])
    expect(groupOf(twice).frames).toEqual([{ function: "g", inApp: true }])
    const thrice = ErrorGroups.recordOccurrence(twice, sample("e3", 3))
    expect(groupOf(thrice)).not.toHaveProperty("frames")
    expect(Snapshot.toGroupView(groupOf(thrice)).sample).not.toHaveProperty("frames")
  })
})
