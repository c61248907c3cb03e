import { describe, expect, it } from "@effect/vitest"
import { bodyExcerpt, secretsOf, statusFailure } from "../src/transports/internal/response.js"

const text = (s: string) => new TextEncoder().encode(s)

describe("statusFailure", () => {
  it("413 is tooLarge and not retryable", () => {
    expect(statusFailure(413, "http://h/x", "", undefined)).toMatchObject({ reason: "tooLarge", retryable: false, status: 413 })
  })

  it("401, 403 and 407 are unauthorized and retryable, carrying Retry-After", () => {
    for (const status of [401, 403, 407]) {
      const error = statusFailure(status, "http://h/x", ": no", 2_000)
      expect(error).toMatchObject({ reason: "unauthorized", retryable: true, status, retryAfterMillis: 2_000 })
      expect(error.message).toBe(`POST http://h/x answered ${status}: the receiver refused our credentials: no`)
    }
  })

  it("408, 429 and 5xx but 501 and 505 are retryable; other statuses are not", () => {
    const retryable = (status: number) => statusFailure(status, "http://h/x", "", undefined).retryable
    expect([408, 429, 500, 502, 503, 504, 599].map(retryable)).toEqual([true, true, true, true, true, true, true])
    expect([400, 404, 409, 422, 501, 505, 302].map(retryable)).toEqual([false, false, false, false, false, false, false])
    expect(statusFailure(404, "http://h/x", "", undefined)).not.toHaveProperty("retryAfterMillis")
  })
})

describe("bodyExcerpt", () => {
  it("is empty for an empty or blank body", () => {
    expect(bodyExcerpt(text(""), [])).toBe("")
    expect(bodyExcerpt(text(" \r\n\t "), [])).toBe("")
  })

  it("keeps one line, hides URL credentials and our secrets, and cuts at 200 characters", () => {
    const body = "token abcdefgh1234 refused\r\nsee http://u:pw@x.test/a?token=zz\u202e" + "y".repeat(300)
    const excerpt = bodyExcerpt(text(body), secretsOf({ authorization: "Bearer abcdefgh1234" }))
    expect(excerpt.startsWith(": token [REDACTED] refused see http://x.test/a?token=[REDACTED] y")).toBe(true)
    expect(excerpt).not.toMatch(/[\r\n\u202e]/)
    expect(excerpt.endsWith("…")).toBe(true)
    expect(excerpt.length).toBe(2 + 200 + 1)
  })
})

describe("secretsOf", () => {
  it("takes whole values and the credential after a scheme, at least 8 characters long", () => {
    expect(secretsOf({ authorization: "Bearer abcdefgh1234", "x-short": "abc", "x-key": "k-12345678" })).toEqual([
      "Bearer abcdefgh1234",
      "abcdefgh1234",
      "k-12345678"
    ])
  })
})
