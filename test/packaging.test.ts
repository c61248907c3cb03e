/**
 * The package as a user installs it. `npm pack` runs on a copy of the project (so it never touches this
 * checkout's `dist/`, nor races another run), through the real `prepack` → `build` scripts; the tarball is
 * unpacked into a temporary app whose `node_modules` links our peer and runtime dependencies from this
 * project's `node_modules` — only those, so a missing declaration shows up as a failed import. Then the
 * app runs with plain `node` (no TypeScript loader), and a strict `nodenext` consumer is type-checked
 * against the published declarations.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const run = promisify(execFile)
const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

// No assertion depends on speed: these only catch a hang. Building takes ~15 s and the consumer check ~20 s
// on a quiet 2-core machine, several times that while the other suites share the cores.
const buildTimeout = 600_000
const stepTimeout = 300_000

/** What npm reports about the tarball it wrote (`npm pack --json`). */
interface Packed {
  readonly filename: string
  readonly size: number
  readonly files: ReadonlyArray<{ readonly path: string }>
}

interface PackageJson {
  readonly files?: ReadonlyArray<string>
  readonly exports: Record<string, unknown>
  readonly peerDependencies?: Record<string, string>
  readonly dependencies?: Record<string, string>
}

/** npm itself: the one running `npm test` when there is one, else the `npm` on the PATH. */
const npm = (args: ReadonlyArray<string>, cwd: string) => {
  const cli = process.env["npm_execpath"]
  return cli !== undefined && cli.endsWith(".js")
    ? run(process.execPath, [cli, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 })
    : run("npm", [...args], { cwd, maxBuffer: 64 * 1024 * 1024, shell: process.platform === "win32" })
}

/** The environment of the child processes: ours without loaders (`NODE_OPTIONS`) or telemetry settings. */
const cleanEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key !== "NODE_OPTIONS" && !key.startsWith("TELEMETRY_") && !key.startsWith("VITEST")) env[key] = value
  }
  return { ...env, ...extra }
}

const linkPackage = (app: string, name: string): void => {
  const link = Path.join(app, "node_modules", ...name.split("/"))
  Fs.mkdirSync(Path.dirname(link), { recursive: true })
  // "junction" lets Windows link folders without privileges; elsewhere the type is ignored.
  Fs.symlinkSync(Path.join(root, "node_modules", ...name.split("/")), link, "junction")
}

let temp = ""
let app = ""
let packed: Packed
let manifest: PackageJson
/** Every published entry as an import specifier: `effect-telemetry`, `effect-telemetry/browser`, … */
let entries: ReadonlyArray<string> = []

