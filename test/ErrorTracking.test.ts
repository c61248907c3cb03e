import { HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it, vi } from "@effect/vitest"
import {
  Cause,
  Context,
  Data,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  Random,
  Ref,
  Schema,
  Scope,
  TestClock
} from "effect"
import { layerWithTransport } from "../src/layers/TelemetryLayers.js"
import { deliveredEvents } from "../src/layers/TelemetryTest.js"
import { fromOptions } from "../src/schemas/TelemetryConfig.js"
import type { ErrorCapturedData, ErrorRecoveryData, ErrorRepeatedData } from "../src/schemas/ErrorEvents.js"
import { ErrorTracking } from "../src/services/ErrorTracking.js"
import { EventSink } from "../src/services/EventSink.js"
import { layerRedactor, Redactor } from "../src/services/Redactor.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { Transport } from "../src/transports/Transport.js"
import { findUser, loadFromCache, loadFromDisk, thrownBy } from "./fixtures/errors/callSites.js"
import { makeRecordingCollector } from "./support/RecordingCollector.js"

// ---- harness ---------------------------------------------------------------------------------------

// Bounded quantifiers: the tests pass long strings, and `\w+@` would backtrack quadratically over them.
const email = /[a-z]{1,20}@example\.com/g
/** Replaces `…@example.com`, so tests can see that something went through the Redactor. */
const testRedactor = Redactor.of({
  redactString: (s) => s.replace(email, "[EMAIL]"),
  pseudonymize: (userId) => userId,
  redact: <A>(value: A): A =>
    JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === "string" ? v.replace(email, "[EMAIL]") : v))
})

/** ErrorTracking over the recording collector and the test Redactor, in the test's scope. */
const start = (options: ErrorTracking.Options = {}) =>
  Effect.gen(function*() {
    const recording = yield* makeRecordingCollector()
    const tracking = yield* ErrorTracking.make(options).pipe(
      Effect.provide(recording.context),
      Effect.provideService(Redactor, testRedactor)
    )
    return {
      ...recording,
      tracking,
      captured: recording.dataOf<ErrorCapturedData>("error.captured"),
      repeated: recording.dataOf<ErrorRepeatedData>("error.repeated"),
      recoveries: recording.dataOf<ErrorRecoveryData>("error.recovery")
    }
  })

/**
 * The `EventSink` over the collector in context. The collector's layer provides it beside
 * `TelemetryCollector`, but `layerWithTransport`'s type names only `TelemetryServices`.
 */
const sinkOfCollector = Layer.effect(
  EventSink,
  Effect.map(TelemetryCollector, (c) => EventSink.of({ track: c.track, currentSession: c.currentSession }))
)

/**
 * ErrorTracking over the real collector, the real Redactor and the memory transport: what the collector
 * refuses is never delivered, so a test reads the truth from what was delivered.
 */
const startReal = (options: ErrorTracking.Options = {}) =>
  Effect.gen(function*() {
    const config = yield* Effect.orDie(fromOptions({ transport: "memory" }))
    const context = yield* Layer.build(
      ErrorTracking.layer(options).pipe(
        Layer.provide(sinkOfCollector),
        Layer.provideMerge(Layer.merge(layerWithTransport(config, Transport.memory), layerRedactor())),
        Layer.provideMerge(Transport.memory)
      )
    )
    const tracking = Context.get(context, ErrorTracking)
    const collector = Context.get(context, TelemetryCollector)
    /** Flushes, then reads the data of the delivered events of one type. */
    const delivered = <A>(type: string): Effect.Effect<ReadonlyArray<A>> =>
      collector.flush.pipe(
        Effect.zipRight(deliveredEvents),
        Effect.map((events) => events.filter((e) => e.type === type).map((e) => e.data as unknown as A)),
        Effect.provide(context)
      )
    return { context, tracking, collector, delivered }
  })

/** Lets forked fibers run what they were woken for. */
const settle = Effect.repeatN(Effect.yieldNow(), 20)

const request = HttpClientRequest.get("https://api.example.com/v1/things")
const responseError = (status: number) =>
  new HttpClientError.ResponseError({
    request,
    response: HttpClientResponse.fromWeb(request, new Response(null, { status })),
    reason: "StatusCode"
  })

// ---- capture ---------------------------------------------------------------------------------------

