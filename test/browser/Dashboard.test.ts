/**
 * The live dashboard and the static report in real headless Chromium: every chart draws, the numbers shown
 * are the services' own, new events appear without reloading, and neither page requests anything outside
 * its origin. The screenshots in docs/images come from these runs.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Context, type Duration, Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Page } from "playwright-core"
import * as Dashboard from "../../src/dashboard/Dashboard.js"
import { QuantileSketch } from "../../src/internal/QuantileSketch.js"
import { TelemetryTest } from "../../src/layers/TelemetryTest.js"
import { ErrorTracking } from "../../src/services/ErrorTracking.js"
import { HealthCheck } from "../../src/services/HealthCheck.js"
import { PerformanceMetrics } from "../../src/services/PerformanceMetrics.js"
import { TelemetryCollector } from "../../src/services/TelemetryCollector.js"
import { UsageAnalytics } from "../../src/services/UsageAnalytics.js"
import * as Chromium from "./support/Chromium.js"

const images = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../docs/images")

/** Every service, and the dashboard on a free loopback port, polling and sampling fast (or as told). */
const servedSampling = (sampleInterval: Duration.DurationInput) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Dashboard.layer({ port: 0, token: "let-me-in", refreshInterval: "200 millis", sampleInterval }).pipe(
        Layer.provideMerge(TelemetryTest)
      )
    )
    const url = yield* Dashboard.url({ token: "let-me-in" }).pipe(Effect.provide(context))
    return { context, url }
  })
const served = servedSampling("200 millis")

/** Some of everything: timings, AI operations, web vitals, errors in three groups, usage, health. */
const record = (context: Context.Context<Dashboard.Services>, chats: number) =>
  Effect.gen(function*() {
    const performance = yield* PerformanceMetrics
    const errors = yield* ErrorTracking
    const usage = yield* UsageAnalytics
    const health = yield* HealthCheck
    for (let i = 0; i < chats; i++) yield* Effect.yieldNow().pipe(Effect.delay(`${1 + (i % 7)} millis`), performance.timed("ai.chat"))
    yield* performance.trackAIOperation({ operation: "chat", provider: "openai", model: "gpt-4o", totalMs: 840, apiCallMs: 700, promptTokens: 120, completionTokens: 310 })
    yield* performance.recordWebVital({ name: "LCP", value: 1_900 })
    yield* performance.recordWebVital({ name: "CLS", value: 0.14 })
    for (const [i, message] of ["provider timed out", "invalid API key", "socket hang up"].entries()) {
      for (let n = 0; n <= i; n++) yield* errors.captureError(new Error(message), { userId: `user-${n}` })
    }
    const conversation = yield* usage.startConversation({ userId: "user-1" })
    yield* usage.trackMessage(conversation, { role: "user", length: 40 })
    yield* usage.trackMessage(conversation, { role: "assistant", length: 240 })
    yield* usage.endConversation(conversation)
    yield* usage.trackFeature("chat", "open", "user-1")
    yield* usage.trackFeature("code-explain", "use", "user-2")
    yield* usage.trackProviderRequest({ provider: "openai", model: "gpt-4o", durationMs: 900, success: true, promptTokens: 100, completionTokens: 200 })
    yield* usage.trackProviderRequest({ provider: "anthropic", model: "claude-sonnet", durationMs: 1_200, success: false, errorType: "overloaded" })
    const suggestion = yield* usage.suggestionShown({ kind: "follow-up", userId: "user-1" })
    yield* usage.suggestionAccepted(suggestion)
    yield* health.register("provider-gateway", Effect.void, { interval: "1 second" }).pipe(Effect.ignore)
    yield* health.register("search-index", Effect.fail("down"), { interval: "1 second", critical: false, failureThreshold: 1 }).pipe(Effect.ignore)
    yield* health.checkNow("provider-gateway").pipe(Effect.ignore)
    yield* health.checkNow("search-index").pipe(Effect.ignore)
  }).pipe(Effect.orDie, Effect.provide(context))

/** Collects every request the page makes. */
const watchRequests = (page: Page) => {
  const urls: Array<string> = []
  page.on("request", (request) => void urls.push(request.url()))
  return urls
}

