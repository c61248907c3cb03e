/**
 * Every TypeScript snippet of `README.md` and `docs/*.md` compiles, so the docs cannot drift from the API.
 *
 * Each ```ts (or ```typescript) fenced block is written to its own file and all of them are type-checked
 * together in ONE program through the compiler API (one program, not one per snippet: the library and
 * Effect's declarations are then loaded once). The options are the project's (`tsconfig.json`, strict), plus
 * `noPropertyAccessFromIndexSignature`, which the strict consumers of `test/packaging.test.ts` use too, since
 * a snippet is what users paste into their own project. `effect-telemetry`, `effect-telemetry/browser` and
 * `effect-telemetry/browser/Telemetry` resolve to `src/index.ts`, `src/browser.ts` and
 * `src/layers/TelemetryBrowser.ts`, so no build is needed; every other import resolves from
 * the project's `node_modules`, as in a user's app.
 *
 * Each snippet file counts as a module of its own, so snippets may declare the same names. Only snippets'
 * diagnostics are reported — errors inside `src/` are the project type-check's business — each as
 * `page:line:column TS<code>: message`, with the line of the Markdown page.
 *
 * A block that is deliberately not a whole program (a shape excerpt, a fragment) is marked in its fence's
 * info string and then not checked:
 *
 *     ```ts fragment
 *
 * Keep it rare: prefer whole snippets that import what they use. Blocks in other languages (sh, json,
 * text, none) are not checked.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

/** The pages checked: the README and every page of `docs/`. */
const pages = [
  "README.md",
  ...Fs.readdirSync(Path.join(root, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)
]

/** The info-string word that exempts a block from the check. */
const fragmentMarker = "fragment"

interface Snippet {
  /** The Markdown page, relative to the project (`docs/sampling.md`). */
  readonly page: string
  /** The page's line (1-based) of the snippet's first code line. */
  readonly line: number
  readonly code: string
}

/**
 * The TypeScript blocks of a Markdown page, fragments left out. Fences follow CommonMark: three or more
 * backticks or tildes, indented up to three spaces; the block ends at a fence of the same character at least
 * as long, with nothing after it.
 */
const extractSnippets = (page: string, markdown: string): ReadonlyArray<Snippet> => {
  const lines = markdown.split(/\r?\n/)
  const snippets: Array<Snippet> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/.exec(lines[i]!)
    if (open === null) continue
    const fence = open[1]!
    const words = open[2]!.trim().toLowerCase().split(/\s+/)
    const close = new RegExp(`^ {0,3}${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`)
    let end = i + 1
    while (end < lines.length && !close.test(lines[end]!)) end++
    if ((words[0] === "ts" || words[0] === "typescript") && !words.includes(fragmentMarker)) {
      snippets.push({ page, line: i + 2, code: lines.slice(i + 1, end).join("\n") + "\n" })
    }
    i = end
  }
  return snippets
}

/**
 * Where the snippet files go: inside the project, so imports resolve from its `node_modules` as in an app,
 * yet outside `tsconfig.json`'s `include` (so the project type-check does not check them twice), ignored by
 * git, and outside what `test/packaging.test.ts` copies while it runs (a file removed mid-copy would fail it).
 */
const cacheDir = Path.join(root, "node_modules", ".cache", "effect-telemetry-docs")

/** The project's compiler options, for snippets. */
const compilerOptions = (): ts.CompilerOptions => {
  const configPath = Path.join(root, "tsconfig.json")
  const config = ts.readConfigFile(configPath, ts.sys.readFile)
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath)
  return {
    ...parsed.options,
    noEmit: true,
    noPropertyAccessFromIndexSignature: true,
    // A snippet with no import is still a module of its own, not a script sharing globals with the others.
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: {
      "effect-telemetry": [Path.join(root, "src", "index.ts")],
      "effect-telemetry/browser": [Path.join(root, "src", "browser.ts")],
      "effect-telemetry/browser/Telemetry": [Path.join(root, "src", "layers", "TelemetryBrowser.ts")]
    }
  }
}