describe("ErrorTracking capture", () => {
  it.scoped("captures a real thrown error with its parsed frames, classification and ids", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const result = yield* tracking.captureError(thrownBy(() => findUser("u-1")), { tags: { area: "profile" } })
      expect(result.outcome).toBe("sent")
      expect(result.errorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(result.fingerprint).toMatch(/^[0-9a-f]{16}$/)
      const [event] = yield* captured
      expect(event).toMatchObject({
        errorId: result.errorId,
        fingerprint: result.fingerprint,
        type: "TypeError",
        category: "runtime",
        severity: "ERROR",
        classifiedBy: "name TypeError",
        kind: "thrown",
        handled: true,
        mechanism: "captureError",
        composition: "single"
      })
      expect(event!.frames[0]).toMatchObject({ function: "findUser", inApp: true })
    }))

  it.scoped("follows an Error's cause chain", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const root = new RangeError("port out of range")
      const middle = new Error("could not bind", { cause: root })
      yield* tracking.captureError(new Error("server failed to start", { cause: middle }))
      const [event] = yield* captured
      expect(event!.causeChain).toEqual([
        { type: "Error", message: "could not bind" },
        { type: "RangeError", message: "port out of range" }
      ])
    }))

  it.scoped("captures each kind of Cause: fail, die, interrupt, parallel and sequential (each distinct leaf its own event)", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { id: Schema.String }) {}

      const fail = yield* Effect.exit(Effect.fail(new NotFound({ id: "a1" })))
      const die = yield* Effect.exit(Effect.die(new TypeError("x is not a function")))
      const fiber = yield* Effect.fork(Effect.never)
      const interrupted = yield* Fiber.interrupt(fiber)
      const parallel = yield* Effect.exit(
        Effect.all([Effect.fail(new NotFound({ id: "b2" })), Effect.die(new Error("boom"))], { concurrency: 2 })
      )
      const sequential = yield* Effect.exit(
        Effect.fail(new NotFound({ id: "c3" })).pipe(Effect.ensuring(Effect.die(new Error("cleanup failed"))))
      )
      for (const exit of [fail, die, interrupted, parallel, sequential]) {
        if (Exit.isFailure(exit)) yield* tracking.captureError(exit.cause)
      }
      const events = yield* captured
      expect(events.map((e) => [e.kind, e.type, e.severity, e.category, e.composition, e.handled])).toEqual([
        ["fail", "NotFound", "WARNING", "not_found", "single", true],
        ["die", "TypeError", "CRITICAL", "runtime", "single", false],
        ["interrupt", "Interrupted", "INFO", "interruption", "single", true],
        // The most severe leaf is the primary event; the other distinct leaf follows, linked by causeId.
        ["die", "Error", "CRITICAL", "unknown", "parallel", false],
        ["fail", "NotFound", "WARNING", "not_found", "parallel", true],
        ["die", "Error", "CRITICAL", "unknown", "sequential", false],
        ["fail", "NotFound", "WARNING", "not_found", "sequential", true]
      ])
      // Schema.TaggedError brings its own message; a Data.TaggedError without one is shown as its fields.
      expect(events[0]!.message).toBe(new NotFound({ id: "a1" }).message)
      expect(events[2]!.message).toMatch(/^interrupted by fiber #\d+/)
      expect(events[3]!.reasons.map((r) => [r.kind, r.type, r.message])).toEqual([
        ["fail", "NotFound", new NotFound({ id: "b2" }).message],
        ["die", "Error", "boom"]
      ])
      expect(events[4]!.reasons.map((r) => [r.kind, r.message])).toEqual([["fail", new NotFound({ id: "b2" }).message]])
      expect([events[3]!.causeId, events[4]!.causeId]).toEqual([events[3]!.errorId, events[3]!.errorId])
      expect(events[5]!.reasons.map((r) => [r.kind, r.message])).toEqual([
        ["fail", new NotFound({ id: "c3" }).message],
        ["die", "cleanup failed"]
      ])
    }))

  it.scoped("captures non-Error values and tagged errors without a message", () =>
    Effect.gen(function*() {
      class Conflict extends Data.TaggedError("Conflict")<{ readonly resource: string; readonly version: number }> {}
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      yield* tracking.captureError("plain string failure")
      yield* tracking.captureError(42)
      yield* tracking.captureError({ code: "E_WEIRD", detail: "odd" })
      yield* tracking.captureError(new Conflict({ resource: "order", version: 3 }))
      yield* tracking.captureError(null)
      expect((yield* captured).map((e) => [e.type, e.message])).toEqual([
        ["Error", "plain string failure"],
        ["number", "42"],
        ["Object", "{\"code\":\"E_WEIRD\",\"detail\":\"odd\"}"],
        ["Conflict", "{\"resource\":\"order\",\"version\":3}"],
        ["null", "null"]
      ])
    }))

  it.scoped("captureErrors re-raises the failure and the defect unchanged and captures both", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      const failure = new Error("expected failure")
      const defect = new Error("unexpected defect")
      const failed = yield* Effect.exit(tracking.captureErrors(Effect.fail(failure)))
      const died = yield* Effect.exit(tracking.captureErrors(Effect.die(defect)))
      const ok = yield* tracking.captureErrors(Effect.succeed(7))
      expect(failed).toStrictEqual(Exit.fail(failure))
      expect(Exit.isFailure(failed) && Cause.failureOption(failed.cause).pipe(Option.getOrThrow)).toBe(failure)
      expect(died).toStrictEqual(Exit.die(defect))
      expect(Exit.isFailure(died) && Cause.dieOption(died.cause).pipe(Option.getOrThrow)).toBe(defect)
      expect(ok).toBe(7)
      expect((yield* captured).map((e) => [e.message, e.kind, e.mechanism])).toEqual([
        ["expected failure", "fail", "captureErrors"],
        ["unexpected defect", "die", "captureErrors"]
      ])
    }))

  it.scoped("captureErrors does not capture an interruption, and the accessor form needs ErrorTracking", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const fiber = yield* Effect.fork(tracking.captureErrors(Effect.never))
      yield* settle
      yield* Fiber.interrupt(fiber)
      const piped = yield* Effect.exit(
        Effect.fail("typed").pipe(ErrorTracking.captureErrors({ tags: { via: "accessor" } }), Effect.provideService(ErrorTracking, tracking))
      )
      expect(piped).toStrictEqual(Exit.fail("typed"))
      expect((yield* captured).map((e) => e.message)).toEqual(["typed"])
    }))

  it.scoped("a failing collector never fails the caller; the capture is answered failed, with the reason, and counted", () =>
    Effect.gen(function*() {
      const { failing, tracking } = yield* start()
      yield* Ref.set(failing, true)
      const result = yield* tracking.captureError(new Error("while the collector is down"))
      expect(result).toMatchObject({ outcome: "failed", reason: "collector is down" })
      expect(yield* tracking.stats).toMatchObject({ captured: 1, sent: 0, failed: 1, trackFailures: 1 })
    }))

  it.scoped("an event with huge context and breadcrumbs is cut to fit the collector's limit", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const big = "x".repeat(900)
      for (let i = 0; i < 50; i++) yield* tracking.addBreadcrumb({ message: big, data: { big } })
      yield* tracking.captureError(new Error("big"), { context: { blob: "y".repeat(60_000) } })
      const [event] = yield* captured
      expect(event).toBeDefined()
      expect(event!.breadcrumbs.length).toBeLessThan(50)
      expect(event!.context).toEqual({ truncated: true })
    }))

  it.scoped("context is copied as JSON: cycles, functions, bigints and errors do not break it", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const cyclic: Record<string, unknown> = { name: "n", at: new Date(0), big: 10n, fn: () => 1, nan: Number.NaN }
      cyclic.self = cyclic
      yield* tracking.captureError(new Error("ctx"), { context: { cyclic, cause: new TypeError("inner") } })
      const [event] = yield* captured
      expect(event!.context).toEqual({
        cyclic: { name: "n", at: "1970-01-01T00:00:00.000Z", big: "10", nan: "NaN", self: "[Circular]" },
        cause: { type: "TypeError", message: "inner" }
      })
    }))

  it.scoped("the affected user defaults to the collector's session user", () =>
    Effect.gen(function*() {
      const { sessionUser, tracked, tracking } = yield* start({ duplicateWindow: 0 })
      yield* Ref.set(sessionUser, "session-user")
      const { fingerprint } = yield* tracking.captureError(new Error("e"))
      yield* tracking.captureError(new Error("e"), { userId: "explicit" })
      expect((yield* tracked).map((e) => e.userId)).toEqual(["session-user", "explicit"])
      expect((yield* tracking.group(fingerprint)).pipe(Option.map((g) => g.affectedUsers))).toEqual(Option.some(2))
    }))
})

// ---- classification ---------------------------------------------------------------------------------

describe("classify", () => {
  it("reads HttpClientError statuses and reasons", () => {
    expect(ErrorTracking.classify(responseError(401), "fail")).toMatchObject({ category: "authentication", severity: "WARNING" })
    expect(ErrorTracking.classify(responseError(403), "fail")).toMatchObject({ category: "authorization" })
    expect(ErrorTracking.classify(responseError(429), "fail")).toMatchObject({ category: "rate_limit", classifiedBy: "HttpClientError status 429" })
    expect(ErrorTracking.classify(responseError(503), "fail")).toMatchObject({ category: "api", severity: "ERROR" })
    expect(ErrorTracking.classify(responseError(504), "fail")).toMatchObject({ category: "timeout" })
    expect(ErrorTracking.classify(new HttpClientError.RequestError({ request, reason: "Transport" }), "fail")).toMatchObject({
      category: "network",
      severity: "ERROR"
    })
  })

  it.effect("reads Effect's TimeoutException and Schema's ParseError", () =>
    Effect.gen(function*() {
      const timeout = yield* Effect.flip(Effect.timeout(Effect.never, "1 second").pipe(Effect.fork, Effect.flatMap((f) =>
        TestClock.adjust("1 second").pipe(Effect.zipRight(Fiber.join(f)))
      )))
      expect(ErrorTracking.classify(timeout, "fail")).toMatchObject({ category: "timeout", classifiedBy: "TimeoutException" })
      const parse = yield* Effect.flip(Schema.decodeUnknown(Schema.Number)("nope"))
      expect(ErrorTracking.classify(parse, "fail")).toMatchObject({ category: "validation", classifiedBy: "ParseError" })
    }))

  it("reads status fields, Node error codes, then _tag/name, and only then the message", () => {
    expect(ErrorTracking.classify({ status: 403, message: "timeout" }, "fail")).toMatchObject({ category: "authorization", classifiedBy: "status 403" })
    expect(ErrorTracking.classify({ response: { status: 404 } }, "fail")).toMatchObject({ category: "not_found" })
    expect(ErrorTracking.classify(Object.assign(new Error("connect failed"), { code: "ECONNREFUSED" }), "fail")).toMatchObject({
      category: "network",
      classifiedBy: "code ECONNREFUSED"
    })
    expect(ErrorTracking.classify({ _tag: "RateLimitExceeded", message: "forbidden" }, "fail")).toMatchObject({ category: "rate_limit" })
    expect(ErrorTracking.classify(new TypeError("request timed out"), "fail")).toMatchObject({ category: "runtime" })
    expect(ErrorTracking.classify(new Error("request timed out after 30s"), "fail")).toMatchObject({ category: "timeout", classifiedBy: "message" })
    expect(ErrorTracking.classify(new Error("401 Unauthorized"), "fail")).toMatchObject({ category: "authentication" })
    expect(ErrorTracking.classify(new Error("something odd"), "fail")).toMatchObject({ category: "unknown", severity: "ERROR" })
  })

  it("a defect is CRITICAL whatever its category; an interruption is INFO", () => {
    expect(ErrorTracking.classify(new Error("request timed out"), "die")).toMatchObject({ category: "timeout", severity: "CRITICAL" })
    expect(ErrorTracking.classify(new Error("x"), "interrupt")).toMatchObject({ category: "interruption", severity: "INFO" })
  })

  it.scoped("callers override severity and category", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      yield* tracking.captureError(responseError(503), { severity: "DEBUG", category: "validation" })
      expect((yield* captured)[0]).toMatchObject({ severity: "DEBUG", category: "validation", classifiedBy: "override" })
      // A caller's severity replaces the one the message states, and the evidence stops naming its word.
      yield* tracking.captureError(new Error("Fatal error: Request timed out"), { severity: "INFO" })
      yield* tracking.captureError(new Error("Fatal error: Request timed out again"))
      expect((yield* captured).slice(1).map((e) => [e.severity, e.category, e.classifiedBy])).toEqual([
        ["INFO", "timeout", "message"],
        ["CRITICAL", "timeout", "message, severity word fatal"]
      ])
    }))
})

