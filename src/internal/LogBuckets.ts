/**
 * The bucketed half of `QuantileSketch`: counts of values in logarithmic buckets `(γ^(i-1), γ^i]` with
 * `γ = (1 + α) / (1 - α)`, plus a count of zeros, in a window of at most `maxBuckets` buckets — past it
 * the lowest buckets collapse into one. Every value read back is within relative error α of the values
 * its bucket holds.
 *
 * Mutable and synchronous, like the sketch that owns it (see there why).
 *
 * @internal
 */

const initialCapacity = 32

/** Counts of values by logarithmic bucket. Two instances merge only when their accuracy is the same. */
export class LogBuckets {
  private readonly gamma: number
  private readonly logGamma: number
  /** Counts of the buckets `offset … offset + counts.length - 1`; only `[minIndex, maxIndex]` are in use. */
  private counts: Uint32Array | Float64Array = new Uint32Array(0)
  private offset = 0
  private minIndex = 0
  private maxIndex = -1
  /** Zeros, which no logarithmic bucket holds. */
  zeroCount = 0

  constructor(relativeAccuracy: number, readonly maxBuckets: number) {
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    this.logGamma = Math.log(this.gamma)
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

  private indexOf(value: number): number {
    return Math.ceil(Math.log(value) / this.logGamma)
  }

  /** The value within α of every value in bucket `index`. */
  private representative(index: number): number {
    return (2 * Math.pow(this.gamma, index)) / (this.gamma + 1)
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
