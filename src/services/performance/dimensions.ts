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

type Attributes = { readonly [key: string]: unknown }
type Over = { readonly [key: string]: string | undefined }

/** Reads dimensions from attributes, and finds the key of the dimensions a caller asks for. */
export interface DimensionReader {
  /**
   * The dimensions among `attributes`, the defined values of `over` winning; `undefined` when none is
   * there. A set met before is the same object again: nothing is allocated for it.
   */
  readonly read: (attributes: Attributes | undefined, over?: Over) => SeriesDimensions | undefined
  /** The key of exactly these dimensions, `""` for none, `undefined` when one is not a dimension. */
  readonly keyOf: (asked: Readonly<Record<string, string>>) => string | undefined
}

const part = (index: number, value: string): string => `${index}:${value.length}:${value}`

/** Distinct dimension sets remembered by a reader; past it the memory starts again (a bound, not an LRU). */
const maxRemembered = 1_024

/** One level of the memory: the next dimension's value (or its absence) to the level below it. */
interface Level {
  readonly next: Map<unknown, Level>
  /** At the last level: the set reached, `undefined` when no dimension was there. */
  dimensions: SeriesDimensions | undefined
}

const newLevel = (): Level => ({ next: new Map(), dimensions: undefined })

/** A value that is no dimension (absent, not own, not a string, number or boolean). */
const absent = Symbol("absent")

/** The raw value of dimension `name`: `over`'s own defined one, else `attributes`' own one, else `absent`. */
const rawValue = (attributes: Attributes | undefined, over: Over | undefined, name: string): unknown => {
  const given = over?.[name]
  if (given !== undefined && Object.prototype.hasOwnProperty.call(over, name)) return given
  const raw = attributes?.[name]
  if (raw === undefined || !Object.prototype.hasOwnProperty.call(attributes, name)) return absent
  return typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean" ? raw : absent
}

/** The reader of the given dimension names (each kept once, in the order given). */
export const makeDimensionReader = (dimensions: ReadonlyArray<string>): DimensionReader => {
  const names = [...new Set(dimensions)]
  /** The set of the dimensions found, built once per distinct set. */
  const build = (attributes: Attributes | undefined, over: Over | undefined): SeriesDimensions | undefined => {
    let key: string | undefined
    let values: Record<string, string> | undefined
    for (let i = 0; i < names.length; i++) {
      const raw = rawValue(attributes, over, names[i]!)
      if (raw === absent) continue
      const value = String(raw)
      key = key === undefined ? part(i, value) : key + part(i, value)
      if (values === undefined) values = {}
      values[names[i]!] = value
    }
    // Shared by every sample of the set, and kept by its series: frozen so that no reader can change it.
    return key === undefined ? undefined : { key, values: Object.freeze(values!) }
  }
  // The sets already read, one map level per dimension keyed by its raw value: finding a set costs one
  // lookup per dimension and builds no string (a measured hot path: every `timed` and AI operation).
  let root = newLevel()
  let remembered = 0
  const read = (attributes: Attributes | undefined, over?: Over): SeriesDimensions | undefined => {
    if (attributes === undefined && over === undefined) return undefined
    let level = root
    for (let i = 0; i < names.length; i++) {
      const raw = rawValue(attributes, over, names[i]!)
      let below = level.next.get(raw)
      if (below === undefined) {
        if (remembered >= maxRemembered) {
          root = newLevel()
          remembered = 0
          return read(attributes, over)
        }
        below = newLevel()
        level.next.set(raw, below)
        if (i === names.length - 1) {
          below.dimensions = build(attributes, over)
          remembered++
        }
      }
      level = below
    }
    return level.dimensions
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