// ---- grouping ------------------------------------------------------------------------------------------

describe("ErrorTracking groups", () => {
  it.scoped("one call site with different ids is one group with its count and distinct users", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ duplicateWindow: 0 })
      yield* TestClock.setTime(1_000)
      const a = yield* tracking.captureError(thrownBy(() => loadFromCache("17")), { userId: "ann" })
      yield* TestClock.setTime(2_000)
      const b = yield* tracking.captureError(thrownBy(() => loadFromCache("'key-99'")), { userId: "bob" })
      yield* TestClock.setTime(3_000)
      const c = yield* tracking.captureError(thrownBy(() => loadFromCache("0x1f")), { userId: "ann" })
      const d = yield* tracking.captureError(thrownBy(() => loadFromDisk("17")), { userId: "ann" })
      expect(new Set([a.fingerprint, b.fingerprint, c.fingerprint]).size).toBe(1)
      expect(d.fingerprint).not.toBe(a.fingerprint)
      const group = yield* tracking.group(a.fingerprint)
      expect(Option.getOrThrow(group)).toMatchObject({
        count: 3,
        firstSeen: 1_000,
        lastSeen: 3_000,
        affectedUsers: 2,
        affectedUsersCapped: false
      })
      expect((yield* tracking.groups).map((g) => g.fingerprint)).toEqual([d.fingerprint, a.fingerprint])
    }))

  it.scoped("a caller-supplied fingerprint overrides the computed one", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ duplicateWindow: 0 })
      const a = yield* tracking.captureError(new Error("first"), { fingerprint: "checkout-flow" })
      const b = yield* tracking.captureError(new TypeError("second"), { fingerprint: "checkout-flow" })
      expect([a.fingerprint, b.fingerprint]).toEqual(["checkout-flow", "checkout-flow"])
      expect((yield* tracking.group("checkout-flow")).pipe(Option.map((g) => g.count))).toEqual(Option.some(2))
    }))

  it.scoped("groups are bounded: the least recently seen is evicted and evictions are counted", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ maxGroups: 2, duplicateWindow: 0 })
      const a = yield* tracking.captureError(new Error("a"), { fingerprint: "A" })
      yield* tracking.captureError(new Error("b"), { fingerprint: "B" })
      yield* tracking.captureError(new Error("a again"), { fingerprint: "A" })
      yield* tracking.captureError(new Error("c"), { fingerprint: "C" })
      expect((yield* tracking.groups).map((g) => g.fingerprint)).toEqual(["C", "A"])
      expect(yield* tracking.stats).toMatchObject({ groups: 2, groupsEvicted: 1 })
      expect((yield* tracking.group(a.fingerprint)).pipe(Option.map((g) => g.count))).toEqual(Option.some(2))
    }))

  it.scoped("distinct users are counted exactly up to the cap, then read as 'at least'", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ maxUsersPerGroup: 2, duplicateWindow: 0 })
      for (const userId of ["u1", "u2", "u1", "u3", "u4"]) {
        yield* tracking.captureError(new Error("e"), { fingerprint: "F", userId })
      }
      expect(Option.getOrThrow(yield* tracking.group("F"))).toMatchObject({
        count: 5,
        affectedUsers: 2,
        affectedUsersCapped: true
      })
    }))

  it.scoped("messages are redacted in events and in the stored group", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const { fingerprint } = yield* tracking.captureError(new Error("no inbox for ann@example.com"))
      expect((yield* captured)[0]!.message).toBe("no inbox for [EMAIL]")
      expect(Option.getOrThrow(yield* tracking.group(fingerprint)).message).toBe("no inbox for [EMAIL]")
    }))
})

// ---- breadcrumbs --------------------------------------------------------------------------------------

describe("ErrorTracking breadcrumbs", () => {
  it.scoped("keeps the last 50 by default, oldest dropped, and attaches them to captured errors", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      for (let i = 0; i < 60; i++) yield* tracking.addBreadcrumb({ message: `step ${i}`, category: "ui" })
      const crumbs = yield* tracking.breadcrumbs
      expect(crumbs).toHaveLength(50)
      expect(crumbs[0]!.message).toBe("step 10")
      expect(crumbs[49]).toMatchObject({ message: "step 59", category: "ui", level: "INFO" })
      yield* tracking.captureError(new Error("after the steps"))
      expect((yield* captured)[0]!.breadcrumbs.map((c) => c.message)).toEqual(crumbs.map((c) => c.message))
      yield* tracking.clearBreadcrumbs
      expect(yield* tracking.breadcrumbs).toEqual([])
    }))

  it.scoped("the configured cap holds on every path, including edits by beforeBreadcrumb", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({
        maxBreadcrumbs: 3,
        beforeBreadcrumb: (c) => (c.category === "noise" ? undefined : { ...c, message: c.message.toUpperCase() })
      })
      for (let i = 0; i < 5; i++) {
        yield* tracking.addBreadcrumb({ message: `keep ${i}` })
        yield* tracking.addBreadcrumb({ message: `drop ${i}`, category: "noise" })
      }
      expect((yield* tracking.breadcrumbs).map((c) => c.message)).toEqual(["KEEP 2", "KEEP 3", "KEEP 4"])
    }))

  it.scoped("breadcrumbs are stored redacted, even when beforeBreadcrumb puts raw text back", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({
        beforeBreadcrumb: (c) => ({ ...c, message: `${c.message} (from bob@example.com)` })
      })
      yield* tracking.addBreadcrumb({ message: "mailed ann@example.com", data: { to: "ann@example.com", n: 1 } })
      const [crumb] = yield* tracking.breadcrumbs
      expect(crumb).toMatchObject({ message: "mailed [EMAIL] (from [EMAIL])", data: { to: "[EMAIL]", n: 1 } })
    }))

  it.scoped("maxBreadcrumbs 0 keeps none", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ maxBreadcrumbs: 0 })
      yield* tracking.addBreadcrumb({ message: "x" })
      expect(yield* tracking.breadcrumbs).toEqual([])
    }))

  it.scoped("layerBreadcrumbsFromEvents turns tracked events (not error.*) into breadcrumbs", () =>
    Effect.gen(function*() {
      const { collector, tracking } = yield* start()
      const context = yield* Layer.build(
        ErrorTracking.layerBreadcrumbsFromEvents.pipe(
          Layer.provide(Layer.merge(Layer.succeed(TelemetryCollector, collector), Layer.succeed(ErrorTracking, tracking)))
        )
      )
      const decorated = Context.get(context, TelemetryCollector)
      yield* decorated.track({ type: "chat.message", data: { n: 1 } })
      yield* decorated.track({ type: "error.custom" })
      expect(yield* Effect.either(decorated.track({ type: "bad type!" }))).toSatisfy(Either.isLeft)
      expect((yield* tracking.breadcrumbs).map((c) => [c.category, c.message, c.data])).toEqual([
        ["event", "chat.message", { n: 1 }]
      ])
    }))
})

// ---- hooks, ignore, duplicates ------------------------------------------------------------------------

