import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { displayUrl, redactUrlsIn } from "../src/internal/url.js"

describe("displayUrl", () => {
  it("drops user-info", () => {
    expect(displayUrl("http://admin:hunter2@collector.internal:4318/v1/logs")).toBe("http://collector.internal:4318/v1/logs")
    expect(displayUrl("https://token-only@example.com/")).toBe("https://example.com/")
    expect(displayUrl("http://admin:p@ss@example.com/x")).toBe("http://example.com/x")
  })

  it("replaces the values of secret query parameters, whatever their spelling, and keeps the others", () => {
    expect(displayUrl("https://example.com/v1?api_key=k1&region=eu&Token=t2&X-Amz-Signature=s3&sig=s4&page=2")).toBe(
      "https://example.com/v1?api_key=[REDACTED]&region=eu&Token=[REDACTED]&X-Amz-Signature=[REDACTED]&sig=[REDACTED]&page=2"
    )
    expect(displayUrl("https://example.com/?access_token=a&client_secret=b&db_password=c&apikey=d&key=e&auth=f")).toBe(
      "https://example.com/?access_token=[REDACTED]&client_secret=[REDACTED]&db_password=[REDACTED]&apikey=[REDACTED]&key=[REDACTED]&auth=[REDACTED]"
    )
    expect(displayUrl("https://example.com/cb#access_token=a&state=xyz")).toBe("https://example.com/cb#access_token=[REDACTED]&state=xyz")
    expect(displayUrl("https://example.com/?monkey=1&keyword=2")).toBe("https://example.com/?monkey=1&keyword=2")
  })

  it("leaves a URL without credentials as it is", () => {
    expect(displayUrl("http://127.0.0.1:8080/v1/events")).toBe("http://127.0.0.1:8080/v1/events")
    expect(displayUrl("https://example.com/a?b=1#c")).toBe("https://example.com/a?b=1#c")
  })

  it("hides credentials in strings no URL parser accepts", () => {
    expect(displayUrl("http://admin:hunter2@:::/x?token=t-1")).toBe("http://:::/x?token=[REDACTED]")
    expect(displayUrl("admin:hunter2@example.com")).toBe("example.com")
    expect(displayUrl("http://u:pa/ss@host:99999/?password=p")).toBe("http://host:99999/?password=[REDACTED]")
    expect(displayUrl("")).toBe("")
  })

  it("never throws and never shows a password given as user-info", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), (user, password, rest) => {
        const secret = `S3cr3t${password}`
        const shown = displayUrl(`https://${encodeURIComponent(user)}:${encodeURIComponent(secret)}@example.com/${rest}`)
        expect(shown).not.toContain(encodeURIComponent(secret))
        expect(shown).not.toContain(secret)
      })
    )
    fc.assert(fc.property(fc.string(), (text) => {
      expect(typeof displayUrl(text)).toBe("string")
    }))
  })
})

describe("redactUrlsIn", () => {
  it("shows every URL in a text as displayUrl does", () => {
    expect(redactUrlsIn("request to http://admin:hunter2@a.example/x failed (see https://b.example/?token=t)")).toBe(
      "request to http://a.example/x failed (see https://b.example/?token=[REDACTED])"
    )
    expect(redactUrlsIn("no url here")).toBe("no url here")
  })
})
