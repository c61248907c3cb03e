import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Accounting from "../../src/internal/collector/accounting.js"
import * as Intake from "../../src/internal/collector/intake.js"
import * as Pending from "../../src/internal/collector/pending.js"
import * as Sessions from "../../src/internal/collector/sessions.js"
import * as Outbox from "../../src/services/Outbox.js"
import { pseudonymizing as marking, sampler } from "./fixtures.js"

const setup = Effect.gen(function*() {
  const clock = yield* Effect.clock
  const outbox = yield* Outbox.make(Outbox.defaultOptions).pipe(Effect.provide(KeyValueStore.layerMemory))
  const pending = Pending.make(100)
  const accounting = Accounting.make(outbox, 0)
  const current: Intake.Current = { enabled: true, session: Sessions.newSession(clock, marking) }
  const intake = Intake.make({}, { clock, sampler: sampler(), redactor: marking, pending, counters: accounting.counters, countAccepted: accounting.countAccepted, current, buffered: () => {} })
  const sessions = yield* Sessions.make({ clock, redactor: marking, outbox, pending, accounting, current, intake, exclusive: (e) => e })
  const tracked = () => pending.buffer.toArray().map(pending.materialize)
  return { accounting, current, intake, outbox, pending, sessions, tracked }
})

describe("sessions", () => {
  it.effect("startSession tracks session.start; the next start ends it with its duration; endSession rotates", () =>
    Effect.gen(function*() {
      const { sessions, tracked } = yield* setup
      const implicit = yield* sessions.currentSession
      // the initial session was never started: ending it tracks nothing
      const ended0 = yield* sessions.endSession
      expect(ended0.id).toBe(implicit.id)
      const first = yield* sessions.startSession({ userId: "ann" })
      expect(first.userId).toBe("p:ann")
      yield* TestClock.adjust("5 seconds")
      const second = yield* sessions.startSession()
      const ended = yield* sessions.endSession
      expect(ended.id).toBe(second.id)
      expect((yield* sessions.currentSession).id).not.toBe(second.id)
      expect(tracked().map((e) => [e.type, e.data.sessionId])).toEqual([
        ["session.start", first.id],
        ["session.end", first.id],
        ["session.start", second.id],
        ["session.end", second.id]
      ])
      expect(tracked()[1]!.data.durationMs).toBe(5_000)
    }))

  it.effect("concurrent starts never both end the same session", () =>
    Effect.gen(function*() {
      const { sessions, tracked } = yield* setup
      yield* Effect.all(Array.from({ length: 10 }, () => sessions.startSession()), { concurrency: "unbounded" })
      const ends = tracked().filter((e) => e.type === "session.end").map((e) => e.data.sessionId)
      expect(new Set(ends).size).toBe(ends.length)
      expect(ends).toHaveLength(9)
    }))

  it.effect("identify names the user without rotating; invalid traits fail and change nothing", () =>
    Effect.gen(function*() {
      const { accounting, sessions, tracked } = yield* setup
      const before = yield* sessions.currentSession
      const named = yield* sessions.identify("ann", { plan: "pro" })
      expect(named).toMatchObject({ id: before.id, userId: "p:ann" })
      expect(tracked()).toMatchObject([{ type: "session.identify", userId: "p:ann", data: { traits: { plan: "pro" } } }])
      yield* Effect.flip(sessions.identify("bob", { f: () => 1 } as never))
      expect((yield* sessions.currentSession).userId).toBe("p:ann")
      expect(accounting.counters.invalid).toBe(1)
    }))

  it.effect("opting out stops collection until opting in", () =>
    Effect.gen(function*() {
      const { accounting, intake, sessions } = yield* setup
      yield* sessions.optOut
      expect(yield* sessions.isEnabled).toBe(false)
      yield* intake.track({ type: "chat.message" })
      yield* sessions.optIn
      yield* intake.track({ type: "chat.message" })
      expect(accounting.counters).toMatchObject({ tracked: 2, disabled: 1, accepted: 1 })
    }))

  it.effect("export finds a user's stored and buffered events and sessions; erase removes and counts them", () =>
    Effect.gen(function*() {
      const { accounting, intake, outbox, pending, sessions } = yield* setup
      yield* sessions.startSession({ userId: "ann" })
      yield* intake.track({ type: "chat.message", data: { n: 1 } })
      yield* intake.track({ type: "chat.message", userId: "bob" })
      yield* outbox.put(pending.take(3))
      yield* intake.track({ type: "chat.message", data: { n: 2 } })
      const exported = yield* sessions.exportUserData("ann")
      expect(exported.userId).toBe("ann")
      expect(exported.sessions.map((s) => s.userId)).toEqual(["p:ann"])
      expect(exported.events.map((e) => e.type)).toEqual(["session.start", "chat.message", "chat.message"])
      expect(yield* sessions.eraseUserData("ann")).toEqual({ erased: 3 })
      expect(accounting.counters.erased).toBe(3)
      const after = yield* sessions.exportUserData("ann")
      expect(after.events).toEqual([])
      expect(after.sessions).toEqual([])
      expect((yield* sessions.exportUserData("bob")).events).toHaveLength(1)
    }))
})
