/**
 * Where the browser suites find Chromium, kept apart from `Chromium.ts` so that vitest's global setup can
 * read it without loading Playwright. Debian's package by default; `CHROMIUM_PATH` points elsewhere.
 */
import { existsSync } from "node:fs"

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

/** Whether the browser suites can run here. */
export const chromiumAvailable = existsSync(chromiumPath)
