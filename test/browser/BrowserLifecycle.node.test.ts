/**
 * `layerPageLifecycle` and its beacon bodies, in Node over a fake page (window, document, navigator):
 * the byte budget of one page hide, refusals, the fetch fallback and the offline rule, deterministically.
 * The real-browser behaviour is in `BrowserLifecycle.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import * as fc from "fast-check"
import { beaconBody, layerPageLifecycle } from "../../src/layers/PageLifecycle.js"
import { layerWithTransport } from "../../src/layers/TelemetryLayers.js"
import { type TelemetryOptions, fromOptions } from "../../src/schemas/TelemetryConfig.js"
import { type Batch, BatchPayload, type TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import { type CollectorStats, TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { fail, makeScripted } from "../support/ScriptedTransport.js"

const decodePayload = Schema.decodeUnknownSync(Schema.parseJson(BatchPayload))

interface Sent {
  readonly url: string
  readonly text: string
  readonly headers?: Record<string, string>
}

/**
 * A page in Node: `window` and `document` event targets, and a `navigator.sendBeacon` that, like
 * Chromium, refuses a body once 64 KiB are in flight (and never completes one). Without `beacon`, there
 * is no `sendBeacon` and `fetch` records keepalive requests, which stay in flight until `settleFetches`.
 */
const fakePage = (options: { readonly beacon: boolean; readonly refuseAll?: boolean }) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const g = globalThis as Record<string, unknown>
      const saved = ["window", "document", "navigator", "fetch"].map((key) =>
        [key, Object.getOwnPropertyDescriptor(globalThis, key)] as const
      )
      const window = new EventTarget()
      const document = Object.assign(new EventTarget(), { visibilityState: "visible" as DocumentVisibilityState })
      const beacons: Array<Sent> = []
      const fetches: Array<Sent> = []
      const pending: Array<() => void> = []
      let inFlight = 0
      const blobs: Array<Promise<void>> = []
      const sendBeacon = (url: string, data: Blob) => {
        if (options.refuseAll === true || inFlight + data.size > 65_536) return false
        inFlight += data.size
        blobs.push(data.text().then((text) => {
          beacons.push({ url, text, headers: { "content-type": data.type } })
        }))
        return true
      }
      g.window = window
      g.document = document
      Object.defineProperty(globalThis, "navigator", {
        value: options.beacon ? { sendBeacon } : {},
        configurable: true,
        writable: true
      })
      g.fetch = (url: string, init: RequestInit) => {
        fetches.push({ url, text: init.body as string, headers: { ...init.headers as Record<string, string> } })
        expect(init.keepalive).toBe(true)
        return new Promise((resolve) => pending.push(() => resolve(new Response(null, { status: 200 }))))
      }
      return {
        saved,
        pageHide: () => window.dispatchEvent(new Event("pagehide")),
        setVisibility: (state: DocumentVisibilityState) => {
          document.visibilityState = state
          document.dispatchEvent(new Event("visibilitychange"))
        },
        beacons: Effect.promise(() => Promise.all(blobs)).pipe(Effect.as(beacons)),
        fetches,
        settleFetches: Effect.promise(async () => {
          pending.splice(0).forEach((resolve) => resolve())
          await new Promise((resolve) => setTimeout(resolve, 0))
        })
      }
    }),
    ({ saved }) =>
      Effect.sync(() => {
        for (const [key, descriptor] of saved) {
          if (descriptor === undefined) delete (globalThis as Record<string, unknown>)[key]
          else Object.defineProperty(globalThis, key, descriptor)
        }
      })
  )

/** A collector over a scripted transport, with the lifecycle layer in a scope of its own. */
const start = (options: TelemetryOptions = {}, maxBytes?: number) =>
  Effect.gen(function*() {
    const scripted = yield* makeScripted
    const config = yield* Effect.orDie(fromOptions({ flushInterval: "1 hour", ...options }))
    const services = yield* Layer.build(layerWithTransport(config, scripted.layer))
    const collector = Context.get(services, TelemetryCollector)
    const lifecycleScope = yield* Scope.make()
    yield* Layer.buildWithScope(
      layerPageLifecycle(maxBytes === undefined ? { url: "/collect" } : { url: "/collect", maxBytes }),
      lifecycleScope
    ).pipe(Effect.provide(services))
    return { collector, closeLifecycle: Scope.close(lifecycleScope, Exit.void), ...scripted }
  })

const large = (n: number) => ({ type: "test.large", data: { n, filler: "x".repeat(20_000) } })

const balanced = (s: CollectorStats) => s.accepted === s.sent + s.buffered + s.outboxed + s.dropped.total

