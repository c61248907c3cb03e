import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fc from "fast-check"
import { markRedacted } from "../../src/internal/recording.js"
import { layerWithTransport } from "../../src/layers/TelemetryLayers.js"
import { deliveredEvents } from "../../src/layers/TelemetryTest.js"
import type { Breadcrumb } from "../../src/schemas/ErrorEvents.js"
import { fromOptions } from "../../src/schemas/TelemetryConfig.js"
import type { JsonObject } from "../../src/schemas/TelemetryEvent.js"
import { capturedData, type EventFacts, type Prepared, type Shared } from "../../src/services/errors/CapturedEvent.js"
import { makeCapturedRedaction } from "../../src/services/errors/CapturedRedaction.js"
import { classify } from "../../src/services/errors/Classification.js"
import { describeError } from "../../src/services/errors/ErrorDescription.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { EventSink } from "../../src/services/EventSink.js"
import { Redactor, unsafeMake } from "../../src/services/Redactor.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { Transport } from "../../src/transports/Transport.js"

/** An error whose message, stack paths and function names carry an e-mail address. */
const errorWithPii = (n = 0) => {
  const error = new Error(`no mailbox for ann@example.com (attempt ${n})`)
  error.stack = [
    `Error: no mailbox for ann@example.com (attempt ${n})`,
    "    at loadInbox (/home/ann@example.com/app/src/inbox.ts:10:5)",
    "    at handler (/srv/app/src/routes/ann@example.com.ts:42:7)",
    "    at run (/srv/app/node_modules/lib/index.js:1:1)"
  ].join("\n")
  return error
}

const crumb: Breadcrumb = {
  timestamp: 1,
  category: "ui",
  message: "opened the inbox",
  level: "INFO",
  data: { user: "ann@example.com", nested: { password: "hunter2", list: ["bob@example.com"] } }
}

const preparedOf = (redactString: (s: string) => string): Prepared => {
  const leaf = describeError(errorWithPii()).leaves[0]!
  return {
    index: 0,
    leaf,
    classification: classify(leaf.error, leaf.kind),
    type: redactString(leaf.type),
    message: redactString(leaf.message),
    fingerprint: "F"
  }
}

const facts = (reasonMessage: string): EventFacts => ({
  errorId: "e1",
  severity: "ERROR",
  category: "unknown",
  handled: true,
  reasons: [{ kind: "fail", type: "Error", message: reasonMessage, fingerprint: "F" }],
  omitted: 0,
  severityGiven: false,
  categoryGiven: false
})

const sharedOf = (context: JsonObject): Shared => ({
  now: 1,
  userId: undefined,
  tags: undefined,
  mechanism: "captureError",
  context,
  breadcrumbs: [crumb, crumb],
  composition: "single",
  causeId: undefined
})

/** Redactor options that rename or replace the event's own fields, or leave them be. */
const redactorOptions = fc.record({
  extraSensitiveFields: fc.subarray(["message", "frames", "file", "breadcrumbs", "context", "reasons", "function", "data"]),
  safeFields: fc.subarray(["message", "file", "data", "user"]),
  extraPatterns: fc.subarray([/frames/, /inbox/, /Error/, /srv/]),
  replacement: fc.constantFrom("[REDACTED]", "x", "[frames]")
})

describe("CapturedRedaction", () => {
  it("the data it vouches for is exactly what the redactor makes of the unredacted event, for any options", () =>
    fc.assert(
      // An empty context (most captures) is remembered like the fields captures share; any other is not.
      fc.property(redactorOptions, fc.boolean(), fc.boolean(), (options, twice, emptyContext) => {
        const redactor = unsafeMake(options)
        const redaction = makeCapturedRedaction(redactor)
        const p = preparedOf(redactor.redactString)
        const shared = sharedOf(emptyContext ? {} : redactor.redact({ owner: "ann@example.com", token: "abc" }))
        const f = facts(p.message)
        if (twice) redaction.redactedData(p, f, shared)
        const vouched = redaction.redactedData(p, f, shared)
        const expected = redactor.redact(capturedData(p, f, shared, redactor.redactString))
        if (vouched !== undefined) expect(vouched).toEqual(expected)
        return true
      })
    ))

  it("events of one redaction that differ in any text are never given another's remembered fields", () =>
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string(), fc.string()), { maxLength: 6 }), (random) => {
        // Texts that differ only in where one field ends and the next begins, then any others.
        const texts: ReadonlyArray<readonly [string, string, string]> = [["ab", "c", "m"], ["a", "bc", "m"], ["a", "b", "cm"], ...random]
        const redactor = unsafeMake()
        const redaction = makeCapturedRedaction(redactor)
        const base = preparedOf(redactor.redactString)
        // The same memo sees every event in turn, twice over: a key shared by two of them would answer the wrong one.
        for (const round of [0, 1]) {
          for (const [type, message, mechanism] of texts) {
            const p: Prepared = { ...base, type, message, fingerprint: `${type}${round}` }
            const shared = { ...sharedOf({}), mechanism }
            const f = facts(message)
            const vouched = redaction.redactedData(p, f, shared)
            if (vouched !== undefined) expect(vouched).toEqual(redactor.redact(capturedData(p, f, shared, redactor.redactString)))
          }
        }
      })
    ))

  it("with the default redactor it vouches, and what it vouches for holds no PII", () => {
    const redactor = unsafeMake()
    const p = preparedOf(redactor.redactString)
    const data = makeCapturedRedaction(redactor).redactedData(p, facts(p.message), sharedOf({}))
    expect(data).toBeDefined()
    expect(JSON.stringify(data)).not.toMatch(/ann@example\.com|bob@example\.com|hunter2/)
  })
})

