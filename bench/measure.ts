/** What every benchmark measures with: a clock, a median, and the event an AI product tracks per chat turn. */

/** Nanoseconds from the process's high-resolution clock. */
export const now = (): number => Number(process.hrtime.bigint())

/** The median (the mean of the two middle values for an even count). */
export const median = (xs: ReadonlyArray<number>): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A typical small event: one chat turn, with a short text when `text` is given. */
export const chatTurn = (i: number) => ({
  type: "chat.message",
  data: { role: "user", model: "gpt-4o", latencyMs: 120 + (i & 63), prompt_tokens: 52, ok: true }
})
