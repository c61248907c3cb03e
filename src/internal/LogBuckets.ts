/**
 * The bucketed half of `QuantileSketch`: counts of values in logarithmic buckets `(γ^(i-1), γ^i]` with
 * `γ = 2^(2^-scale)` — OpenTelemetry's base-2 exponential histogram buckets, our bucket `i` being OTLP's
 * index `i - 1` at the same scale, so the export is lossless — plus a count of zeros, in a window of at
 * most `maxBuckets` buckets: past it the lowest buckets collapse into one. Every value read back is within
 * relative error `(γ - 1) / (γ + 1)` of the values its bucket holds.
 *
 * Mutable and synchronous, like the sketch that owns it (see there why).
 *
 * @internal
 */

const initialCapacity = 32

/** The scales OTLP allows: -10 (γ = 2^1024) to 20 (γ = 2^(2^-20)). */
export const minScale = -10
export const maxScale = 20

/** The relative error of a value read back from a bucket at `scale`: `(γ - 1) / (γ + 1)`. */
export const relativeErrorAt = (scale: number): number => {
  const gamma = Math.pow(2, Math.pow(2, -scale))
  return (gamma - 1) / (gamma + 1)
}

/**
 * The coarsest scale whose relative error is within `relativeAccuracy` (0.01 → 6, error 0.54 %), or
 * `undefined` when even scale 20 is not that accurate.
 */
export const scaleFor = (relativeAccuracy: number): number | undefined => {
  for (let scale = minScale; scale <= maxScale; scale++) {
    if (relativeErrorAt(scale) <= relativeAccuracy) return scale
  }
  return undefined
}

/** The buckets in OTLP's terms: bucket `offset + k` counts `bucketCounts[k]` values in `(γ^(offset+k), γ^(offset+k+1)]`. */
export interface ExponentialBuckets {
  readonly scale: number
  readonly zeroCount: number
  readonly offset: number
  readonly bucketCounts: ReadonlyArray<number>
}

/** Counts of values by logarithmic bucket. Two instances merge only when their scale is the same. */
export class LogBuckets {
  private readonly gamma: number
  /** `2^scale`: bucket boundaries are where `log2(value) · factor` is a whole number. */
  private readonly factor: number
  /** How close to a whole number `log2(value) · factor` may be before `Math.log2`'s rounding could matter. */
  private readonly margin: number
  /** Counts of the buckets `offset … offset + counts.length - 1`; only `[minIndex, maxIndex]` are in use. */
  private counts: Uint32Array | Float64Array = new Uint32Array(0)
  private offset = 0
  private minIndex = 0
  private maxIndex = -1
  /** Zeros, which no logarithmic bucket holds. */
  zeroCount = 0

  constructor(readonly scale: number, readonly maxBuckets: number) {
    this.factor = Math.pow(2, scale)
    this.gamma = Math.pow(2, 1 / this.factor)
    // Math.log2 is within a few ulps of a result of magnitude ≤ 1075: an absolute error below 2^-40.
    this.margin = this.factor * Math.pow(2, -40)
  }

  /** Buckets in use (non-empty or between non-empty ones). */
  get bucketCount(): number {
    return this.maxIndex < this.minIndex ? 0 : this.maxIndex - this.minIndex + 1
  }

  /** Bytes of the allocated counts. */
  get byteLength(): number {
    return this.counts.byteLength
  }

  /** Counts a non-negative finite value `weight` times. */
  add(value: number, weight: number): void {
    if (value === 0) this.zeroCount += weight
    else this.increment(this.indexOf(value), weight)
  }

  /** Takes back one `value`; `false` when its bucket (or the zeros) holds nothing. */
  remove(value: number): boolean {
    if (value === 0) {
      if (this.zeroCount === 0) return false
      this.zeroCount -= 1
      return true
    }
    const index = this.indexOf(value)
    const position = (index < this.minIndex ? this.minIndex : index) - this.offset
    const current = this.counts[position]
    if (current === undefined || current === 0 || this.maxIndex < this.minIndex) return false
    this.counts[position] = current - 1
    this.trimEmptyEnds()
    return true
  }