beforeAll(async () => {
  temp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-pack-"))
  // What the build reads and npm packs: the `files` entries, the files npm always adds, the tsconfigs. Not the
  // whole checkout, where other suites may be writing while this one copies.
  const project = Path.join(temp, "project")
  const own = JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8")) as PackageJson
  const wanted = new Set((own.files ?? []).map((entry) => entry.split("/")[0]!))
  for (const name of Fs.readdirSync(root)) {
    if (name === "dist" || !(wanted.has(name) || /^(package\.json|tsconfig.*\.json|readme|licen[cs]e|changelog)/i.test(name))) continue
    Fs.cpSync(Path.join(root, name), Path.join(project, name), { recursive: true })
  }
  Fs.symlinkSync(Path.join(root, "node_modules"), Path.join(project, "node_modules"), "junction")
  // With `--json`, npm writes the scripts' output (`prepack` → `build`) to stderr and the report to stdout.
  const { stdout } = await npm(["pack", "--json", "--update-notifier=false", "--pack-destination", temp], project)
  packed = (JSON.parse(stdout) as ReadonlyArray<Packed>)[0]!

  app = Path.join(temp, "app")
  Fs.mkdirSync(Path.join(app, "node_modules"), { recursive: true })
  Fs.writeFileSync(Path.join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  await run("tar", ["-xzf", Path.join(temp, packed.filename), "-C", temp])
  Fs.renameSync(Path.join(temp, "package"), Path.join(app, "node_modules", "effect-telemetry"))
  manifest = JSON.parse(Fs.readFileSync(Path.join(app, "node_modules", "effect-telemetry", "package.json"), "utf8"))
  for (const name of Object.keys({ ...manifest.peerDependencies, ...manifest.dependencies, "@types/node": "" })) {
    linkPackage(app, name)
  }
  entries = Object.keys(manifest.exports)
    .filter((subpath) => subpath !== "./package.json")
    .map((subpath) => `effect-telemetry${subpath.slice(1)}`)
}, buildTimeout)

afterAll(() => {
  if (temp !== "") Fs.rmSync(temp, { recursive: true, force: true })
})

describe("packaging", () => {
  it("the tarball holds the built entries with their declarations and maps, and no tests", () => {
    const files = packed.files.map((f) => f.path)
    for (const entry of ["index", "browser"]) {
      expect(files).toContain(`dist/${entry}.js`)
      expect(files).toContain(`dist/${entry}.js.map`)
      expect(files).toContain(`dist/${entry}.d.ts`)
      expect(files).toContain(`dist/${entry}.d.ts.map`)
    }
    expect(files).toContain("README.md")
    expect(files.filter((f) => /^(test|bench|examples)\/|\.test\.|tsconfig/.test(f))).toEqual([])
    expect(entries).toEqual(["effect-telemetry", "effect-telemetry/browser", "effect-telemetry/browser/Telemetry"])
    // Every condition of every entry points at built files, never at sources.
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === "./package.json") continue
      const targets = typeof target === "string" ? [target] : Object.values(target as Record<string, string>)
      for (const file of targets) expect(file).toMatch(/^\.\/dist\/.*\.(d\.ts|js)$/)
    }
    // Effect comes from the app, never a copy of our own: two copies would mean two sets of Tags.
    expect(Object.keys(manifest.dependencies ?? {}).filter((name) => name === "effect" || name.startsWith("@effect/")))
      .toEqual([])
    expect(Object.keys(manifest.peerDependencies ?? {})).toEqual(expect.arrayContaining(["effect", "@effect/platform"]))
    // About 440 kB today (dist with maps, src for the maps, docs): far more means something unintended got in.
    expect(packed.size).toBeLessThan(1_000_000)
  })

  it("the browser entry's module graph reaches neither Node built-ins nor @effect/platform-node", () => {
    const dist = Path.join(app, "node_modules", "effect-telemetry", "dist")
    const bare = new Set<string>()
    const seen = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      const source = Fs.readFileSync(file, "utf8")
      for (const [, specifier] of source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"([^"]+)"/g)) {
        if (specifier!.startsWith(".")) visit(Path.resolve(Path.dirname(file), specifier!))
        else bare.add(specifier!)
      }
    }
    visit(Path.join(dist, "browser.js"))
    expect(seen.size).toBeGreaterThan(10)
    expect([...bare].filter((s) => s.startsWith("node:") || s.startsWith("@effect/platform-node"))).toEqual([])
    // So the browser entry needs only what is declared as required.
    const required = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }))
    expect([...bare].map((s) => s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]!)
      .filter((name) => !required.has(name))).toEqual([])
  })

  it("plain node imports every entry and tracks events to the file transport, read back as NDJSON", async () => {
    const events = Path.join(app, "events.ndjson")
    Fs.writeFileSync(
      Path.join(app, "app.mjs"),
      `import { Effect } from "effect"
import * as Telemetry from "effect-telemetry"
import * as Browser from "effect-telemetry/browser"

const entries = ${JSON.stringify(entries)}
const loaded = {}
for (const entry of entries) loaded[entry] = { exports: Object.keys(await import(entry)).length, file: import.meta.resolve(entry) }

const program = Effect.gen(function*() {
  const telemetry = yield* Telemetry.TelemetryCollector
  yield* telemetry.track({ type: "chat.message", data: { role: "user", length: 42 } })
  yield* telemetry.track({ type: "chat.message", data: { model: undefined, list: [1, undefined], nested: { gone: undefined, kept: true } } })
  yield* telemetry.track({ type: "provider.request", data: { provider: "openai", latencyMs: 812, ok: true }, tags: { plan: "pro" } })
  const refused = yield* Effect.flip(telemetry.trackUnknown({ type: "x", data: { f: () => 1 } }))
  return { refused: refused._tag, path: refused.issues[0].path }
})
const result = await Effect.runPromise(program.pipe(Effect.provide(Telemetry.TelemetryLive)))
console.log(JSON.stringify({ loaded, result, oneTag: Browser.TelemetryCollector === Telemetry.TelemetryCollector }))
`
    )
    const { stdout } = await run(process.execPath, ["app.mjs"], {
      cwd: app,
      env: cleanEnv({
        TELEMETRY_TRANSPORT: "file",
        TELEMETRY_FILE_PATH: events,
        TELEMETRY_OUTBOX_DIR: Path.join(app, "outbox")
      })
    })
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      readonly loaded: Record<string, { readonly exports: number; readonly file: string }>
      readonly result: { readonly refused: string; readonly path: ReadonlyArray<string> }
      readonly oneTag: boolean
    }
    for (const entry of entries) {
      expect(report.loaded[entry]!.exports).toBeGreaterThan(10)
      expect(report.loaded[entry]!.file).toMatch(/\/node_modules\/effect-telemetry\/dist\/[A-Za-z/]+\.js$/)
    }
    expect(report.oneTag).toBe(true)
    expect(report.result).toEqual({ refused: "InvalidEventError", path: ["data", "f"] })

    const written = Fs.readFileSync(events, "utf8").trim().split("\n").map((line) => JSON.parse(line))
    expect(written.map((e) => [e.type, e.kind])).toEqual([
      ["chat.message", "custom"],
      ["chat.message", "custom"],
      ["provider.request", "custom"]
    ])
    expect(written[0].data).toEqual({ role: "user", length: 42 })
    expect(written[1].data).toEqual({ list: [1, null], nested: { kept: true } })
    expect(Object.keys(written[1].data)).toEqual(["list", "nested"])
    expect(written[2]).toMatchObject({ data: { provider: "openai", latencyMs: 812, ok: true }, tags: { plan: "pro" } })
    expect(new Set(written.map((e) => e.id)).size).toBe(3)
  }, stepTimeout)

  it("a strict nodenext consumer type-checks against the published declarations, with no error in ours", async () => {
    Fs.writeFileSync(
      Path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          lib: ["ES2022", "DOM"],
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          noPropertyAccessFromIndexSignature: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true
        },
        files: ["consumer.ts", "entries.ts"]
      })
    )
    // Every published entry, so a new subpath is checked too.
    Fs.writeFileSync(
      Path.join(app, "entries.ts"),
      entries.map((entry, i) => `export * as entry${i} from ${JSON.stringify(entry)}\n`).join("")
    )
    Fs.writeFileSync(Path.join(app, "consumer.ts"), consumer)
    const tsc = Path.join(root, "node_modules", "typescript", "bin", "tsc")
    // tsc exits non-zero on any error, ours or not: the diagnostics are read instead.
    const output = await run(process.execPath, [tsc, "-p", app, "--pretty", "false", "--listFiles"], {
      cwd: app,
      maxBuffer: 64 * 1024 * 1024
    }).then(({ stdout }) => stdout, (error: { readonly stdout?: string }) => error.stdout ?? String(error))

    const diagnostics: Array<{ readonly file: string | undefined; text: string }> = []
    const checked: Array<string> = []
    for (const line of output.split(/\r?\n/)) {
      const located = /^(.+?)\(\d+,\d+\): error TS\d+: /.exec(line)
      if (located !== null) diagnostics.push({ file: Path.resolve(app, located[1]!), text: line })
      else if (/^error TS\d+: /.test(line)) diagnostics.push({ file: undefined, text: line })
      else if (/^\s/.test(line) && diagnostics.length > 0) diagnostics[diagnostics.length - 1]!.text += `\n${line}`
      else if (line.trim() !== "") checked.push(Path.resolve(app, line.trim()))
    }
    // Errors inside other packages' own declarations are theirs, not ours: the linked packages resolve to this
    // project's node_modules (e.g. `@effect/platform-node` wants `@types/ws` there). Ours are the consumer's
    // files, our package's, and errors of no file (a bad option, a missing `types` package).
    const theirs = (file: string | undefined) => file !== undefined && file.startsWith(Path.join(root, "node_modules") + Path.sep)
    expect(diagnostics.filter((d) => !theirs(d.file)).map((d) => d.text)).toEqual([])
    // The published declarations were what got checked, not sources.
    const ours = Path.join(app, "node_modules", "effect-telemetry")
    const ourFiles = checked.filter((file) => file.startsWith(ours + Path.sep))
    expect(ourFiles).toContain(Path.join(ours, "dist", "index.d.ts"))
    expect(ourFiles).toContain(Path.join(ours, "dist", "browser.d.ts"))
    expect(ourFiles.filter((file) => !file.endsWith(".d.ts"))).toEqual([])
  }, stepTimeout)
})