describe("BrowserLifecycle (fake page)", () => {
  it.scoped("one page hide hands over at most maxBytes; the batches beyond go to the outbox", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { attempts, collector } = yield* start({ maxBatchSize: 1 })
      // Tracked and handed over in one go, before the flush fiber (woken by each full batch) can run.
      for (let n = 1; n <= 5; n++) yield* collector.track(large(n))
      page.pageHide()
      // What the hand-over alone did, read before this fiber waits for the beacons' bodies: the flush fiber,
      // woken by the full batches, may then re-send what went to the outbox (the page is still open).
      const tried = yield* attempts
      const s = yield* collector.stats

      const beacons = yield* page.beacons
      expect(beacons.map((b) => decodePayload(b.text).events.map((e) => e.data.n))).toEqual([[1], [2], [3]])
      expect(beacons.reduce((sum, b) => sum + Buffer.byteLength(b.text), 0)).toBeLessThanOrEqual(64_000)
      expect(beacons.every((b) => b.url === "/collect" && b.headers?.["content-type"] === "application/json")).toBe(true)
      expect(tried).toEqual([])
      expect(s).toMatchObject({ sent: 3, outboxed: 2, buffered: 0 })
      expect(balanced(s)).toBe(true)
    }))

  it.scoped("a batch larger than what is left goes out in part, under a derived id, and is kept whole", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { collector } = yield* start()
      for (let n = 1; n <= 4; n++) yield* collector.track(large(n))
      page.pageHide()

      const [beacon, ...rest] = yield* page.beacons
      expect(rest).toEqual([])
      const payload = decodePayload(beacon!.text)
      expect(payload.events.map((e) => e.data.n)).toEqual([1, 2, 3])
      expect(payload.batchId).toMatch(/^[0-9a-f-]{36}\.0-3$/)
      expect(yield* collector.stats).toMatchObject({ sent: 0, outboxed: 4 })
    }))

  it.scoped("a custom maxBytes lowers the budget", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { collector } = yield* start({ maxBatchSize: 1 }, 30_000)
      for (let n = 1; n <= 3; n++) yield* collector.track(large(n))
      page.pageHide()
      expect((yield* page.beacons).map((b) => decodePayload(b.text).events[0]!.data.n)).toEqual([1])
    }))

  it.scoped("once the browser refuses a beacon, the rest of that page hide goes to the outbox untried", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true, refuseAll: true })
      const { collector } = yield* start({ maxBatchSize: 1 })
      for (let n = 1; n <= 3; n++) yield* collector.track({ type: "test.small", data: { n } })
      page.pageHide()
      expect(yield* page.beacons).toEqual([])
      expect(yield* collector.stats).toMatchObject({ sent: 0, outboxed: 3, buffered: 0 })
    }))

  it.scoped("while the receiver is known to be down, nothing is beaconed: all goes to the outbox", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { always, collector } = yield* start({ maxAttempts: 1, retryBaseDelay: "1 minute" })
      yield* always(fail())
      yield* collector.track({ type: "test.first", data: {} })
      yield* collector.flush
      expect((yield* collector.stats).offline).toBe(true)
      yield* collector.track({ type: "test.second", data: {} })
      page.pageHide()
      expect(yield* page.beacons).toEqual([])
      expect(yield* collector.stats).toMatchObject({ sent: 0, outboxed: 2, buffered: 0 })
    }))

  it.scoped("without sendBeacon, a keepalive fetch carries each batch, and requests in flight count against the budget", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: false })
      const { collector } = yield* start({ maxBatchSize: 1 })
      for (let n = 1; n <= 2; n++) yield* collector.track(large(n))
      page.pageHide()
      expect(page.fetches).toHaveLength(2)
      for (const request of page.fetches) {
        expect(request.headers).toEqual({
          "content-type": "application/json",
          "idempotency-key": decodePayload(request.text).batchId
        })
      }
      // 40 KB still in flight: a second page hide has room for one more 20 KB batch only.
      for (let n = 3; n <= 5; n++) yield* collector.track(large(n))
      page.pageHide()
      expect(page.fetches.map((f) => decodePayload(f.text).events[0]!.data.n)).toEqual([1, 2, 3])
      expect(yield* collector.stats).toMatchObject({ sent: 3, outboxed: 2 })
      // Once they complete, the budget is back.
      yield* page.settleFetches
      yield* collector.track(large(6))
      yield* collector.track(large(7))
      page.pageHide()
      expect(page.fetches).toHaveLength(5)
    }))

  it.scoped("a page turning hidden hands over; turning visible does not", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { collector } = yield* start()
      yield* collector.track({ type: "test.small", data: { n: 1 } })
      page.setVisibility("visible")
      expect(yield* page.beacons).toEqual([])
      page.setVisibility("hidden")
      expect(yield* page.beacons).toHaveLength(1)
    }))

  it.scoped("closing the layer's scope removes its listeners", () =>
    Effect.gen(function*() {
      const page = yield* fakePage({ beacon: true })
      const { closeLifecycle, collector } = yield* start()
      yield* closeLifecycle
      yield* collector.track({ type: "test.small", data: { n: 1 } })
      page.pageHide()
      page.setVisibility("hidden")
      expect(yield* page.beacons).toEqual([])
      expect((yield* collector.stats).buffered).toBe(1)
    }))

  it.scoped("outside a browser it installs nothing, and telemetry works as before", () =>
    Effect.gen(function*() {
      const { collector } = yield* start()
      yield* collector.track({ type: "test.small", data: { n: 1 } })
      expect((yield* collector.stats).buffered).toBe(1)
    }))
})

