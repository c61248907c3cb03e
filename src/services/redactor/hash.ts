/**
 * SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104) in plain TypeScript. User ids are pseudonymised on the
 * hot path of `track`, synchronously and in browsers too, where `crypto.subtle` is asynchronous only.
 */

const primes: Array<number> = []
for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p !== 0)) primes.push(n)

// FIPS 180-4's constants are computed rather than spelled out; an Int32Array keeps the low 32 bits of each
// product. Every one lies at least 0.005 from an integer, thousands of times the error of a double's root:
// all engines get the same table.

/** First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = Int32Array.from(primes, (p) => Math.cbrt(p) * 2 ** 32)

/** The initial hash value: first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = Int32Array.from(primes.slice(0, 8), (p) => Math.sqrt(p) * 2 ** 32)

// Message schedule, reused: hashing is synchronous, so no two calls ever share it.
const w = new Int32Array(64)

/** Mixes one 64-byte block at `offset` into `h`. */
const compress = (h: Int32Array, block: Uint8Array, offset: number): void => {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4
    w[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!
    const y = w[i - 2]!
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
    k = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  h[0] = (h[0]! + a) | 0
  h[1] = (h[1]! + b) | 0
  h[2] = (h[2]! + c) | 0
  h[3] = (h[3]! + d) | 0
  h[4] = (h[4]! + e) | 0
  h[5] = (h[5]! + f) | 0
  h[6] = (h[6]! + g) | 0
  h[7] = (h[7]! + k) | 0
}

/**
 * Hashes `message` from a state that has already absorbed `absorbed` bytes (whole blocks): HMAC's key
 * blocks are absorbed once per key, not once per message.
 */
const digestFrom = (state: Int32Array, absorbed: number, message: Uint8Array): Uint8Array => {
  const h = state.slice()
  const whole = message.length - (message.length % 64)
  for (let offset = 0; offset < whole; offset += 64) compress(h, message, offset)
  const rest = message.length - whole
  const tail = new Uint8Array(rest < 56 ? 64 : 128)
  tail.set(message.subarray(whole))
  tail[rest] = 0x80
  const bits = (absorbed + message.length) * 8
  const end = tail.length
  // The bit length as a 64-bit big-endian integer; messages here stay far below 2^53 bits.
  const high = Math.floor(bits / 0x1_0000_0000)
  for (let i = 0; i < 4; i++) {
    tail[end - 8 + i] = high >>> (24 - 8 * i)
    tail[end - 4 + i] = bits >>> (24 - 8 * i)
  }
  for (let offset = 0; offset < end; offset += 64) compress(h, tail, offset)
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = h[i >> 2]! >>> (24 - 8 * (i & 3))
  return out
}

/** The SHA-256 digest of `message`. */
export const sha256 = (message: Uint8Array): Uint8Array => digestFrom(H0, 0, message)

/** The state after absorbing one 64-byte block: the key XOR-ed with `pad`. */
const keyedState = (key: Uint8Array, pad: number): Int32Array => {
  const block = new Uint8Array(64).fill(pad)
  for (let i = 0; i < key.length; i++) block[i] = key[i]! ^ pad
  const h = H0.slice()
  compress(h, block, 0)
  return h
}

/** HMAC-SHA-256 under one key (RFC 2104); the key's two padded blocks are hashed once, here. */
export const hmacSha256 = (key: Uint8Array): (message: Uint8Array) => Uint8Array => {
  const k = key.length > 64 ? sha256(key) : key
  const inner = keyedState(k, 0x36)
  const outer = keyedState(k, 0x5c)
  return (message) => digestFrom(outer, 64, digestFrom(inner, 64, message))
}

/** Lower-case hex of the first `bytes` bytes. */
export const toHex = (digest: Uint8Array, bytes: number = digest.length): string => {
  let out = ""
  for (let i = 0; i < bytes; i++) out += (digest[i]! < 16 ? "0" : "") + digest[i]!.toString(16)
  return out
}
