import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { jsonByteLength, utf8Bytes } from "../src/internal/json.js"

const encoder = new TextEncoder()

describe("json", () => {
  it("utf8Bytes counts what TextEncoder writes, lone surrogates included", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => {
      expect(utf8Bytes(text)).toBe(encoder.encode(text).byteLength)
    }))
    expect(utf8Bytes("a\ud800b")).toBe(5)
    expect(utf8Bytes("\udc00\ud83d\ude00")).toBe(7)
  })

  it("jsonByteLength is the UTF-8 length of the JSON text", () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(jsonByteLength(value)).toBe(encoder.encode(JSON.stringify(value)).byteLength)
    }))
  })
})
