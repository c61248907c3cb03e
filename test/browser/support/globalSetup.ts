/**
 * Vitest global setup: when Chromium is missing, says once per run — not once per file, and only when the
 * run includes a suite that needs it — that the real-browser suites are skipped, and why.
 */
import { readFileSync } from "node:fs"
import type { TestProject } from "vitest/node"
import { chromiumAvailable, chromiumPath } from "./ChromiumPath.js"

/** A suite needs Chromium when it drives it through `support/Chromium.ts`. */
const needsChromium = (file: string) =>
  file.includes("/test/browser/") && readFileSync(file, "utf8").includes("support/Chromium.js")

export default async function setup(project: TestProject): Promise<void> {
  if (chromiumAvailable) return
  // The files named on the command line, if any (not in vitest's typed API; without it, every file counts).
  const filters = (project.vitest as { readonly filenamePattern?: ReadonlyArray<string> }).filenamePattern
  const files = await project.vitest.globTestSpecifications(filters === undefined ? undefined : [...filters])
  const skipped = files.filter((spec) => needsChromium(spec.moduleId)).length
  if (skipped === 0) return
  console.warn(
    `Skipping ${skipped} browser suite${skipped === 1 ? "" : "s"} (test/browser): ${chromiumPath} not found. ` +
      `Install Debian's chromium (apt-get install chromium), or set CHROMIUM_PATH, to run them.`
  )
}
