/**
 * `layerBrowserOutbox` in real headless Chromium: what cannot be handed to the browser when the page goes
 * away waits in localStorage and is delivered by the next page load, with the same batch and event ids.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type { Page } from "playwright-core"
import { Batch, BatchPayload, type TelemetryEvent } from "../../src/schemas/TelemetryEvent.js"
import * as Chromium from "./support/Chromium.js"
import type { Delivery } from "./support/PageServer.js"

const decodePayload = Schema.decodeUnknownSync(BatchPayload)
const decodeBatch = Schema.decodeUnknownSync(Schema.parseJson(Batch))

const payloads = (deliveries: ReadonlyArray<Delivery>) => deliveries.map((d) => decodePayload(d.json))

/** Our own test events in these deliveries, in order. */
const testEvents = (deliveries: ReadonlyArray<Delivery>): ReadonlyArray<TelemetryEvent> =>
  payloads(deliveries).flatMap((p) => p.events).filter((e) => e.type.startsWith("test."))

const testEventsOf = (batches: ReadonlyArray<Batch>) =>
  batches.flatMap((b) => b.events).filter((e) => e.type.startsWith("test."))

const outboxPrefix = "effect-telemetry-outbox:"

/** The batches the outbox holds in this origin's localStorage, oldest first, read from a page without telemetry. */
const storedBatches = (page: Page) =>
  Chromium.run(() =>
    page.evaluate((prefix) => {
      // The outbox writes its index to two slots alternately; the one with the higher `seq` is current.
      const slots = ["index-a", "index-b"].map((slot) => localStorage.getItem(`${prefix}${slot}`))
        .flatMap((text) => text === null ? [] : [JSON.parse(text) as { seq: number; entries: Array<{ batchId: string }> }])
      const index = slots.sort((a, b) => b.seq - a.seq)[0]
      return (index?.entries ?? []).map((entry) => localStorage.getItem(`${prefix}batch-${entry.batchId}`)!)
    }, outboxPrefix)
  ).pipe(Effect.map((texts) => texts.map((text) => decodeBatch(text))))

/** Makes `navigator.sendBeacon` refuse everything on this page, as a browser over its quota does. */
const refuseBeacons = (page: Page) =>
  Chromium.run(() =>
    page.addInitScript(() => {
      Navigator.prototype.sendBeacon = () => false
    })
  )

const trackAll = (page: Page, events: ReadonlyArray<readonly [string, Record<string, string | number>]>) =>
  Chromium.run(() =>
    page.evaluate(async (events) => {
      for (const [type, data] of events) await window.telemetry.track(type, data)
    }, events)
  )

const stats = (page: Page) => Chromium.run(() => page.evaluate(() => window.telemetry.stats()))

/** `accepted = sent + buffered + outboxed + dropped` */
const balanced = (s: Awaited<ReturnType<Window["telemetry"]["stats"]>>) =>
  s.accepted === s.sent + s.buffered + s.outboxed + s.dropped.total

