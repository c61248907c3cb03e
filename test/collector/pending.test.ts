import { describe, expect, it } from "@effect/vitest"
import * as Pending from "../../src/internal/collector/pending.js"

const push = (pending: Pending.Pending, type: string, userId?: string) =>
  pending.buffer.push({ seq: pending.nextSeq(), type, timestamp: 1, sessionId: "s", userId, data: {}, tags: undefined })

describe("pending", () => {
  it("materializes an event with a UUID-shaped id made of the collector's prefix and its sequence number", () => {
    const pending = Pending.make(10)
    push(pending, "error.timeout")
    push(pending, "chat.message")
    const [first, second] = pending.take(10).events
    expect(first).toMatchObject({ type: "error.timeout", kind: "error", timestamp: 1, sessionId: "s", data: {} })
    expect(first!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(first!.id.slice(0, 24)).toBe(second!.id.slice(0, 24))
    expect(second!.id.slice(24)).toBe("000000000001")
    expect("userId" in first!).toBe(false)
    expect("tags" in first!).toBe(false)
  })

  it("a held batch counts as pending until released", () => {
    const pending = Pending.make(10)
    for (let i = 0; i < 5; i++) push(pending, "chat.message")
    const held = pending.hold(3)
    expect(held.batch.events).toHaveLength(3)
    expect(pending.buffer.length).toBe(2)
    expect(pending.count()).toBe(5)
    held.release()
    expect(pending.count()).toBe(2)
    held.release() // twice is harmless
    expect(pending.count()).toBe(2)
  })

  it("finds a user's events in flight and buffered, and removes only the buffered ones", () => {
    const pending = Pending.make(10)
    push(pending, "a", "ann")
    push(pending, "b", "bob")
    const held = pending.hold(2)
    push(pending, "c", "ann")
    push(pending, "d")
    expect(pending.eventsOf("ann").map((e) => e.type)).toEqual(["a", "c"])
    expect(pending.removeUser("ann")).toBe(1)
    expect(pending.buffer.toArray().map((e) => e.type)).toEqual(["d"])
    held.release()
  })
})
