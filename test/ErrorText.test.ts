import { describe, expect, it } from "@effect/vitest"
import { withoutInternals } from "../src/services/health/ErrorText.js"

describe("ErrorText", () => {
  const cut: ReadonlyArray<readonly [string, string, string]> = [
    ["a POSIX path", "ENOENT: no such file or directory, open '/etc/app/secrets/db.json'", "ENOENT: no such file or directory, open '[path]'"],
    [
      "V8 stack frames",
      "TypeError: x is undefined\n    at connect (/srv/app/node_modules/pg/lib/client.js:10:5)\n    at Array.map (<anonymous>)\n" +
        "    at async main (file:///home/ann/app/main.mjs:3:1)",
      "TypeError: x is undefined"
    ],
    ["an unindented V8 frame", "boom\nat run (/srv/app/x.js:1:2)\nat /srv/app/y.js:3:4", "boom"],
    ["SpiderMonkey frames", "boom\nfn@https://x.io/app.js:1:2\n@http://x/y.js:3:4", "boom"],
    ["Windows and UNC paths", "C:\\Users\\ann\\app\\config.json missing; \\\\fileserver\\share\\x too", "[path] missing; [path] too"],
    ["home, relative and file: paths", "~/.aws/credentials, ./config/local.json, ../key.pem, file:///srv/x", "[path], [path], [path], [path]"],
    ["a text of frames only", "    at a (/x/y.js:1:1)\n    at b (/x/z.js:2:2)", "[stack trace omitted]"]
  ]

  it.each(cut)("%s is cut from the text", (_name, input, expected) => {
    expect(withoutInternals(input)).toBe(expected)
  })

  const kept = [
    "TimeoutException: timed out after 5s",
    "failed to GET http://db.internal:5432/app/health and https://x.io/a/b?c=d",
    "at least one replica is down since 10:30:45",
    "rate 10/s on /health, 10.0.0.1/24, 2024/01/15, application/json",
    "Error: connection refused for [REDACTED]",
    "two lines\nof plain text"
  ]

  it.each(kept)("%s is kept as it is", (input) => {
    expect(withoutInternals(input)).toBe(input)
  })
})