describe("ErrorTracking filtering", () => {
  it.scoped("ignore patterns match the message (string) or the type (RegExp, even global)", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ ignore: ["ResizeObserver loop", /^AbortError$/g], duplicateWindow: 0 })
      const abort = Object.assign(new Error("aborted"), { name: "AbortError" })
      const results = [
        yield* tracking.captureError(new Error("ResizeObserver loop limit exceeded")),
        yield* tracking.captureError(abort),
        yield* tracking.captureError(abort),
        yield* tracking.captureError(new Error("real problem"))
      ]
      expect(results.map((r) => r.outcome)).toEqual(["ignored", "ignored", "ignored", "sent"])
      expect((yield* captured).map((e) => e.message)).toEqual(["real problem"])
      expect(yield* tracking.stats).toMatchObject({ ignored: 3, groups: 1 })
    }))

  it.scoped("beforeSend may drop or edit an event; a dropped one is still grouped", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({
        duplicateWindow: 0,
        beforeSend: (e) => (e.message.includes("drop me") ? undefined : { ...e, context: { edited: true } })
      })
      const dropped = yield* tracking.captureError(new Error("drop me"))
      yield* tracking.captureError(new Error("keep me"))
      expect(dropped.outcome).toBe("dropped")
      expect((yield* captured).map((e) => [e.message, e.context])).toEqual([["keep me", { edited: true }]])
      expect(Option.isSome(yield* tracking.group(dropped.fingerprint))).toBe(true)
      expect((yield* tracking.stats).droppedByBeforeSend).toBe(1)
    }))

  it.scoped("a throwing beforeSend leaves the event unchanged rather than losing it", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({
        beforeSend: () => {
          throw new Error("hook bug")
        }
      })
      expect((yield* tracking.captureError(new Error("still sent"))).outcome).toBe("sent")
      expect((yield* captured).map((e) => e.message)).toEqual(["still sent"])
    }))

  it.scoped("the same fingerprint within the window is sent once, then once more with the count", () =>
    Effect.gen(function*() {
      const { captured, repeated, tracking } = yield* start({ duplicateWindow: "1 second" })
      const outcomes = []
      for (let i = 0; i < 5; i++) {
        outcomes.push((yield* tracking.captureError(thrownBy(() => loadFromCache(String(i))))).outcome)
        yield* TestClock.adjust("100 millis")
      }
      const other = yield* tracking.captureError(thrownBy(() => loadFromDisk("1")))
      expect(outcomes).toEqual(["sent", "suppressed", "suppressed", "suppressed", "suppressed"])
      expect(other.outcome).toBe("sent")
      expect(yield* captured).toHaveLength(2)
      expect(yield* repeated).toEqual([])

      yield* TestClock.adjust("500 millis")
      yield* settle
      const [summary] = yield* repeated
      expect(summary).toMatchObject({ count: 4, firstSeen: 0, lastSeen: 400, type: "Error" })

      const after = yield* tracking.captureError(thrownBy(() => loadFromCache("99")))
      expect(after.outcome).toBe("sent")
      expect(yield* captured).toHaveLength(3)
      expect((yield* tracking.group(after.fingerprint)).pipe(Option.map((g) => g.count))).toEqual(Option.some(6))
      expect((yield* tracking.stats).suppressed).toBe(4)
    }))

  it.effect("closing the scope reports the duplicates of a window still open", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { repeated, tracking } = yield* start().pipe(Scope.extend(scope))
      for (let i = 0; i < 3; i++) yield* tracking.captureError(new Error(`flaky ${i}`))
      yield* Scope.close(scope, Exit.void)
      expect((yield* repeated).map((r) => r.count)).toEqual([2])
    }))

  it.effect("invalid options fail the layer with the option named", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(start({ maxGroups: 0 }).pipe(Effect.scoped))
      expect(error).toBeInstanceOf(ErrorTracking.OptionsError)
      expect(error).toMatchObject({ _tag: "ErrorTrackingOptionsError", option: "maxGroups" })
      expect(error.reason).toContain("actual 0")
      expect(error.message).toBe(`option maxGroups: ${error.reason}`)
    }))
})

// ---- options -----------------------------------------------------------------------------------------

describe("ErrorTracking options", () => {
  /** The options error `ErrorTracking.make` fails with, given options not typed as valid ones. */
  const refusal = (options: unknown) =>
    Effect.flip(start(options as ErrorTracking.Options).pipe(Effect.scoped))

  it.effect("a misspelt option is refused, named by its path", () =>
    Effect.gen(function*() {
      const error = yield* refusal({ maxBreadcrumb: 10 })
      expect(error).toMatchObject({ _tag: "ErrorTrackingOptionsError", option: "maxBreadcrumb" })
    }))

  it.effect("each bound is checked: integers, their minimum, a duration, a hook, an ignore pattern", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ maxBreadcrumbs: 1.5 }, "maxBreadcrumbs"],
        [{ maxBreadcrumbs: -1 }, "maxBreadcrumbs"],
        [{ maxTrackedErrors: 0 }, "maxTrackedErrors"],
        [{ maxUsersPerGroup: Number.NaN }, "maxUsersPerGroup"],
        [{ duplicateWindow: "a while" }, "duplicateWindow"],
        [{ beforeSend: "drop everything" }, "beforeSend"],
        [{ ignore: [42] }, "ignore.0"]
      ]
      for (const [options, option] of cases) {
        expect(yield* refusal(options)).toMatchObject({ _tag: "ErrorTrackingOptionsError", option })
      }
      expect(yield* refusal("not options")).toMatchObject({ option: "input" })
    }))

  it.scoped("a duration is read from any Duration input: a string, milliseconds, a Duration", () =>
    Effect.gen(function*() {
      for (const duplicateWindow of ["2 seconds", 2_000, Duration.seconds(2)] as const) {
        const { repeated, tracking } = yield* start({ duplicateWindow })
        yield* tracking.captureError(new Error("flaky"))
        yield* tracking.captureError(new Error("flaky"))
        yield* TestClock.adjust("1999 millis")
        expect(yield* repeated).toEqual([])
        yield* TestClock.adjust("1 millis")
        yield* settle
        expect((yield* repeated).map((r) => r.count)).toEqual([1])
      }
    }))

  it("the defaults are the documented ones", () => {
    expect(ErrorTracking.defaults).toMatchObject({
      maxBreadcrumbs: 50,
      maxGroups: 1_000,
      maxUsersPerGroup: 100,
      maxTrackedErrors: 1_000,
      maxSamplesPerGroup: 5,
      ignore: []
    })
    expect(Duration.toMillis(ErrorTracking.defaults.duplicateWindow)).toBe(1_000)
  })
})

// ---- recovery ----------------------------------------------------------------------------------------

describe("ErrorTracking recovery", () => {
  it.scoped("counts attempts and successes per error id and per group", () =>
    Effect.gen(function*() {
      const { recoveries, tracking } = yield* start({ duplicateWindow: 0 })
      const first = yield* tracking.captureError(new Error("db down"), { fingerprint: "db" })
      const second = yield* tracking.captureError(new Error("db down"), { fingerprint: "db" })
      yield* tracking.recordRecovery(first.errorId, false)
      yield* tracking.recordRecovery(first.errorId, true)
      const report = yield* tracking.recordRecovery(second.errorId, true)
      expect(Option.getOrThrow(report)).toEqual({
        fingerprint: "db",
        errorId: second.errorId,
        error: { attempts: 1, successes: 1, recoveryRate: 1 },
        group: { attempts: 3, successes: 2, recoveryRate: 2 / 3 }
      })
      expect(Option.getOrThrow(yield* tracking.recoveryStats(first.errorId)).error).toEqual({
        attempts: 2,
        successes: 1,
        recoveryRate: 0.5
      })
      expect(Option.getOrThrow(yield* tracking.recoveryStats("db"))).toEqual({
        fingerprint: "db",
        group: { attempts: 3, successes: 2, recoveryRate: 2 / 3 }
      })
      expect(Option.getOrThrow(yield* tracking.group("db")).recovery.recoveryRate).toBeCloseTo(2 / 3)
      expect((yield* recoveries).map((r) => r.succeeded)).toEqual([false, true, true])
      expect(yield* tracking.recordRecovery("no-such-id", true)).toEqual(Option.none())
    }))

  it.scoped("attemptRecovery counts a recovery by its outcome and returns it unchanged", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start()
      const { errorId } = yield* tracking.captureError(new Error("cache miss"))
      expect(yield* tracking.attemptRecovery(errorId, Effect.succeed("from origin"))).toBe("from origin")
      expect(yield* Effect.exit(tracking.attemptRecovery(errorId, Effect.fail("origin down")))).toStrictEqual(
        Exit.fail("origin down")
      )
      expect(Option.getOrThrow(yield* tracking.recoveryStats(errorId)).error).toEqual({
        attempts: 2,
        successes: 1,
        recoveryRate: 0.5
      })
    }))

  it.scoped("error ids come from Effect's Random, so a fixed Random gives fixed ids", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ duplicateWindow: 0 })
      // A fresh fixed Random per capture: a shared one would go on where the last capture's draws stopped.
      const fixed = <A>(self: Effect.Effect<A>) => Effect.withRandom(self, Random.fixed([1, 2, 3, 4, 5, 6, 7, 8]))
      const a = yield* tracking.captureError(new Error("x")).pipe(fixed)
      const b = yield* tracking.captureError(new Error("x")).pipe(fixed)
      const c = yield* tracking.captureError(new Error("x"))
      expect(a.errorId).toBe(b.errorId)
      expect(c.errorId).not.toBe(a.errorId)
    }))
})