/** A consumer's program, using the public names of the contract the way the README shows them. */
const consumer = `import { Effect, Layer } from "effect"
import {
  ErrorTracking,
  HealthCheck,
  HealthServer,
  InvalidEventError,
  Outbox,
  PerformanceMetrics,
  Redactor,
  Sampler,
  Schemas,
  Telemetry,
  TelemetryCollector,
  TelemetryLive,
  TelemetryTest,
  Transport,
  TransportError,
  UsageAnalytics
} from "effect-telemetry"
import * as Browser from "effect-telemetry/browser"
import * as BrowserTelemetry from "effect-telemetry/browser/Telemetry"

/** Shapes as applications declare them: interfaces (no index signature), optional fields. */
interface Message {
  readonly role: string
  readonly text: string
  readonly note?: string
}
interface Turn {
  readonly messages: ReadonlyArray<Message>
  readonly model: string | undefined
}

const program = Effect.gen(function*() {
  const telemetry = yield* TelemetryCollector
  const model: string | undefined = process.env["MODEL"]
  const message: Message = { role: "user", text: "hello" }
  const turn: Turn = { messages: [message], model }
  yield* telemetry.track({ type: "chat.message", data: { role: "user", length: 42 } })
  yield* telemetry.track({ type: "chat.message", data: { model, message }, tags: { plan: "pro", region: undefined } })
  yield* telemetry.track({ type: "chat.turn", data: turn, userId: "user-42", timestamp: Date.now() })
  yield* telemetry.track({ type: "chat.message", data: { maybe: undefined, list: [1, undefined, "x"] } })
  // @ts-expect-error a function is not JSON data
  yield* telemetry.track({ type: "chat.message", data: { format: () => "x" } })
  yield* telemetry.trackUnknown(JSON.parse("{}"))

  const performance = yield* PerformanceMetrics
  const usage = yield* UsageAnalytics
  const errors = yield* ErrorTracking
  const health = yield* HealthCheck
  yield* performance.mark("answer")
  yield* usage.trackFeature("search", "used")
  yield* errors.captureError(new Error("boom"))
  const report = yield* health.getHealthReport()
  const stats = yield* telemetry.stats
  return { report, sent: stats.sent }
}).pipe(
  Effect.catchTag("InvalidEventError", (error: InvalidEventError) => Effect.succeed(error.issues.map((i) => i.path.join("."))))
)

export const live = program.pipe(Effect.provide(TelemetryLive))

// Policies swapped the documented way, and a service of one's own over what TelemetryLive provides.
export const composed: Layer.Layer<Telemetry.Services | ErrorTracking, unknown> = ErrorTracking.layer({ maxBreadcrumbs: 10 }).pipe(
  Layer.provideMerge(TelemetryLive),
  Layer.provide(Sampler.throttled(10, "1 minute")),
  Layer.provide(Redactor.layer({ safeFields: ["debugEmail"] })),
  Layer.provide(Outbox.layerMemory()),
  Layer.provide(Transport.fromFunction((batch: Schemas.Batch) => Effect.log(batch.events.length)))
)
export const fromObject = Telemetry.layer({ transport: "memory", maxBatchSize: 10 })
export const server = HealthServer.layer({ port: 0 })
export const testing = Effect.gen(function*() {
  const events: ReadonlyArray<Schemas.TelemetryEvent> = yield* Telemetry.deliveredEvents
  const options: ErrorTracking.Options = { maxBreadcrumbs: 5 }
  const stats: TelemetryCollector.Stats = yield* Effect.flatMap(TelemetryCollector, (c) => c.stats)
  return { events, options, stats }
}).pipe(Effect.provide(Telemetry.layerTest({ flushInterval: "1 minute" })))
export const optionsError = (e: ErrorTracking.OptionsError | Sampler.OptionsError) => e.option
export const tested = program.pipe(Effect.provide(TelemetryTest))
export const layers: ReadonlyArray<Layer.Layer<TelemetryCollector, unknown>> = [TelemetryLive, TelemetryTest]

const failure = new TransportError({ reason: "network", retryable: true, message: "connection reset" })
export const retryable: boolean = failure.retryable && failure._tag === "TransportError"

// One Tag across entries: the browser entry's services are the same ones.
export const browser = Effect.gen(function*() {
  const telemetry: TelemetryCollector["Type"] = yield* Browser.TelemetryCollector
  yield* telemetry.track({ type: "page.view", data: { path: "/", referrer: undefined } })
})
export const page = Browser.WebVitals.layer().pipe(Layer.provideMerge(Browser.Telemetry.layer({ endpoint: "/collect" })))
// The collector alone, through the subpath a bundler tree-shakes member by member.
export const collectorOnly = BrowserTelemetry.layerCollector({ endpoint: "/collect" })
`
