import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { createHmac } from "node:crypto"
import { mayHoldPii, piiPatterns, scanForPii, scanGate, scanHint, scannedHints } from "../src/services/redactor/patterns.js"
import { layerRedactor, Redactor, unsafeMake } from "../src/services/Redactor.js"

const redactor = unsafeMake()
const R = "[REDACTED]"

const luhnCheckDigit = (body: string): string => {
  for (let d = 0; d <= 9; d++) {
    const digits = body + d
    let sum = 0
    for (let i = 0; i < digits.length; i++) {
      let x = Number(digits[digits.length - 1 - i])
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2
      sum += x
    }
    if (sum % 10 === 0) return String(d)
  }
  throw new Error("unreachable")
}

describe("Redactor", () => {
  describe("text", () => {
    const positives: ReadonlyArray<readonly [string, string, string]> = [
      ["e-mail", "mail ann.lee+tag@example.co.uk now", `mail ${R} now`],
      ["e-mail in a query string", "https://x.io/?ref=ann@example.com&a=1", `https://x.io/?ref=${R}&a=1`],
      ["card, contiguous", "card 4111111111111111 ok", `card ${R} ok`],
      ["card, spaced", "card 4111 1111 1111 1111 ok", `card ${R} ok`],
      ["card, dashed", "card 5555-5555-5555-4444.", `card ${R}.`],
      ["card, Amex 4-6-5", "amex 3782 822463 10005", `amex ${R}`],
      ["card, 13-digit Visa", "old 4222222222222", `old ${R}`],
      ["card beside a year", "card 4111 1111 1111 1111 2024", `card ${R} 2024`],
      ["US SSN", "ssn: 123-45-6789,", `ssn: ${R},`],
      ["phone, (NANP)", "call (415) 555-2671 today", `call ${R} today`],
      ["phone, dashed", "call 415-555-2671", `call ${R}`],
      ["phone, dotted", "call 415.555.2671", `call ${R}`],
      ["phone, +1 spaced", "call +1 415 555 2671", `call ${R}`],
      ["phone, 1-800", "call 1-800-555-0199", `call ${R}`],
      ["phone, E.164", "call +14155552671 or +442079460958", `call ${R} or ${R}`],
      ["phone, international grouped", "call +44 20 7946 0958", `call ${R}`],
      ["IPv4", "from 192.168.1.20:8080", `from ${R}:8080`],
      ["IPv4 in a version-like string (documented)", "10.0.0.1-beta", `${R}-beta`],
      ["IPv6, full", "from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 x", `from ${R} x`],
      ["IPv6, compressed", "from fe80::1 and 2001:db8::8a2e:370:7334", `from ${R} and ${R}`],
      ["IPv4-mapped IPv6", "from ::ffff:192.0.2.128", `from ::ffff:${R}`],
      [
        "JWT",
        "t=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0" +
        ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;",
        `t=${R};`
      ],
      ["bearer token", "Authorization: Bearer abc123def456ghi789", `Authorization: Bearer ${R}`],
      ["OpenAI key", "key sk-abcdefghij0123456789ABCDEFGHIJ0123456789abcdefgh!", `key ${R}!`],
      ["OpenAI project key", "key=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t", `key=${R}`],
      ["Anthropic key", "sk-ant-api03-abcdefghijklmnop0123456789", R],
      ["AWS access key id", "AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", `${R} and ${R}`],
      ["GitHub token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", R],
      ["Slack token", "xoxb-1234567890-abcdefghij", R],
      ["Stripe key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", R],
      [
        "PEM private key",
        "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nb",
        `a\n${R}\nb`
      ],
      ["unterminated PEM private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", R],
      [
        "URL credentials",
        "postgres://admin:hunter2@db.example.com:5432/app",
        `postgres://${R}@db.example.com:5432/app`
      ],
      ["URL user name", "clone https://deploy@git.example.com/x.git", `clone https://${R}@git.example.com/x.git`],
      ["several kinds at once", "ann@example.com 123-45-6789 10.1.2.3", `${R} ${R} ${R}`],
      ["URL-encoded e-mail", "GET /users?email=ann%40example.com&a=1", `GET /users?email=${R}&a=1`],
      ["URL-encoded e-mail with +", "ref=ann.lee%2Btag%40example.co.uk", `ref=${R}`],
      ["e-mail with + before an encoded @", "ref=ann+tag%40example.com;", `ref=${R};`],
      ["doubly URL-encoded e-mail", "q=ann%2540example.com", `q=${R}`],
      ["fully URL-encoded e-mail", "to=ann%2Elee%40example%2Ecom", `to=${R}`],
      ["e-mail as an HTML entity", "<a>ann&#64;example.com</a> bob&#x40;example.org", `<a>${R}</a> ${R}`],
      ["e-mail as a JSON escape", "\"to\":\"ann\\u0040example.com\"", `"to":"${R}"`],
      ["pass=", "connect failed: pass=hunter2 host=db", `connect failed: pass=${R} host=db`],
      ["password=", "postgres password=hunter2&user=app", `postgres password=${R}&user=app`],
      ["token: value", "refresh failed, token: abc123", `refresh failed, token: ${R}`],
      ["secret=", "SECRET=s3cr3t-value", `SECRET=${R}`],
      ["api_key=", "GET /v1?api_key=k9x8c7v6&q=1", `GET /v1?api_key=${R}&q=1`],
      ["x-api-key header", "x-api-key: k-12345", `x-api-key: ${R}`],
      ["CLI flag", "ran tool --password=hunter2 --user=x", `ran tool --password=${R} --user=x`],
      ["quoted value", "DB_PASSWORD='p w' loaded", `DB_PASSWORD='${R}' loaded`],
      ["JSON text", "{\"user\":\"app\",\"password\":\"hunter 2\"}", `{"user":"app","password":"${R}"}`],
      ["escaped JSON text", "{\\\"token\\\":\\\"abc\\\"}", `{\\"token\\":\\"${R}\\"}`],
      ["Authorization: Basic", "Authorization: Basic dXNlcjpwYXNzd29yZA==", `Authorization: Basic ${R}`],
      ["short Authorization: Bearer", "authorization: Bearer abcdefgh", `authorization: Bearer ${R}`],
      ["client_secret in a form", "client_secret=xyz&grant_type=client_credentials", `client_secret=${R}&grant_type=client_credentials`]
    ]

    it.each(positives)("%s is replaced and the text around it kept", (_name, input, expected) => {
      expect(redactor.redactString(input)).toBe(expected)
      expect(redactor.redact({ note: input })).toEqual({ note: expected })
    })

    const bare = [
      "ann@example.com", "4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005",
      "4222222222222", "123-45-6789", "415-555-2671", "+14155552671", "10.1.2.3", "2001:db8::1", "fe80::1"
    ]

    it.each(bare)("%s as a whole value is replaced", (input) => {
      expect(redactor.redact({ value: input })).toEqual({ value: R })
    })

    const negatives: ReadonlyArray<string> = [
      "gpt-4o",
      "550e8400-e29b-41d4-a716-446655440000", // UUID / session id
      "1700000000000", // epoch ms
      "1700000000004", // epoch ms passing Luhn
      "1700000000000001", // epoch µs passing Luhn
      "da39a3ee5e6b4b0d3255bfef95601890afd80709", // sha1
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", // sha256
      "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 and a1b2c3d",
      "1.2.3",
      "v10.0.0.1",
      "10.0.0-beta.1",
      "ORD-2024-000123",
      "2024-01-15",
      "2024-01-15T10:30:00.000Z",
      "2024-01-15T10:30:00+05:30",
      "at 12:30:45 on Monday",
      "0.4111111111111111", // decimals, not a card
      "lodash@4.17.21 and @types/node@20.1.0",
      "std::vector and dead::beef",
      "00:1a:2b:3c:4d:5e",
      "the bearer instrument was signed",
      "task-1234567890abcdefghij",
      "sk-learn-tutorial-for-beginners",
      "4111111111111112", // fails Luhn
      "1234567890", // ten bare digits
      "postgres://db.example.com:5432/app",
      "prompt_tokens=50 max_tokens=1024",
      "scopes auth:read auth:write token:refresh",
      "tests pass: 10 fail: 2",
      "Missing key: user_id",
      "password_length=12 token_count=5 max_token=7",
      "primaryKey=42 cacheKey=users:1",
      "50%40off and width: 100%",
      "keyboard: qwerty",
      "the password was changed",
      "mailto:%40 and 100%40"
    ]

    it.each(negatives)("%s is kept", (input) => {
      expect(redactor.redactString(input)).toBe(input)
      const data = { value: input }
      expect(redactor.redact(data)).toBe(data)
    })

    it("numbers are never searched, even when they look like a card", () => {
      const data = { n: 4111111111111111, ts: 1700000000004, us: 1700000000000001 }
      expect(redactor.redact(data)).toBe(data)
    })
  })

  describe("field names", () => {
    const sensitive = [
      "accessToken", "access_token", "ACCESS_TOKEN", "X-Api-Key", "apiKey", "api_key", "APIKey", "apikey",
      "OPENAI_API_KEY", "password", "userPassword", "passwordHash", "passwd", "secret", "clientSecret",
      "secret_access_key", "authorization", "Proxy-Authorization", "cookie", "Set-Cookie", "privateKey",
      "privateKeyPem", "secretKey", "accessKey", "email", "userEmail", "e_mail", "ssn", "creditCard",
      "credit_card_number", "cardNumber", "token", "refresh_token", "id_token", "csrfToken", "token_value",
      "basicAuth", "cvv", "pin"
    ]
    const benign = [
      "prompt_tokens", "max_tokens", "completion_tokens", "total_tokens", "max_token", "token_count", "tokenCount",
      "token_type", "cacheKey", "sessionId", "session_id", "keyboard", "monkey", "tokenizer", "primaryKey",
      "publicKey", "partitionKey", "key", "keys", "passwordLength", "email_verified", "secret_name",
      "authMethod", "oauth", "model", "latencyMs", "aws_access_key_id", "secretary"
    ]

    it.each(sensitive)("%s has its whole value replaced", (name) => {
      for (const value of ["abc", 42, true, null, { nested: "x" }, ["a", 1]]) {
        expect(redactor.redact({ [name]: value, n: 1 })).toEqual({ [name]: R, n: 1 })
      }
    })

    it.each(benign)("%s is kept as it is", (name) => {
      const data = { [name]: "plain value", nested: { [name]: 12 } }
      expect(redactor.redact(data)).toBe(data)
    })

    it("a sensitive field is found at any depth and inside arrays", () => {
      const data = { a: [{ b: { password: "p" } }, { c: [[{ apiKey: "k", keep: "yes" }]] }] }
      expect(redactor.redact(data)).toEqual({ a: [{ b: { password: R } }, { c: [[{ apiKey: R, keep: "yes" }]] }] })
    })

    it("a field name holding PII is itself replaced", () => {
      expect(redactor.redact({ perUser: { "ann@example.com": 3, bob: 4 } })).toEqual({
        perUser: { bob: 4, [R]: 3 }
      })
    })

    it("a field named __proto__ is copied as data, not as a prototype", () => {
      const data = JSON.parse("{\"__proto__\":{\"email\":\"x\"},\"note\":\"ann@example.com\"}") as object
      const out = redactor.redact(data)
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
      expect(JSON.stringify(out)).toBe(`{"__proto__":{"email":"${R}"},"note":"${R}"}`)
    })

    it("decisions stay right past the field-name cache", () => {
      for (let i = 0; i < 2_000; i++) redactor.redact({ [`field${i}`]: "v" })
      expect(redactor.redact({ password: "p", fresh_token: "t", fresh_count: "ann@example.com" })).toEqual({
        password: R,
        fresh_token: R,
        fresh_count: R
      })
    })
  })

  describe("field and tag names", () => {
    const names = [
      "card_4111111111111111", "order-4111111111111111", "4111111111111111_card", "openai_sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t1",
      "key-sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t1", "stripe-sk_live_4eC39HqLyjWDarjtT1zdp7dc", "user_ann%40example.com"
    ]

    it.each(names)("a tag named %s is renamed, with `_` and `-` taken as separators", (name) => {
      const tags = { [name]: "v", region: "eu" }
      expect(redactor.redact(tags)).toEqual({ [R]: "v", region: "eu" })
      // Again, past the field-name cache.
      expect(redactor.redact(tags)).toEqual({ [R]: "v", region: "eu" })
    })

    it("tag values are searched and sensitive tag names replace their values", () => {
      expect(redactor.redact({ contact: "ann%40example.com", api_key: "k", env: "prod" })).toEqual({
        contact: R,
        api_key: R,
        env: "prod"
      })
    })

    it("a safe field keeps its value, but PII in its name is still replaced", () => {
      const r = unsafeMake({ safeFields: ["debug 4111111111111111", "debug"] })
      expect(r.redact({ debug_4111111111111111: "kept", debug: "ann@example.com" })).toEqual({
        [R]: "kept",
        debug: "ann@example.com"
      })
    })

    it("a field whose name ends in pass has text replaced; a count or flag named pass is kept", () => {
      expect(redactor.redact({ db_pass: "hunter2", smtpPass: "x", pass: true, passes: 3, pass_rate: "0.9" })).toEqual({
        db_pass: R,
        smtpPass: R,
        pass: true,
        passes: 3,
        pass_rate: "0.9"
      })
      expect(redactor.redact({ pass: 12 })).toEqual({ pass: 12 })
    })
  })

  describe("user ids", () => {
    const libraryKey = "effect-telemetry/user-id/v1"
    const expected = (id: string, key = libraryKey) =>
      `u_${createHmac("sha256", key).update(id, "utf8").digest("hex").slice(0, 32)}`
    const piiIds = [
      "ann@example.com", "ann%40example.com", "Ann.Lee+tag@example.co.uk", "+14155552671", "415-555-2671",
      "4111111111111111", "user_4111111111111111", "google|ann@example.com", "10.1.2.3"
    ]
    const plainIds = [
      "user-42", "42", "550e8400-e29b-41d4-a716-446655440000", "auth0|5f7c8ec7c33c6c004bbafe82",
      "google-oauth2|104589343249234938842", "1456789012345678901", "ann", "u_1"
    ]

    it.each(piiIds)("the PII-shaped user id %s becomes u_ + 32 hex of HMAC-SHA-256 under the library key", (id) => {
      expect(redactor.pseudonymize(id)).toBe(expected(id))
      expect(redactor.pseudonymize(id)).toMatch(/^u_[0-9a-f]{32}$/)
    })

    it.each(plainIds)("the user id %s holds no PII and is kept as it is", (id) => {
      expect(redactor.pseudonymize(id)).toBe(id)
    })

    it("a pseudonym is stable across calls, other ids in between and redactors, and is itself kept", () => {
      const first = redactor.pseudonymize("ann@example.com")
      for (const id of ["bob@example.com", "user-1", "ann@example.com", "+14155552671"]) redactor.pseudonymize(id)
      expect(redactor.pseudonymize("ann@example.com")).toBe(first)
      expect(unsafeMake().pseudonymize("ann@example.com")).toBe(first)
      expect(redactor.pseudonymize("bob@example.com")).not.toBe(first)
      expect(redactor.pseudonymize(first)).toBe(first)
    })

    it("userIdKey changes every pseudonym, given as a string or a Redacted", () => {
      const own = unsafeMake({ userIdKey: "our secret" })
      expect(own.pseudonymize("ann@example.com")).toBe(expected("ann@example.com", "our secret"))
      expect(unsafeMake({ userIdKey: Redacted.make("our secret") }).pseudonymize("ann@example.com")).toBe(
        own.pseudonymize("ann@example.com")
      )
      expect(own.pseudonymize("ann@example.com")).not.toBe(redactor.pseudonymize("ann@example.com"))
      // `undefined` takes the default, so a missing setting can be passed straight through.
      expect(unsafeMake({ userIdKey: undefined }).pseudonymize("ann@example.com")).toBe(expected("ann@example.com"))
    })

    it("extraPatterns count as PII in user ids too", () => {
      expect(unsafeMake({ extraPatterns: [/ACCT-\d{6}/] }).pseudonymize("ACCT-123456")).toBe(expected("ACCT-123456"))
    })

    it("pseudonymizeUserIds: false keeps every id", () => {
      expect(unsafeMake({ pseudonymizeUserIds: false }).pseudonymize("ann@example.com")).toBe("ann@example.com")
    })
  })

  describe("structure", () => {
    it("an unchanged value is returned as the same reference, at every level", () => {
      const data = {
        model: "gpt-4o",
        latencyMs: 120,
        prompt_tokens: 50,
        ok: true,
        role: "user",
        nested: { list: [1, "two", { three: null }] }
      }
      expect(redactor.redact(data)).toBe(data)
      const list = [data, "x"]
      expect(redactor.redact(list)).toBe(list)
    })

    it("a change copies only the path to it; untouched branches are shared", () => {
      const untouched = { a: [1, 2, 3] }
      const data = { untouched, changed: { note: "ann@example.com", other: { x: 1 } } }
      const out = redactor.redact(data)
      expect(out).not.toBe(data)
      expect(out.untouched).toBe(untouched)
      expect(out.changed.other).toBe(data.changed.other)
      expect(out.changed.note).toBe(R)
      expect(data.changed.note).toBe("ann@example.com")
    })

    it("frozen input is copied, never written", () => {
      const data = Object.freeze({ note: "ann@example.com", list: Object.freeze(["123-45-6789"]) })
      expect(redactor.redact(data)).toEqual({ note: R, list: [R] })
    })

    it("a reference back to an enclosing object is replaced", () => {
      const a: Record<string, unknown> = { name: "a", email: "ann@example.com" }
      a.self = a
      const out = redactor.redact(a)
      expect(out).toEqual({ name: "a", email: R, self: R })
      expect(() => JSON.stringify(out)).not.toThrow()
    })

    it("a reference back to an enclosing array is replaced", () => {
      const list: Array<unknown> = ["x"]
      list.push(list)
      expect(redactor.redact(list)).toEqual(["x", R])
    })

    it("a cycle through several objects and arrays is cut where it closes", () => {
      const a: Record<string, unknown> = { name: "a" }
      const b: Array<unknown> = [{ back: a }]
      a.b = b
      const out = redactor.redact(a)
      expect(out).toEqual({ name: "a", b: [{ back: R }] })
      // Nothing else changed, so only the path to the cut is copied.
      expect(a.b).toBe(b)
    })

    it("a value reached twice without a cycle is kept both times", () => {
      const shared = { v: 1 }
      const data = { a: shared, b: [shared, shared] }
      expect(redactor.redact(data)).toBe(data)
    })

    it("nesting deeper than 64 levels is replaced whole, and very deep input does not overflow the stack", () => {
      const chain = (depth: number, leaf: unknown): unknown => {
        let v = leaf
        for (let i = 0; i < depth; i++) v = { d: v }
        return v
      }
      const path = (value: unknown, depth: number) => {
        let v = value
        for (let i = 0; i < depth; i++) v = (v as { d: unknown }).d
        return v
      }
      // 64 objects: the root at depth 0, the innermost at depth 63.
      expect(path(redactor.redact(chain(64, "ann@example.com")), 64)).toBe(R)
      expect(path(redactor.redact(chain(64, { x: 1 })), 64)).toBe(R)
      expect(path(redactor.redact(chain(63, { x: 1 })), 63)).toEqual({ x: 1 })
      expect(() => redactor.redact(chain(100_000, "deep"))).not.toThrow()
    })

    it("class instances are not searched", () => {
      const date = new Date(0)
      class Note {
        text = "ann@example.com"
      }
      const note = new Note()
      const data = { date, note }
      expect(redactor.redact(data)).toBe(data)
    })

    it("a top-level string or array is redacted too", () => {
      expect(redactor.redact("ann@example.com")).toBe(R)
      expect(redactor.redact(["ann@example.com", 1])).toEqual([R, 1])
    })

    it("redacting twice changes nothing more", () => {
      const once = redactor.redact({ note: "ann@example.com", password: "p", list: ["4111 1111 1111 1111"] })
      expect(redactor.redact(once)).toBe(once)
    })
  })

  describe("options", () => {
    it("replacement is configurable and taken literally", () => {
      expect(unsafeMake({ replacement: "***" }).redact({ note: "to ann@example.com", token: 1 })).toEqual({
        note: "to ***",
        token: "***"
      })
      expect(unsafeMake({ replacement: "$&" }).redactString("to ann@example.com")).toBe("to $&")
    })

    it("extraPatterns run on every string, short ones too, global or not", () => {
      const r = unsafeMake({ extraPatterns: [/ACCT-\d{6}/, /\bZ\d\b/g] })
      expect(r.redactString("acct ACCT-123456 and ACCT-654321")).toBe(`acct ${R} and ${R}`)
      expect(r.redactString("Z1")).toBe(R)
      expect(r.redact({ a: "Z9 ann@example.com" })).toEqual({ a: `${R} ${R}` })
    })

    it("extraSensitiveFields match by words, in any style", () => {
      const r = unsafeMake({ extraSensitiveFields: ["address", "user id"] })
      expect(r.redact({ homeAddress: "1 Main St", address_line1: "x", userId: "u1", "X-User-Id": "u2", user: "kept" }))
        .toEqual({ homeAddress: R, address_line1: R, userId: R, "X-User-Id": R, user: "kept" })
    })

    it("safeFields are kept whole, by name and by content, and only when named in full", () => {
      const r = unsafeMake({ safeFields: ["userEmail", "debug"] })
      const debug = { ip: "10.1.2.3", password: "shown" }
      const out = r.redact({ user_email: "ann@example.com", debug, backup_user_email: "bob@example.com" })
      expect(out).toEqual({ user_email: "ann@example.com", debug, backup_user_email: R })
      expect(out.debug).toBe(debug)
    })
  })

  describe("layers", () => {
    it.effect("Redactor.layer provides a configured redactor", () =>
      Effect.gen(function*() {
        const r = yield* Redactor
        expect(r.redact({ note: "ann@example.com" })).toEqual({ note: "<pii>" })
      }).pipe(Effect.provide(Redactor.layer({ replacement: "<pii>" }))))

    it.effect("options that do not decode fail with RedactorOptionsError naming the option", () =>
      Effect.gen(function*() {
        const misspelt = yield* Effect.flip(Redactor.make({ safeField: ["x"] } as Redactor.Options))
        expect(misspelt).toBeInstanceOf(Redactor.OptionsError)
        expect([misspelt._tag, misspelt.option]).toEqual(["RedactorOptionsError", "safeField"])
        const pattern = yield* Effect.flip(Redactor.make({ extraPatterns: ["ann"] } as unknown as Redactor.Options))
        expect(pattern.option).toBe("extraPatterns.0")
        const key = yield* Effect.flip(Redactor.make({ userIdKey: "" }))
        expect(key.option).toBe("userIdKey")
        expect(String(key)).toMatch(/^RedactorOptionsError: option userIdKey: /)
        const built = yield* Redactor.make({ replacement: undefined, safeFields: ["debugEmail"] })
        expect(built.redact({ debugEmail: "ann@example.com", note: "ann@example.com" })).toEqual({
          debugEmail: "ann@example.com",
          note: "[REDACTED]"
        })
      }))

    it.effect("layerRedactor (from the configuration) provides a configured redactor", () =>
      Effect.gen(function*() {
        const r = yield* Redactor
        expect(r.redact({ note: "ann@example.com" })).toEqual({ note: "<pii>" })
      }).pipe(Effect.provide(layerRedactor({ replacement: "<pii>" }))))

    it.effect("Redactor.disabled returns every value unchanged", () =>
      Effect.gen(function*() {
        const r = yield* Redactor
        const data = { password: "p", note: "ann@example.com" }
        expect(r.redact(data)).toBe(data)
        expect(r.redactString("ann@example.com")).toBe("ann@example.com")
        expect(r.pseudonymize("ann@example.com")).toBe("ann@example.com")
      }).pipe(Effect.provide(Redactor.disabled)))

    it.effect("layerRedactor pseudonymises user ids with its options", () =>
      Effect.gen(function*() {
        const r = yield* Redactor
        expect(r.pseudonymize("ann@example.com")).toBe(unsafeMake({ userIdKey: "k" }).pseudonymize("ann@example.com"))
      }).pipe(Effect.provide(layerRedactor({ userIdKey: Redacted.make("k") }))))
  })

  describe("properties", () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^\\d{${min},${max}}$`))
    const card = fc.tuple(
      fc.constantFrom(
        { prefix: "4", length: 16, groups: [4, 4, 4, 4] },
        { prefix: "51", length: 16, groups: [4, 4, 4, 4] },
        { prefix: "2221", length: 16, groups: [4, 4, 4, 4] },
        { prefix: "6011", length: 16, groups: [4, 4, 4, 4] },
        { prefix: "37", length: 15, groups: [4, 6, 5] },
        { prefix: "4", length: 19, groups: [4, 4, 4, 4, 3] }
      ),
      digits(17, 17),
      fc.constantFrom("", " ", "-")
    ).map(([issuer, random, separator]) => {
      const body = (issuer.prefix + random).slice(0, issuer.length - 1)
      const number = body + luhnCheckDigit(body)
      if (separator === "") return number
      let at = 0
      return issuer.groups.map((g) => number.slice(at, (at += g))).join(separator)
    })
    const ssn = fc.tuple(
      fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
      fc.integer({ min: 1, max: 99 }),
      fc.integer({ min: 1, max: 9999 })
    ).map(([a, g, s]) => `${String(a).padStart(3, "0")}-${String(g).padStart(2, "0")}-${String(s).padStart(4, "0")}`)
    const nanp = fc.tuple(fc.stringMatching(/^[2-9]\d\d$/), fc.stringMatching(/^[2-9]\d\d$/), digits(4, 4))
      .chain(([a, e, l]) =>
        fc.constantFrom(`(${a}) ${e}-${l}`, `${a}-${e}-${l}`, `${a}.${e}.${l}`, `+1 ${a} ${e} ${l}`, `+1${a}${e}${l}`)
      )
    const e164 = fc.stringMatching(/^\+[1-9]\d{7,14}$/)
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."))
    // The first group holds a digit: hex words around `::` alone are not taken for addresses.
    const firstGroup = fc.stringMatching(/^[2-9a-f][0-9a-f]{0,2}\d$/)
    const group = fc.stringMatching(/^[0-9a-f]{1,4}$/)
    const groups = fc.array(group, { minLength: 7, maxLength: 7 })
    const ipv6 = fc.tuple(firstGroup, groups, fc.nat(6)).map(([first, rest, cut]) => {
      const all = [first, ...rest]
      return cut === 0 ? all.join(":") : `${all.slice(0, cut).join(":")}::${all.slice(cut + 1).join(":")}`
    })
    const email = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,12}[a-z0-9]@[a-z0-9]{1,10}(\.[a-z0-9]{1,8})?\.[a-z]{2,6}$/)
    const b64 = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`))
    const jwt = fc.tuple(b64(10, 40), b64(10, 60), b64(10, 43)).map(([h, p, s]) => `eyJ${h}.${p}.${s}`)
    const openAiKey = fc.tuple(fc.constantFrom("sk-", "sk-proj-"), fc.stringMatching(/^[A-Za-z0-9]{20,48}$/), fc.nat(9))
      .map(([prefix, body, d]) => `${prefix}${body}${d}`)
    const awsKey = fc.stringMatching(/^A[KS]IA[A-Z0-9]{16}$/)
    const encodedEmail = fc.tuple(email, fc.constantFrom("%40", "%2540", "&#64;", "&#x40;"))
      .map(([address, at]) => address.replace("@", at))
    const pii = fc.oneof(email, encodedEmail, card, ssn, nanp, e164, ipv4, ipv6, jwt, openAiKey, awsKey)

    const word = fc.stringMatching(/^[a-z]{1,8}$/)
    const words = fc.array(word, { maxLength: 4 }).map((ws) => ws.join(" "))
    const before = fc.constantFrom(" ", "\n", "\t", ", ", ": ", " (", " \"", "; ")
    const after = fc.constantFrom(" ", "\n", ", ", ". ", ") ", "\" ", "; ")
    const text = (inner: fc.Arbitrary<string>) =>
      fc.tuple(words, before, inner, after, words).map(([a, b, p, c, d]) => ({ pii: p, text: `${a}${b}${p}${c}${d}` }))

    const key = fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("note", "message", "meta", "items", "__proto__"))
    const sibling = fc.oneof(word, fc.integer(), fc.boolean(), fc.constant(null))
    const siblings = fc.dictionary(fc.string({ maxLength: 6 }), sibling, { maxKeys: 3 })
    /** Puts `leaf` at the end of a random path of objects and arrays, with random siblings on the way. */
    const nest = (leaf: unknown) =>
      fc.array(fc.tuple(fc.oneof(key, fc.nat(3)), siblings), { maxLength: 6 }).map((steps) =>
        steps.reduceRight<unknown>((inner, [step, siblings]) => {
          if (typeof step === "number") {
            return [...Object.values(siblings).slice(0, step), inner, ...Object.values(siblings).slice(step)]
          }
          const object: Record<string, unknown> = { ...siblings }
          Object.defineProperty(object, step, { value: inner, enumerable: true, writable: true, configurable: true })
          return object
        }, leaf)
      )

    it("the character scan is written for exactly the pre-filter's hints", () => {
      const hints = [...new Set(piiPatterns.filter((p) => p.gate === undefined).map((p) => p.hint.source))]
      expect(hints).toEqual(scannedHints)
      expect(mayHoldPii.source).toBe(scannedHints.join("|"))
    })

    it("the character scan never misses text the pre-filter passes, nor a gate character", () => {
      // Every character a hint or gate is made of, and a few others, so that generated text hits them often.
      const alphabet = fc.constantFrom(..."-----BEGIN:/eyJBbearerEARERskrk_livetestAKSIAghpousrithubpatxoxz@.0123456789+aF=%&\\ Q".split(""))
      const hintPieces = fc.constantFrom(
        "-----BEGIN", "://", "eyJ", "Bearer", "bearer", "BEARER", "sk-", "rk_live_", "sk_test_", "AKIA", "ASIA", "ghp_",
        "github_pat_", "xoxb-", "AIza", "@", "1.2", "::", "a:1f:", "1234", "123", "+1"
      )
      const text = fc.array(fc.oneof(alphabet, hintPieces, alphabet), { maxLength: 24 }).map((xs) => xs.join(""))
      fc.assert(
        fc.property(text, (t) => {
          const scan = scanForPii(t)
          if (mayHoldPii.test(t)) expect(scan & scanHint).toBe(scanHint)
          if (/[=:%&\\]/.test(t) && (scan & scanHint) === 0) expect(scan & scanGate).toBe(scanGate)
        }),
        { numRuns: 5_000 }
      )
      expect(scanForPii("How do I reset my password before tomorrow's demo?")).toBe(0)
    })

    it("generated PII inside generated text inside generated JSON never survives", () => {
      fc.assert(
        fc.property(text(pii).chain(({ pii, text }) => nest(text).map((data) => ({ pii, data }))), ({ data, pii }) => {
          expect(JSON.stringify(data)).toContain(pii)
          const out = JSON.stringify(redactor.redact(data))
          expect(out).not.toContain(pii)
          expect(out).toContain(R)
        }),
        { numRuns: 1_000 }
      )
    })

    it("several PII values in one string never survive", () => {
      fc.assert(
        fc.property(fc.array(text(pii), { minLength: 2, maxLength: 5 }), (parts) => {
          const out = redactor.redactString(parts.map((p) => p.text).join(""))
          for (const { pii } of parts) expect(out).not.toContain(pii)
        }),
        { numRuns: 300 }
      )
    })

    it("generated key=value secrets inside generated text never survive, and their names stay", () => {
      const name = fc.constantFrom(
        "password", "PASSWORD", "db_password", "pass", "pwd", "secret", "client_secret", "token", "access_token",
        "refreshToken", "api_key", "x-api-key", "apiKey", "AWS_SECRET_ACCESS_KEY", "authorization", "credentials"
      )
      const separator = fc.constantFrom("=", " = ", ": ", "=\"", "\":\"", "': '")
      const secret = fc.tuple(fc.stringMatching(/^[A-Za-z0-9_~+/.-]{6,30}$/), fc.nat(9)).map(([s, d]) => `${s}${d}`)
      fc.assert(
        fc.property(words, name, separator, secret, words, (a, n, sep, value, b) => {
          // `pass: 10` is prose (a count of passes); `pass=…` and `"pass":"…"` are not.
          fc.pre(!(n === "pass" && sep === ": "))
          const closing = sep.endsWith("\"") ? "\"" : sep.endsWith("'") ? "'" : ""
          const text = `${a} ${n}${sep}${value}${closing} ${b}`
          const out = redactor.redactString(text)
          expect(out).not.toContain(value)
          expect(out).toContain(`${n}${sep}${R}`)
        }),
        { numRuns: 1_000 }
      )
    })

    const benignKey = fc.constantFrom(
      "model", "role", "latencyMs", "prompt_tokens", "max_tokens", "completion_tokens", "total_tokens", "cacheKey",
      "sessionId", "keyboard", "monkey", "tokenizer", "primaryKey", "requestId", "createdAt", "version", "orderId",
      "commit", "items", "meta", "status", "token_count", "email_verified"
    )
    const epochMs = fc.integer({ min: 1_000_000_000_000, max: 1_999_999_999_999 })
    const benignLeaf = fc.oneof(
      fc.uuid(),
      epochMs,
      epochMs.map(String),
      word,
      words,
      fc.stringMatching(/^[0-9a-f]{40}$/),
      fc.stringMatching(/^[0-9a-f]{64}$/),
      fc.stringMatching(/^[0-9a-f]{7}$/),
      fc.tuple(fc.nat(20), fc.nat(20), fc.nat(99)).map((v) => v.join(".")),
      fc.date({ min: new Date("1970-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.stringMatching(/^ORD-20\d\d-\d{6}$/),
      fc.integer(),
      fc.boolean(),
      fc.constant(null)
    )
    const benignJson = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        benignLeaf,
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(benignKey, tie("value"), { maxKeys: 4 })
      )
    })).value

    it("generated benign JSON comes back as the same value", () => {
      fc.assert(
        fc.property(benignJson, (data) => {
          const copy = structuredClone(data)
          expect(redactor.redact(data)).toBe(data)
          expect(data).toEqual(copy)
        }),
        { numRuns: 1_000 }
      )
    })
  })
})