/** For each chart, whether it drew: a canvas with a painted pixel, or an SVG with a bar. */
const chartsDrawn = (page: Page) =>
  Chromium.run(() =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("figure[data-chart]:not([data-empty])")].map((figure) => {
        const bars = figure.querySelectorAll("svg rect.bar").length
        const painted = [...figure.querySelectorAll("canvas")].some((canvas) => {
          const context = canvas.getContext("2d")
          if (context === null || canvas.width === 0 || canvas.height === 0) return false
          const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true
          return false
        })
        return { chart: figure.dataset["chart"]!, drawn: bars > 0 || painted }
      })
    )
  )

/** The exact value of a table cell: table `table`, row `row`, column `column`. */
const cell = (page: Page, table: string, row: string, column: string) =>
  Chromium.run(() =>
    page.evaluate(([table, row, column]) => {
      const t = document.querySelector(`table[data-table="${table}"]`)
      if (t === null) return undefined
      const index = [...t.querySelectorAll("thead th")].findIndex((th) => th.getAttribute("data-column") === column)
      const tr = [...t.querySelectorAll("tbody tr")].find((r) => r.getAttribute("data-row") === row)
      const value = tr?.children[index]?.getAttribute("data-value")
      return value === undefined || value === null || value === "" ? undefined : Number(value)
    }, [table, row, column] as const)
  )

const stat = (page: Page, key: string) =>
  Chromium.run(() => page.evaluate((key) => document.querySelector(`[data-stat="${key}"]`)?.getAttribute("data-value"), key))

/** Waits until the table cell shows `expected` (the page refreshes on its own; no fixed sleep). */
const awaitCell = (page: Page, table: string, row: string, column: string, expected: number) =>
  Chromium.run(() =>
    page.waitForFunction(([table, row, column, expected]) => {
      const t = document.querySelector(`table[data-table="${table}"]`)
      if (t === null) return false
      const index = [...t.querySelectorAll("thead th")].findIndex((th) => th.getAttribute("data-column") === column)
      const tr = [...t.querySelectorAll("tbody tr")].find((r) => r.getAttribute("data-row") === row)
      return Number(tr?.children[index]?.getAttribute("data-value")) === expected
    }, [table, row, column, expected] as const, { polling: 50, timeout: 20_000 })
  )

const expectAllDrawn = (drawn: ReadonlyArray<{ readonly chart: string; readonly drawn: boolean }>, expected: ReadonlyArray<string>) => {
  expect(drawn.map((d) => d.chart).sort()).toEqual([...expected].sort())
  expect(drawn.filter((d) => !d.drawn)).toEqual([])
}

/**
 * The percentiles-over-time figure as the page drew it, read in one go with the snapshot it rendered: one
 * painted canvas per metric of the history, and the table's latest p50/p95/p99 against that history.
 */
const percentilesOverTime = (page: Page) =>
  Chromium.run(() =>
    page.evaluate(() => {
      const history = window.dashboard!.snapshot!.history
      const figure = document.querySelector<HTMLElement>(`figure[data-chart="latency"]`)!
      const plots = [...figure.querySelectorAll<HTMLElement>(".metric-plot")].map((holder) => {
        const canvas = holder.querySelector("canvas")
        const pixels = canvas?.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? []
        let painted = false
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted = true
        return { metric: holder.dataset["metric"]!, painted, series: [...holder.querySelectorAll(".u-legend .u-label")].map((l) => l.textContent) }
      })
      const rows = Object.fromEntries([...figure.querySelectorAll<HTMLElement>("table tbody tr")].map((tr) =>
        [tr.dataset["row"]!, [...tr.querySelectorAll("td.num")].map((td) => Number(td.getAttribute("data-value")))]))
      const drawn = [...new Set(history.flatMap((p) => Object.keys(p.counts ?? {})))]
      const providers = [...new Set(history.flatMap((p) => Object.keys(p.providers ?? {})))]
      const last = history[history.length - 1]!
      return { plots, rows, drawn, providers, last, points: history.length }
    })
  )

const liveCharts = ["accounting", "rates", "metrics", "latency", "provider-latency", "ai-phases", "web-vitals", "errors", "features", "providers", "health"]

