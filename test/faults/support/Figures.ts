/**
 * The figures `docs/reliability.md` quotes, printed by the fault tests when `FAULT_FIGURES=1`:
 * `FAULT_FIGURES=1 npx vitest run test/faults`. Silent otherwise, so `npm test` stays readable.
 */
import { Effect } from "effect"

export const report = (scenario: string, figures: Readonly<Record<string, string | number | boolean>>) =>
  Effect.sync(() => {
    if (process.env.FAULT_FIGURES === undefined || process.env.FAULT_FIGURES === "0") return
    const line = Object.entries(figures).map(([key, value]) => `${key}=${value}`).join(" ")
    process.stdout.write(`[fault figures] ${scenario}: ${line}\n`)
  })

/** Megabytes, to one decimal. */
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
