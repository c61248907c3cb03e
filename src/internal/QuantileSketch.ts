/**
 * A mergeable streaming quantile sketch in the manner of DDSketch (Masson, Rim & Lee, VLDB 2019) over
 * OpenTelemetry's base-2 exponential histogram buckets, exact while it holds few samples.
 *
 * Quantiles follow one definition throughout, the "R-7" one (numpy's and Excel's default): with the `n`
 * samples sorted `x[0] ≤ … ≤ x[n-1]`, `h = (n − 1)·q` and `k = ⌊h⌋`, the q-quantile is
 * `x[k] + (h − k)·(x[k+1] − x[k])`. Two samples of 30 and 800 have p50 415, p95 761.5, p99 792.3.
 *
 * - Up to `exactThreshold` samples (128 by default) the values themselves are kept and quantiles are
 *   exact: a p95 of a handful of calls must not sit below their mean.
 * - Past it, values fall into logarithmic buckets `(γ^(i-1), γ^i]` with `γ = 2^(2^-scale)`, the scale
 *   being the coarsest whose error `(γ - 1) / (γ + 1)` is within the requested accuracy (scale 6 for
 *   the default 1 %: γ = 2^(1/64), error 0.54 %). The sample read back at any rank is within that error
 *   of the true one, and so is the interpolation between two such ranks. The buckets are OTLP's at that
 *   scale (`exponentialBuckets`), so an export merges exactly in any OpenTelemetry backend. Memory is
 *   bounded by `maxBuckets`: past it, the lowest buckets collapse into one, which costs accuracy only at
 *   the low quantiles of data spanning more than `γ^maxBuckets` (2^17 ≈ 1.3·10^5 with the defaults).
 *
 * A sketch that has gone past the threshold stays a bucketed sketch (the values are not kept) until it is
 * emptied, even if `remove` brings it back under; merging is exact when both sides are exact and the
 * total fits.
 *
 * The buckets live in `LogBuckets`; this module keeps the exact values and the exact aggregates.
 *
 * Values must be finite and non-negative (durations, sizes, scores). Count, sum, min and max are exact
 * for a stream of additions. The structure is mutable and synchronous: callers keep it behind
 * `Effect.sync` (see `PerformanceMetrics`), because copying the bucket array on every sample would cost
 * more than the sample is worth.
 */
import { type ExponentialBuckets, LogBuckets, relativeErrorAt, scaleFor } from "./LogBuckets.js"

export type { ExponentialBuckets } from "./LogBuckets.js"

/** How a sketch is shaped. Two sketches merge only when their scale is the same. */
export interface QuantileSketchOptions {
  /** Relative accuracy every quantile is held to; default 0.01, giving scale 6 (0.54 %). */
  readonly relativeAccuracy?: number
  /** Most buckets kept; default 1,088 (4.25 KiB of counts, 17 octaves at scale 6). */
  readonly maxBuckets?: number
  /** Samples kept as they are, with exact quantiles, before switching to buckets; default 128 (1 KiB). */
  readonly exactThreshold?: number
}

/** The default relative accuracy, the 1 % the percentiles promise: scale 6, whose error is 0.54 %. */
export const defaultRelativeAccuracy = 0.01

/**
 * The default bucket bound: 1,088 four-byte counts, 4.25 KiB, covering 17 octaves at scale 6 — values
 * across a ratio of 2^17 ≈ 1.3·10^5.
 */
export const defaultMaxBuckets = 1_088

/** The default exact threshold: 128 samples of 8 bytes, 1 KiB, less than the buckets it postpones. */
export const defaultExactThreshold = 128

/** First allocation of the exact values; doubled as needed up to the threshold. */
const initialExactCapacity = 8

/** The values of every empty sketch: never written to (the first `append` replaces it), so shared. */
const noValues = new Float64Array(0)

/**
 * Bytes a sketch holds besides its counts: the sketch and its `LogBuckets` objects, the typed-array and
 * ArrayBuffer headers (V8, 64-bit, measured as in `bench/sketch.ts`).
 */
const fixedOverheadBytes = 480

