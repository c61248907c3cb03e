import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { describeError } from "../src/services/errors/ErrorDescription.js"
import {
  fingerprint,
  fingerprintSource,
  hash64,
  normalizeFile,
  normalizeMessage
} from "../src/services/errors/Fingerprint.js"
import { parseStack } from "../src/services/errors/StackTrace.js"
import { findUser, loadFromCache, loadFromDisk, thrownBy } from "./fixtures/errors/callSites.js"
import * as stacks from "./fixtures/errors/stacks.js"

const fingerprintOf = (error: unknown) => fingerprint(describeError(error))

const fromStack = (type: string, message: string, stack: string) => fingerprint({ type, message, frames: parseStack(stack) })

/** Values that change between occurrences of one bug. */
const hexDigit = fc.constantFrom(..."0123456789abcdef")
const hexRun = (min: number, max: number) => fc.string({ unit: hexDigit, minLength: min, maxLength: max })
const quotable = (quote: string) =>
  fc.string({ maxLength: 20 }).filter((s) => !s.includes(quote) && !s.includes("\n"))
const noise = fc.oneof(
  fc.integer().map(String),
  fc.tuple(fc.nat(1_000_000), fc.nat(999)).map(([a, b]) => `${a}.${b}`),
  fc.uuid(),
  hexRun(1, 16).map((h) => `0x${h}`),
  hexRun(16, 40),
  fc.tuple(hexRun(7, 30), fc.constantFrom(..."0123456789")).map(([h, d]) => h + d),
  quotable("\"").map((s) => `"${s}"`),
  quotable("'").map((s) => `'${s}'`),
  quotable("`").map((s) => `\`${s}\``),
  // A URL ends at a space or a quote (see the rules in docs/error-tracking.md).
  fc.webUrl({ withQueryParameters: true, withFragments: true }).filter((u) => !/['"`]/.test(u)),
  // RFC 5322 allows quote characters in the local part; real addresses next to quoted values do not have them.
  fc.emailAddress().filter((e) => !/['"`]/.test(e))
)
const noisy = fc.array(noise, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(" "))

describe("normalizeMessage", () => {
  it("replaces numbers, UUIDs, hex, quoted values, URLs and emails", () => {
    expect(normalizeMessage("user 42 not found")).toBe("user <*> not found")
    expect(normalizeMessage("took 3.75s, then retry -2")).toBe("took <*>s, then retry <*>")
    expect(normalizeMessage("order 3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e failed")).toBe("order <*> failed")
    expect(normalizeMessage("at 0x7ffe12 in req_5f3a9c2b")).toBe("at <*> in req_<*>")
    expect(normalizeMessage("blob deadbeefdeadbeefcafe missing")).toBe("blob <*> missing")
    expect(normalizeMessage(`key "a b" and 'x' and \`y\``)).toBe("key <*> and <*> and <*>")
    expect(normalizeMessage("GET https://api.example.com/v1/users/7?x=1 failed")).toBe("GET <*> failed")
    expect(normalizeMessage("no inbox for ann.lee+tag@example.co.uk")).toBe("no inbox for <*>")
    expect(normalizeMessage("quoted 'https://example.com/a' and o'neil@example.com")).toBe("quoted <*> and <*>")
  })

  it("collapses a list of values, whatever its length, to one placeholder", () => {
    expect(normalizeMessage("ids 1, 2, 3 missing")).toBe(normalizeMessage("ids 7 missing"))
    expect(normalizeMessage("between 1 and 5")).toBe("between <*> and <*>")
  })

  it("keeps words, apostrophes and text without values as they are", () => {
    expect(normalizeMessage("can't reach the database")).toBe("can't reach the database")
    expect(normalizeMessage("  spaced\n  out  ")).toBe("spaced out")
    expect(normalizeMessage("deadbeef")).toBe("deadbeef")
  })
})

describe("normalizeFile", () => {
  it("drops scheme, origin, query, content hash and install directory", () => {
    expect(normalizeFile("https://app.example.com/assets/index-4f8a9c2e.js?v=3#x")).toBe("assets/index.js")
    expect(normalizeFile("https://cdn.example.net/assets/main.a77bec74f4ae50f3537e.js")).toBe("assets/main.js")
    expect(normalizeFile("/srv/app/dist/services/users.js")).toBe("services/users.js")
    expect(normalizeFile("file:///C:/app/src/users.ts")).toBe("src/users.ts")
    expect(normalizeFile("C:\\app\\src\\users.ts")).toBe("src/users.ts")
    expect(normalizeFile("/srv/app/src/settings.ts")).toBe("src/settings.ts")
  })
})

describe("fingerprint", () => {
  it("survives a rebuild: other lines, columns, hosts, bundle hashes and install paths", () => {
    const type = "TypeError"
    const message = "Cannot read properties of undefined (reading 'id')"
    expect(fromStack(type, message, stacks.nodeRebuilt)).toBe(fromStack(type, message, stacks.node))
    expect(fromStack("Error", "Request failed with status 502", stacks.chromeRebuilt)).toBe(
      fromStack("Error", "Request failed with status 503", stacks.chrome)
    )
  })

  it("uses the function and file of the top three in-app frames, not dependency frames", () => {
    const source = fingerprintSource({ type: "TypeError", message: "x", frames: parseStack(stacks.node) })
    expect(source).toBe("TypeError\nx\nservices/users.js#getUserId\nroutes/api.js#handleRequest")
    const otherDependency = stacks.node.replace("express/lib/router/index.js:284:7", "koa/lib/app.js:1:1")
    expect(fromStack("TypeError", "x", otherDependency)).toBe(fromStack("TypeError", "x", stacks.node))
    const otherFunction = stacks.node.replace("at getUserId", "at getUserName")
    expect(fromStack("TypeError", "x", otherFunction)).not.toBe(fromStack("TypeError", "x", stacks.node))
  })

  it("differs by error type", () => {
    expect(fromStack("RangeError", "x", stacks.node)).not.toBe(fromStack("TypeError", "x", stacks.node))
  })

  it("is 16 hex digits and stable for the same input", () => {
    expect(hash64("abc")).toMatch(/^[0-9a-f]{16}$/)
    expect(hash64("abc")).toBe(hash64("abc"))
    expect(hash64("abc")).not.toBe(hash64("abd"))
  })

  it("real errors from one call site with different user ids share a group", () => {
    const a = thrownBy(() => findUser("3f2a9c1e-7b4d-4e2a-9c1e-7b4d4e2a9c1e"))
    const b = thrownBy(() => findUser("42"))
    expect(fingerprintOf(a)).toBe(fingerprintOf(b))
  })

  it("property: messages with generated noise thrown from one call site form one group", () => {
    const reference = fingerprintOf(thrownBy(() => loadFromCache("17")))
    fc.assert(
      fc.property(noisy, (n) => {
        expect(fingerprintOf(thrownBy(() => loadFromCache(n)))).toBe(reference)
      }),
      { numRuns: 500 }
    )
  })

  it("property: the same message from two different call sites forms two groups", () => {
    fc.assert(
      fc.property(noisy, noisy, (n1, n2) => {
        expect(fingerprintOf(thrownBy(() => loadFromCache(n1)))).not.toBe(
          fingerprintOf(thrownBy(() => loadFromDisk(n2)))
        )
      })
    )
  })

  it("a fingerprint remembered for a shared frame list is the one computed, however type and message split", () => {
    const frames = Object.freeze(parseStack(stacks.node).map((f) => Object.freeze(f)))
    fc.assert(
      fc.property(fc.string(), fc.string(), (type, message) => {
        // Asked twice: the second answer comes from the memo.
        fingerprint({ type, message, frames })
        expect(fingerprint({ type, message, frames })).toBe(hash64(fingerprintSource({ type, message, frames })))
        expect(fingerprint({ type: `${type}\n`, message, frames })).toBe(
          hash64(fingerprintSource({ type: `${type}\n`, message, frames }))
        )
      })
    )
  })
})