describe.skipIf(!Chromium.chromiumAvailable)("Dashboard (Chromium)", () => {
  layer(Chromium.layer, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.scoped("the live dashboard draws every chart with the services' numbers, and new events appear", () =>
      Effect.gen(function*() {
        const { browser } = yield* Chromium.Chromium
        const { context, url } = yield* served
        yield* record(context, 40)
        const browserContext = yield* Effect.acquireRelease(
          Chromium.run(() => browser.newContext({ viewport: { width: 1280, height: 900 } })),
          (c) => Chromium.run(() => c.close())
        )
        const page = yield* Chromium.run(() => browserContext.newPage())
        const requests = watchRequests(page)
        yield* Chromium.run(() => page.goto(url))
        yield* awaitCell(page, "metrics", "ai.chat", "count", 40)

        const performance = Context.get(context, PerformanceMetrics)
        const errors = Context.get(context, ErrorTracking)
        const usage = Context.get(context, UsageAnalytics)
        const chat = yield* performance.percentiles("ai.chat")
        expect(yield* cell(page, "metrics", "ai.chat", "p95")).toBe(chat.p95)
        expect(yield* cell(page, "metrics", "ai.chat", "p50")).toBe(chat.p50)
        expect(yield* cell(page, "metrics", "ai.chat", "p99")).toBe(chat.p99)
        for (const phase of ["ai.api_call", "ai.total"]) {
          expect(yield* cell(page, "ai-phases", phase, "p95")).toBe((yield* performance.percentiles(phase)).p95)
        }
        const groups = yield* errors.groups
        expect(groups).toHaveLength(3)
        expect(Number(yield* stat(page, "error-groups"))).toBe(groups.length)
        for (const group of groups) expect(yield* cell(page, "errors", group.fingerprint, "count")).toBe(group.count)
        for (const provider of yield* usage.providerStats) {
          expect(yield* cell(page, "providers", `${provider.provider}/${provider.model}`, "requests")).toBe(provider.requests)
        }
        // The history needs two samples before the time series have a line; wait for them, then look.
        yield* Chromium.run(() => page.waitForFunction(() => (window.dashboard?.snapshot?.history.length ?? 0) >= 2, undefined, { polling: 50, timeout: 20_000 }))
        yield* Chromium.run(() => page.waitForFunction(() => (window.dashboard?.renders ?? 0) >= 2, undefined, { polling: 50, timeout: 20_000 }))
        expectAllDrawn(yield* chartsDrawn(page), liveCharts)
        // Percentiles over time: a p50/p95/p99 series per metric the recorder sampled, the latest in the table.
        const overTime = yield* percentilesOverTime(page)
        expect(overTime.points).toBeGreaterThanOrEqual(2)
        expect(overTime.plots.map((p) => p.metric).sort()).toEqual([...overTime.drawn].sort())
        expect(overTime.plots.every((p) => p.painted && ["p50", "p95", "p99"].every((l) => p.series.includes(l)))).toBe(true)
        // Beside the windowed chart: the distribution since start, then the latest interval's count and p95.
        expect(overTime.rows["ai.chat"]!.slice(0, 4)).toEqual([chat.p50, chat.p95, chat.p99, overTime.last.counts!["ai.chat"]])
        // An empty cell (no sample in the latest interval) reads as 0 here.
        expect(overTime.rows["ai.chat"]![4]).toBe(overTime.last.metrics["ai.chat"]?.[1] ?? 0)
        expect(yield* cell(page, "latency", "ai.chat", "p95")).toBe(chat.p95)
        expect(overTime.providers).toContain("ai.total openai/gpt-4o")

        // New events reach the open page on its own refresh.
        const started = Date.now()
        yield* record(context, 10)
        yield* awaitCell(page, "metrics", "ai.chat", "count", 50)
        const seen = Date.now() - started
        const after = yield* performance.percentiles("ai.chat")
        yield* awaitCell(page, "metrics", "ai.chat", "p95", after.p95)
        console.log(`dashboard: 10 new timings shown ${seen} ms after they were recorded (page polls every 200 ms)`)
        // Events by kind: the accepted counts beside the per-second rates are the collector's books.
        const byKind = (yield* Context.get(context, TelemetryCollector).stats).acceptedByKind
        expect(byKind.performance).toBeGreaterThan(0)
        expect(byKind.error).toBeGreaterThan(0)
        for (const kind of ["performance", "error"] as const) yield* awaitCell(page, "rates", kind, "accepted", byKind[kind])

        Fs.mkdirSync(images, { recursive: true })
        yield* Chromium.run(() => page.screenshot({ path: Path.join(images, "dashboard.png"), fullPage: true }))
        const origin = new URL(url).origin
        expect(requests.length).toBeGreaterThan(3)
        expect(requests.filter((r) => new URL(r).origin !== origin)).toEqual([])
      }))

    it.scoped("the windowed p95 of an interval is what a sketch of only that interval's samples says", () =>
      Effect.gen(function*() {
        const { browser } = yield* Chromium.Chromium
        // Sampled by hand: the interval is exactly what is recorded between two `sample` calls.
        const { context, url } = yield* servedSampling("1 hour")
        const performance = Context.get(context, PerformanceMetrics)
        const recorder = Context.get(context, Dashboard.Recorder)
        const timings = (values: ReadonlyArray<number>) =>
          performance.recordTimings(values.map((durationMs) => ({ name: "ai.chat", durationMs, outcome: "success" as const })))
        // The layer's own first sample (taken at once) must be behind us.
        yield* recorder.snapshot.pipe(Effect.repeat({ until: (s) => s.history.length >= 1 }))
        yield* timings(Array.from({ length: 400 }, (_, i) => 20 + (i % 40)))
        yield* recorder.sample
        // The next interval regresses: 160 calls of 200–1,000 ms, seeded.
        let x = 7
        const slow = Array.from({ length: 160 }, () => (x = (x * 48_271) % 2_147_483_647, 200 + (x / 2_147_483_647) * 800))
        yield* timings(slow)
        yield* recorder.sample
        const page = yield* Chromium.run(() => browser.newPage())
        yield* Effect.addFinalizer(() => Chromium.run(() => page.close()))
        const requests = watchRequests(page)
        expect((yield* recorder.snapshot).history.map((p) => p.counts?.["ai.chat"] ?? 0)).toEqual([0, 400, 160])
        yield* Chromium.run(() => page.goto(url))
        yield* awaitCell(page, "latency", "ai.chat", "interval-samples", 160)
        const sketch = new QuantileSketch({ exactThreshold: 0 })
        for (const v of slow) sketch.add(v)
        expect(yield* cell(page, "latency", "ai.chat", "interval-p95")).toBe(sketch.quantile(0.95))
        const exact = new QuantileSketch({ exactThreshold: 1_000 })
        for (const v of slow) exact.add(v)
        expect(Math.abs(sketch.quantile(0.95) / exact.quantile(0.95) - 1)).toBeLessThanOrEqual(0.01)
        // The table beside it still says what the service says since start.
        expect(yield* cell(page, "latency", "ai.chat", "p95")).toBe((yield* performance.percentiles("ai.chat")).p95)
        // After its first answer the page asks only for newer points, and its merged history is the recorder's.
        yield* recorder.sample
        yield* timings([5, 6, 7])
        yield* recorder.sample
        const held = (yield* recorder.snapshot).history.map((p) => p.t)
        yield* Chromium.run(() =>
          page.waitForFunction((n) => window.dashboard?.snapshot?.history.length === n, held.length, { polling: 50, timeout: 20_000 })
        )
        expect(yield* Chromium.run(() => page.evaluate(() => window.dashboard!.snapshot!.history.map((p) => p.t)))).toEqual(held)
        yield* awaitCell(page, "latency", "ai.chat", "interval-samples", 3)
        expect(requests.some((r) => new URL(r).searchParams.has("since"))).toBe(true)
      }))

    it.scoped("without the token, the dashboard answers 401 and shows nothing", () =>
      Effect.gen(function*() {
        const { url } = yield* served
        const bare = url.replace(/\?token=.*$/, "")
        for (const path of ["", "snapshot.json", "assets/page.js"]) {
          const status = yield* Effect.promise(() => fetch(`${bare}${path}`).then((r) => r.status))
          expect(status).toBe(401)
        }
        const wrong = yield* Effect.promise(() => fetch(`${bare}snapshot.json?token=nope`).then((r) => r.status))
        expect(wrong).toBe(401)
        const bearer = yield* Effect.promise(() => fetch(`${bare}snapshot.json`, { headers: { authorization: "Bearer let-me-in" } }).then((r) => r.status))
        expect(bearer).toBe(200)
      }))

    it.scoped("the static report of a snapshot draws the same views from one file, with no request at all", () =>
      Effect.gen(function*() {
        const { browser } = yield* Chromium.Chromium
        const { context } = yield* served
        yield* record(context, 30)
        const recorder = Context.get(context, Dashboard.Recorder)
        yield* recorder.sample
        yield* record(context, 5)
        yield* recorder.sample
        const snapshot = yield* recorder.snapshot
        const html = yield* Dashboard.renderReport(snapshot)
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-report-"))),
          (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
        )
        const file = Path.join(dir, "report.html")
        Fs.writeFileSync(file, html)

        const browserContext = yield* Effect.acquireRelease(
          Chromium.run(() => browser.newContext({ viewport: { width: 1280, height: 900 } })),
          (c) => Chromium.run(() => c.close())
        )
        const page = yield* Chromium.run(() => browserContext.newPage())
        const requests = watchRequests(page)
        yield* Chromium.run(() => page.goto(pathToFileURL(file).href))
        yield* Chromium.run(() => page.waitForFunction(() => (window.dashboard?.renders ?? 0) >= 1, undefined, { timeout: 20_000 }))

        const chat = yield* Context.get(context, PerformanceMetrics).percentiles("ai.chat")
        expect(yield* cell(page, "metrics", "ai.chat", "count")).toBe(35)
        expect(yield* cell(page, "metrics", "ai.chat", "p95")).toBe(chat.p95)
        expect(Number(yield* stat(page, "error-groups"))).toBe((yield* Context.get(context, ErrorTracking).groups).length)
        expectAllDrawn(yield* chartsDrawn(page), liveCharts)
        Fs.mkdirSync(images, { recursive: true })
        yield* Chromium.run(() => page.screenshot({ path: Path.join(images, "report.png"), fullPage: true }))
        expect(requests).toEqual([pathToFileURL(file).href])
      }))

    it.scoped("the report of an NDJSON file counts its malformed lines and draws its events", () =>
      Effect.gen(function*() {
        const { browser } = yield* Chromium.Chromium
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-ndjson-"))),
          (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
        )
        const events = Path.join(dir, "events.ndjson")
        const t0 = 1_700_000_000_000
        const lines = Array.from({ length: 200 }, (_, i) =>
          JSON.stringify({
            id: `e${i}`,
            type: i % 4 === 0 ? "usage.feature" : "performance.timing",
            kind: i % 4 === 0 ? "usage" : "performance",
            timestamp: t0 + i * 1_000,
            sessionId: "s",
            userId: `user-${i % 5}`,
            data: i % 4 === 0 ? { feature: "chat", action: "open" } : { name: "ai.chat", durationMs: 100 + i, outcome: "success" }
          }))
        Fs.writeFileSync(events, [...lines.slice(0, 100), "not json", "{\"type\":1}", ...lines.slice(100), "{\"id\":\"cut"].join("\n"))
        const { html, snapshot } = yield* Dashboard.reportFromFile(events)
        expect(snapshot.input).toMatchObject({ events: 200, malformed: 3, malformedByReason: { json: 1, "not-an-event": 1, truncated: 1 } })
        const file = Path.join(dir, "report.html")
        Fs.writeFileSync(file, html)
        const page = yield* Chromium.run(() => browser.newPage())
        yield* Effect.addFinalizer(() => Chromium.run(() => page.close()))
        const requests = watchRequests(page)
        yield* Chromium.run(() => page.goto(pathToFileURL(file).href))
        yield* Chromium.run(() => page.waitForFunction(() => (window.dashboard?.renders ?? 0) >= 1, undefined, { timeout: 20_000 }))
        expect(Number(yield* stat(page, "malformed"))).toBe(3)
        expect(yield* cell(page, "metrics", "ai.chat", "count")).toBe(150)
        expect(yield* cell(page, "metrics", "ai.chat", "p95")).toBe(snapshot.metrics.find((m) => m.name === "ai.chat")!.p95)
        // No errors, providers or health changes in this file: those figures say so instead of drawing.
        expectAllDrawn(yield* chartsDrawn(page), ["rates", "metrics", "latency", "features"])
        expect(requests).toEqual([pathToFileURL(file).href])
      }))
  })
})
