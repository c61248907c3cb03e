/**
 * What every section of the page is made of: a `View` (its element and what to draw once it is in the
 * page), the `<section>` around it, and the series a history field gives.
 */
import type { HistorySample } from "../Snapshot.js"
import { h } from "./dom.js"

/** A section and what to draw once it is in the page (uPlot needs its container's width). */
export interface View {
  readonly element: HTMLElement
  readonly draw: ReadonlyArray<() => void>
}

/** A `<section>` titled `title`. */
export const section = (id: string, title: string, ...children: ReadonlyArray<HTMLElement | null>) =>
  h("section", { id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), children)

/** The series of a history field: one per key seen, `null` where a point lacks it. */
export const seriesOver = (history: ReadonlyArray<HistorySample>, pick: (s: HistorySample) => Readonly<Record<string, number>> | undefined) => {
  const keys: Array<string> = []
  for (const s of history) for (const k of Object.keys(pick(s) ?? {})) if (!keys.includes(k)) keys.push(k)
  return keys.map((label) => ({ label, values: history.map((s) => pick(s)?.[label] ?? null) }))
}

/** The runs of consecutive offline points: from the first offline point to the next online one (or the last point). */
export const offlinePeriods = (history: ReadonlyArray<HistorySample>) => {
  const periods: Array<{ from: number; to: number; ongoing: boolean }> = []
  let from: number | undefined
  for (const point of history) {
    if (point.offline === true) from ??= point.t
    else if (from !== undefined) {
      periods.push({ from, to: point.t, ongoing: false })
      from = undefined
    }
  }
  if (from !== undefined) periods.push({ from, to: history[history.length - 1]!.t, ongoing: true })
  return periods
}
