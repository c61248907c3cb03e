/** Which metric names a `timings` pattern selects: a glob over whole names, or a `RegExp` as given. */
import * as Effect from "effect/Effect"
import type { InvalidMetricError } from "../../schemas/PerformanceEvents.js"
import { MetricPattern } from "../../schemas/PerformanceEvents.js"
import { metricDecoders } from "./validation.js"

/** A `MetricPattern` as an anchored RegExp: `*` any run of characters, `?` one, `.` itself. */
const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/\./g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".")}$`)

const decodePattern = metricDecoders.effect(MetricPattern, "pattern")

/**
 * The test a pattern puts each name to; every name without one. A glob holding characters no metric name
 * can fails with `InvalidMetricError` on `pattern`.
 */
export const nameMatcher = (
  pattern: string | RegExp | undefined
): Effect.Effect<(name: string) => boolean, InvalidMetricError> => {
  if (pattern === undefined) return Effect.succeed(() => true)
  if (pattern instanceof RegExp) {
    // A private copy, rewound before each name: with g or y, `test` moves `lastIndex` on, which would
    // skip names (and leave the caller's RegExp changed).
    return Effect.sync(() => {
      const regExp = new RegExp(pattern)
      return (name: string) => {
        regExp.lastIndex = 0
        return regExp.test(name)
      }
    })
  }
  return Effect.map(decodePattern(pattern), (glob) => {
    const regExp = globToRegExp(glob)
    return (name: string) => regExp.test(name)
  })
}
