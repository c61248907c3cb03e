/**
 * Bundles the page script (`page/main.ts`, with uPlot) and its styles (`page/dashboard.css`, with uPlot's)
 * with esbuild. `npm run build` runs this file to write the prebuilt assets into `dist/dashboard/assets/`,
 * which the published package ships; from the sources (tests, `tsx`), `PageAssets` calls `bundle` on demand.
 * esbuild is a development dependency: it is imported only here, and only when bundling.
 *
 * @internal
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/** The page's script and stylesheet. */
export interface Assets {
  readonly script: string
  readonly style: string
}

/** The file names of the prebuilt assets, in `dist/dashboard/assets/`. */
export const assetFiles = { script: "page.js", style: "page.css" } as const

/** Where the page sources are: beside this file in `src/`, or in the package's `src/` when run from `dist/`. */
const pageSources = (): string => {
  const here = Path.dirname(fileURLToPath(import.meta.url))
  const candidates = [Path.join(here, "page"), Path.join(here, "..", "..", "src", "dashboard", "page")]
  const found = candidates.find((dir) => Fs.existsSync(Path.join(dir, "main.ts")))
  if (found === undefined) throw new Error(`dashboard page sources not found (looked in ${candidates.join(", ")})`)
  return found
}

/** Bundles the page with esbuild (a development dependency). */
export const bundle = async (): Promise<Assets> => {
  const { build } = await import("esbuild")
  const dir = pageSources()
  const result = await build({
    entryPoints: { page: Path.join(dir, "main.ts"), style: Path.join(dir, "dashboard.css") },
    bundle: true,
    minify: true,
    write: false,
    outdir: "out",
    platform: "browser",
    format: "iife",
    target: ["chrome109", "firefox115", "safari16"],
    legalComments: "eof",
    logLevel: "silent"
  })
  const text = (ext: string) => result.outputFiles.find((file) => file.path.endsWith(ext))!.text
  return { script: text(".js"), style: text(".css") }
}

/** `tsx src/dashboard/bundle.ts <dir>`: writes the prebuilt assets into `<dir>` (the build's step). */
const main = async (target: string) => {
  const assets = await bundle()
  Fs.mkdirSync(target, { recursive: true })
  Fs.writeFileSync(Path.join(target, assetFiles.script), assets.script)
  Fs.writeFileSync(Path.join(target, assetFiles.style), assets.style)
  // stderr: `npm pack --json` reads the build's stdout as its report.
  console.error(`dashboard assets: ${Path.join(target, assetFiles.script)} (${assets.script.length} bytes), ${assetFiles.style} (${assets.style.length} bytes)`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(Path.resolve(process.argv[1])).href) {
  main(process.argv[2] ?? "dist/dashboard/assets").catch((error) => {
    console.error(error)
    process.exitCode = 1
  })
}
