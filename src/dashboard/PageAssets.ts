/**
 * The page's script and styles: the prebuilt files in `dist/dashboard/assets/` (what the published package
 * ships), or — running from the sources, where they do not exist — bundled once on demand with esbuild.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fs from "node:fs/promises"
import { type Assets, assetFiles } from "./bundle.js"

export type { Assets } from "./bundle.js"

const prebuilt = async (): Promise<Assets | undefined> => {
  try {
    const [script, style] = await Promise.all([
      Fs.readFile(new URL(`./assets/${assetFiles.script}`, import.meta.url), "utf8"),
      Fs.readFile(new URL(`./assets/${assetFiles.style}`, import.meta.url), "utf8")
    ])
    return { script, style }
  } catch {
    return undefined
  }
}

const loadOnce = async (): Promise<Assets> => {
  const found = await prebuilt()
  if (found !== undefined) return found
  try {
    return await (await import("./bundle.js")).bundle()
  } catch (cause) {
    throw new Error(
      "effect-telemetry: the dashboard's page assets are missing (dist/dashboard/assets) and cannot be bundled " +
        "here without esbuild; reinstall the package, or run `npm run build` in a checkout.",
      { cause }
    )
  }
}

// One load per process: the assets never change while it runs.
let loading: Promise<Assets> | undefined

/** The page's script and stylesheet, loaded (or bundled) once per process; a defect when neither is possible. */
export const assets: Effect.Effect<Assets> = Effect.promise(() => {
  loading ??= loadOnce().catch((error) => {
    loading = undefined
    throw error
  })
  return loading
})

/** Text safe inside an inline `<script>` or `<style>`: no `</script`, `</style` or `<!--` can end it early. */
export const inlineSafe = (text: string): string =>
  text.replace(/<\/(script|style)/gi, "<\\/$1").replace(/<!--/g, "<\\!--")
