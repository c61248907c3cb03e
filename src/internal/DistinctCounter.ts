/**
 * Counts distinct strings (user ids) in bounded memory: exactly while few, then as a HyperLogLog.
 *
 * Values are hashed to 32 bits (MurmurHash3). Up to `exactThreshold` distinct hashes are kept in an
 * open-addressing table, so small counts are exact (up to 32-bit hash collisions: below 10⁻⁴ chance of
 * one at 1,000 values). Past the threshold the hashes move into `2^precision` HyperLogLog registers of
 * 5 bits each (a rank never exceeds 33 − precision ≤ 29), read with Ertl's improved estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017), whose standard error is about
 * `1.04 / √(2^precision)`: 1.15 % at the default precision 13, in 5 KiB. The threshold defaults to
 * where the exact table would outgrow the registers. Counters of equal precision merge (union)
 * without loss.
 *
 * 32-bit hashes make the count drift low by about n / 2³³ (0.01 % at a million, 0.1 % at ten million).
 * Mutable and synchronous: callers keep it behind `Effect.sync`.
 */

/** How a counter is shaped. Counters merge only when their precision is the same. */
export interface DistinctCounterOptions {
  /** log₂ of the HyperLogLog register count, 4–16; default 13 (5 KiB, 1.15 % standard error). */
  readonly precision?: number
  /** Distinct values counted exactly before switching to HyperLogLog; default `defaultExactThreshold` (768). */
  readonly exactThreshold?: number
}

/** The default precision: 8,192 registers of 5 bits, 5 KiB, 1.15 % standard error. */
export const defaultPrecision = 13

/** Standard error of a HyperLogLog count at a precision: `1.04 / √(2^p)`. */
export const standardError = (precision: number): number => 1.04 / Math.sqrt(2 ** precision)

const registerBits = 5
const registerMask = (1 << registerBits) - 1

/** Bytes of the packed registers at a precision (plus one byte so a register can be read as 16 bits). */
export const registerBytes = (precision: number): number => Math.ceil((2 ** precision * registerBits) / 8) + 1

/**
 * The exact-mode bound at a precision: 75 % of the largest power-of-two hash table (4-byte slots) that
 * is no bigger than the registers — 768 at precision 13.
 */
export const defaultExactThreshold = (precision: number): number =>
  Math.max(12, 0.75 * 2 ** Math.floor(Math.log2(registerBytes(precision) / 4)))

/** Object and typed-array headers, measured in `bench/sketch.ts` (V8, 64-bit). */
const fixedOverheadBytes = 320

/** A distinct-value counter: exact below a threshold, HyperLogLog above. */
export class DistinctCounter {
  readonly precision: number
  readonly exactThreshold: number
  /** Open-addressing table of hashes (0 = empty slot; a zero hash is kept in `hasZero`). */
  private table: Uint32Array | undefined = new Uint32Array(16)
  private hasZero = false
  private size = 0
  /** `2^precision` registers of 5 bits, packed (see `readRegister`). */
  private registers: Uint8Array | undefined = undefined

  constructor(options: DistinctCounterOptions = {}) {
    const precision = options.precision ?? defaultPrecision
    if (!(Number.isInteger(precision) && precision >= 4 && precision <= 16)) {
      throw new RangeError(`precision must be an integer in 4–16, got ${precision}`)
    }
    this.precision = precision
    this.exactThreshold = options.exactThreshold ?? defaultExactThreshold(precision)
  }

  /** Whether the count is still exact. */
  get isExact(): boolean {
    return this.registers === undefined
  }

  /** Approximate bytes held. */
  get byteSize(): number {
    return (this.table?.byteLength ?? 0) + (this.registers?.byteLength ?? 0) + fixedOverheadBytes
  }

  /** Counts a value. */
  add(value: string): void {
    this.addHash(hashString(value))
  }

  /** Counts a value by its 32-bit hash (see `hashString`). */
  addHash(hash: number): void {
    const registers = this.registers
    if (registers !== undefined) {
      addToRegisters(registers, this.precision, hash)
      return
    }
    if (this.contains(hash)) return
    if (this.size < this.exactThreshold) this.insert(hash)
    else {
      this.toRegisters()
      addToRegisters(this.registers!, this.precision, hash)
    }
  }

  /** The number of distinct values counted (exact, or the HyperLogLog estimate). */
  estimate(): number {
    return this.registers === undefined ? this.size : estimateRegisters(this.registers, this.precision)
  }

  /** Adds every value counted by `other` (same precision) to this counter. */
  merge(other: DistinctCounter): this {
    if (other.precision !== this.precision) throw new RangeError("cannot merge counters of different precision")
    if (other.registers === undefined) {
      other.forEachHash((hash) => this.addHash(hash))
      return this
    }
    if (this.registers === undefined) this.toRegisters()
    const mine = this.registers!
    const theirs = other.registers
    const m = 2 ** this.precision
    for (let i = 0; i < m; i++) {
      const rank = readRegister(theirs, i)
      if (rank > readRegister(mine, i)) writeRegister(mine, i, rank)
    }
    return this
  }

