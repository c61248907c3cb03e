/**
 * Parses `Error.stack` strings into frames: the V8 format (Node, Chromium, Edge; also IE's
 * `at …` lines) and the SpiderMonkey/JavaScriptCore `function@location` format (Firefox, Safari).
 */
import type { StackFrame } from "../../schemas/ErrorEvents.js"

/** Frames kept per stack: the rest is deep framework plumbing. */
export const maxFrames = 50

/**
 * Whether a frame belongs to the application: it has a file and a line, and the file is not under
 * `node_modules`, not a Node built-in (`node:`, `internal/`), not `<anonymous>` and not native code.
 */
export const isInAppFile = (file: string | undefined, line: number | undefined): boolean =>
  file !== undefined &&
  line !== undefined &&
  !file.includes("node_modules") &&
  !file.startsWith("node:") &&
  !file.startsWith("internal/") &&
  file !== "<anonymous>" &&
  file !== "native" &&
  !file.includes("[native code]")

/** Parses a stack string in either format; lines that are not frames (the message) are skipped. */
export const parseStack = (stack: string): ReadonlyArray<StackFrame> => {
  const lines = stack.split("\n")
  // V8 writes the message first and every frame as "    at …"; only Gecko/JSC stacks lack such lines.
  const isV8 = lines.some((line) => v8Line.test(line))
  const frames: Array<StackFrame> = []
  for (const line of lines) {
    if (frames.length >= maxFrames) break
    const frame = isV8 ? parseV8Line(line) : parseGeckoLine(line)
    if (frame !== undefined) frames.push(frame)
  }
  return frames
}

/**
 * Stacks parsed lately (at most `maxCachedStacks`): errors thrown from the same place have the same frame
 * lines, and parsing them was a tenth of a capture. Remembered by the text of the frame lines alone, so a
 * message with an id in it finds them too, and looked up by length, then compared: hashing the text of a
 * fresh stack, as a `Map` key, cost more than the comparison. The cached frames are frozen and shared;
 * whatever hands frames to a caller (the event data) copies them.
 */
const parsedStacks = new Map<number, Array<{ readonly text: string; readonly frames: ReadonlyArray<StackFrame> }>>()
let cachedStacks = 0
const maxCachedStacks = 256

/** A line that V8 would write as a frame, anywhere in a text. */
const v8LineAnywhere = /(?:^|\n)\s*at\s/

/**
 * The part of a stack its frames are parsed from: from V8's first frame line on, when the lines before it
 * (the message) hold nothing that parses as a frame; else the whole text.
 */
const frameText = (stack: string): string => {
  const first = stack.indexOf("\n    at ")
  return first > 0 && !v8LineAnywhere.test(stack.slice(0, first)) ? stack.slice(first) : stack
}

const parseStackCached = (stack: string): ReadonlyArray<StackFrame> => {
  const text = frameText(stack)
  const sameLength = parsedStacks.get(text.length)
  if (sameLength !== undefined) {
    for (const entry of sameLength) if (entry.text === text) return entry.frames
  }
  const frames = Object.freeze(parseStack(text).map((f) => Object.freeze(f)))
  if (cachedStacks >= maxCachedStacks) {
    parsedStacks.clear()
    cachedStacks = 0
  }
  const entry = { text, frames }
  if (sameLength !== undefined && parsedStacks.has(text.length)) sameLength.push(entry)
  else parsedStacks.set(text.length, [entry])
  cachedStacks++
  return frames
}

/** The frames of a thrown value's `stack` (frozen, possibly shared), or none when it has no string stack. */
export const framesOf = (error: unknown): ReadonlyArray<StackFrame> => {
  if (typeof error !== "object" || error === null) return []
  try {
    const stack = (error as { readonly stack?: unknown }).stack
    return typeof stack === "string" ? parseStackCached(stack) : []
  } catch {
    // A `stack` getter may throw (some proxies, some polyfills): no frames rather than a failure.
    return []
  }
}

const v8Line = /^\s*at\s+/

