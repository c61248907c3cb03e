import { availableParallelism } from "node:os"
import { defineConfig } from "vitest/config"

// Most suites spend their time waiting on sockets, child processes or Chromium: one file per core. Vitest's
// default leaves a core free, which on 2 cores runs the files one at a time (~300 s against ~170 s).
const workers = availableParallelism()

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // says once per run when the real-browser suites are skipped for want of Chromium
    globalSetup: ["test/browser/support/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: workers,
    minWorkers: workers
  }
})
