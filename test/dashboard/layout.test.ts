import { describe, expect, it } from "@effect/vitest"
import { offlinePeriods } from "../../src/dashboard/page/layout.js"
import type { HistorySample } from "../../src/dashboard/Snapshot.js"

const point = (t: number, offline?: boolean): HistorySample =>
  offline === undefined ? { t, rates: {}, metrics: {}, health: {} } : { t, offline, rates: {}, metrics: {}, health: {} }

describe("offlinePeriods", () => {
  it("runs from the first offline point to the next online one; a run at the end is ongoing", () => {
    const history = [point(0, false), point(1_000, true), point(2_000, true), point(3_000, false), point(4_000), point(5_000, true), point(6_000, true)]
    expect(offlinePeriods(history)).toEqual([
      { from: 1_000, to: 3_000, ongoing: false },
      { from: 5_000, to: 6_000, ongoing: true }
    ])
    expect(offlinePeriods([point(0, false), point(1_000)])).toEqual([])
    expect(offlinePeriods([])).toEqual([])
  })
})
