/**
 * The public surface: the names each entry publishes, and that every one of them — and every member a
 * user reaches through it (a Tag's static constructors and layers, a namespace module's exports) — carries
 * a doc line, `@since` and `@category`, as Effect's own packages do.
 *
 * Read from the sources with the compiler API (the published declarations keep the same comments).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import * as Browser from "../src/browser.js"
import * as Main from "../src/index.js"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

/** The top-level names of the browser entry; the Node entry adds what needs Node. */
const browserNames = [
  "ErrorTracking",
  "HealthCheck",
  "Instrumentation",
  "InvalidEventError",
  "OtlpExport",
  "Outbox",
  "PerformanceMetrics",
  "Redactor",
  "Sampler",
  "Schemas",
  "Telemetry",
  "TelemetryCollector",
  "TelemetryTest",
  "Transport",
  "TransportError",
  "UsageAnalytics",
  "WebVitals"
]
const nodeNames = [...browserNames, "Dashboard", "HealthServer", "TelemetryLive"].sort()

/** The names the contract keeps exactly: users and outside tests rely on them. */
const contract = [
  "TelemetryLive",
  "TelemetryTest",
  "TelemetryCollector",
  "PerformanceMetrics",
  "UsageAnalytics",
  "ErrorTracking",
  "HealthCheck",
  "Transport",
  "Sampler",
  "Redactor",
  "InvalidEventError",
  "TransportError"
]

interface Undocumented {
  readonly name: string
  readonly missing: string
}

/** Every public name of an entry, and the members users reach through it, that lack a doc line, `@since` or `@category`. */
const undocumented = (entry: string): ReadonlyArray<Undocumented> => {
  const file = Path.join(root, "src", entry)
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)!
  const problems: Array<Undocumented> = []

  const check = (name: string, symbol: ts.Symbol, requireCategory: boolean) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    // A re-export's own comment (`export { x as y }` with JSDoc) counts, as editors show it.
    const tagsOf = (s: ts.Symbol) => s.getJsDocTags(checker).map((tag) => tag.name)
    const docOf = (s: ts.Symbol) => ts.displayPartsToString(s.getDocumentationComment(checker)).trim()
    const tags = [...tagsOf(symbol), ...tagsOf(target)]
    if (docOf(symbol) === "" && docOf(target) === "") problems.push({ name, missing: "doc line" })
    if (!tags.includes("since")) problems.push({ name, missing: "@since" })
    if (requireCategory && !tags.includes("category")) problems.push({ name, missing: "@category" })
  }

  const entrySymbol = checker.getSymbolAtLocation(source)!
  for (const exported of checker.getExportsOfModule(entrySymbol)) {
    const name = exported.getName()
    const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    if (target.flags & ts.SymbolFlags.ValueModule) {
      // `export * as Name from "./module.js"`: the namespace itself, then each of its exports.
      for (const member of checker.getExportsOfModule(target)) check(`${name}.${member.getName()}`, member, true)
      continue
    }
    check(name, exported, true)
    if (target.flags & ts.SymbolFlags.Class) {
      const statics = checker.getTypeOfSymbol(target).getProperties().filter((p) => {
        const declaration = p.valueDeclaration
        return declaration !== undefined && ts.isPropertyDeclaration(declaration) &&
          declaration.parent === target.valueDeclaration
      })
      for (const member of statics) check(`${name}.${member.getName()}`, member, true)
    }
  }
  return problems
}

describe("the public surface", () => {
  it("the Node entry publishes the contract's names and a few namespaces, nothing else", () => {
    expect(Object.keys(Main).sort()).toEqual(nodeNames)
    for (const name of contract) expect(Object.keys(Main)).toContain(name)
  })

  it("the browser entry publishes the same services, without TelemetryLive, the health server and the dashboard", () => {
    expect(Object.keys(Browser).sort()).toEqual([...browserNames].sort())
    // One implementation: a Tag reached through either entry is the same Tag.
    for (const name of browserNames.filter((n) => n !== "Telemetry")) {
      expect((Browser as Record<string, unknown>)[name]).toBe((Main as Record<string, unknown>)[name])
    }
  })

  it("each service name is still a Tag a program can yield, with its constructors as static members", () => {
    for (const tag of [Main.TelemetryCollector, Main.PerformanceMetrics, Main.UsageAnalytics, Main.ErrorTracking, Main.HealthCheck]) {
      expect(typeof tag.key).toBe("string")
      expect(typeof (tag as unknown as { readonly layer: unknown }).layer).toBe("function")
      expect(typeof (tag as unknown as { readonly make: unknown }).make).toBe("function")
    }
    expect(typeof Main.Transport.http).toBe("function")
    expect(typeof Main.Sampler.throttled).toBe("function")
    expect(typeof Main.Redactor.layer).toBe("function")
  })

  it("every public name and every member reached through it has a doc line, @since and @category", () => {
    expect(undocumented("index.ts")).toEqual([])
    expect(undocumented("browser.ts")).toEqual([])
  }, 60_000)
})