// ---- beacon bodies --------------------------------------------------------------------------------

const eventArbitrary: fc.Arbitrary<TelemetryEvent> = fc.record({
  id: fc.uuid(),
  type: fc.constantFrom("chat.message", "usage.feature", "performance.web_vital"),
  kind: fc.constant("custom" as const),
  timestamp: fc.nat(),
  sessionId: fc.uuid(),
  // Any code points, astral ones included: the byte count must be UTF-8's, not UTF-16's.
  data: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: "binary", maxLength: 400 }), { maxKeys: 4 })
})

const batchArbitrary: fc.Arbitrary<Batch> = fc.record({
  batchId: fc.uuid(),
  events: fc.array(eventArbitrary, { minLength: 1, maxLength: 20 })
})

describe("beaconBody", () => {
  it("is the longest prefix of the batch that fits the budget, in the wire format, with its exact UTF-8 size", () => {
    fc.assert(fc.property(batchArbitrary, fc.integer({ min: 0, max: 20_000 }), fc.nat(), (batch, budget, sentAt) => {
      const body = beaconBody(batch, sentAt, budget)
      if (body.events === 0) {
        expect(body.text).toBe("")
        // Not even the first event fits.
        expect(Buffer.byteLength(JSON.stringify({ batchId: `${batch.batchId}.0-1`, sentAt, events: batch.events.slice(0, 1) })))
          .toBeGreaterThan(budget)
        return
      }
      expect(body.bytes).toBe(Buffer.byteLength(body.text))
      expect(body.bytes).toBeLessThanOrEqual(budget)
      const payload = decodePayload(body.text)
      expect(payload.sentAt).toBe(sentAt)
      expect(payload.events).toEqual(batch.events.slice(0, body.events))
      expect(JSON.parse(body.text)).toEqual({ batchId: body.batchId, sentAt, events: batch.events.slice(0, body.events) })
      if (body.events === batch.events.length) {
        expect(body.batchId).toBe(batch.batchId)
      } else {
        expect(body.batchId).toBe(`${batch.batchId}.0-${body.events}`)
        // One event more would not have fitted, under the id that prefix would have had.
        const bytesWith = (batchId: string) =>
          Buffer.byteLength(JSON.stringify({ batchId, sentAt, events: batch.events.slice(0, body.events + 1) }))
        const nextId = body.events + 1 === batch.events.length ? batch.batchId : `${batch.batchId}.0-${body.events + 1}`
        expect(bytesWith(nextId)).toBeGreaterThan(budget)
      }
    }), { numRuns: 500 })
  })

  it("a prefix that fits only under its own id, shorter than the longest prefix id, is still sent", () => {
    const event = (n: number) => ({ id: `e${n}`, type: "t", kind: "custom" as const, timestamp: 0, sessionId: "s", data: { n } })
    const batch: Batch = { batchId: "b", events: Array.from({ length: 12 }, (_, n) => event(n)) }
    // exactly the first event under `b.0-1`; under `b.0-12` it would be one byte over
    const budget = Buffer.byteLength(JSON.stringify({ batchId: "b.0-1", sentAt: 1, events: batch.events.slice(0, 1) }))
    const body = beaconBody(batch, 1, budget)
    expect(body).toMatchObject({ batchId: "b.0-1", events: 1, bytes: budget })
  })

  it("counts a lone surrogate as JSON escapes it", () => {
    const batch: Batch = {
      batchId: "b",
      events: [{ id: "e", type: "t", kind: "custom", timestamp: 0, sessionId: "s", data: { s: "\ud800 \u00e9 😀" } }]
    }
    const body = beaconBody(batch, 1, 10_000)
    expect(body.bytes).toBe(Buffer.byteLength(body.text))
    expect(decodePayload(body.text).events[0]!.data).toEqual({ s: "\ud800 \u00e9 😀" })
  })
})