  /** An independent copy. */
  copy(): DistinctCounter {
    const copy = new DistinctCounter({ precision: this.precision, exactThreshold: this.exactThreshold })
    return copy.merge(this)
  }

  private contains(hash: number): boolean {
    if (hash === 0) return this.hasZero
    const table = this.table!
    const mask = table.length - 1
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const current = table[slot]!
      if (current === hash) return true
      if (current === 0) return false
    }
  }

  /** Inserts a hash known not to be in the exact table, growing it to stay at most 75 % full. */
  private insert(hash: number): void {
    this.size++
    if (hash === 0) {
      this.hasZero = true
      return
    }
    let table = this.table!
    if (this.size * 4 > table.length * 3) table = this.rehash(table.length * 2)
    const mask = table.length - 1
    let slot = hash & mask
    while (table[slot] !== 0) slot = (slot + 1) & mask
    table[slot] = hash
  }

  private rehash(capacity: number): Uint32Array {
    const next = new Uint32Array(capacity)
    const mask = capacity - 1
    for (const hash of this.table!) {
      if (hash === 0) continue
      let slot = hash & mask
      while (next[slot] !== 0) slot = (slot + 1) & mask
      next[slot] = hash
    }
    this.table = next
    return next
  }

  private forEachHash(f: (hash: number) => void): void {
    if (this.hasZero) f(0)
    for (const hash of this.table ?? []) if (hash !== 0) f(hash)
  }

  private toRegisters(): void {
    const registers = new Uint8Array(registerBytes(this.precision))
    this.forEachHash((hash) => addToRegisters(registers, this.precision, hash))
    this.registers = registers
    this.table = undefined
    this.hasZero = false
    this.size = 0
  }
}

/** Register `i`: 5 bits starting at bit `5i`, read through the 16 bits that hold them. */
const readRegister = (registers: Uint8Array, i: number): number => {
  const bit = i * registerBits
  const byte = bit >>> 3
  return ((registers[byte]! | (registers[byte + 1]! << 8)) >>> (bit & 7)) & registerMask
}

const writeRegister = (registers: Uint8Array, i: number, rank: number): void => {
  const bit = i * registerBits
  const byte = bit >>> 3
  const shift = bit & 7
  const word = ((registers[byte]! | (registers[byte + 1]! << 8)) & ~(registerMask << shift)) | (rank << shift)
  registers[byte] = word & 0xff
  registers[byte + 1] = word >>> 8
}

const addToRegisters = (registers: Uint8Array, precision: number, hash: number): void => {
  const index = hash >>> (32 - precision)
  const rest = (hash << precision) >>> 0
  // The rank is the position of the first 1 bit after the index bits; all zeros gives the largest rank.
  const rank = rest === 0 ? 33 - precision : Math.clz32(rest) + 1
  if (rank > readRegister(registers, index)) writeRegister(registers, index, rank)
}

/**
 * Ertl's improved raw estimator: unbiased across the whole range, from a handful of values (where it
 * behaves like linear counting) to the 32-bit hash limit, with no empirical bias tables.
 */
const estimateRegisters = (registers: Uint8Array, precision: number): number => {
  const m = 2 ** precision
  const q = 32 - precision
  const histogram = new Float64Array(q + 2)
  for (let i = 0; i < m; i++) histogram[readRegister(registers, i)]! += 1
  let z = m * tau(1 - histogram[q + 1]! / m)
  for (let k = q; k >= 1; k--) z = 0.5 * (z + histogram[k]!)
  z += m * sigma(histogram[0]! / m)
  return (m * m) / (2 * Math.LN2 * z)
}

const sigma = (x: number): number => {
  if (x === 1) return Number.POSITIVE_INFINITY
  let y = 1
  let z = x
  for (;;) {
    x *= x
    const previous = z
    z += x * y
    y += y
    if (z === previous) return z
  }
}

const tau = (x: number): number => {
  if (x === 0 || x === 1) return 0
  let y = 1
  let z = 1 - x
  for (;;) {
    x = Math.sqrt(x)
    const previous = z
    y *= 0.5
    z -= (1 - x) ** 2 * y
    if (z === previous) return z / 3
  }
}

/** MurmurHash3's mixing of one 32-bit block before it enters the hash. */
const scramble = (k: number): number => {
  k = Math.imul(k, 0xcc9e2d51)
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593)
}

/** MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units. */
export const hashString = (value: string, seed = 0x9747b28c): number => {
  let h = seed
  const length = value.length
  let i = 0
  for (; i + 1 < length; i += 2) {
    h ^= scramble(value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16))
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  if (i < length) {
    h ^= scramble(value.charCodeAt(i))
  }
  h ^= length * 2
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