// ---- global handlers ---------------------------------------------------------------------------------

/** Takes the other listeners of a process event off for the test (vitest's own would report our emits). */
const isolateProcessEvent = (event: "unhandledRejection" | "uncaughtException") => {
  // Node's typings overload each event name separately; one loosely typed view serves both here.
  const events = process as unknown as {
    listeners(event: string): Array<(...args: Array<unknown>) => void>
    off(event: string, listener: (...args: Array<unknown>) => void): void
    on(event: string, listener: (...args: Array<unknown>) => void): void
  }
  return Effect.acquireRelease(
    Effect.sync(() => {
      const others = events.listeners(event)
      for (const l of others) events.off(event, l)
      return others
    }),
    (others) => Effect.sync(() => others.forEach((l) => events.on(event, l)))
  )
}

/** Emits a process event as Node would, bypassing the per-event typings. */
const emit = (event: string, ...args: Array<unknown>) =>
  (process as unknown as { emit(event: string, ...args: Array<unknown>): boolean }).emit(event, ...args)

const handlersOver = (h: Effect.Effect.Success<ReturnType<typeof start>>, options: ErrorTracking.GlobalHandlersOptions) =>
  ErrorTracking.layerGlobalHandlers(options).pipe(
    Layer.provide(Layer.merge(Layer.succeed(TelemetryCollector, h.collector), Layer.succeed(ErrorTracking, h.tracking)))
  )

describe("GlobalErrorHandlers", () => {
  it.scoped("installs Node listeners on acquire, captures an unhandled rejection, removes them on release", () =>
    Effect.gen(function*() {
      yield* isolateProcessEvent("unhandledRejection")
      const h = yield* start()
      const before = [process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")]
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(handlersOver(h, { exitOnUncaughtException: false }), scope)
      expect([process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")]).toEqual([
        before[0]! + 1,
        before[1]! + 1
      ])
      emit("unhandledRejection", new Error("nobody awaited me"), new Promise<never>(() => {}))
      yield* settle
      expect((yield* h.captured).map((e) => [e.message, e.mechanism, e.handled])).toEqual([
        ["nobody awaited me", "unhandledRejection", false]
      ])
      yield* Scope.close(scope, Exit.void)
      expect([process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")]).toEqual(before)
      emit("unhandledRejection", new Error("after release"), new Promise<never>(() => {}))
      yield* settle
      expect(yield* h.captured).toHaveLength(1)
    }))

  it.scoped("an uncaught exception is captured as CRITICAL, telemetry flushed, then the process exits with 1", () =>
    Effect.gen(function*() {
      yield* isolateProcessEvent("uncaughtException")
      const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never)
      yield* Effect.addFinalizer(() => Effect.sync(() => exit.mockRestore()))
      const h = yield* start()
      yield* Layer.build(handlersOver(h, {}))
      emit("uncaughtException", new TypeError("cannot read x"), "uncaughtException")
      yield* settle
      expect((yield* h.captured).map((e) => [e.type, e.severity, e.mechanism, e.handled])).toEqual([
        ["TypeError", "CRITICAL", "uncaughtException", false]
      ])
      expect(yield* Ref.get(h.flushes)).toBe(1)
      expect(exit).toHaveBeenCalledWith(1)
    }))

  it.scoped("with exitOnUncaughtException false the process keeps running", () =>
    Effect.gen(function*() {
      yield* isolateProcessEvent("uncaughtException")
      const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never)
      yield* Effect.addFinalizer(() => Effect.sync(() => exit.mockRestore()))
      const h = yield* start()
      yield* Layer.build(handlersOver(h, { exitOnUncaughtException: false }))
      emit("uncaughtException", new Error("survivable"), "uncaughtException")
      yield* settle
      expect(yield* h.captured).toHaveLength(1)
      expect(exit).not.toHaveBeenCalled()
    }))

  it.scoped("in a browser-like target listens to error and unhandledrejection events until released", () =>
    Effect.gen(function*() {
      const h = yield* start({ duplicateWindow: 0 })
      const target = new EventTarget()
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(handlersOver(h, { target }), scope)
      target.dispatchEvent(Object.assign(new Event("error"), { error: new Error("script error"), message: "script error" }))
      target.dispatchEvent(Object.assign(new Event("unhandledrejection"), { reason: "rejected with a string" }))
      yield* settle
      expect((yield* h.captured).map((e) => [e.message, e.mechanism])).toEqual([
        ["script error", "onerror"],
        ["rejected with a string", "onunhandledrejection"]
      ])
      yield* Scope.close(scope, Exit.void)
      target.dispatchEvent(Object.assign(new Event("error"), { error: new Error("after release") }))
      yield* settle
      expect(yield* h.captured).toHaveLength(2)
    }))

  it.scoped("the ErrorTracking layer builds over the EventSink and Redactor tags, recording through the sink", () =>
    Effect.gen(function*() {
      const { ofType, sink } = yield* makeRecordingCollector()
      const context = yield* Layer.build(
        ErrorTracking.layer().pipe(
          Layer.provide(Layer.merge(Layer.succeed(EventSink, sink), Layer.succeed(Redactor, testRedactor)))
        )
      )
      const result = yield* Context.get(context, ErrorTracking).captureError(new Error("via layer"))
      expect(result.outcome).toBe("sent")
      expect((yield* ofType("error.captured")).map((e) => e.data)).toMatchObject([{ message: "via layer" }])
    }))
})

// ---- end to end --------------------------------------------------------------------------------------

describe("ErrorTracking over the real collector", () => {
  it.scoped("captured errors are delivered as error events, redacted by the real Redactor", () =>
    Effect.gen(function*() {
      const config = yield* Effect.orDie(fromOptions({ transport: "memory" }))
      const redactor = layerRedactor()
      const collector = layerWithTransport(config, Transport.memory)
      const context = yield* Layer.build(
        ErrorTracking.layer().pipe(
          Layer.provide(sinkOfCollector),
          Layer.provideMerge(Layer.merge(collector, redactor)),
          Layer.provideMerge(Transport.memory)
        )
      )
      const tracking = Context.get(context, ErrorTracking)
      yield* tracking.addBreadcrumb({ message: "opened the inbox of ann@example.com" })
      const { errorId } = yield* tracking.captureError(new Error("no mailbox for ann@example.com"), { userId: "u1" })
      yield* Context.get(context, TelemetryCollector).flush
      const [event] = yield* deliveredEvents.pipe(Effect.provide(context))
      expect(event).toMatchObject({ type: "error.captured", kind: "error", userId: "u1" })
      expect(event!.data).toMatchObject({ errorId })
      expect(JSON.stringify(event!.data)).not.toContain("ann@example.com")
      expect(JSON.stringify(yield* tracking.breadcrumbs)).not.toContain("ann@example.com")
    }))
})

// ---- hostile input: a capture never lies about its outcome, and never poisons later ones --------------

/** A JSON body with a `__proto__` key, as `JSON.parse` builds it: an own field, not a prototype. */
const protoBody = () => JSON.parse("{\"__proto__\": {\"polluted\": 1}, \"ok\": 2}") as Record<string, unknown>

describe("ErrorTracking over hostile input", () => {
  it.scoped("a __proto__ key in breadcrumb data and capture context stays data: 5 of 5 later errors are delivered", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal({ duplicateWindow: 0 })
      yield* tracking.addBreadcrumb({ message: "parsed a request body", data: protoBody() })
      const outcomes = []
      for (let i = 0; i < 5; i++) {
        outcomes.push((yield* tracking.captureError(new Error(`failure ${i}`), { context: { body: protoBody() } })).outcome)
      }
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(outcomes).toEqual(["sent", "sent", "sent", "sent", "sent"])
      expect(events).toHaveLength(5)
      expect(JSON.stringify(events[4]!.context)).toBe("{\"body\":{\"__proto__\":{\"polluted\":1},\"ok\":2}}")
      expect(JSON.stringify(events[4]!.breadcrumbs[0]!.data)).toBe("{\"__proto__\":{\"polluted\":1},\"ok\":2}")
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }))

  it.scoped("a __proto__ key in tracked data feeding layerBreadcrumbsFromEvents poisons no later capture", () =>
    Effect.gen(function*() {
      const { collector, delivered, tracking } = yield* startReal({ duplicateWindow: 0 })
      const decorated = Context.get(
        yield* Layer.build(
          ErrorTracking.layerBreadcrumbsFromEvents.pipe(
            Layer.provide(Layer.merge(Layer.succeed(TelemetryCollector, collector), Layer.succeed(ErrorTracking, tracking)))
          )
        ),
        TelemetryCollector
      )
      yield* decorated.track({ type: "form.submitted", data: protoBody() as never })
      const outcomes = []
      for (let i = 0; i < 5; i++) outcomes.push((yield* tracking.captureError(new Error(`after the form ${i}`))).outcome)
      expect(outcomes).toEqual(["sent", "sent", "sent", "sent", "sent"])
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events).toHaveLength(5)
      expect(events[0]!.breadcrumbs.map((c) => c.message)).toEqual(["form.submitted"])
    }))

  it.scoped("an event the collector refuses is answered refused, with the reason, and counted — not sent", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal({ beforeSend: (e) => ({ ...e, context: { ratio: Number.NaN } }) })
      const result = yield* tracking.captureError(new Error("ratio went wrong"))
      expect(result.outcome).toBe("refused")
      expect(result.reason).toMatch(/finite/)
      expect(yield* delivered("error.captured")).toEqual([])
      expect(yield* tracking.stats).toMatchObject({ captured: 1, sent: 0, refused: 1, trackFailures: 1 })
    }))

  it.scoped("a 40 KB _tag, a 50 KB fingerprint, 2 KB tag values, a long mechanism and odd user ids give valid, delivered events", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal({ duplicateWindow: 0 })
      const longFingerprint = "checkout-".repeat(5_600)
      const results = [
        yield* tracking.captureError({ _tag: "Huge".repeat(10_000), message: "a 40 KB tag" }),
        yield* tracking.captureError(new Error("a 50 KB fingerprint"), { fingerprint: longFingerprint }),
        yield* tracking.captureError(new Error("long tags"), {
          tags: { page: "p".repeat(2_000) },
          mechanism: "m".repeat(5_000)
        }),
        yield* tracking.captureError(new Error("empty user"), { userId: "" }),
        yield* tracking.captureError(new Error("long user"), { userId: "u".repeat(300) })
      ]
      expect(results.map((r) => r.outcome)).toEqual(["sent", "sent", "sent", "sent", "sent"])
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events).toHaveLength(5)
      expect(events[0]!.type.length).toBeLessThanOrEqual(200)
      expect(events[1]!.fingerprint.length).toBeLessThanOrEqual(128)
      expect(events[1]!.fingerprint).toBe(results[1]!.fingerprint)
      // The long value still finds its group: lookups take the same bounded form.
      expect((yield* tracking.group(longFingerprint)).pipe(Option.map((g) => g.fingerprint))).toEqual(
        Option.some(results[1]!.fingerprint)
      )
      expect(yield* tracking.stats).toMatchObject({ sent: 5, refused: 0, trackFailures: 0 })
    }))

  it.scoped("error.repeated of a 50 KB fingerprint is delivered", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal({ duplicateWindow: "1 second" })
      const longFingerprint = "f-".repeat(25_000)
      yield* tracking.captureError(new Error("flaky"), { fingerprint: longFingerprint })
      yield* tracking.captureError(new Error("flaky"), { fingerprint: longFingerprint })
      yield* TestClock.adjust("1 second")
      yield* settle
      expect((yield* delivered<ErrorRepeatedData>("error.repeated")).map((r) => r.count)).toEqual([1])
    }))

  it.scoped("a breadcrumb with a NaN timestamp or non-JSON data from beforeBreadcrumb makes no later capture refused", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal({
        duplicateWindow: 0,
        beforeBreadcrumb: (c) =>
          c.category === "hooked" ? { ...c, data: { at: new Date(0), fn: () => 1, big: 1n } as never, level: "LOUD" as never } : c
      })
      yield* tracking.addBreadcrumb({ message: "clock broke", timestamp: Number.NaN })
      yield* tracking.addBreadcrumb({ message: "hook edited", category: "hooked" })
      const outcomes = []
      for (let i = 0; i < 3; i++) outcomes.push((yield* tracking.captureError(new Error(`later ${i}`))).outcome)
      expect(outcomes).toEqual(["sent", "sent", "sent"])
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events).toHaveLength(3)
      expect(events[0]!.breadcrumbs.map((c) => [c.message, c.level, c.data])).toEqual([
        ["clock broke", "INFO", undefined],
        ["hook edited", "INFO", { at: "1970-01-01T00:00:00.000Z", big: "1" }]
      ])
    }))

  it.scoped("a context that throws when read, or shares references widely, is copied within bounds and the error still sent", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      const revoked = Proxy.revocable({}, {})
      revoked.revoke()
      // Ten keys a level, all pointing at the same child, six levels deep: a million paths, no cycle.
      let reads = 0
      let shared: Record<string, unknown> = { leaf: 1 }
      for (let level = 0; level < 6; level++) {
        const child = shared
        const node: Record<string, unknown> = {}
        for (let k = 0; k < 10; k++) {
          Object.defineProperty(node, `k${k}`, { enumerable: true, get: () => (reads++, child) })
        }
        shared = node
      }
      const results = [
        yield* tracking.captureError(new Error("unreadable context"), { context: revoked.proxy }),
        yield* tracking.captureError(new Error("wide context"), { context: { shared } })
      ]
      expect(results.map((r) => r.outcome)).toEqual(["sent", "sent"])
      expect((yield* captured).map((e) => e.message)).toEqual(["unreadable context", "wide context"])
      expect(reads).toBeLessThan(50_000)
    }))

  it.scoped("an unhandled rejection whose reason has a 40 KB _tag is delivered by the global handlers", () =>
    Effect.gen(function*() {
      const { context, delivered } = yield* startReal()
      const target = new EventTarget()
      yield* Layer.build(ErrorTracking.layerGlobalHandlers({ target }).pipe(Layer.provide(Layer.succeedContext(context))))
      const reason = { _tag: "Rejected".repeat(5_000), message: "nobody caught me", body: protoBody() }
      target.dispatchEvent(Object.assign(new Event("unhandledrejection"), { reason }))
      yield* settle
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events.map((e) => [e.mechanism, e.message])).toEqual([["onunhandledrejection", "nobody caught me"]])
    }))
})

