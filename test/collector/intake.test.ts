import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Option, TestClock } from "effect"
import * as Accounting from "../../src/internal/collector/accounting.js"
import * as Intake from "../../src/internal/collector/intake.js"
import * as Pending from "../../src/internal/collector/pending.js"
import { InvalidEventError } from "../../src/schemas/errors.js"
import { marking, sampler } from "./fixtures.js"

const setup = (options: Intake.ContextOptions = {}, keep?: (type: string) => boolean) =>
  Effect.map(Effect.clock, (clock) => {
    const pending = Pending.make(3)
    const books = Accounting.make({ size: Effect.succeed({ batches: 0, events: 0, bytes: 0 }) }, 0)
    const current: Intake.Current = { enabled: true, session: { id: "s1", startedAt: 0, userId: "p:owner" } }
    const lengths: Array<number> = []
    const intake = Intake.make(options, {
      clock,
      sampler: sampler(keep),
      redactor: marking,
      pending,
      counters: books.counters,
      countAccepted: books.countAccepted,
      current,
      buffered: (length) => lengths.push(length)
    })
    return { intake, pending, books, current, lengths, events: () => pending.buffer.toArray().map(pending.materialize) }
  })

describe("intake", () => {
  it.effect("enriches with Clock time and the current session, redacts data and pseudonymises user ids", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_000)
      const { events, intake, lengths } = yield* setup()
      yield* intake.track({ type: "chat.message", data: { note: "hi" } })
      yield* intake.track({ type: "chat.message", userId: "ann", timestamp: 5 })
      expect(events()).toMatchObject([
        { timestamp: 1_000, sessionId: "s1", userId: "p:owner", data: { note: "HI" } },
        { timestamp: 5, userId: "p:ann", data: {} }
      ])
      expect(lengths).toEqual([1, 2])
    }))

  it.effect("invalid input fails with InvalidEventError and is counted invalid, not tracked", () =>
    Effect.gen(function*() {
      const { books, intake, pending } = yield* setup()
      const result = yield* Effect.either(intake.track({ type: "", data: () => 1 }))
      expect(Either.isLeft(result) && result.left instanceof InvalidEventError).toBe(true)
      const thrower = new Proxy({}, { get: () => { throw new Error("boom") }, ownKeys: () => { throw new Error("boom") } })
      const unreadable = yield* Effect.flip(intake.track(thrower))
      expect(unreadable.issues[0]?.message).toContain("input cannot be read: boom")
      expect(books.counters).toMatchObject({ invalid: 2, tracked: 0 })
      expect(pending.buffer.length).toBe(0)
    }))

  it.effect("opted out, events count as disabled; sampled out, as sampledOut; a full buffer counts overflow", () =>
    Effect.gen(function*() {
      const { books, current, intake } = yield* setup({}, (type) => type !== "noise")
      current.enabled = false
      yield* intake.track({ type: "chat.message" })
      current.enabled = true
      yield* intake.track({ type: "noise" })
      for (let i = 0; i < 4; i++) yield* intake.track({ type: "chat.message" })
      expect(books.counters).toMatchObject({ tracked: 6, disabled: 1, sampledOut: 1, accepted: 4, bufferOverflow: 1 })
    }))

  it.effect("accepted events are counted by kind, sampled-out and invalid ones are not", () =>
    Effect.gen(function*() {
      const { books, intake } = yield* setup({}, (type) => type !== "usage.noise")
      for (const type of ["chat.message", "error.timeout", "usage.feature", "usage.noise", "performance.ai", "health", "chat.message"]) {
        yield* intake.track({ type })
      }
      yield* Effect.either(intake.track({ type: "" }))
      expect(books.snapshot(0, false).acceptedByKind).toEqual({
        custom: 2,
        session: 0,
        performance: 1,
        usage: 1,
        error: 1,
        health: 1
      })
    }))

  it.effect("the global context tags every event; an event's own tags win a clash", () =>
    Effect.gen(function*() {
      const { events, intake } = yield* setup({
        release: Option.some("1.2.0"),
        environment: Option.none(),
        globalTags: { team: "ai", release: "ignored" }
      })
      yield* intake.track({ type: "chat.message" })
      yield* intake.track({ type: "chat.message", tags: { team: "web", plan: "pro" } })
      const [plain, tagged] = events()
      expect(plain!.tags).toEqual({ release: "1.2.0", team: "AI" })
      expect(tagged!.tags).toEqual({ team: "WEB", plan: "PRO", release: "1.2.0" })
    }))

  it("contextTagsOf keeps release, environment, then global tags, at most maxTags", () => {
    const globalTags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t${i}`, "v"]))
    const tags = Intake.contextTagsOf({ release: Option.some("r"), environment: Option.some("prod"), globalTags })
    expect(tags).toHaveLength(Intake.maxTags)
    expect(tags.slice(0, 2)).toEqual([["release", "r"], ["environment", "prod"]])
  })
})
