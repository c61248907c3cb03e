/**
 * `WebVitals.layer` over Google's `web-vitals` in real headless Chromium: a real page load, a real layout
 * shift and a real (slow) click produce TTFB, FCP, LCP, CLS and INP, recorded into PerformanceMetrics and
 * delivered with the other events when the page is closed.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { PerformanceEventType, rateWebVital, WebVital } from "../../src/schemas/PerformanceEvents.js"
import { BatchPayload } from "../../src/schemas/TelemetryEvent.js"
import * as Chromium from "./support/Chromium.js"
import type { Delivery } from "./support/PageServer.js"

const decodePayload = Schema.decodeUnknownSync(BatchPayload)
const decodeVital = Schema.decodeUnknownSync(WebVital)

/** The latest delivered report of each web vital, by name. */
const deliveredVitals = (deliveries: ReadonlyArray<Delivery>) =>
  new Map(
    deliveries
      .flatMap((d) => decodePayload(d.json).events)
      .filter((e) => e.type === PerformanceEventType.webVital)
      .map((e) => decodeVital(e.data))
      .map((vital) => [vital.name, vital] as const)
  )

const allFive = ["TTFB", "FCP", "LCP", "CLS", "INP"] as const

/**
 * Headless Chromium produces no frame, and so no idle period, after an input until something asks for
 * one; `web-vitals` reads interactions in an idle callback. Two animation frames, then an idle callback.
 */
const settleRendering = () =>
  new Promise<void>((resolve) =>
    requestAnimationFrame(() => requestAnimationFrame(() => requestIdleCallback(() => resolve(), { timeout: 1000 })))
  )

describe.skipIf(!Chromium.chromiumAvailable)("WebVitals (Chromium)", () => {
  layer(Chromium.layer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    it.scoped("a real page load records TTFB, FCP, LCP, CLS and INP, delivered when the page closes", () =>
      Effect.gen(function*() {
        const { open, server } = yield* Chromium.site
        const page = yield* open({ flushInterval: "1 hour" })

        // TTFB and FCP are final once the page has painted: recorded while it is open.
        const early = yield* Chromium.run(() =>
          page.waitForFunction(async () => {
            const { webVitals } = await window.telemetry.summary()
            return webVitals.TTFB !== undefined && webVitals.FCP !== undefined ? webVitals : undefined
          }, undefined, { polling: 50, timeout: 20_000 }).then(async (handle) => (await handle.jsonValue())!)
        )
        expect(early.TTFB!.value).toBeGreaterThan(0)
        expect(early.FCP!.value).toBeGreaterThan(0)

        // A layout shift no input explains (CLS), then a click whose handler blocks for 120 ms (INP).
        yield* Chromium.run(() =>
          page.evaluate(() => {
            const banner = document.createElement("div")
            banner.style.height = "200px"
            banner.textContent = "A late banner pushing the content down"
            document.getElementById("content")!.prepend(banner)
          })
        )
        yield* Chromium.run(() => page.evaluate(settleRendering))
        yield* Chromium.run(() => page.click("#slow"))
        yield* Chromium.run(() => page.evaluate(settleRendering))

        // LCP, CLS and INP are reported when the page is hidden, which closing it does.
        yield* Chromium.closePage(page)
        const deliveries = yield* server.awaitDeliveries((ds) => allFive.every((name) => deliveredVitals(ds).has(name)))
        const vitals = deliveredVitals(deliveries)

        const ttfb = vitals.get("TTFB")!
        const fcp = vitals.get("FCP")!
        const lcp = vitals.get("LCP")!
        const cls = vitals.get("CLS")!
        const inp = vitals.get("INP")!
        expect(ttfb.value).toBeGreaterThan(0)
        expect(ttfb.value).toBeLessThan(fcp.value)
        expect(lcp.value).toBeGreaterThanOrEqual(fcp.value)
        expect(cls.value).toBeGreaterThan(0)
        // Event timing durations are rounded to 8 ms; the handler alone blocked for 120.
        expect(inp.value).toBeGreaterThanOrEqual(112)
        for (const vital of vitals.values()) {
          expect(vital.rating).toBe(rateWebVital(vital.name, vital.value))
          expect(vital.id).toMatch(/^v5-/)
          expect(vital.navigationType).toBe("navigate")
        }
        // The values recorded while the page was open are the ones delivered.
        expect(ttfb.value).toBe(early.TTFB!.value)
        expect(fcp.value).toBe(early.FCP!.value)
      }))
  })
})
