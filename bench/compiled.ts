/**
 * The library as users run it: the JavaScript `npm run build` compiles into `dist/` (`npm run bench` builds it
 * first). The benches run under tsx, whose transform of TypeScript keeps function names by wrapping each
 * arrow bound to a name or a property in a `defineProperty` call, every time the arrow is created: a cost per
 * call in any closure made per call, which the published code does not have. Peers are measured from their
 * published JavaScript, so ours must be too.
 *
 * When `dist/` is missing or older than a file of `src/`, the sources are measured instead, and `measuredFrom`
 * says so: the bench prints it beside its figures.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const compiled = Path.join(root, "dist", "index.js")

const newestIn = (dir: string): number =>
  Fs.readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = Path.join(dir, entry.name)
    return Math.max(newest, entry.isDirectory() ? newestIn(path) : Fs.statSync(path).mtimeMs)
  }, 0)

const fresh = Fs.existsSync(compiled) && Fs.statSync(compiled).mtimeMs >= newestIn(Path.join(root, "src"))

/** What the figures measure: `dist` (compiled by `tsc`, as published) or `src` (through tsx, slower). */
export const measuredFrom: "dist" | "src" = fresh ? "dist" : "src"

/** The main entry, from `dist/` when it is up to date, else from the sources. */
export const library: typeof import("../src/index.js") = fresh
  ? await import(compiled)
  : await import("../src/index.js")

/** One module of the library by its path under `src/` without extension (`"schemas/EventValidation"`), from where `library` comes. */
export const libraryModule = (path: string): Promise<unknown> =>
  fresh ? import(Path.join(root, "dist", `${path}.js`)) : import(Path.join(root, "src", `${path}.ts`))