describe.skipIf(!Chromium.chromiumAvailable)("BrowserOutbox (Chromium)", () => {
  layer(Chromium.layer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    it.scoped("a batch the browser refuses to beacon waits in localStorage and the next page load sends it", () =>
      Effect.gen(function*() {
        const { context, open, server } = yield* Chromium.site
        const first = yield* Chromium.run(() => context.newPage())
        yield* refuseBeacons(first)
        yield* open({ flushInterval: "1 hour" }, first)
        yield* trackAll(first, [["test.one", { n: 1 }], ["test.two", { n: 2 }], ["test.three", { n: 3 }]])
        yield* Chromium.closePage(first)

        const blank = yield* Chromium.run(() => context.newPage())
        yield* Chromium.run(() => blank.goto(server.blankUrl))
        const stored = yield* storedBatches(blank)
        expect(testEventsOf(stored).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }])
        expect(yield* server.deliveries).toEqual([])

        const second = yield* open({ flushInterval: "1 hour" })
        const deliveries = yield* server.awaitDeliveries((ds) => testEvents(ds).length >= 3)
        expect(testEvents(deliveries)).toEqual(testEventsOf(stored))
        // Re-sent by the HTTP transport, under the batch id it was stored with.
        const storedIds = stored.map((b) => b.batchId)
        for (const delivery of deliveries) {
          expect(delivery.headers["idempotency-key"]).toBe(decodePayload(delivery.json).batchId)
          expect(storedIds).toContain(decodePayload(delivery.json).batchId)
        }
        const after = yield* Chromium.run(() =>
          second.waitForFunction(async () => {
            const s = await window.telemetry.stats()
            return s.outboxed === 0 ? s : undefined
          }, undefined, { polling: 50, timeout: 20_000 }).then(async (handle) => (await handle.jsonValue())!)
        )
        expect(after.restored).toBe(stored.flatMap((b) => b.events).length)
        expect(balanced(after)).toBe(true)
        expect(yield* storedBatches(blank)).toEqual([])
      }))

    it.scoped("while the endpoint answers 503, batches go to the outbox and page hide sends nothing; the next load delivers all", () =>
      Effect.gen(function*() {
        const { context, open, server } = yield* Chromium.site
        yield* server.answer(503)
        // One attempt per batch, then offline for a minute: only the first flush reaches the server.
        const first = yield* open({ flushInterval: "1 hour", maxAttempts: 1, retryBaseDelay: "1 minute" })
        yield* trackAll(first, [["test.before-outage-noticed", { n: 1 }]])
        yield* Chromium.run(() => first.evaluate(() => window.telemetry.flush()))
        const refused = yield* server.awaitDeliveries((ds) => testEvents(ds).length >= 1)
        expect(refused.map((d) => d.status)).toEqual([503])
        expect(yield* stats(first)).toMatchObject({ offline: true, buffered: 0 })

        yield* trackAll(first, [["test.while-offline", { n: 2 }]])
        yield* Chromium.closePage(first)
        const blank = yield* Chromium.run(() => context.newPage())
        yield* Chromium.run(() => blank.goto(server.blankUrl))
        expect(testEventsOf(yield* storedBatches(blank)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }])
        // Nothing was beaconed to a receiver known to be down.
        expect(yield* server.deliveries).toHaveLength(1)

        yield* server.answer(200)
        yield* open({ flushInterval: "1 hour" })
        const deliveries = yield* server.awaitDeliveries((ds) => testEvents(ds.filter((d) => d.status === 200)).length >= 2)
        const delivered = testEvents(deliveries.filter((d) => d.status === 200))
        expect(delivered.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }])
        // The event refused with 503 arrives again under the same id and in the same batch.
        const attempt = payloads(refused)[0]!
        const retried = payloads(deliveries.filter((d) => d.status === 200)).find((p) => p.batchId === attempt.batchId)
        expect(retried?.events.map((e) => e.id)).toEqual(attempt.events.map((e) => e.id))
      }))

    it.scoped("a batch only partly within the quota is beaconed in part and kept whole; receivers dedupe by event id", () =>
      Effect.gen(function*() {
        const { open, server } = yield* Chromium.site
        // One batch of three ~25 KB events: a prefix of two fits the quota.
        const first = yield* open({ flushInterval: "1 hour" })
        const filler = "y".repeat(25_000)
        yield* trackAll(first, [1, 2, 3].map((n) => [`test.large`, { n, filler }] as const))
        yield* Chromium.closePage(first)
        const beaconed = yield* server.awaitDeliveries((ds) => testEvents(ds).length >= 2)
        const prefix = payloads(beaconed).find((p) => p.events.some((e) => e.type === "test.large"))!
        expect(prefix.batchId).toMatch(/^[0-9a-f-]{36}\.0-\d+$/)

        yield* open({ flushInterval: "1 hour" })
        const deliveries = yield* server.awaitDeliveries((ds) => new Set(testEvents(ds).map((e) => e.id)).size >= 3)
        const resent = payloads(deliveries).find((p) => p.batchId === prefix.batchId.replace(/\.0-\d+$/, ""))!
        // The whole batch came again, so the prefix's events arrived twice, under the same ids.
        expect(resent.events.slice(0, prefix.events.length)).toEqual(prefix.events)
        expect(testEvents(deliveries).map((e) => e.data.n)).toEqual([1, 2, 1, 2, 3])
        expect(new Set(testEvents(deliveries).map((e) => e.id)).size).toBe(3)
      }))

    it.scoped("a full localStorage never breaks the page: what the outbox cannot store is counted as dropped", () =>
      Effect.gen(function*() {
        const { context, open } = yield* Chromium.site
        const page = yield* Chromium.run(() => context.newPage())
        yield* refuseBeacons(page)
        const errors: Array<Error> = []
        page.on("pageerror", (error) => errors.push(error))
        yield* open({ flushInterval: "1 hour" }, page)
        // Fill the origin's quota to the last character, as a page's own data might.
        const filled = yield* Chromium.run(() =>
          page.evaluate(() => {
            let stored = 0
            for (let size = 1024 * 1024, i = 0; size >= 1; size = Math.floor(size / 2)) {
              try {
                for (;; i++) {
                  localStorage.setItem(`app-data-${i}`, "z".repeat(size))
                  stored += size
                }
              } catch (error) {
                if ((error as DOMException).name !== "QuotaExceededError") throw error
              }
            }
            return stored
          })
        )
        expect(filled).toBeGreaterThan(1_000_000)

        yield* trackAll(page, [["test.no-room", { n: 1 }], ["test.no-room", { n: 2 }]])
        yield* Chromium.run(() => page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide"))))
        const after = yield* stats(page)
        expect(after.buffered).toBe(0)
        expect(after.outboxed).toBe(0)
        expect(after.dropped.sendFailed).toBeGreaterThanOrEqual(2)
        expect(balanced(after)).toBe(true)
        expect(errors).toEqual([])
        // The page carries on: telemetry still accepts events.
        yield* trackAll(page, [["test.still-working", { n: 3 }]])
        expect((yield* stats(page)).buffered).toBe(1)
      }))

    it.scoped("without usable localStorage, telemetry starts with an outbox in memory and still delivers", () =>
      Effect.gen(function*() {
        const { context, open, server } = yield* Chromium.site
        yield* Chromium.run(() =>
          context.addInitScript(() => {
            Object.defineProperty(window, "localStorage", {
              get: () => {
                throw new DOMException("The operation is insecure.", "SecurityError")
              }
            })
          })
        )
        const page = yield* open({ flushInterval: "1 hour" })
        yield* trackAll(page, [["test.no-storage", { n: 1 }]])
        yield* Chromium.closePage(page)
        const deliveries = yield* server.awaitDeliveries((ds) => testEvents(ds).length >= 1)
        expect(testEvents(deliveries).map((e) => e.data)).toEqual([{ n: 1 }])
      }))
  })
})
