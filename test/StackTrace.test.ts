import { describe, expect, it } from "@effect/vitest"
import { framesOf, isInAppFile, maxFrames, parseStack } from "../src/services/errors/StackTrace.js"
import { findUser, thrownBy } from "./fixtures/errors/callSites.js"
import * as stacks from "./fixtures/errors/stacks.js"

describe("StackTrace", () => {
  it("parses Node V8 frames: async, Promise.all index, dependencies and internals", () => {
    expect(parseStack(stacks.node)).toEqual([
      { function: "getUserId", file: "/srv/app/dist/services/users.js", line: 42, column: 18, inApp: true },
      { function: "Promise.all", file: "index 0", inApp: false },
      { function: "handleRequest", file: "/srv/app/dist/routes/api.js", line: 17, column: 5, inApp: true },
      {
        function: "Server.<anonymous>",
        file: "/srv/app/node_modules/express/lib/router/index.js",
        line: 284,
        column: 7,
        inApp: false
      },
      {
        function: "process.processTicksAndRejections",
        file: "node:internal/process/task_queues",
        line: 95,
        column: 5,
        inApp: false
      }
    ])
  })

  it("skips the message lines of a multi-line message and parses file URLs and anonymous frames", () => {
    expect(parseStack(stacks.nodeEsm)).toEqual([
      { file: "file:///srv/app/src/client.mjs", line: 10, column: 11, inApp: true },
      { function: "ModuleJob.run", file: "node:internal/modules/esm/module_job", line: 195, column: 25, inApp: false }
    ])
  })

  it("parses Chrome frames: new, [as alias], eval origins and native <anonymous>", () => {
    const frames = parseStack(stacks.chrome)
    expect(frames.map((f) => [f.function, f.file, f.line, f.inApp])).toEqual([
      ["fetchJson", "https://app.example.com/assets/index-4f8a9c2e.js", 12, true],
      ["loadDashboard", "https://app.example.com/assets/index-4f8a9c2e.js", 88, true],
      ["eval", "<anonymous>", 3, false],
      ["Array.forEach", "<anonymous>", undefined, false],
      ["Store", "https://app.example.com/assets/index-4f8a9c2e.js", 5, true],
      ["Object.handler", "https://app.example.com/assets/index-4f8a9c2e.js", 9, true]
    ])
  })

  it("parses Firefox frames: closure names, async markers, eval locations, anonymous functions", () => {
    expect(parseStack(stacks.firefox)).toEqual([
      { function: "fetchJson", file: "https://app.example.com/assets/index-4f8a9c2e.js", line: 12, column: 3456, inApp: true },
      { function: "loadDashboard", file: "https://app.example.com/assets/index-4f8a9c2e.js", line: 88, column: 912, inApp: true },
      { function: "loadDashboard", file: "https://app.example.com/assets/index-4f8a9c2e.js", line: 88, column: 700, inApp: true },
      { function: "evaluate", file: "https://app.example.com/assets/vendor.js", line: 1, inApp: true },
      { file: "https://app.example.com/assets/index-4f8a9c2e.js", line: 1, column: 1, inApp: true }
    ])
  })

  it("parses legacy Firefox frames with arguments and no columns", () => {
    expect(parseStack(stacks.firefoxLegacy)).toEqual([
      { file: "http://127.0.0.1:8000/js/report.js", line: 44, inApp: true },
      { function: "render", file: "http://127.0.0.1:8000/js/report.js", line: 13, inApp: true },
      { file: "http://127.0.0.1:8000/js/report.js", line: 24, inApp: true }
    ])
  })

  it("parses Safari frames; native code is not in-app", () => {
    expect(parseStack(stacks.safari).map((f) => [f.function, f.line, f.inApp])).toEqual([
      ["fetchJson", 12, true],
      ["loadDashboard", 88, true],
      ["forEach", undefined, false],
      ["global code", 1, true]
    ])
  })

  it("parses legacy Safari: a bare location frame and a frame with no location", () => {
    expect(parseStack(stacks.safariLegacy)).toEqual([
      { file: "https://app.example.com/assets/app.js", line: 48, column: 22, inApp: true },
      { function: "dumpState", file: "https://app.example.com/assets/app.js", line: 52, column: 15, inApp: true },
      { function: "eval code", inApp: false },
      { function: "eval", file: "[native code]", inApp: false },
      { function: "module code", file: "https://app.example.com/assets/app.js", line: 1, column: 1, inApp: true }
    ])
  })

  it("reads the frames of a real thrown error, this file and the fixture in-app, node_modules not", () => {
    const frames = framesOf(thrownBy(() => findUser("u1")))
    expect(frames[0]).toMatchObject({ function: "findUser", inApp: true })
    expect(frames[0]!.file).toMatch(/test\/fixtures\/errors\/callSites\.ts$/)
    expect(frames.some((f) => f.file?.endsWith("StackTrace.test.ts") && f.inApp)).toBe(true)
    for (const f of frames.filter((f) => f.file?.includes("node_modules"))) expect(f.inApp).toBe(false)
  })

  it("in-app needs a file and a line, outside node_modules, node:, internal/, <anonymous> and native code", () => {
    expect(isInAppFile("/app/src/a.ts", 1)).toBe(true)
    expect(isInAppFile("/app/src/a.ts", undefined)).toBe(false)
    expect(isInAppFile(undefined, 1)).toBe(false)
    expect(isInAppFile("/app/node_modules/x/index.js", 1)).toBe(false)
    expect(isInAppFile("node:net", 1)).toBe(false)
    expect(isInAppFile("internal/process/task_queues", 1)).toBe(false)
    expect(isInAppFile("<anonymous>", 1)).toBe(false)
    expect(isInAppFile("[native code]", 1)).toBe(false)
  })

  it("keeps at most maxFrames frames, and tolerates values without a usable stack", () => {
    const deep = ["Error: deep", ...Array.from({ length: 200 }, (_, i) => `    at f${i} (/app/src/a.js:${i + 1}:1)`)].join("\n")
    expect(parseStack(deep)).toHaveLength(maxFrames)
    expect(framesOf("a string")).toEqual([])
    expect(framesOf({ stack: 42 })).toEqual([])
    const hostile = Object.defineProperty({}, "stack", {
      get() {
        throw new Error("no stack for you")
      }
    })
    expect(framesOf(hostile)).toEqual([])
    expect(parseStack("")).toEqual([])
  })

  it("frames of one throw site are parsed once whatever the message, and equal what the whole stack parses to", () => {
    const frameLines = ["    at loadUser (/app/src/users.js:10:5)", "    at main (/app/src/index.js:3:1)"]
    const stackOf = (message: string) => [`Error: ${message}`, ...frameLines].join("\n")
    const first = framesOf({ stack: stackOf("user 41 not found") })
    const second = framesOf({ stack: stackOf("user 42 not found") })
    expect(second).toBe(first)
    expect(first).toEqual(parseStack(stackOf("user 41 not found")))
  })

  it("a message with a line that reads as a frame keeps that frame, as the whole stack parses", () => {
    const stack = ["Error: failed", "at injected (/evil/x.js:1:1)", "    at main (/app/src/index.js:3:1)"].join("\n")
    expect(framesOf({ stack })).toEqual(parseStack(stack))
    expect(framesOf({ stack }).map((f) => f.function)).toEqual(["injected", "main"])
  })
})