/** The real collector over the memory transport, with `redactor` as its Redactor. */
const collectorWith = (redactor: Redactor["Type"], trackingOptions: ErrorTracking.Options = {}) =>
  Effect.gen(function*() {
    const config = yield* Effect.orDie(fromOptions({ transport: "memory" }))
    const sink = Layer.effect(
      EventSink,
      Effect.map(TelemetryCollector, (c) => EventSink.of({ track: c.track, currentSession: c.currentSession }))
    )
    const context = yield* Layer.build(
      ErrorTracking.layer(trackingOptions).pipe(
        Layer.provide(sink),
        // The collector and ErrorTracking over the same redactor instance, as `TelemetryLive` builds them.
        Layer.provideMerge(Layer.provideMerge(layerWithTransport(config, Transport.memory), Layer.succeed(Redactor, redactor))),
        Layer.provideMerge(Transport.memory)
      )
    )
    const collector = Context.get(context, TelemetryCollector)
    const delivered = collector.flush.pipe(Effect.zipRight(deliveredEvents), Effect.provide(context))
    return { collector, tracking: Context.get(context, ErrorTracking), delivered }
  })

describe("CapturedRedaction through the collector", () => {
  it.scoped("an error with PII in its message, context, frames and breadcrumbs is delivered redacted", () =>
    Effect.gen(function*() {
      const { delivered, tracking } = yield* collectorWith(unsafeMake(), { duplicateWindow: 0 })
      yield* tracking.addBreadcrumb({ message: "opened the inbox", data: { user: "ann@example.com" } })
      for (let i = 0; i < 3; i++) {
        const result = yield* tracking.captureError(errorWithPii(i), { context: { owner: "ann@example.com", token: "abc" } })
        expect(result.outcome).toBe("sent")
      }
      const events = (yield* delivered).filter((e) => e.type === "error.captured")
      expect(events).toHaveLength(3)
      const text = JSON.stringify(events)
      expect(text).not.toContain("ann@example.com")
      expect(text).not.toContain("\"abc\"")
      expect(text).toContain("[REDACTED]")
    }))

  it.scoped("a user's event of the same shape as a captured error's is still redacted", () =>
    Effect.gen(function*() {
      const redactor = unsafeMake()
      const { collector, delivered } = yield* collectorWith(redactor)
      const raw = capturedData(preparedOf((s) => s), facts("no mailbox for ann@example.com"), sharedOf({ owner: "ann@example.com" }), (s) => s)
      yield* collector.track({ type: "error.captured", data: raw as unknown as JsonObject })
      const [event] = yield* delivered
      expect(JSON.stringify(raw)).toContain("ann@example.com")
      expect(JSON.stringify(event!.data)).not.toContain("ann@example.com")
    }))

  it.scoped("only a mark by the collector's own redactor spares the data, and only once", () =>
    Effect.gen(function*() {
      const redactor = unsafeMake()
      const { collector, delivered } = yield* collectorWith(redactor)
      const markedByOther: JsonObject = { note: "ann@example.com" }
      markRedacted(markedByOther, unsafeMake())
      const markedByOwn: JsonObject = { note: "bob@example.com" }
      markRedacted(markedByOwn, redactor)
      yield* collector.track({ type: "a", data: markedByOther })
      yield* collector.track({ type: "b", data: markedByOwn })
      yield* collector.track({ type: "c", data: markedByOwn })
      const notes = (yield* delivered).map((e) => `${e.type}:${String(e.data.note)}`)
      // The own mark is trusted (its data is taken as redacted, as a capture's is), then spent.
      expect(notes).toEqual(["a:[REDACTED]", "b:bob@example.com", "c:[REDACTED]"])
    }))
})
