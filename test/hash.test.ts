import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { createHash, createHmac } from "node:crypto"
import { hmacSha256, sha256, toHex } from "../src/services/redactor/hash.js"

const ascii = (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0)))
const bytes = (length: number, value: number) => new Uint8Array(length).fill(value)

describe("hash", () => {
  // FIPS 180-2 appendix B and the NIST example values.
  const sha256Vectors: ReadonlyArray<readonly [string, Uint8Array, string]> = [
    ["empty", ascii(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", ascii("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "448 bits",
      ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ],
    [
      "896 bits",
      ascii(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
      ),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
    ],
    ["a million a", bytes(1_000_000, 0x61), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"]
  ]

  it.each(sha256Vectors)("SHA-256 of the FIPS 180 message %s is the published digest", (_name, message, digest) => {
    expect(toHex(sha256(message))).toBe(digest)
  })

  // RFC 4231, section 4: test cases 1 to 7 (case 5 is truncated to 128 bits).
  const key131 = bytes(131, 0xaa)
  const hmacVectors: ReadonlyArray<readonly [string, Uint8Array, Uint8Array, string]> = [
    ["1", bytes(20, 0x0b), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [
      "2",
      ascii("Jefe"),
      ascii("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ],
    ["3", bytes(20, 0xaa), bytes(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    [
      "4",
      new Uint8Array(Array.from({ length: 25 }, (_, i) => i + 1)),
      bytes(50, 0xcd),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ],
    ["5 (truncated)", bytes(20, 0x0c), ascii("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"],
    [
      "6",
      key131,
      ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ],
    [
      "7",
      key131,
      ascii(
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be " +
          "hashed before being used by the HMAC algorithm."
      ),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ]
  ]

  it.each(hmacVectors)("HMAC-SHA-256 of RFC 4231 test case %s is the published value", (_name, key, data, mac) => {
    expect(toHex(hmacSha256(key)(data), mac.length / 2)).toBe(mac)
  })

  it("SHA-256 and HMAC-SHA-256 agree with node:crypto on every length around the block and padding edges", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 140 }),
        (message, key) => {
          expect(toHex(sha256(message))).toBe(createHash("sha256").update(message).digest("hex"))
          expect(toHex(hmacSha256(key)(message))).toBe(createHmac("sha256", key).update(message).digest("hex"))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("one keyed HMAC gives the same value however many messages it hashed before", () => {
    const mac = hmacSha256(ascii("key"))
    const first = toHex(mac(ascii("ann@example.com")))
    for (let i = 0; i < 10; i++) mac(bytes(i * 37, i))
    expect(toHex(mac(ascii("ann@example.com")))).toBe(first)
  })
})