// ---- Causes with several failures ----------------------------------------------------------------------

class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfter: number }> {}
/** One call site for every RateLimited, so they share a fingerprint. */
const rateLimited = (retryAfter: number) => new RateLimited({ retryAfter })

describe("ErrorTracking Causes with several failures", () => {
  it.scoped("a parallel Cause reports its defect as the primary, even when its failure is a known duplicate", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal()
      const first = yield* tracking.captureError(Cause.fail(rateLimited(1)))
      const both = yield* tracking.captureError(
        Cause.parallel(Cause.fail(rateLimited(2)), Cause.die(new TypeError("items.map is not a function")))
      )
      expect(first.outcome).toBe("sent")
      expect(both.outcome).toBe("sent")
      expect(both.fingerprint).not.toBe(first.fingerprint)
      expect(both.linked).toEqual([{ errorId: expect.any(String), fingerprint: first.fingerprint, outcome: "suppressed" }])
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events.map((e) => [e.type, e.kind, e.severity, e.composition])).toEqual([
        ["RateLimited", "fail", "WARNING", "single"],
        ["TypeError", "die", "CRITICAL", "parallel"]
      ])
      expect(events[1]).toMatchObject({ errorId: both.errorId, causeId: both.errorId, handled: false })
      expect(events[1]!.reasons.map((r) => [r.kind, r.type, r.fingerprint])).toEqual([
        ["fail", "RateLimited", first.fingerprint],
        ["die", "TypeError", both.fingerprint]
      ])
      expect((yield* tracking.group(first.fingerprint)).pipe(Option.map((g) => g.count))).toEqual(Option.some(2))
      expect(yield* tracking.stats).toMatchObject({ captured: 3, sent: 2, suppressed: 1 })
    }))

  it.scoped("each distinct failure and defect of a sequential Cause is its own event, linked by causeId", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal()
      const result = yield* tracking.captureError(
        Cause.sequential(Cause.fail(rateLimited(1)), Cause.die(new Error("cleanup failed")))
      )
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(events.map((e) => [e.type, e.kind, e.causeId, e.composition])).toEqual([
        ["Error", "die", result.errorId, "sequential"],
        ["RateLimited", "fail", result.errorId, "sequential"]
      ])
      expect(result.linked?.map((l) => [l.errorId, l.outcome])).toEqual([[events[1]!.errorId, "sent"]])
      expect(events[0]!.reasons.map((r) => r.message)).toEqual(["{\"retryAfter\":1}", "cleanup failed"])
    }))

  it.scoped("a Cause of more than 10 leaves lists 10, the primary always among them, and counts the rest", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal()
      let cause: Cause.Cause<unknown> = Cause.empty
      for (let i = 0; i < 11; i++) cause = Cause.parallel(cause, Cause.fail(rateLimited(i)))
      const result = yield* tracking.captureError(Cause.parallel(cause, Cause.die(new RangeError("last, and worst"))))
      const [primary, linked] = yield* delivered<ErrorCapturedData>("error.captured")
      expect([primary!.type, primary!.reasons.length, primary!.omittedReasons]).toEqual(["RangeError", 10, 2])
      expect(primary!.reasons.at(-1)).toMatchObject({ kind: "die", type: "RangeError", fingerprint: result.fingerprint })
      expect([linked!.type, linked!.causeId]).toEqual(["RateLimited", result.errorId])
    }))

  it.scoped("the same failure twice in a parallel Cause is one event listing both leaves", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* startReal()
      const result = yield* tracking.captureError(Cause.parallel(Cause.fail(rateLimited(1)), Cause.fail(rateLimited(2))))
      const events = yield* delivered<ErrorCapturedData>("error.captured")
      expect(result.linked).toBeUndefined()
      expect(events).toHaveLength(1)
      expect(events[0]!.causeId).toBeUndefined()
      expect(events[0]!.reasons.map((r) => r.fingerprint)).toEqual([result.fingerprint, result.fingerprint])
    }))
})

