/**
 * `npx tsx bench/bundle-size.ts`: what telemetry costs a browser page. Each app of `test/fixtures/bundle/` is
 * bundled the way a browser app ships — esbuild, ESM, `--platform=browser`, minified — and gzipped (-9):
 *
 * - `baseline`: an Effect app already using `Schema`, `HttpClient` over `FetchHttpClient` and
 *   `KeyValueStore.layerStorage(localStorage)`;
 * - `collector`: the baseline plus `Telemetry.layerCollector` (the collector alone);
 * - `collector, module import`: the same, `layerCollector` imported from its module — what the collector
 *   costs once the bundler drops the rest of the `Telemetry` namespace, which esbuild cannot do;
 * - `collector + <service>`: the collector app plus one service's own layer (`ErrorTracking.layer()`, …) over
 *   it — what each service adds for an app that composes only the services it uses;
 * - `all services`: the baseline plus `Telemetry.layer` and `WebVitals.layer` (`web-vitals` counted: the
 *   layer loads it);
 * - `@sentry/browser` (`init` + `captureException`) and `posthog-js` (`init` + `capture`), whole SDKs.
 *
 * Then the modules that add most to each telemetry app (bytes of minified output, from the metafile): new
 * modules, and modules of the baseline that grow because telemetry uses more of them. Last, the collector's
 * own code on its own: `Telemetry.layerCollector` bundled with Effect and `@effect/*` left as imports (so
 * its calls into them stay property reads, a little larger than inside an app's bundle).
 */
import { build } from "esbuild"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { entry, type Measured, measure } from "../test/fixtures/bundle/measure.js"

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
const signed = (bytes: number) => `${bytes >= 0 ? "+" : ""}${kb(bytes)}`

const apps: ReadonlyArray<readonly [label: string, name: string, overBaseline: boolean]> = [
  ["collector (`Telemetry.layerCollector`)", "collector", true],
  ["collector, `effect-telemetry/browser/Telemetry`", "collector-subpath", true],
  ["collector + `ErrorTracking.layer()`", "collector-errors", true],
  ["collector + `UsageAnalytics.layer()`", "collector-usage", true],
  ["collector + `PerformanceMetrics.layer()`", "collector-performance", true],
  ["collector + `HealthCheck.layer()`", "collector-health", true],
  ["all services (`Telemetry.layer` + `WebVitals.layer`)", "all", true],
  ["`@sentry/browser` 11.12, whole SDK", "sentry", false],
  ["`posthog-js` 1.449, whole SDK", "posthog", false]
]

const baseline = await measure(entry("baseline"))
const measured = new Map<string, Measured>()
for (const [, name] of apps) measured.set(name, await measure(entry(name), { lazy: true }))

console.log("| bundle | minified | gzip | over the baseline (minified / gzip) |")
console.log("|---|---|---|---|")
console.log(`| baseline Effect app | ${kb(baseline.minified)} | ${kb(baseline.gzip)} | — |`)
for (const [label, name, overBaseline] of apps) {
  const m = measured.get(name)!
  const increment = overBaseline
    ? `${signed(m.minified - baseline.minified)} / **${signed(m.gzip - baseline.gzip)}**`
    : "— (standalone)"
  console.log(`| ${label} | ${kb(m.minified)} | ${kb(m.gzip)} | ${increment} |`)
}

const collector = measured.get("collector-subpath")!
console.log("\nEach service over the collector alone (gzip):")
for (const [label, name] of apps.filter(([, name]) => name.startsWith("collector-") && name !== "collector-subpath")) {
  console.log(`  ${label.replace("collector + ", "").padEnd(28)} ${signed(measured.get(name)!.gzip - collector.gzip)}`)
}

const before = new Map(baseline.inputs)
for (const [label, name, overBaseline] of apps) {
  if (!overBaseline || name.startsWith("collector-") && name !== "collector-subpath") continue
  const added = measured.get(name)!.inputs
    .map(([path, bytes]) => [path, bytes - (before.get(path) ?? 0)] as const)
    .filter(([, bytes]) => bytes > 0)
  const ours = added.filter(([path]) => path.startsWith("src/")).reduce((n, [, bytes]) => n + bytes, 0)
  const theirs = added.filter(([path]) => !path.startsWith("src/")).reduce((n, [, bytes]) => n + bytes, 0)
  console.log(`\n${label}: ${kb(ours)} minified of our code, ${kb(theirs)} of dependencies beyond the baseline's. Largest:`)
  for (const [path, bytes] of added.sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${kb(bytes).padStart(8)}  ${path}${before.has(path) ? " (grown)" : ""}`)
  }
}

const own = await build({
  stdin: {
    contents: `import * as Telemetry from "./src/layers/TelemetryBrowser.js"\nexport const layer = Telemetry.layerCollector({ endpoint: "/telemetry" })`,
    resolveDir: Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), ".."),
    loader: "ts"
  },
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  write: false,
  external: ["effect", "effect/*", "@effect/*"],
  logLevel: "silent"
})
const ownCode = own.outputFiles[0]!.contents
console.log(
  `\nThe collector's own code alone (Effect and @effect/* external): ${kb(ownCode.byteLength)} minified, ` +
    `${kb(gzipSync(ownCode, { level: 9 }).byteLength)} gzip`
)
