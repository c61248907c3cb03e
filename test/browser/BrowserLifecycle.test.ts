/**
 * `layerPageLifecycle` in real headless Chromium: what is buffered when the page goes away reaches the
 * endpoint by `sendBeacon` (or a `keepalive` fetch), in the HTTP transport's wire format.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { BatchPayload } from "../../src/schemas/TelemetryEvent.js"
import * as Chromium from "./support/Chromium.js"
import type { Delivery } from "./support/PageServer.js"

const decodePayload = Schema.decodeUnknownSync(BatchPayload)

/** The events of our own test types in these deliveries, in order. */
const testEvents = (deliveries: ReadonlyArray<Delivery>) =>
  deliveries.flatMap((d) => decodePayload(d.json).events).filter((e) => e.type.startsWith("test."))

const hasTestEvents = (n: number) => (deliveries: ReadonlyArray<Delivery>) => testEvents(deliveries).length >= n

/** Counts `navigator.sendBeacon` calls in `window.beaconCalls`, before any page script runs. */
const countBeacons = () => {
  const original = Navigator.prototype.sendBeacon
  ;(window as unknown as { beaconCalls: number }).beaconCalls = 0
  Navigator.prototype.sendBeacon = function(this: Navigator, url: string | URL, data?: BodyInit | null) {
    ;(window as unknown as { beaconCalls: number }).beaconCalls++
    return original.call(this, url, data)
  }
}

describe.skipIf(!Chromium.chromiumAvailable)("BrowserLifecycle (Chromium)", () => {
  layer(Chromium.layer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    it.scoped("closing the page delivers what is buffered by sendBeacon, in the wire format", () =>
      Effect.gen(function*() {
        const { open, server } = yield* Chromium.site
        const page = yield* open({ flushInterval: "1 hour" })
        const startedAt = Date.now()
        yield* Chromium.run(async () => {
          await page.evaluate(async () => {
            await window.telemetry.track("test.opened", { step: 1 })
            await window.telemetry.track("test.clicked", { step: 2 })
            await window.telemetry.track("test.closing", { step: 3 })
          })
        })
        const before = yield* Chromium.run(() => page.evaluate(() => window.telemetry.stats()))
        expect(before.buffered).toBeGreaterThanOrEqual(3)
        expect(yield* server.deliveries).toEqual([])

        yield* Chromium.closePage(page)
        const deliveries = yield* server.awaitDeliveries(hasTestEvents(3))

        expect(testEvents(deliveries).map((e) => [e.type, e.data])).toEqual([
          ["test.opened", { step: 1 }],
          ["test.clicked", { step: 2 }],
          ["test.closing", { step: 3 }]
        ])
        for (const delivery of deliveries) {
          expect(delivery.headers["content-type"]).toBe("application/json")
          // A beacon carries no headers of ours; the HTTP transport would have sent an idempotency key.
          expect(delivery.headers["idempotency-key"]).toBeUndefined()
          const payload = decodePayload(delivery.json)
          expect(payload.batchId).toMatch(/^[0-9a-f-]{36}$/)
          expect(payload.sentAt).toBeGreaterThanOrEqual(startedAt)
          expect(payload.sentAt).toBeLessThanOrEqual(Date.now())
        }
        const ids = deliveries.flatMap((d) => decodePayload(d.json).events.map((e) => e.id))
        expect(new Set(ids).size).toBe(ids.length)
      }))

    it.scoped("navigating away delivers what is buffered on pagehide", () =>
      Effect.gen(function*() {
        const { open, server } = yield* Chromium.site
        const page = yield* open({ flushInterval: "1 hour" })
        yield* Chromium.run(() => page.evaluate(() => window.telemetry.track("test.navigating", { to: "blank" })))

        yield* Chromium.run(() => page.goto(server.blankUrl))
        const deliveries = yield* server.awaitDeliveries(hasTestEvents(1))

        expect(testEvents(deliveries).map((e) => e.data)).toEqual([{ to: "blank" }])
        expect(deliveries.every((d) => d.headers["idempotency-key"] === undefined)).toBe(true)
      }))

    it.scoped("without sendBeacon, a keepalive fetch carries the buffer, keyed by its batch id", () =>
      Effect.gen(function*() {
        const { context, open, server } = yield* Chromium.site
        yield* Chromium.run(() =>
          context.addInitScript(() => {
            delete (Navigator.prototype as { sendBeacon?: unknown }).sendBeacon
          })
        )
        const page = yield* open({ flushInterval: "1 hour" })
        expect(yield* Chromium.run(() => page.evaluate(() => typeof navigator.sendBeacon))).toBe("undefined")
        yield* Chromium.run(() => page.evaluate(() => window.telemetry.track("test.fallback", { via: "fetch" })))

        yield* Chromium.closePage(page)
        const deliveries = yield* server.awaitDeliveries(hasTestEvents(1))

        expect(testEvents(deliveries).map((e) => e.data)).toEqual([{ via: "fetch" }])
        for (const delivery of deliveries) {
          expect(delivery.headers["content-type"]).toBe("application/json")
          expect(delivery.headers["idempotency-key"]).toBe(decodePayload(delivery.json).batchId)
        }
      }))

    it.scoped("a page turning hidden hands over at once; once the scope closes, its listeners are gone", () =>
      Effect.gen(function*() {
        const { context, open, server } = yield* Chromium.site
        yield* Chromium.run(() => context.addInitScript(countBeacons))
        // The collector (memory transport, hourly flush) outlives the lifecycle layer's own scope.
        const page = yield* open({ mode: "detachable" })
        const beaconCalls = Chromium.run(() => page.evaluate(() => (window as unknown as { beaconCalls: number }).beaconCalls))
        const hide = Chromium.run(() =>
          page.evaluate(() => {
            Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" })
            document.dispatchEvent(new Event("visibilitychange"))
            delete (document as { visibilityState?: unknown }).visibilityState
          })
        )
        const pagehide = Chromium.run(() =>
          page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false })))
        )
        const track = (type: string) => Chromium.run(() => page.evaluate((type) => window.telemetry.track(type), type))
        const stats = Chromium.run(() => page.evaluate(() => window.telemetry.stats()))

        yield* track("test.before-hidden")
        yield* hide
        expect(yield* beaconCalls).toBe(1)
        yield* track("test.before-pagehide")
        yield* pagehide
        expect(yield* beaconCalls).toBe(2)
        expect(yield* stats).toMatchObject({ buffered: 0, sent: 2 })
        const deliveries = yield* server.awaitDeliveries(hasTestEvents(2))
        expect(testEvents(deliveries).map((e) => e.type)).toEqual(["test.before-hidden", "test.before-pagehide"])

        yield* Chromium.run(() => page.evaluate(() => window.telemetry.closeLifecycle()))
        yield* track("test.after-close")
        yield* hide
        yield* pagehide
        expect(yield* beaconCalls).toBe(2)
        expect(yield* stats).toMatchObject({ buffered: 1, sent: 2 })
      }))
  })
})