const frame = (fn: string | undefined, location: Location): StackFrame => {
  const result: { -readonly [K in keyof StackFrame]: StackFrame[K] } = {
    inApp: isInAppFile(location.file, location.line)
  }
  if (fn !== undefined && fn.length > 0) result.function = fn
  if (location.file !== undefined && location.file.length > 0) result.file = location.file
  if (location.line !== undefined) result.line = location.line
  if (location.column !== undefined) result.column = location.column
  return result
}

interface Location {
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

const lineColumn = /^(.*?):(\d+)(?::(\d+))?$/

const parseLocation = (text: string): Location => {
  const match = lineColumn.exec(text.trim())
  if (match === null) return { file: text.trim() }
  const [, file, line, column] = match
  return column === undefined
    ? { file: file!, line: Number(line) }
    : { file: file!, line: Number(line), column: Number(column) }
}

// ---- V8 ------------------------------------------------------------------------------------------

/**
 * `at fn (location)`, `at location`, `at async fn (location)`, `at new Foo (location)`,
 * `at Foo.bar [as baz] (location)`, `at eval (eval at fn (file:1:2), <anonymous>:3:4)`.
 */
const parseV8Line = (line: string): StackFrame | undefined => {
  const match = v8Line.exec(line)
  if (match === null) return undefined
  const body = line.slice(match[0].length).trim()
  const open = body.endsWith(")") ? openingParen(body) : -1
  if (open <= 0) return frame(undefined, parseLocation(body))
  const fn = cleanV8Function(body.slice(0, open).trim())
  let location = body.slice(open + 1, -1)
  if (location.startsWith("eval at ")) {
    // The frame ran in eval'd code: its own position is the last part, after the eval origin.
    const comma = location.lastIndexOf(", ")
    location = comma >= 0 ? location.slice(comma + 2) : "<anonymous>"
  }
  return frame(fn, parseLocation(location))
}

/** Index of the "(" matching the final ")", so nested parentheses (eval origins) stay in the location. */
const openingParen = (body: string): number => {
  let depth = 0
  for (let i = body.length - 1; i >= 0; i--) {
    const c = body[i]
    if (c === ")") depth++
    else if (c === "(") {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

const cleanV8Function = (fn: string): string | undefined => {
  const name = fn
    .replace(/^async\s+/, "")
    .replace(/^new\s+/, "")
    .replace(/\s+\[as [^\]]+\]$/, "")
    .trim()
  return name === "<anonymous>" || name === "Anonymous function" || name.length === 0 ? undefined : name
}

// ---- SpiderMonkey / JavaScriptCore ----------------------------------------------------------------

/** Firefox's `eval`/`Function` location: `http://x/app.js line 12 > eval:3:4`. */
const geckoEval = /^(.*?) line (\d+) > (?:eval|Function)/

/**
 * `fn@location`, `@location` (anonymous), `location` alone (Safari's anonymous top frame),
 * `fn` alone (Safari's `eval code`), `fn@[native code]`.
 */
const parseGeckoLine = (raw: string): StackFrame | undefined => {
  const line = raw.trim()
  if (line.length === 0) return undefined
  const at = line.indexOf("@")
  if (at < 0) {
    if (lineColumn.test(line)) return frame(undefined, parseLocation(line))
    // A function with no location (Safari's "eval code", "global code").
    return /^[\w$.<>/ ]+$/.test(line) ? frame(cleanGeckoFunction(line), {}) : undefined
  }
  const fn = cleanGeckoFunction(line.slice(0, at))
  const location = line.slice(at + 1)
  const evalMatch = geckoEval.exec(location)
  return frame(fn, evalMatch === null ? parseLocation(location) : { file: evalMatch[1]!, line: Number(evalMatch[2]) })
}

const cleanGeckoFunction = (fn: string): string | undefined => {
  const name = fn
    // Firefox marks frames resumed after an await: "async*loadUser".
    .replace(/^async\*/, "")
    // Old Firefox printed arguments: "bar(1)", "()", "(null)".
    .replace(/\(.*\)$/, "")
    // Firefox names closures after their parents: "outer/inner/<", "verb/<".
    .replace(/[/<]+$/, "")
    .trim()
  return name.length === 0 ? undefined : name
}