// ---- redaction before storing ------------------------------------------------------------------------

describe("ErrorTracking in-memory state", () => {
  it.scoped("groups, duplicate windows and breadcrumbs keep only redacted text, whatever the type, fingerprint or hook", () =>
    Effect.gen(function*() {
      const { repeated, tracking } = yield* start({
        duplicateWindow: "1 second",
        beforeBreadcrumb: (c) => ({ ...c, category: "mail to bob@example.com", data: { to: "bob@example.com" } })
      })
      const tagged = { _tag: "NoInboxFor_ann@example.com", message: "mailbox missing" }
      yield* tracking.captureError(tagged)
      yield* tracking.captureError(tagged)
      const custom = yield* tracking.captureError(new Error("quota"), { fingerprint: "quota-of-ann@example.com" })
      yield* tracking.addBreadcrumb({ message: "sent", category: "mail" })
      yield* TestClock.adjust("1 second")
      yield* settle
      const state = JSON.stringify([yield* tracking.groups, yield* tracking.breadcrumbs, yield* repeated])
      expect(state).not.toContain("@example.com")
      expect(state).toContain("NoInboxFor_[EMAIL]")
      // A caller's fingerprint is stored redacted, and found by its raw value.
      expect(custom.fingerprint).toBe("quota-of-[EMAIL]")
      expect(Option.isSome(yield* tracking.group("quota-of-ann@example.com"))).toBe(true)
    }))
})

// ---- captureMessage ------------------------------------------------------------------------------------

describe("ErrorTracking captureMessage", () => {
  it.scoped("sends a message at INFO by default, without a stack, as its own kind and type", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      yield* tracking.addBreadcrumb({ message: "opened checkout" })
      const info = yield* tracking.captureMessage("Checkout retried with a backup card")
      const warning = yield* tracking.captureMessage("Checkout fell back to the legacy gateway", "WARNING")
      expect([info.outcome, warning.outcome]).toEqual(["sent", "sent"])
      const [first, second] = yield* captured
      expect(first).toMatchObject({
        errorId: info.errorId,
        type: "Message",
        message: "Checkout retried with a backup card",
        kind: "message",
        severity: "INFO",
        category: "unknown",
        handled: true,
        mechanism: "captureMessage",
        frames: [],
        causeChain: [],
        composition: "single",
        reasons: [{ kind: "message", type: "Message", message: "Checkout retried with a backup card", fingerprint: info.fingerprint }]
      })
      expect(first!.breadcrumbs.map((b) => b.message)).toEqual(["opened checkout"])
      expect(second).toMatchObject({ severity: "WARNING", kind: "message" })
    }))

  it.scoped("is grouped by its normalized text, apart from an error with the same message", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ duplicateWindow: 0 })
      const a = yield* tracking.captureMessage("user 42 exported 17 reports")
      const b = yield* tracking.captureMessage("user 7 exported 3 reports")
      const error = yield* tracking.captureError(new Error("user 42 exported 17 reports"))
      expect(b.fingerprint).toBe(a.fingerprint)
      expect(error.fingerprint).not.toBe(a.fingerprint)
      expect(Option.getOrThrow(yield* tracking.group(a.fingerprint))).toMatchObject({ count: 2, type: "Message", severity: "INFO" })
    }))

  it.scoped("its severity is the caller's: words in the text do not change it; its category comes from the text", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start({ duplicateWindow: 0 })
      yield* tracking.captureMessage("CRITICAL: nightly export skipped")
      yield* tracking.captureMessage("Rate limit reached, backing off for 2s", "WARNING")
      yield* tracking.captureMessage("disk almost full", "CRITICAL", { category: "runtime", tags: { host: "a" } })
      expect((yield* captured).map((e) => [e.severity, e.category, e.classifiedBy])).toEqual([
        ["INFO", "unknown", "default"],
        ["WARNING", "rate_limit", "message"],
        ["CRITICAL", "runtime", "override"]
      ])
    }))

  it.scoped("goes through redaction, duplicate suppression, ignore patterns, beforeSend and outcomes like an error", () =>
    Effect.gen(function*() {
      const { captured, failing, repeated, tracking } = yield* start({
        ignore: ["health probe"],
        beforeSend: (e) => (e.message.includes("drop") ? undefined : e)
      })
      const redacted = yield* tracking.captureMessage("invite sent to ann@example.com", "INFO", { userId: "u-1" })
      const duplicate = yield* tracking.captureMessage("invite sent to bob@example.com")
      const ignored = yield* tracking.captureMessage("health probe answered")
      const dropped = yield* tracking.captureMessage("drop this one")
      yield* Ref.set(failing, true)
      const failed = yield* tracking.captureMessage("collector is down now")
      yield* Ref.set(failing, false)
      expect([redacted, duplicate, ignored, dropped, failed].map((r) => r.outcome)).toEqual([
        "sent",
        "suppressed",
        "ignored",
        "dropped",
        "failed"
      ])
      expect(duplicate.fingerprint).toBe(redacted.fingerprint)
      expect((yield* captured).map((e) => e.message)).toEqual(["invite sent to [EMAIL]"])
      expect(Option.getOrThrow(yield* tracking.group(redacted.fingerprint)).message).toBe("invite sent to [EMAIL]")
      yield* TestClock.adjust("1 second")
      yield* settle
      expect((yield* repeated).map((r) => [r.type, r.count])).toEqual([["Message", 1]])
      expect(yield* tracking.stats).toMatchObject({ captured: 5, sent: 1, suppressed: 1, ignored: 1, droppedByBeforeSend: 1, failed: 1 })
    }))

  it.scoped("the accessor captures with the ErrorTracking in context", () =>
    Effect.gen(function*() {
      const { captured, tracking } = yield* start()
      const result = yield* ErrorTracking.captureMessage("deploy finished", "DEBUG").pipe(Effect.provideService(ErrorTracking, tracking))
      expect(result.outcome).toBe("sent")
      expect((yield* captured).map((e) => e.severity)).toEqual(["DEBUG"])
    }))
})

// ---- records, samples and totals -------------------------------------------------------------------------

