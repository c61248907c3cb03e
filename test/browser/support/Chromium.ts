/**
 * Debian's Chromium driven by `playwright-core` (which downloads no browser), and the test page bundled
 * by esbuild. Browser suites skip only when `/usr/bin/chromium` (or `CHROMIUM_PATH`) is missing; the
 * global setup (`globalSetup.ts`) then says so once per run.
 */
import { fileURLToPath } from "node:url"
import { build } from "esbuild"
import { Context, Effect, Layer, type Scope } from "effect"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import type { PageOptions } from "../page/api.js"
import { chromiumPath } from "./ChromiumPath.js"
import * as PageServer from "./PageServer.js"

export { chromiumAvailable, chromiumPath } from "./ChromiumPath.js"

const launchArgs = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Bundles the test page entry for browsers, with nothing from Node allowed in. */
export const bundlePage: Effect.Effect<string> = Effect.promise(() =>
  build({
    entryPoints: [fileURLToPath(new URL("../page/telemetryPage.ts", import.meta.url))],
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "chrome120",
    write: false,
    logLevel: "silent"
  })
).pipe(Effect.map((result) => result.outputFiles[0]!.text))

/** A browser and the bundled page, shared by the tests of a file. */
export class Chromium extends Context.Tag("test/Chromium")<Chromium, {
  readonly browser: Browser
  readonly bundle: string
}>() {}

export const layer: Layer.Layer<Chromium> = Layer.scoped(
  Chromium,
  Effect.gen(function*() {
    const bundle = yield* bundlePage
    const browser = yield* Effect.acquireRelease(
      Effect.promise(() => chromium.launch({ executablePath: chromiumPath, args: launchArgs })),
      (browser) => Effect.promise(() => browser.close())
    )
    return { browser, bundle }
  })
)

/** What one test works with: its own server and its own browser context (so its own localStorage). */
export interface Site {
  readonly server: PageServer.PageServer
  readonly context: BrowserContext
  /** Opens the test page with these options and waits until telemetry is ready. */
  readonly open: (options?: PageOptions, page?: Page) => Effect.Effect<Page>
}

export const site: Effect.Effect<Site, never, Chromium | Scope.Scope> = Effect.gen(function*() {
  const { browser, bundle } = yield* Chromium
  const server = yield* PageServer.make(bundle)
  const context = yield* Effect.acquireRelease(
    Effect.promise(() => browser.newContext()),
    (context) => Effect.promise(() => context.close())
  )
  const open = (options: PageOptions = {}, existing?: Page) =>
    Effect.promise(async () => {
      const page = existing ?? await context.newPage()
      await page.goto(server.pageUrl(options))
      await page.evaluate(() => window.telemetry.ready)
      return page
    })
  return { server, context, open }
})

/**
 * Closes a page the way a user closing the tab does (`pagehide` and friends run), and waits until it is
 * gone, so what its handlers wrote to localStorage can be read.
 */
export const closePage = (page: Page): Effect.Effect<void> =>
  Effect.promise(() => Promise.all([page.waitForEvent("close"), page.close({ runBeforeUnload: true })])).pipe(Effect.asVoid)

/** `Effect.promise` under a shorter name, for the many Playwright calls. */
export const run = <A>(f: () => Promise<A>): Effect.Effect<A> => Effect.promise(f)