/** One diagnostic, located on its Markdown page. */
const describeDiagnostic = (snippet: Snippet, diagnostic: ts.Diagnostic): string => {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
  if (diagnostic.file === undefined || diagnostic.start === undefined) {
    return `${snippet.page}:${snippet.line} TS${diagnostic.code}: ${message}`
  }
  const { character, line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
  return `${snippet.page}:${snippet.line + line}:${character + 1} TS${diagnostic.code}: ${message}`
}

/**
 * Type-checks the snippets in one program and returns each one's diagnostics, in order, plus those of no
 * snippet (options, globals).
 */
const checkSnippets = (snippets: ReadonlyArray<Snippet>) => {
  Fs.mkdirSync(cacheDir, { recursive: true })
  // A folder per run, so runs side by side do not overwrite each other's files.
  const dir = Fs.mkdtempSync(Path.join(cacheDir, "run-"))
  try {
    const files = snippets.map((snippet, i) => {
      const name = `${String(i).padStart(3, "0")}-${snippet.page.replace(/[^\w.-]+/g, "-")}-L${snippet.line}.ts`
      const file = Path.join(dir, name)
      Fs.writeFileSync(file, snippet.code)
      return file
    })
    const program = ts.createProgram({ rootNames: files, options: compilerOptions() })
    const bySnippet = snippets.map((snippet, i) => {
      const source = program.getSourceFile(files[i]!)
      if (source === undefined) return [`${snippet.page}:${snippet.line} the compiler did not load this snippet`]
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
        .map((diagnostic) => describeDiagnostic(snippet, diagnostic))
    })
    const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]
      .map((diagnostic) => `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`)
    return { bySnippet, global }
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** A page that cannot compile, checked in the same program as the docs: if it passed, so would anything. */
const canary: Snippet = {
  page: "canary.md",
  line: 10,
  code: `import { TelemetryCollector } from "effect-telemetry"\n\nconst key: number = TelemetryCollector.key\n`
}

const snippets = pages.flatMap((page) => extractSnippets(page, Fs.readFileSync(Path.join(root, page), "utf8")))
let results: ReturnType<typeof checkSnippets> = { bySnippet: [], global: [] }

const diagnosticsOf = (page: string): ReadonlyArray<string> =>
  snippets.flatMap((snippet, i) => snippet.page === page ? results.bySnippet[i]! : [])

// Loading the library and Effect's declarations takes a few seconds; a loaded machine can take several times that.
beforeAll(() => {
  const started = performance.now()
  results = checkSnippets([...snippets, canary])
  const ms = Math.round(performance.now() - started)
  console.log(`docs: ${snippets.length} snippets of ${pages.length} pages type-checked in ${ms} ms`)
}, 120_000)

describe("docs", () => {
  it("the snippets are type-checked with valid options, and a wrong one is reported on its page and line", () => {
    expect(results.global).toEqual([])
    // The canary's error is a type error, not a module that failed to resolve: the paths work.
    expect(results.bySnippet[snippets.length]).toEqual([
      "canary.md:12:7 TS2322: Type 'string' is not assignable to type 'number'."
    ])
  })

  it("fences are read as CommonMark reads them, and a fragment is exempt", () => {
    const page = [
      "# Page",
      "```ts",
      "const a = 1",
      "```",
      "~~~~typescript",
      "const b = \"```\"",
      "```",
      "~~~~",
      "```ts fragment",
      "{ a: string, … }",
      "```",
      "```sh",
      "npm test",
      "```",
      "   ```TS",
      "const c = 3",
      "   ```"
    ].join("\n")
    expect(extractSnippets("p.md", page)).toEqual([
      { page: "p.md", line: 3, code: "const a = 1\n" },
      { page: "p.md", line: 6, code: "const b = \"```\"\n```\n" },
      { page: "p.md", line: 16, code: "const c = 3\n" }
    ])
  })

  it.each(pages)("%s: every TypeScript snippet compiles", (page) => {
    expect(diagnosticsOf(page)).toEqual([])
  })
})
