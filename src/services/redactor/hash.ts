/**
 * SHA-256 and HMAC-SHA-256 (FIPS 180-4, RFC 2104) in plain TypeScript. User ids are pseudonymised on the
 * hot path of `track`, synchronously and in browsers too, where `crypto.subtle` is asynchronous only.
 */

/** First 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** The initial hash value. */
const H0 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
])

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
  tail[end - 8] = high >>> 24
  tail[end - 7] = high >>> 16
  tail[end - 6] = high >>> 8
  tail[end - 5] = high
  tail[end - 4] = bits >>> 24
  tail[end - 3] = bits >>> 16
  tail[end - 2] = bits >>> 8
  tail[end - 1] = bits
  for (let offset = 0; offset < end; offset += 64) compress(h, tail, offset)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    out[i * 4] = h[i]! >>> 24
    out[i * 4 + 1] = h[i]! >>> 16
    out[i * 4 + 2] = h[i]! >>> 8
    out[i * 4 + 3] = h[i]!
  }
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

/** The UTF-8 bytes of a string; lone surrogates become U+FFFD, as `TextEncoder` does. */
export const utf8 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length * 3)
  let n = 0
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      out[n++] = c
      continue
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6)
      out[n++] = 0x80 | (c & 63)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
        out[n++] = 0xf0 | (c >> 18)
        out[n++] = 0x80 | ((c >> 12) & 63)
        out[n++] = 0x80 | ((c >> 6) & 63)
        out[n++] = 0x80 | (c & 63)
        continue
      }
      c = 0xfffd
    }
    out[n++] = 0xe0 | (c >> 12)
    out[n++] = 0x80 | ((c >> 6) & 63)
    out[n++] = 0x80 | (c & 63)
  }
  return out.subarray(0, n)
}

/** Lower-case hex of the first `bytes` bytes. */
export const toHex = (digest: Uint8Array, bytes: number = digest.length): string => {
  let out = ""
  for (let i = 0; i < bytes; i++) out += (digest[i]! < 16 ? "0" : "") + digest[i]!.toString(16)
  return out
}
