import { describe, expect, it } from "@effect/vitest"
import { parseRetryAfter } from "../src/transports/internal/retryAfter.js"

const now = Date.UTC(2026, 10, 3, 12, 0, 0)

describe("parseRetryAfter", () => {
  const cap = 60_000

  it("reads delta-seconds", () => {
    expect(parseRetryAfter("2", now, cap)).toBe(2_000)
    expect(parseRetryAfter(" 0 ", now, cap)).toBe(0)
  })

  it("reads the three HTTP-date forms relative to the given time", () => {
    expect(parseRetryAfter("Tue, 03 Nov 2026 12:00:30 GMT", now, cap)).toBe(30_000)
    expect(parseRetryAfter("Tuesday, 03-Nov-26 12:00:30 GMT", now, cap)).toBe(30_000)
    expect(parseRetryAfter("Tue Nov  3 12:00:30 2026", now, cap)).toBe(30_000)
  })

  it("treats a date in the past as no wait", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now, cap)).toBe(0)
  })

  it("caps the wait", () => {
    expect(parseRetryAfter("3600", now, cap)).toBe(cap)
    expect(parseRetryAfter("Wed, 04 Nov 2026 12:00:00 GMT", now, cap)).toBe(cap)
    expect(parseRetryAfter("99999999999999999999999", now, cap)).toBe(cap)
  })

  it("rejects anything else", () => {
    for (const header of ["", "soon", "-5", "1.5", "2 seconds", "2026-11-03T12:00:30Z", "Tue, 03 Nov 2026 12:00:30"]) {
      expect(parseRetryAfter(header, now, cap), header).toBeUndefined()
    }
  })

  it("agrees with Date for the preferred IMF-fixdate form", () => {
    for (const offset of [1_000, 17_000, 59_000]) {
      expect(parseRetryAfter(new Date(now + offset).toUTCString(), now, cap)).toBe(offset)
    }
  })
})