/** A DDSketch-style quantile sketch over non-negative values. */
export class QuantileSketch {
  /** The relative error every quantile read from buckets is within: `(γ - 1) / (γ + 1)` at `scale`. */
  readonly relativeAccuracy: number
  /** The OTLP exponential-histogram scale of the buckets: `γ = 2^(2^-scale)`. */
  readonly scale: number
  readonly maxBuckets: number
  readonly exactThreshold: number
  /** The buckets values go into once past `exactThreshold`. */
  private buckets: LogBuckets
  private total = 0
  private sumOfValues = 0
  private minValue = Number.POSITIVE_INFINITY
  private maxValue = Number.NEGATIVE_INFINITY
  /**
   * The samples themselves while exact (`values[0 … total-1]`), `undefined` once bucketed. Appended
   * unsorted, so adding stays one store; sorted in place when a quantile is read.
   */
  private values: Float64Array | undefined = noValues
  private valuesSorted = true

  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? defaultRelativeAccuracy
    const maxBuckets = options.maxBuckets ?? defaultMaxBuckets
    const exactThreshold = options.exactThreshold ?? defaultExactThreshold
    const scale = alpha > 0 && alpha < 1 ? scaleFor(alpha) : undefined
    if (scale === undefined) {
      throw new RangeError(`relativeAccuracy must be in [${relativeErrorAt(20)}, 1), got ${alpha}`)
    }
    if (!(Number.isInteger(maxBuckets) && maxBuckets >= 2)) {
      throw new RangeError(`maxBuckets must be an integer ≥ 2, got ${maxBuckets}`)
    }
    if (!(Number.isInteger(exactThreshold) && exactThreshold >= 0)) {
      throw new RangeError(`exactThreshold must be an integer ≥ 0, got ${exactThreshold}`)
    }
    this.scale = scale
    this.relativeAccuracy = relativeErrorAt(scale)
    this.maxBuckets = maxBuckets
    this.exactThreshold = exactThreshold
    this.buckets = new LogBuckets(scale, maxBuckets)
  }

  /** Number of values added (minus those removed). */
  get count(): number {
    return this.total
  }

  /** Sum of the values. */
  get sum(): number {
    return this.sumOfValues
  }

  /** Smallest value added, `NaN` when empty. */
  get min(): number {
    return this.total === 0 ? Number.NaN : this.minValue
  }

  /** Largest value added, `NaN` when empty. */
  get max(): number {
    return this.total === 0 ? Number.NaN : this.maxValue
  }

  /** Mean of the values, `NaN` when empty. */
  get mean(): number {
    return this.total === 0 ? Number.NaN : this.sumOfValues / this.total
  }

  /** Whether quantiles are exact: it has held at most `exactThreshold` samples since it was last empty. */
  get isExact(): boolean {
    return this.values !== undefined
  }

  /** Buckets in use (non-empty or between non-empty ones); 0 while exact. */
  get bucketCount(): number {
    return this.buckets.bucketCount
  }

  /** Approximate bytes held: the allocated counts or exact values plus the fixed object overhead. */
  get byteSize(): number {
    return this.buckets.byteLength + (this.values?.byteLength ?? 0) + fixedOverheadBytes
  }

  /**
   * The counts as an OTLP base-2 exponential histogram at `scale` (exact values bucketed on the fly);
   * values below the `maxBuckets` window are counted in its lowest bucket.
   */
  exponentialBuckets(): ExponentialBuckets {
    const values = this.values
    if (values === undefined) return this.buckets.exponential()
    const buckets = new LogBuckets(this.scale, this.maxBuckets)
    for (let i = 0; i < this.total; i++) buckets.add(values[i]!, 1)
    return buckets.exponential()
  }

  /** Adds a value `weight` times; returns `false` (and changes nothing) for a negative or non-finite value. */
  add(value: number, weight = 1): boolean {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY) || !(weight > 0 && Number.isFinite(weight))) return false
    if (this.values !== undefined && (weight !== 1 || this.total + 1 > this.exactThreshold)) {
      if (Number.isInteger(weight) && this.total + weight <= this.exactThreshold) {
        for (let i = 0; i < weight; i++) {
          this.append(value)
          this.record(value, 1)
        }
        return true
      }
      this.toBuckets()
    }
    if (this.values !== undefined) this.append(value)
    else this.buckets.add(value, weight)
    this.record(value, weight)
    return true
  }

  /** Counts an added value in the exact aggregates. */
  private record(value: number, weight: number): void {
    this.total += weight
    this.sumOfValues += value * weight
    if (value < this.minValue) this.minValue = value
    if (value > this.maxValue) this.maxValue = value
  }

  /** Stores one exact value; the array grows by doubling, so this allocates only at powers of two. */
  private append(value: number): void {
    let values = this.values!
    const n = this.total
    if (n === values.length) {
      const next = new Float64Array(Math.min(this.exactThreshold, Math.max(initialExactCapacity, n * 2)))
      next.set(values)
      this.values = values = next
    }
    if (n > 0 && value < values[n - 1]!) this.valuesSorted = false
    values[n] = value
  }

  /** Leaves the exact mode for good (until emptied): the values kept so far go into buckets. */
  private toBuckets(): void {
    const values = this.values
    if (values === undefined) return
    this.values = undefined
    for (let i = 0; i < this.total; i++) this.buckets.add(values[i]!, 1)
  }

  /**
   * Takes back a value added earlier (e.g. a web vital reported again with a new value). Count, sum and
   * buckets stay exact; min and max fall back to the bounds of the remaining buckets when the removed
   * value was one of them (exactly so while exact). Returns `false` when there is nothing to remove —
   * while exact, when no sample equals `value`.
   */
  remove(value: number): boolean {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY) || this.total === 0) return false
    if (this.values !== undefined) return this.removeExact(value)
    if (!this.buckets.remove(value)) return false
    this.total -= 1
    this.sumOfValues -= value
    if (this.total === 0) this.reset()
    else {
      // The exact extreme is gone: the remaining bucket's representative is within α of the new one.
      if (value <= this.minValue) {
        this.minValue = this.buckets.zeroCount > 0 ? 0 : Math.max(this.minValue, this.buckets.lowest())
      }
      if (value >= this.maxValue) this.maxValue = Math.min(this.maxValue, this.buckets.highest())
    }
    return true
  }

  private removeExact(value: number): boolean {
    const values = this.values!
    const n = this.total
    const at = values.subarray(0, n).indexOf(value)
    if (at < 0) return false
    // Shifting (not swapping with the last) keeps sorted values sorted.
    values.copyWithin(at, at + 1, n)
    this.total = n - 1
    this.sumOfValues -= value
    if (this.total === 0) this.reset()
    else if (value <= this.minValue || value >= this.maxValue) {
      let min = Number.POSITIVE_INFINITY
      let max = Number.NEGATIVE_INFINITY
      for (let i = 0; i < this.total; i++) {
        const v = values[i]!
        if (v < min) min = v
        if (v > max) max = v
      }
      this.minValue = min
      this.maxValue = max
    }
    return true
  }

  /**
   * The R-7 quantile `q` in [0, 1]: with `h = q·(count − 1)`, the sample of rank `⌊h⌋` in sorted order
   * plus `h − ⌊h⌋` of the way to the next one. Exact while `isExact`; past that each of the two samples
   * is read within relative error α (clamped to the exact min and max), and so is their interpolation.
   * `NaN` when empty or `q` is out of range.
   */
  quantile(q: number): number {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return Number.NaN
    const h = q * (this.total - 1)
    const rank = Math.floor(h)
    const fraction = h - rank
    const lower = this.valueAt(rank)
    return fraction === 0 ? lower : lower + fraction * (this.valueAt(rank + 1) - lower)
  }

  /** The sample of `rank` (0-based) in sorted order: exact while exact, else within α. */
  private valueAt(rank: number): number {
    // The extremes are known exactly.
    if (rank <= 0) return this.minValue
    if (rank >= this.total - 1) return this.maxValue
    const values = this.values
    if (values !== undefined) {
      if (!this.valuesSorted) {
        values.subarray(0, this.total).sort()
        this.valuesSorted = true
      }
      return values[rank]!
    }
    return Math.min(Math.max(this.buckets.valueAt(rank), this.minValue), this.maxValue)
  }

  /**
   * Adds every value of `other` (same scale required) to this sketch. The result stays
   * exact when both are and their samples together are at most this sketch's `exactThreshold`.
   */
  merge(other: QuantileSketch): this {
    if (other.scale !== this.scale) {
      throw new RangeError(`cannot merge sketches of different scales (${other.scale} into ${this.scale})`)
    }
    if (other.total === 0) return this
    const otherValues = other.values
    if (otherValues !== undefined) {
      // Exact values are added one by one: into the values if they fit, else into buckets.
      const n = other.total
      if (this.values !== undefined && this.total + n > this.exactThreshold) this.toBuckets()
      for (let i = 0; i < n; i++) this.add(otherValues[i]!)
      return this
    }
    this.toBuckets()
    this.buckets.merge(other.buckets)
    this.total += other.total
    this.sumOfValues += other.sumOfValues
    if (other.minValue < this.minValue) this.minValue = other.minValue
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue
    return this
  }

  /** An independent copy (exact when this one is). */
  copy(): QuantileSketch {
    const copy = new QuantileSketch({
      relativeAccuracy: this.relativeAccuracy,
      maxBuckets: this.maxBuckets,
      exactThreshold: this.exactThreshold
    })
    return copy.merge(this)
  }

  /** Back to empty, and so exact again. */
  private reset(): void {
    this.values = noValues
    this.valuesSorted = true
    this.buckets = new LogBuckets(this.scale, this.maxBuckets)
    this.total = 0
    this.sumOfValues = 0
    this.minValue = Number.POSITIVE_INFINITY
    this.maxValue = Number.NEGATIVE_INFINITY
  }
}
