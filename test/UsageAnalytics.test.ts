import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope, TestClock } from "effect"
import { standardError } from "../src/internal/DistinctCounter.js"
import { deliveredEvents, TelemetryTest } from "../src/layers/TelemetryTest.js"
import { InvalidEventError } from "../src/schemas/errors.js"
import {
  ConversationNotFoundError,
  InvalidUsageError,
  SuggestionNotFoundError,
  UserSessionNotFoundError
} from "../src/schemas/UsageEvents.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { EventSink } from "../src/services/EventSink.js"
import { UsageAnalytics } from "../src/services/UsageAnalytics.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

/**
 * The `EventSink` of the collector in context. `TelemetryTest` provides one at run time, but its type
 * (`TelemetryServices`) does not say so yet.
 */
const sinkOfCollector = Layer.effect(
  EventSink,
  Effect.map(TelemetryCollector, (collector) => ({ track: collector.track, currentSession: collector.currentSession }))
)

/** The service over a recording collector, its retention fiber in the test's scope. */
const start = (options: UsageAnalytics.Options = {}, sessionUserId?: string) =>
  Effect.gen(function*() {
    const { context, ofType, tracked } = yield* makeRecordingCollector({ sessionUserId })
    const usage = yield* UsageAnalytics.make(options).pipe(Effect.provide(context))
    return { usage, tracked, ofType }
  })

