/**
 * Which series of a metric a sample belongs to: the attributes it carries that the `dimensions` option
 * names (default `provider` and `model`), as strings, and a key identifying that set.
 *
 * @internal
 */
import type { MetricDimensions } from "../../schemas/PerformanceEvents.js"

/** A sample's dimensions and the key of their series within a metric name. */
export interface SeriesDimensions {
  /** Every dimension in option order, each as `index:length:value`, so no two sets share a key. */
  readonly key: string
  readonly values: MetricDimensions
}

/** Reads dimensions from attributes, and finds the key of the dimensions a caller asks for. */
export interface DimensionReader {
  /** The dimensions among `attributes`; `undefined` — nothing allocated — when none is there. */
  readonly read: (attributes: { readonly [key: string]: unknown } | undefined) => SeriesDimensions | undefined
  /** The key of exactly these dimensions, `""` for none, `undefined` when one is not a dimension. */
  readonly keyOf: (asked: Readonly<Record<string, string>>) => string | undefined
}

const part = (index: number, value: string): string => `${index}:${value.length}:${value}`

/** The reader of the given dimension names (each kept once, in the order given). */
export const makeDimensionReader = (dimensions: ReadonlyArray<string>): DimensionReader => {
  const names = [...new Set(dimensions)]
  const read = (attributes: { readonly [key: string]: unknown } | undefined): SeriesDimensions | undefined => {
    if (attributes === undefined) return undefined
    let key: string | undefined
    let values: Record<string, string> | undefined
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!
      const raw = attributes[name]
      if (raw === undefined || !Object.prototype.hasOwnProperty.call(attributes, name)) continue
      if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") continue
      const value = String(raw)
      key = key === undefined ? part(i, value) : key + part(i, value)
      if (values === undefined) values = {}
      values[name] = value
    }
    return key === undefined ? undefined : { key, values: values! }
  }
  const keyOf = (asked: Readonly<Record<string, string>>): string | undefined => {
    let key = ""
    let found = 0
    for (let i = 0; i < names.length; i++) {
      const value = Object.prototype.hasOwnProperty.call(asked, names[i]!) ? asked[names[i]!] : undefined
      if (value === undefined) continue
      key += part(i, value)
      found++
    }
    return found === Object.keys(asked).length ? key : undefined
  }
  return { read, keyOf }
}