describe("ErrorTracking records", () => {
  it.scoped("getError returns a captured error by id: what was captured, when, for whom, with its recovery", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start()
      yield* TestClock.setTime(5_000)
      yield* tracking.addBreadcrumb({ message: "opened settings" })
      yield* tracking.addBreadcrumb({ message: "saved profile of ann@example.com" })
      const { errorId, fingerprint } = yield* tracking.captureError(new Error("no inbox for ann@example.com"), {
        userId: "u-42",
        mechanism: "settings"
      })
      yield* tracking.recordRecovery(errorId, true)
      expect(Option.getOrThrow(yield* tracking.getError(errorId))).toEqual({
        errorId,
        fingerprint,
        type: "Error",
        message: "no inbox for [EMAIL]",
        severity: "ERROR",
        category: "unknown",
        kind: "thrown",
        handled: true,
        mechanism: "settings",
        timestamp: 5_000,
        userId: "u-42",
        breadcrumbs: 2,
        recovery: { attempts: 1, successes: 1, recoveryRate: 1 }
      })
      expect(yield* tracking.getError("no-such-id")).toEqual(Option.none())
    }))

  it.scoped("suppressed duplicates and the linked errors of a Cause have records too", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start()
      yield* tracking.captureError(new Error("flaky"))
      const duplicate = yield* tracking.captureError(new Error("flaky"))
      const cause = yield* tracking.captureError(Cause.parallel(Cause.fail(new Error("quota")), Cause.die(new RangeError("bad index"))))
      expect(duplicate.outcome).toBe("suppressed")
      expect(Option.getOrThrow(yield* tracking.getError(duplicate.errorId)).message).toBe("flaky")
      const linked = Option.getOrThrow(yield* tracking.getError(cause.linked![0]!.errorId))
      expect(linked).toMatchObject({ kind: "fail", causeId: cause.errorId })
      expect(Option.getOrThrow(yield* tracking.getError(cause.errorId))).toMatchObject({
        kind: "die",
        severity: "CRITICAL",
        handled: false,
        causeId: cause.errorId
      })
    }))

  it.scoped("records are bounded by maxTrackedErrors: the oldest is forgotten first", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ maxTrackedErrors: 2, duplicateWindow: 0 })
      const ids: Array<string> = []
      for (const m of ["a", "b", "c"]) ids.push((yield* tracking.captureError(new Error(m))).errorId)
      const found = yield* Effect.forEach(ids, (id) => Effect.map(tracking.getError(id), Option.isSome))
      expect(found).toEqual([false, true, true])
    }))

  it.scoped("a group keeps its latest samples, newest first, bounded by maxSamplesPerGroup and redacted", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ duplicateWindow: 0, maxSamplesPerGroup: 3 })
      const results = []
      for (let i = 0; i < 5; i++) {
        yield* TestClock.setTime(i * 1_000)
        results.push(yield* tracking.captureError(new Error(`no inbox ${i} for ann@example.com`), { fingerprint: "inbox" }))
      }
      const group = Option.getOrThrow(yield* tracking.group("inbox"))
      expect(group.count).toBe(5)
      expect(group.samples.map((s) => [s.errorId, s.timestamp, s.message])).toEqual([
        [results[4]!.errorId, 4_000, "no inbox 4 for [EMAIL]"],
        [results[3]!.errorId, 3_000, "no inbox 3 for [EMAIL]"],
        [results[2]!.errorId, 2_000, "no inbox 2 for [EMAIL]"]
      ])
      expect((yield* tracking.groups)[0]!.samples).toHaveLength(3)

      const none = yield* start({ maxSamplesPerGroup: 0 })
      yield* none.tracking.captureError(new Error("x"), { fingerprint: "x" })
      expect(Option.getOrThrow(yield* none.tracking.group("x")).samples).toEqual([])
      const error = yield* Effect.flip(start({ maxSamplesPerGroup: -1 }).pipe(Effect.scoped))
      expect(error).toMatchObject({ _tag: "ErrorTrackingOptionsError", option: "maxSamplesPerGroup" })
    }))

  it.scoped("a PII-shaped user id is kept pseudonymised, as the event names it", () =>
    Effect.gen(function*() {
      const { collector, context, tracking } = yield* startReal()
      const { errorId } = yield* tracking.captureError(new Error("checkout failed"), { userId: "ann@example.com" })
      const record = Option.getOrThrow(yield* tracking.getError(errorId))
      expect(record.userId).toMatch(/^u_[0-9a-f]{32}$/)
      yield* collector.flush
      const [event] = yield* deliveredEvents.pipe(Effect.provide(context))
      expect(event).toMatchObject({ type: "error.captured", userId: record.userId, data: { errorId } })
      expect(JSON.stringify(Option.getOrThrow(yield* tracking.group(record.fingerprint)))).not.toContain("ann@example.com")
    }))

  it.scoped("stats count the errors grouped by severity and by category, duplicates included, ignored ones not", () =>
    Effect.gen(function*() {
      const { tracking } = yield* start({ ignore: ["ignore me"] })
      yield* tracking.captureError(new Error("Request timed out"))
      yield* tracking.captureError(new Error("Request timed out"))
      yield* tracking.captureError(new Error("CRITICAL: System failure"))
      yield* tracking.captureError(responseError(503))
      yield* tracking.captureError(new Error("ignore me"))
      yield* tracking.captureMessage("nightly export done")
      const stats = yield* tracking.stats
      expect(stats.bySeverity).toEqual({ DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 1, CRITICAL: 1 })
      expect(stats.byCategory).toMatchObject({ timeout: 2, unknown: 2, api: 1, network: 0 })
      expect(Object.values(stats.byCategory).reduce((a, b) => a + b, 0)).toBe(stats.captured - stats.ignored)
    }))
})

// ---- clear and reset --------------------------------------------------------------------------------------

describe("ErrorTracking clear and reset", () => {
  it.scoped("clear forgets groups, records and stats; keeps breadcrumbs and open windows, whose counts are still reported", () =>
    Effect.gen(function*() {
      const { captured, repeated, tracked, tracking } = yield* start()
      yield* tracking.addBreadcrumb({ message: "opened settings" })
      const first = yield* tracking.captureError(new Error("flaky"))
      yield* tracking.captureError(new Error("flaky"))
      const eventsBefore = (yield* tracked).length
      yield* tracking.clear
      expect((yield* tracked).length).toBe(eventsBefore)
      expect(yield* tracking.groups).toEqual([])
      expect(yield* tracking.getError(first.errorId)).toEqual(Option.none())
      expect(yield* tracking.recordRecovery(first.errorId, true)).toEqual(Option.none())
      const stats = yield* tracking.stats
      expect(stats).toMatchObject({ captured: 0, sent: 0, suppressed: 0, groups: 0, groupsEvicted: 0 })
      expect(Object.values(stats.bySeverity).every((n) => n === 0)).toBe(true)
      expect((yield* tracking.breadcrumbs).map((b) => b.message)).toEqual(["opened settings"])

      // The window opened before the clear is still open: a third occurrence is a duplicate, and its count
      // (with the one before the clear) is reported when the window closes.
      const third = yield* tracking.captureError(new Error("flaky"))
      expect(third.outcome).toBe("suppressed")
      expect(Option.getOrThrow(yield* tracking.group(third.fingerprint)).count).toBe(1)
      yield* TestClock.adjust("1 second")
      yield* settle
      expect((yield* repeated).map((r) => r.count)).toEqual([2])
      expect(yield* captured).toHaveLength(1)
    }))

  it.scoped("reset forgets breadcrumbs and open windows too, without reporting them: as newly built", () =>
    Effect.gen(function*() {
      const { captured, repeated, tracked, tracking } = yield* start()
      yield* tracking.addBreadcrumb({ message: "opened settings" })
      yield* tracking.captureError(new Error("flaky"))
      yield* tracking.captureError(new Error("flaky"))
      const eventsBefore = (yield* tracked).length
      yield* tracking.reset
      expect((yield* tracked).length).toBe(eventsBefore)
      expect(yield* tracking.breadcrumbs).toEqual([])
      expect(yield* tracking.groups).toEqual([])
      expect((yield* tracking.stats).captured).toBe(0)

      // The window is gone: the same error is sent again, and no error.repeated ever comes for the old one.
      const again = yield* tracking.captureError(new Error("flaky"))
      expect(again.outcome).toBe("sent")
      expect((yield* captured)[1]!.breadcrumbs).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* settle
      expect(yield* repeated).toEqual([])
      expect(yield* tracking.stats).toMatchObject({ captured: 1, sent: 1, suppressed: 0, groups: 1 })
    }))
})