describe("UsageAnalytics", () => {
  describe("features", () => {
    it.scoped("counts uses, distinct users and actions; adoption is feature users over all users seen", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start()
        yield* TestClock.setTime(5_000)
        for (const user of ["ann", "bob", "ann", "cy"]) yield* usage.trackFeature("chat", "used", user)
        yield* usage.trackFeature("chat", "opened", "ann")
        yield* usage.trackFeature("export", "used", "dee")
        const chat = yield* usage.featureStats("chat")
        expect(chat).toEqual({
          feature: "chat",
          uses: 5,
          totalUsers: 3,
          activeUsers: 3,
          adoptionRate: 3 / 4,
          approximate: false,
          actions: { used: 4, opened: 1 },
          lastUsedAt: 5_000
        })
        expect((yield* usage.featureStats("export")).adoptionRate).toBe(1 / 4)
        expect((yield* usage.featureAdoption).map((f) => f.feature)).toEqual(["chat", "export"])
        const [first] = yield* ofType("usage.feature")
        expect(first).toEqual({ type: "usage.feature", data: { feature: "chat", action: "used" }, userId: "ann" })
      }))

    it.scoped("without a user id, the collector's session user is used; without either, only uses count", () =>
      Effect.gen(function*() {
        const withSession = yield* start({}, "session-user")
        yield* TestClock.setTime(7_000)
        yield* withSession.usage.trackFeature("chat", "used")
        expect(yield* withSession.usage.featureStats("chat")).toMatchObject({ totalUsers: 1, lastUsedAt: 7_000 })
        expect((yield* withSession.ofType("usage.feature"))[0]?.userId).toBe("session-user")

        const anonymous = yield* start()
        yield* anonymous.usage.trackFeature("chat", "used")
        expect(yield* anonymous.usage.featureStats("chat")).toMatchObject({ uses: 1, totalUsers: 0, adoptionRate: 0 })
        expect((yield* anonymous.ofType("usage.feature"))[0]?.userId).toBeUndefined()
      }))

    it.scoped("active users are those within the active window (7 days by default)", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        yield* usage.trackFeature("chat", "used", "early")
        yield* TestClock.adjust("8 days")
        yield* usage.trackFeature("chat", "used", "late")
        expect(yield* usage.featureStats("chat")).toMatchObject({ totalUsers: 2, activeUsers: 1 })
        const summary = yield* usage.getSummary
        expect([summary.totalUsers, summary.activeUsers]).toEqual([2, 1])
      }))

    it.scoped("a feature never used has zero stats", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        expect(yield* usage.featureStats("nothing")).toMatchObject({ uses: 0, totalUsers: 0, adoptionRate: 0 })
      }))

    it.scoped("invalid input fails with InvalidUsageError naming the argument, recording nothing", () =>
      Effect.gen(function*() {
        const { tracked, usage } = yield* start()
        const field = (effect: Effect.Effect<unknown, InvalidUsageError>) =>
          Effect.map(Effect.flip(effect), (error) => error.field)
        expect(yield* field(usage.trackFeature("", "used", "u"))).toBe("feature")
        expect(yield* field(usage.trackFeature("chat", "x".repeat(129), "u"))).toBe("action")
        expect(yield* field(usage.trackFeature("chat", "used", ""))).toBe("userId")
        expect(yield* field(usage.featureStats(""))).toBe("feature")
        expect(yield* tracked).toEqual([])
        expect(yield* usage.featureAdoption).toEqual([])
      }))

    it.scoped("an event the sink refuses fails with InvalidUsageError naming its field; a sink defect stays one", () =>
      Effect.gen(function*() {
        const { sink } = yield* makeRecordingCollector({ sessionUserId: "ann" })
        const refusing = {
          ...sink,
          track: () =>
            Effect.fail(new InvalidEventError({ issues: [{ path: ["data", "feature"], message: "is refused" }] }))
        }
        const usage = yield* UsageAnalytics.make().pipe(Effect.provideService(EventSink, refusing))
        for (const user of [undefined, "bob"]) {
          const error = yield* Effect.flip(usage.trackFeature("chat", "used", user))
          expect(error).toBeInstanceOf(InvalidUsageError)
          expect([error.field, error.message]).toEqual(["data.feature", "is refused"])
        }
        const broken = yield* UsageAnalytics.make().pipe(
          Effect.provideService(EventSink, { ...sink, track: () => Effect.die("broken") })
        )
        expect(yield* Effect.exit(broken.trackFeature("chat", "used"))).toEqual(Exit.die("broken"))
      }))

    it.scoped("past the exact threshold, counts become HyperLogLog estimates within 3 standard errors", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        for (let i = 0; i < 20_000; i++) {
          yield* usage.trackFeature("chat", "used", `user-${i}`)
          if (i % 4 === 0) yield* usage.trackFeature("export", "used", `user-${i}`)
        }
        const [chat, exp] = yield* usage.featureAdoption
        expect(chat!.approximate).toBe(true)
        expect(Math.abs(chat!.totalUsers - 20_000) / 20_000).toBeLessThan(3 * standardError(13))
        expect(Math.abs(exp!.totalUsers - 5_000) / 5_000).toBeLessThan(3 * standardError(13))
        expect(Math.abs(exp!.adoptionRate - 0.25)).toBeLessThan(0.02)
        expect(chat!.adoptionRate).toBeLessThanOrEqual(1)
        // Memory: three 5 KiB counters (chat, export, all users) and a session-users counter, not 20k ids.
        expect((yield* usage.getSummary).storage.approximateBytes).toBeLessThan(24_000)
      }))

    it.scoped("past maxFeatures, further features are counted together as (other)", () =>
      Effect.gen(function*() {
        const { usage } = yield* start({ maxFeatures: 2 })
        for (const feature of ["a", "b", "c", "d"]) yield* usage.trackFeature(feature, "used", "u")
        expect((yield* usage.featureAdoption).map((f) => [f.feature, f.uses])).toEqual([["(other)", 2], ["a", 1], [
          "b",
          1
        ]])
      }))
  })

  describe("conversations", () => {
    it.scoped("count, completion rate, average length, message length and duration", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start()
        const first = yield* usage.startConversation({ userId: "ann", provider: "anthropic", model: "claude" })
        expect(first).toMatch(/^conv-[0-9a-f]{14}$/)
        yield* usage.trackMessage(first, { role: "user", length: 100 })
        yield* usage.trackMessage(first, { role: "assistant", length: 300 })
        yield* TestClock.adjust("10 seconds")
        const end = yield* usage.endConversation(first)
        expect(end).toEqual({ conversationId: first, outcome: "completed", messages: 2, durationMs: 10_000 })

        yield* usage.startConversation({ conversationId: "c2" })
        yield* usage.trackMessage("c2", { role: "user", length: 20 })
        yield* TestClock.adjust("20 seconds")
        yield* usage.endConversation("c2", "abandoned")
        yield* usage.startConversation({ conversationId: "c3" })

        expect(yield* usage.conversationMetrics).toEqual({
          started: 3,
          completed: 1,
          abandoned: 1,
          open: 1,
          completionRate: 0.5,
          averageLength: 1.5,
          averageMessageLength: 140,
          averageDurationMs: 15_000,
          messagesByRole: { user: 2, assistant: 1 }
        })
        expect((yield* ofType("usage.conversation.start"))[0]).toEqual({
          type: "usage.conversation.start",
          data: { conversationId: first, provider: "anthropic", model: "claude" },
          userId: "ann"
        })
        expect(yield* ofType("usage.conversation.message")).toHaveLength(3)
        expect((yield* ofType("usage.conversation.end")).map((e) => e.data?.outcome)).toEqual(["completed", "abandoned"])
      }))

    it.scoped("messages and ends of unknown conversations fail with ConversationNotFoundError", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        expect(yield* Effect.flip(usage.trackMessage("nope", { role: "user", length: 1 }))).toEqual(
          new ConversationNotFoundError({ conversationId: "nope" })
        )
        const id = yield* usage.startConversation()
        yield* usage.endConversation(id)
        expect(yield* Effect.flip(usage.endConversation(id))).toEqual(new ConversationNotFoundError({ conversationId: id }))
      }))

    it.scoped("invalid input names its field; an id already open is refused", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        yield* usage.startConversation({ conversationId: "c1" })
        const field = (effect: Effect.Effect<unknown, unknown>) =>
          Effect.map(Effect.flip(effect), (error) => (error as InvalidUsageError).field)
        expect(yield* field(usage.startConversation({ conversationId: "c1" }))).toBe("conversationId")
        expect(yield* field(usage.trackMessage("c1", { role: "robot" as never, length: 1 }))).toBe("message.role")
        expect(yield* field(usage.trackMessage("c1", { role: "user", length: -1 }))).toBe("message.length")
        expect(yield* field(usage.endConversation("c1", "exploded" as never))).toBe("outcome")
        expect(yield* field(usage.startConversation({ model: "" }))).toBe("model")
      }))

    it.scoped("a conversation idle for conversationTimeout is ended as abandoned", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start({ conversationTimeout: "30 minutes" })
        const id = yield* usage.startConversation()
        yield* TestClock.adjust("20 minutes")
        yield* usage.trackMessage(id, { role: "user", length: 5 })
        yield* TestClock.adjust("29 minutes")
        expect((yield* usage.conversationMetrics).open).toBe(1)
        yield* TestClock.adjust("1 minute")
        expect(yield* usage.conversationMetrics).toMatchObject({ open: 0, abandoned: 1, averageDurationMs: 20 * 60_000 })
        expect((yield* ofType("usage.conversation.end"))[0]?.data).toEqual({
          conversationId: id,
          outcome: "abandoned",
          messages: 1,
          durationMs: 20 * 60_000,
          timedOut: true
        })
        expect(yield* Effect.flip(usage.trackMessage(id, { role: "user", length: 1 }))).toBeInstanceOf(
          ConversationNotFoundError
        )
      }))

    it.scoped("past maxOpenConversations, the least recently active is abandoned", () =>
      Effect.gen(function*() {
        const { usage } = yield* start({ maxOpenConversations: 2 })
        yield* usage.startConversation({ conversationId: "a" })
        yield* usage.startConversation({ conversationId: "b" })
        yield* usage.trackMessage("a", { role: "user", length: 1 })
        yield* usage.startConversation({ conversationId: "c" })
        expect(yield* Effect.flip(usage.trackMessage("b", { role: "user", length: 1 }))).toBeInstanceOf(
          ConversationNotFoundError
        )
        yield* usage.trackMessage("a", { role: "user", length: 1 })
        expect(yield* usage.conversationMetrics).toMatchObject({ open: 2, abandoned: 1 })
      }))
  })

  describe("providers", () => {
    it.scoped("requests, success rate, average and p95 response time, tokens and errors per provider and model", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start()
        const durations = Array.from({ length: 200 }, (_, i) => 100 + ((i * 37) % 200) * 10)
        for (const [i, durationMs] of durations.entries()) {
          yield* usage.trackProviderRequest({
            provider: "anthropic",
            model: "claude",
            durationMs,
            success: i % 10 !== 0,
            promptTokens: 10,
            completionTokens: 5,
            ...(i % 10 === 0 ? { errorType: i % 20 === 0 ? "rate_limit" : "timeout" } : {})
          })
        }
        yield* usage.trackProviderRequest({ provider: "openai", model: "gpt", durationMs: 50, success: true })
        const [claude, gpt] = yield* usage.providerStats
        const sorted = [...durations].sort((a, b) => a - b)
        // The R-7 p95 (h = 0.95 · 199 = 189.05): 200 requests are past the exact threshold, so within 1 % (0.54 %).
        const exactP95 = sorted[189]! + 0.05 * (sorted[190]! - sorted[189]!)
        expect(claude).toMatchObject({
          provider: "anthropic",
          model: "claude",
          requests: 200,
          successes: 180,
          failures: 20,
          successRate: 0.9,
          promptTokens: 2000,
          completionTokens: 1000,
          totalTokens: 3000,
          errorsByType: { rate_limit: 10, timeout: 10 }
        })
        expect(claude!.averageResponseMs).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 200, 9)
        expect(Math.abs(claude!.p95ResponseMs - exactP95) / exactP95).toBeLessThanOrEqual(0.01)
        expect(gpt).toMatchObject({ requests: 1, successRate: 1, p95ResponseMs: 50, totalTokens: 0 })
        expect(yield* ofType("usage.provider.request")).toHaveLength(201)
      }))

    // Hand-computed R-7 p95s (h = (n − 1)·0.95, interpolated): exact while a provider has ≤ 128 requests.
    const p95s: ReadonlyArray<readonly [ReadonlyArray<number>, number, number]> = [
      [[800, 30], 415, 761.5],
      [[150], 150, 150],
      [[100, 300, 200], 200, 290],
      [[100, 150, 200, 250, 300, 350, 400, 450, 500], 300, 480]
    ]
    for (const [durations, average, p95] of p95s) {
      it.scoped(`requests of ${durations.join(", ")} ms: average ${average}, p95 ${p95} — never below the mean`, () =>
        Effect.gen(function*() {
          const { usage } = yield* start()
          for (const durationMs of durations) {
            yield* usage.trackProviderRequest({ provider: "openai", model: "gpt", durationMs, success: true })
          }
          const [stats] = yield* usage.providerStats
          expect(stats!.averageResponseMs).toBeCloseTo(average, 9)
          expect(stats!.p95ResponseMs).toBeCloseTo(p95, 9)
        }))
    }

    it.scoped("requests on different days are combined exactly while few", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        for (const durationMs of [800, 100]) {
          yield* usage.trackProviderRequest({ provider: "openai", model: "gpt", durationMs, success: true })
        }
        yield* TestClock.adjust("1 day")
        yield* usage.trackProviderRequest({ provider: "openai", model: "gpt", durationMs: 30, success: false })
        expect((yield* usage.getSummary).storage.buckets).toBe(2)
        const [stats] = yield* usage.providerStats
        // Sorted 30, 100, 800: h = 1.9, so 100 + 0.9 · 700.
        expect(stats).toMatchObject({ requests: 3, averageResponseMs: 310 })
        expect(stats!.p95ResponseMs).toBeCloseTo(730, 9)
      }))

    it.scoped("invalid requests name the field", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        const field = (input: unknown) =>
          Effect.map(Effect.flip(usage.trackProviderRequest(input as never)), (error) => error.field)
        expect(yield* field({ provider: "a", model: "b", durationMs: -5, success: true })).toBe("durationMs")
        expect(yield* field({ provider: "a", model: "b", durationMs: 5 })).toBe("success")
        expect(yield* field({ provider: "a", model: "b", durationMs: 5, success: true, promptTokens: 0.5 })).toBe(
          "promptTokens"
        )
      }))
  })

  describe("proactive suggestions", () => {
    it.scoped("shown, accepted, dismissed, ignored after the timeout; acceptance rate and median time to interact", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start({ suggestionTimeout: "1 minute" })
        const a = yield* usage.suggestionShown({ kind: "refactor", userId: "ann" })
        const b = yield* usage.suggestionShown({ kind: "refactor" })
        const c = yield* usage.suggestionShown({ suggestionId: "c", kind: "doc-link" })
        yield* usage.suggestionShown({ suggestionId: "d", kind: "doc-link" })
        yield* TestClock.adjust("2 seconds")
        yield* usage.suggestionAccepted(a)
        yield* TestClock.adjust("4 seconds")
        yield* usage.suggestionAccepted(c)
        yield* TestClock.adjust("4 seconds")
        yield* usage.suggestionDismissed(b)
        expect((yield* usage.suggestionStats()).pending).toBe(1)
        yield* TestClock.adjust("1 minute")
        const all = yield* usage.suggestionStats()
        expect(all).toMatchObject({ shown: 4, accepted: 2, dismissed: 1, ignored: 1, pending: 0, acceptanceRate: 0.5 })
        // Times to interact 2 s, 6 s, 10 s: few answers, so the median is exact.
        expect(all.medianTimeToInteractMs).toBe(6_000)
        expect(yield* usage.suggestionStats("doc-link")).toMatchObject({ shown: 2, accepted: 1, ignored: 1 })
        expect(yield* usage.suggestionStats("unknown-kind")).toMatchObject({ shown: 0, acceptanceRate: 0 })
        expect((yield* ofType("usage.suggestion.ignored"))[0]?.data).toEqual({
          suggestionId: "d",
          kind: "doc-link",
          outcome: "ignored",
          timeToInteractMs: 70_000
        })
        expect(yield* ofType("usage.suggestion.accepted")).toHaveLength(2)
        expect(yield* ofType("usage.suggestion.dismissed")).toHaveLength(1)
      }))

    it.scoped("answering an unknown, answered or timed-out suggestion fails with SuggestionNotFoundError", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        expect(yield* Effect.flip(usage.suggestionAccepted("ghost"))).toEqual(
          new SuggestionNotFoundError({ suggestionId: "ghost" })
        )
        const id = yield* usage.suggestionShown({ kind: "k" })
        yield* usage.suggestionDismissed(id)
        expect(yield* Effect.flip(usage.suggestionAccepted(id))).toBeInstanceOf(SuggestionNotFoundError)
        const late = yield* usage.suggestionShown({ kind: "k" })
        yield* TestClock.adjust("61 seconds")
        expect(yield* Effect.flip(usage.suggestionAccepted(late))).toBeInstanceOf(SuggestionNotFoundError)
        expect((yield* usage.suggestionStats()).ignored).toBe(1)
      }))
  })

  describe("user sessions", () => {
    it.scoped("started, ended with duration, expired after sessionTimeout, distinct users", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start({ sessionTimeout: "12 hours" })
        const s1 = yield* usage.startUserSession({ userId: "ann" })
        yield* usage.startUserSession({ userId: "ann", sessionId: "s2" })
        yield* usage.startUserSession({ userId: "bob", sessionId: "s3" })
        yield* TestClock.adjust("30 minutes")
        expect(yield* usage.endUserSession(s1)).toBe(30 * 60_000)
        yield* TestClock.adjust("1 hour")
        yield* usage.endUserSession("s2")
        expect(yield* usage.sessionStats).toEqual({
          started: 3,
          ended: 2,
          expired: 0,
          active: 1,
          averageDurationMs: 60 * 60_000,
          users: 2
        })
        yield* TestClock.adjust("11 hours")
        expect(yield* usage.sessionStats).toMatchObject({ active: 0, expired: 1, ended: 2 })
        expect(yield* Effect.flip(usage.endUserSession("s3"))).toEqual(new UserSessionNotFoundError({ sessionId: "s3" }))
        expect((yield* ofType("usage.session.start"))[0]).toMatchObject({ userId: "ann", data: { sessionId: s1 } })
        expect(yield* ofType("usage.session.end")).toHaveLength(3)
        expect((yield* usage.getSummary).totalUsers).toBe(2)
      }))

    it.scoped("a session needs a user; an open id is refused", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        expect((yield* Effect.flip(usage.startUserSession({} as never))).field).toBe("userId")
        yield* usage.startUserSession({ userId: "u", sessionId: "x" })
        expect((yield* Effect.flip(usage.startUserSession({ userId: "u", sessionId: "x" }))).field).toBe("sessionId")
      }))
  })

  describe("retention", () => {
    it.scoped("the retention fiber drops aggregates older than 30 days; younger ones stay", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const { usage } = yield* start().pipe(Scope.extend(scope))
        yield* usage.trackFeature("old", "used", "ann")
        yield* usage.trackProviderRequest({ provider: "p", model: "m", durationMs: 5, success: true })
        yield* TestClock.adjust("20 days")
        yield* usage.trackFeature("recent", "used", "bob")
        expect((yield* usage.getSummary).storage.buckets).toBe(2)

        yield* TestClock.adjust("10 days")
        // Exactly 30 days: nothing is older than the retention period yet.
        expect((yield* usage.featureStats("old")).totalUsers).toBe(1)
        yield* TestClock.adjust("30 minutes")
        // Past it, reads leave the old bucket out at once...
        expect((yield* usage.featureStats("old")).totalUsers).toBe(0)
        expect(yield* usage.providerStats).toEqual([])
        // ...and the hourly retention pass frees it.
        expect((yield* usage.getSummary).storage.buckets).toBe(2)
        yield* TestClock.adjust("30 minutes")
        const summary = yield* usage.getSummary
        expect(summary.storage.buckets).toBe(1)
        expect(summary.features.map((f) => f.feature)).toEqual(["recent"])
        expect(summary.totalUsers).toBe(1)

        // Closing the scope stops the fiber.
        yield* Scope.close(scope, Exit.void)
        yield* TestClock.adjust("30 days")
        expect((yield* usage.getSummary).storage.buckets).toBe(1)
      }))

    it.scoped("cleanup reports what it dropped and expired", () =>
      Effect.gen(function*() {
        const { usage } = yield* start({ retention: "2 days", cleanupInterval: "100 days" })
        yield* usage.trackFeature("f", "used", "u")
        yield* usage.startConversation()
        yield* usage.suggestionShown({ kind: "k" })
        yield* usage.startUserSession({ userId: "u" })
        yield* TestClock.adjust("3 days")
        expect(yield* usage.cleanup).toEqual({
          droppedBuckets: 1,
          abandonedConversations: 1,
          ignoredSuggestions: 1,
          expiredSessions: 1
        })
        expect(yield* usage.cleanup).toEqual({
          droppedBuckets: 0,
          abandonedConversations: 0,
          ignoredSuggestions: 0,
          expiredSessions: 0
        })
      }))
  })

  describe("clear and reset", () => {
    /** Something in every area, with a conversation, a suggestion and a session left open. */
    const recordEverything = (usage: UsageAnalytics.Service) =>
      Effect.gen(function*() {
        yield* usage.trackFeature("chat", "used", "ann")
        yield* usage.startConversation({ conversationId: "done" })
        yield* usage.endConversation("done")
        yield* usage.startConversation({ conversationId: "open", userId: "bob" })
        yield* usage.trackMessage("open", { role: "user", length: 10 })
        yield* usage.trackProviderRequest({ provider: "p", model: "m", durationMs: 20, success: true })
        yield* usage.suggestionShown({ suggestionId: "answered", kind: "k" })
        yield* usage.suggestionAccepted("answered")
        yield* usage.suggestionShown({ suggestionId: "pending", kind: "k" })
        yield* usage.startUserSession({ userId: "cy", sessionId: "s1" })
      })

    it.scoped("clear forgets every aggregate; what is open carries on and is counted from then on", () =>
      Effect.gen(function*() {
        const { tracked, usage } = yield* start()
        yield* recordEverything(usage)
        const events = (yield* tracked).length
        yield* TestClock.adjust("5 seconds")

        yield* usage.clear
        const cleared = yield* usage.getSummary
        expect(cleared).toMatchObject({
          totalUsers: 0,
          activeUsers: 0,
          features: [],
          providers: [],
          suggestionsByKind: {},
          storage: { buckets: 0 },
          tracking: { suggestions: true }
        })
        expect(cleared.conversations).toMatchObject({ started: 0, completed: 0, open: 1, messagesByRole: {} })
        expect(cleared.suggestions).toEqual({ shown: 0, accepted: 0, dismissed: 0, ignored: 0, pending: 1, acceptanceRate: 0 })
        expect(cleared.sessions).toMatchObject({ started: 0, ended: 0, active: 1, users: 0 })
        // Clearing tracks nothing and takes nothing back.
        expect((yield* tracked).length).toBe(events)

        // (The answer first: it must count even though nothing since the clear made its day's bucket again.)
        yield* usage.suggestionDismissed("pending")
        yield* usage.endConversation("open")
        expect(yield* usage.endUserSession("s1")).toBe(5_000)
        const after = yield* usage.getSummary
        expect(after.conversations).toMatchObject({ started: 0, completed: 1, open: 0, averageLength: 1, averageDurationMs: 5_000 })
        expect(after.suggestions).toMatchObject({ shown: 0, dismissed: 1, pending: 0, medianTimeToInteractMs: 5_000 })
        expect(after.sessions).toMatchObject({ ended: 1, active: 0, averageDurationMs: 5_000 })
      }))

    it.scoped("reset also forgets what is open, without tracking its end: the service is as newly built", () =>
      Effect.gen(function*() {
        const { tracked, usage } = yield* start()
        yield* recordEverything(usage)
        const events = (yield* tracked).length

        yield* usage.reset
        const { usage: fresh } = yield* start()
        expect(yield* usage.getSummary).toEqual(yield* fresh.getSummary)
        expect(yield* Effect.flip(usage.trackMessage("open", { role: "user", length: 1 }))).toEqual(
          new ConversationNotFoundError({ conversationId: "open" })
        )
        expect(yield* Effect.flip(usage.suggestionAccepted("pending"))).toEqual(
          new SuggestionNotFoundError({ suggestionId: "pending" })
        )
        expect(yield* Effect.flip(usage.endUserSession("s1"))).toEqual(new UserSessionNotFoundError({ sessionId: "s1" }))
        // Past every timeout nothing expires: there is nothing left to expire.
        yield* TestClock.adjust("1 day")
        expect(yield* usage.cleanup).toEqual({
          droppedBuckets: 0,
          abandonedConversations: 0,
          ignoredSuggestions: 0,
          expiredSessions: 0
        })
        expect((yield* tracked).length).toBe(events)
        // And it records as before.
        yield* usage.startConversation({ conversationId: "open" })
        expect((yield* usage.conversationMetrics).started).toBe(1)
      }))

    it.scoped("over TelemetryTest, clear and reset leave the collector's accounting and its events alone", () =>
      Effect.gen(function*() {
        const usage = yield* UsageAnalytics
        const collector = yield* TelemetryCollector
        yield* usage.trackFeature("chat", "used", "ann")
        yield* usage.startConversation({ conversationId: "c1" })
        const stats = yield* collector.stats
        yield* usage.clear
        yield* usage.reset
        expect(yield* collector.stats).toEqual(stats)
        yield* collector.flush
        expect((yield* deliveredEvents).map((e) => e.type)).toEqual(["usage.feature", "usage.conversation.start"])
      }).pipe(
        Effect.provide(UsageAnalytics.layer().pipe(Layer.provide(sinkOfCollector))),
        Effect.provide(TelemetryTest)
      ))
  })

  describe("switching suggestion tracking off", () => {
    it.scoped("by default suggestions are tracked, and the summary says so", () =>
      Effect.gen(function*() {
        const { usage } = yield* start()
        expect(usage.tracking).toEqual({ suggestions: true })
        expect((yield* usage.getSummary).tracking).toEqual({ suggestions: true })
      }))

    it.scoped("trackSuggestions: false — calls succeed, nothing is counted or tracked, stats are zeros", () =>
      Effect.gen(function*() {
        const { tracked, usage } = yield* start({ trackSuggestions: false })
        const generated = yield* usage.suggestionShown({ kind: "refactor", userId: "ann" })
        expect(generated).toMatch(/^sugg-[0-9a-f]{14}$/)
        expect(yield* usage.suggestionShown({ suggestionId: "s1", kind: "refactor" })).toBe("s1")
        // Even twice: nothing is pending, so nothing is "already pending".
        expect(yield* usage.suggestionShown({ suggestionId: "s1", kind: "refactor" })).toBe("s1")
        yield* usage.suggestionAccepted(generated)
        yield* usage.suggestionDismissed("never-shown")
        yield* TestClock.adjust("2 minutes")

        const zeros = { shown: 0, accepted: 0, dismissed: 0, ignored: 0, pending: 0, acceptanceRate: 0 }
        expect(yield* usage.suggestionStats()).toEqual(zeros)
        expect(yield* usage.suggestionStats("refactor")).toEqual(zeros)
        const summary = yield* usage.getSummary
        expect(summary.suggestions).toEqual(zeros)
        expect(summary.suggestionsByKind).toEqual({})
        expect(summary.tracking).toEqual({ suggestions: false })
        // The suggestion's user was not recorded either.
        expect(summary.totalUsers).toBe(0)
        expect((yield* usage.cleanup).ignoredSuggestions).toBe(0)
        expect(yield* tracked).toEqual([])
      }))

    it.scoped("trackSuggestions: false — invalid input is still refused, naming the field", () =>
      Effect.gen(function*() {
        const { usage } = yield* start({ trackSuggestions: false })
        expect((yield* Effect.flip(usage.suggestionShown({ kind: "" }))).field).toBe("kind")
        expect(yield* Effect.flip(usage.suggestionAccepted(""))).toMatchObject({
          _tag: "InvalidUsageError",
          field: "suggestionId"
        })
        expect((yield* Effect.flip(usage.suggestionStats(""))).field).toBe("kind")
      }))

    it.scoped("trackSuggestions: false — the other areas record as usual", () =>
      Effect.gen(function*() {
        const { ofType, usage } = yield* start({ trackSuggestions: false })
        yield* usage.trackFeature("chat", "used", "ann")
        yield* usage.trackProviderRequest({ provider: "p", model: "m", durationMs: 5, success: true })
        expect((yield* usage.featureStats("chat")).uses).toBe(1)
        expect(yield* ofType("usage.feature")).toHaveLength(1)
        expect(yield* ofType("usage.provider.request")).toHaveLength(1)
      }))
  })

  it.effect("options out of range fail the layer with a UsageAnalyticsOptionsError naming the option", () =>
    Effect.gen(function*() {
      const { context } = yield* makeRecordingCollector()
      for (
        const [options, field] of [
          [{ retention: "0 days" }, "retention"],
          [{ precision: 20 }, "precision"],
          [{ maxFeatures: 0 }, "maxFeatures"],
          [{ activeWindow: "soon" as never }, "activeWindow"],
          [{ trackSuggestions: "false" as never }, "trackSuggestions"],
          [{ sessionTimeout: "Infinity" as never }, "sessionTimeout"],
          [{ exactThreshold: -1 }, "exactThreshold"]
        ] as const
      ) {
        const error = yield* Layer.build(UsageAnalytics.layer(options)).pipe(
          Effect.provide(context),
          Effect.scoped,
          Effect.flip
        )
        expect(error).toBeInstanceOf(UsageAnalytics.OptionsError)
        expect(error._tag).toBe("UsageAnalyticsOptionsError")
        expect(error.option).toBe(field)
      }
    }))

  it.effect("a misspelt option is refused, named, and shown with the tag", () =>
    Effect.gen(function*() {
      const { context } = yield* makeRecordingCollector()
      const error = yield* UsageAnalytics.make({ retension: "1 day" } as UsageAnalytics.Options).pipe(
        Effect.provide(context),
        Effect.scoped,
        Effect.flip
      )
      expect(error.option).toBe("retension")
      expect(String(error)).toContain("UsageAnalyticsOptionsError")
    }))

  it.scoped("durations may be given in any Duration form: a number of milliseconds is one", () =>
    Effect.gen(function*() {
      const { usage } = yield* start({ conversationTimeout: 60_000 })
      yield* usage.startConversation({ conversationId: "c1" })
      yield* TestClock.adjust("59 seconds")
      expect((yield* usage.conversationMetrics).open).toBe(1)
      yield* TestClock.adjust("1 second")
      expect((yield* usage.conversationMetrics).abandoned).toBe(1)
    }))

  it.scoped("over TelemetryTest, usage events are delivered with kind usage", () =>
    Effect.gen(function*() {
      const usage = yield* UsageAnalytics
      const collector = yield* TelemetryCollector
      yield* usage.trackFeature("chat", "used", "ann")
      const id = yield* usage.startConversation({ conversationId: "c1" })
      yield* usage.endConversation(id)
      yield* collector.flush
      const delivered = yield* deliveredEvents
      expect(delivered.map((e) => [e.type, e.kind, e.userId])).toEqual([
        ["usage.feature", "usage", "ann"],
        ["usage.conversation.start", "usage", undefined],
        ["usage.conversation.end", "usage", undefined]
      ])
    }).pipe(
      // Not `Layer.provideMerge(…, TelemetryTest)`: TelemetryTest is `Layer.fresh`, so that would build two collectors.
      Effect.provide(UsageAnalytics.layer().pipe(Layer.provide(sinkOfCollector))),
      Effect.provide(TelemetryTest)
    ))
})

