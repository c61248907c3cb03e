/**
 * A minimal protobuf writer, just what OTLP needs (varints, fixed64, doubles, UTF-8 strings, bytes and
 * length-delimited submessages), without a dependency: this code ships to browsers. A submessage's
 * length is back-patched: one byte is reserved, and the rare body of 128 bytes or more is shifted right
 * to make room for its longer length.
 *
 * @internal
 */

const utf8 = new TextEncoder()

/** How many bytes a varint of `value` (0 to 2^32 − 1) takes. */
const varintSize = (value: number): number =>
  value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5

const hexValue = (code: number): number =>
  code <= 57 ? code - 48 : code <= 70 ? code - 55 : code - 87 // '0'-'9', 'A'-'F', 'a'-'f'

/** A growable buffer that protobuf fields are appended to. Tags are passed pre-computed: `field << 3 | wireType`. */
export class ProtoWriter {
  private buffer: Uint8Array
  private view: DataView
  private pos = 0

  constructor(initialSize = 4096) {
    this.buffer = new Uint8Array(initialSize)
    this.view = new DataView(this.buffer.buffer)
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.pos = 0
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.pos)
  }

  /** The size of the buffer (to drop a writer that grew too large to keep). */
  get capacity(): number {
    return this.buffer.length
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.pos + bytes))
    grown.set(this.buffer.subarray(0, this.pos))
    this.buffer = grown
    this.view = new DataView(grown.buffer)
  }

  /** An unsigned 32-bit varint (also a single-byte tag). */
  varint32(value: number): void {
    this.ensure(5)
    const buffer = this.buffer
    while (value > 0x7f) {
      buffer[this.pos++] = (value & 0x7f) | 0x80
      value >>>= 7
    }
    buffer[this.pos++] = value
  }

  /** A 64-bit varint from its low and high 32-bit halves. */
  private varint64(low: number, high: number): void {
    this.ensure(10)
    const buffer = this.buffer
    while (high !== 0 || low > 0x7f) {
      buffer[this.pos++] = (low & 0x7f) | 0x80
      low = ((low >>> 7) | (high << 25)) >>> 0
      high >>>= 7
    }
    buffer[this.pos++] = low
  }

  /** An `int64`/`uint64` varint: a safe integer or a bigint in range (negatives as two's complement). */
  int64(value: number | bigint): void {
    if (typeof value === "number" && value >= 0) {
      this.varint64(value % 0x1_0000_0000, Math.floor(value / 0x1_0000_0000))
      return
    }
    const bits = BigInt.asUintN(64, BigInt(value))
    this.varint64(Number(bits & 0xffff_ffffn), Number(bits >> 32n))
  }

  /** A zigzag `sint32`. */
  sint32(value: number): void {
    this.varint32(((value << 1) ^ (value >> 31)) >>> 0)
  }

  /** A `fixed64`/`sfixed64` from a bigint (two's complement when negative). */
  fixed64(value: bigint): void {
    const bits = BigInt.asUintN(64, value)
    this.fixed64Halves(Number(bits & 0xffff_ffffn), Number(bits >> 32n))
  }

  /** A `fixed64` from a non-negative safe integer. */
  fixed64Number(value: number): void {
    this.fixed64Halves(value % 0x1_0000_0000, Math.floor(value / 0x1_0000_0000))
  }

  private fixed64Halves(low: number, high: number): void {
    this.ensure(8)
    this.view.setUint32(this.pos, low, true)
    this.view.setUint32(this.pos + 4, high, true)
    this.pos += 8
  }

  /** A little-endian IEEE 754 double. */
  double(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, value, true)
    this.pos += 8
  }

  /** Reserves a length prefix; pass the result to `end` once the submessage is written. */
  begin(): number {
    this.ensure(1)
    return this.pos++
  }

  /** Back-patches the length of the submessage started at `start`. */
  end(start: number): void {
    const length = this.pos - start - 1
    if (length < 0x80) {
      this.buffer[start] = length
      return
    }
    const size = varintSize(length)
    this.ensure(size - 1)
    this.buffer.copyWithin(start + size, start + 1, this.pos)
    this.pos += size - 1
    const end = this.pos
    this.pos = start
    this.varint32(length)
    this.pos = end
  }

  /** A length-delimited UTF-8 string; lone surrogates become U+FFFD, as `TextEncoder` writes them. */
  string(value: string): void {
    const length = value.length
    if (length > 48) {
      this.ensure(length * 3 + 5)
      const start = this.begin()
      this.pos += utf8.encodeInto(value, this.buffer.subarray(this.pos)).written
      this.end(start)
      return
    }
    this.ensure(length * 3 + 1)
    const buffer = this.buffer
    const start = this.pos++
    for (let i = 0; i < length; i++) {
      let code = value.charCodeAt(i)
      if (code < 0x80) {
        buffer[this.pos++] = code
      } else if (code < 0x800) {
        buffer[this.pos++] = 0xc0 | (code >> 6)
        buffer[this.pos++] = 0x80 | (code & 0x3f)
      } else {
        if (code >= 0xd800 && code <= 0xdfff) {
          const next = i + 1 < length ? value.charCodeAt(i + 1) : 0
          if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
            i++
            buffer[this.pos++] = 0xf0 | (code >> 18)
            buffer[this.pos++] = 0x80 | ((code >> 12) & 0x3f)
            buffer[this.pos++] = 0x80 | ((code >> 6) & 0x3f)
            buffer[this.pos++] = 0x80 | (code & 0x3f)
            continue
          }
          code = 0xfffd
        }
        buffer[this.pos++] = 0xe0 | (code >> 12)
        buffer[this.pos++] = 0x80 | ((code >> 6) & 0x3f)
        buffer[this.pos++] = 0x80 | (code & 0x3f)
      }
    }
    this.end(start)
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.varint32(value.length)
    this.ensure(value.length)
    this.buffer.set(value, this.pos)
    this.pos += value.length
  }

  /** Length-delimited bytes from a hex string (a trace or span id). */
  hex(value: string): void {
    const length = value.length >> 1
    this.varint32(length)
    this.ensure(length)
    for (let i = 0; i < length; i++) {
      this.buffer[this.pos++] = (hexValue(value.charCodeAt(2 * i)) << 4) | hexValue(value.charCodeAt(2 * i + 1))
    }
  }
}