  /** Adds every count of `other`. */
  merge(other: LogBuckets): void {
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const c = other.counts[i - other.offset]!
      if (c > 0) this.increment(i, c)
    }
    this.zeroCount += other.zeroCount
  }

  /** The value within α of the sample of `rank` (0-based, among zeros and buckets) in sorted order. */
  valueAt(rank: number): number {
    if (rank < this.zeroCount) return 0
    let seen = this.zeroCount
    let index = this.maxIndex
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      seen += this.counts[i - this.offset]!
      if (seen > rank) {
        index = i
        break
      }
    }
    return this.representative(index)
  }

  /** The representative of the lowest bucket in use, 0 when zeros are held. */
  lowest(): number {
    return this.zeroCount > 0 ? 0 : this.representative(this.minIndex)
  }

  /** The representative of the highest bucket in use, 0 when none is. */
  highest(): number {
    return this.bucketCount === 0 ? 0 : this.representative(this.maxIndex)
  }

  /** The buckets in OTLP's terms (collapsed buckets are counted in the lowest index). */
  exponential(): ExponentialBuckets {
    const bucketCounts: Array<number> = []
    for (let i = this.minIndex; i <= this.maxIndex; i++) bucketCounts.push(this.counts[i - this.offset]!)
    return {
      scale: this.scale,
      zeroCount: this.zeroCount,
      offset: bucketCounts.length === 0 ? 0 : this.minIndex - 1,
      bucketCounts
    }
  }

  /** The bucket `i` with `γ^(i-1) < value ≤ γ^i`, exact at the boundaries that are exact (powers of two). */
  private indexOf(value: number): number {
    const scaled = Math.log2(value) * this.factor
    const index = Math.ceil(scaled)
    const distance = index - scaled
    return distance > this.margin && distance < 1 - this.margin ? index : this.indexNearBoundary(value)
  }

  /**
   * The bucket of a value whose logarithm is too close to a boundary to trust: `Math.log2` of a value
   * just below 2^k can round to k. Splitting the value into 2^e · m with m in [1, 2) settles the
   * exponent exactly; only the boundaries inside an octave, which are irrational, are left to `log2(m)`.
   */
  private indexNearBoundary(value: number): number {
    let exponent = Math.floor(Math.log2(value))
    if (Math.pow(2, exponent) > value) exponent -= 1
    else if (Math.pow(2, exponent + 1) <= value) exponent += 1
    const significand = value / Math.pow(2, exponent)
    if (significand === 1) return Math.ceil(exponent * this.factor)
    if (this.factor <= 1) return Math.floor(exponent * this.factor) + 1
    const within = Math.ceil(Math.log2(significand) * this.factor)
    return exponent * this.factor + (within < 1 ? 1 : within > this.factor ? this.factor : within)
  }

  /** The value within `(γ - 1) / (γ + 1)` of every value in bucket `index`. */
  private representative(index: number): number {
    return (2 * Math.pow(2, index / this.factor)) / (this.gamma + 1)
  }

  private increment(index: number, weight: number): void {
    if (this.maxIndex < this.minIndex) {
      this.minIndex = index
      this.maxIndex = index
      this.ensureRange(index, index)
    } else if (index < this.minIndex) {
      // Growing downwards is allowed only while the window stays within maxBuckets; a value below that
      // joins the lowest bucket allowed.
      if (this.maxIndex - index + 1 > this.maxBuckets) index = this.maxIndex - this.maxBuckets + 1
      if (index < this.minIndex) {
        this.ensureRange(index, this.maxIndex)
        this.minIndex = index
      }
    } else if (index > this.maxIndex) {
      const newMin = Math.max(this.minIndex, index - this.maxBuckets + 1)
      if (newMin > this.minIndex) this.collapseBelow(newMin)
      this.ensureRange(this.minIndex, index)
      this.maxIndex = index
    }
    const position = index - this.offset
    const next = this.counts[position]! + weight
    if (next > 0xffffffff && this.counts instanceof Uint32Array) {
      // 4 billion samples in one bucket: widen the counts rather than wrap around.
      this.counts = Float64Array.from(this.counts)
    }
    this.counts[position] = next
  }

  /** Folds every bucket below `newMin` into `newMin`. */
  private collapseBelow(newMin: number): void {
    let folded = 0
    const stop = Math.min(newMin - 1, this.maxIndex)
    for (let i = this.minIndex; i <= stop; i++) {
      folded += this.counts[i - this.offset]!
      this.counts[i - this.offset] = 0
    }
    this.minIndex = newMin
    if (newMin > this.maxIndex) this.maxIndex = newMin
    this.ensureRange(newMin, this.maxIndex)
    this.counts[newMin - this.offset] = this.counts[newMin - this.offset]! + folded
  }

  /**
   * Makes `[low, high]` (which holds every bucket in use, and spans at most maxBuckets) addressable:
   * the array doubles up to maxBuckets and the range is centred in it.
   */
  private ensureRange(low: number, high: number): void {
    const length = this.counts.length
    if (low >= this.offset && high < this.offset + length) return
    const span = high - low + 1
    const capacity = Math.min(this.maxBuckets, Math.max(initialCapacity, span, length * 2))
    const next = this.counts instanceof Float64Array ? new Float64Array(capacity) : new Uint32Array(capacity)
    const offset = low - Math.floor((capacity - span) / 2)
    for (let i = this.minIndex; i <= this.maxIndex; i++) {
      const c = this.counts[i - this.offset]
      if (c !== undefined && c > 0) next[i - offset] = c
    }
    this.counts = next
    this.offset = offset
  }

  private trimEmptyEnds(): void {
    while (this.minIndex < this.maxIndex && this.counts[this.minIndex - this.offset] === 0) this.minIndex++
    while (this.maxIndex > this.minIndex && this.counts[this.maxIndex - this.offset] === 0) this.maxIndex--
    if (this.minIndex === this.maxIndex && this.counts[this.minIndex - this.offset] === 0) {
      this.maxIndex = this.minIndex - 1
    }
  }
}