describe("UsageAnalytics opening an id", () => {
  it.scoped("two fibers opening the same conversation, suggestion or session id: exactly one succeeds", () =>
    Effect.gen(function*() {
      const { sink } = yield* makeRecordingCollector()
      // A sink whose session read yields, as a real one in another fiber could: a check spanning that
      // yield would let both callers pass it.
      const yielding = { ...sink, currentSession: Effect.zipRight(Effect.yieldNow(), sink.currentSession) }
      const usage = yield* UsageAnalytics.make().pipe(Effect.provideService(EventSink, yielding))
      const twice = <A, E>(open: Effect.Effect<A, E>) =>
        Effect.map(Effect.all([Effect.either(open), Effect.either(open)], { concurrency: "unbounded" }), (results) =>
          results.filter((r) => r._tag === "Right").length)
      expect(yield* twice(usage.startConversation({ conversationId: "c-1" }))).toBe(1)
      expect(yield* twice(usage.suggestionShown({ suggestionId: "s-1", kind: "completion" }))).toBe(1)
      expect(yield* twice(usage.startUserSession({ sessionId: "u-1", userId: "ann" }))).toBe(1)
    }))
})

describe("UsageAnalytics closing an id", () => {
  it.scoped("two fibers ending the same conversation, answering the same suggestion or ending the same session: exactly one succeeds", () =>
    Effect.gen(function*() {
      const { sink } = yield* makeRecordingCollector()
      // A sink whose every track yields: a check before the yield and a removal after it would let both pass.
      const yielding = { ...sink, track: (input: Parameters<typeof sink.track>[0]) => Effect.zipRight(Effect.yieldNow(), sink.track(input)) }
      const usage = yield* UsageAnalytics.make().pipe(Effect.provideService(EventSink, yielding))
      yield* usage.startConversation({ conversationId: "c-1" })
      yield* usage.suggestionShown({ suggestionId: "s-1", kind: "completion" })
      yield* usage.startUserSession({ sessionId: "u-1", userId: "ann" })
      const twice = <A, E>(close: Effect.Effect<A, E>) =>
        Effect.map(Effect.all([Effect.either(close), Effect.either(close)], { concurrency: "unbounded" }), (results) =>
          results.filter((r) => r._tag === "Right").length)
      expect(yield* twice(usage.endConversation("c-1"))).toBe(1)
      expect(yield* twice(usage.suggestionAccepted("s-1"))).toBe(1)
      expect(yield* twice(usage.endUserSession("u-1"))).toBe(1)
      expect((yield* usage.conversationMetrics).completed).toBe(1)
      expect((yield* usage.suggestionStats()).accepted).toBe(1)
      expect((yield* usage.sessionStats).ended).toBe(1)
    }))
})
