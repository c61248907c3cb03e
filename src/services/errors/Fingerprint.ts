/**
 * Fingerprints that group occurrences of the same bug: the error type, the message with its variable
 * parts replaced, and the file and function (never the line or column) of the top in-app frames.
 *
 * @internal
 */
import type { StackFrame } from "../../schemas/ErrorEvents.js"
import { hash64 } from "../../internal/hash64.js"
import { maxFingerprintLength } from "./Bounds.js"

/** In-app frames that take part in a fingerprint. */
export const fingerprintFrames = 3

/** Longest normalized message kept in a fingerprint. */
const maxMessageLength = 300

/**
 * Values that change between occurrences of one bug, replaced in this order (earlier ones protect what
 * later ones would cut apart). All become the same placeholder: one slot may hold a number in one
 * occurrence and a UUID in the next (ids change shape), and that must not split the group.
 */
const noise: ReadonlyArray<RegExp> = [
  // URLs before anything inside them (hosts, ids, query strings) is touched; one ends at a space or quote.
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi,
  // Emails with any RFC 5322 local part ("o'neil@…") not starting with a quote, so a quoted value
  // starting with "@" stays whole; a quote left beside an email is absorbed below.
  /[\w.!#$%&*+/=?^{|}~-][\w.!#$%&'*+/=?^`{|}~-]*@[\w-]+(?:\.[\w-]+)+/g,
  // Quoted values; a single quote counts only when it is not an apostrophe ("can't").
  /"[^"\n]*"|(?<![\p{L}\p{N}])'[^'\n]*'(?![\p{L}\p{N}])|`[^`\n]*`/gu,
  /(?<![0-9a-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-z])/gi,
  // Hex: 0x-prefixed; bare runs with a letter a-f (all-digit runs are numbers, sign included) of 8+
  // with a digit (ids) or of 16+ (hashes). Hex may touch "_" or "-" ("req_5f3a9c2b"), so runs are
  // delimited by "not alphanumeric" rather than \b.
  /(?<![0-9a-z])0x[0-9a-f]+(?![0-9a-z])/gi,
  /(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?:(?=[0-9a-f]*\d)[0-9a-f]{8,}|[0-9a-f]{16,})(?![0-9a-z])/gi,
  // Numbers, also inside words ("user42"); signs, decimals and exponents included.
  /[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?/gi
]

/** The placeholder every variable value becomes. */
export const placeholder = "<*>"

/**
 * Placeholders separated only by spaces or list punctuation (a list of values of varying length),
 * with any quote characters touching them (left over when a value swallowed one of its quotes).
 */
const placeholderRun = /['"`]*<\*>(?:[\s,;:'"`]*<\*>)*['"`]*/g

/**
 * The message with URLs, emails, quoted values, UUIDs, hex and numbers replaced by `<*>`, runs of
 * placeholders (and quotes touching them) collapsed to one, and whitespace collapsed.
 */
export const normalizeMessage = (message: string): string => {
  let result = message
  for (const pattern of noise) result = result.replace(pattern, placeholder)
  return result.replace(placeholderRun, placeholder).replace(/\s+/g, " ").trim().slice(0, maxMessageLength)
}

/**
 * A file as it identifies code across deployments and rebuilds: no scheme or origin, no query or
 * hash, no content hash in the name (`main.3f2a9c1b.js`), and only its last two path segments
 * (the directories above depend on where the app was installed).
 */
export const normalizeFile = (file: string): string => {
  const path = file
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "")
    .replace(/[?#].*$/, "")
    .replace(/\\/g, "/")
  const segments = path.split("/").filter((s) => s.length > 0 && s !== ".")
  const name = (segments.pop() ?? "")
    .replace(/[.-](?=[a-z0-9_]*\d)[a-z0-9_]{8,}(?=\.[cm]?[jt]sx?$)/i, "")
  const parent = segments.pop()
  return parent === undefined ? name : `${parent}/${name}`
}

/** The part of a frame that survives a rebuild: file and function, never line or column. */
export const frameKey = (frame: StackFrame): string => `${normalizeFile(frame.file ?? "?")}#${frame.function ?? "?"}`

/** What a fingerprint is computed from. */
export interface FingerprintInput {
  readonly type: string
  readonly message: string
  readonly frames: ReadonlyArray<StackFrame>
}

/** The text a fingerprint hashes; exposed so a test or a curious user can see why two errors differ. */
export const fingerprintSource = (input: FingerprintInput): string => {
  const frames = frameKeysOf(input.frames)
  const message = normalizedMessageOf(input.message)
  return frames.length === 0 ? `${input.type}\n${message}` : `${input.type}\n${message}\n${frames}`
}

const frameKeysText = (frames: ReadonlyArray<StackFrame>): string =>
  frames.filter((f) => f.inApp).slice(0, fingerprintFrames).map(frameKey).join("\n")

/**
 * The frame part of a fingerprint, remembered for the frozen frame lists `framesOf` shares between
 * captures of the same stack (its regexes were a sizeable part of a capture); computed for any other list.
 */
const frameKeysCache = new WeakMap<ReadonlyArray<StackFrame>, string>()
const frameKeysOf = (frames: ReadonlyArray<StackFrame>): string => {
  if (!Object.isFrozen(frames)) return frameKeysText(frames)
  let keys = frameKeysCache.get(frames)
  if (keys === undefined) {
    keys = frameKeysText(frames)
    frameKeysCache.set(frames, keys)
  }
  return keys
}

/** Messages normalized lately (at most 256): the same error repeats its message. */
const normalizedMessages = new Map<string, string>()
const normalizedMessageOf = (message: string): string => {
  let normalized = normalizedMessages.get(message)
  if (normalized === undefined) {
    normalized = normalizeMessage(message)
    if (normalizedMessages.size >= 256) normalizedMessages.clear()
    normalizedMessages.set(message, normalized)
  }
  return normalized
}

/**
 * Fingerprints computed lately, by frozen frame list (those `framesOf` shares between captures of the same
 * stack), then by type and message (at most 16 a list, of texts up to 256 characters): the same error
 * repeats all three.
 */
const fingerprints = new WeakMap<ReadonlyArray<StackFrame>, Map<string, string>>()
const maxFingerprintsPerStack = 16
const maxRememberedText = 256

/** A 16-hex-digit fingerprint of the error type, normalized message and top in-app frames. */
export const fingerprint = (input: FingerprintInput): string => {
  if (!Object.isFrozen(input.frames) || input.type.length + input.message.length > maxRememberedText) {
    return hash64(fingerprintSource(input))
  }
  let known = fingerprints.get(input.frames)
  if (known === undefined) {
    known = new Map()
    fingerprints.set(input.frames, known)
  }
  // The type's length first: no other type and message make the same key.
  const key = `${input.type.length}:${input.type}${input.message}`
  let result = known.get(key)
  if (result === undefined) {
    result = hash64(fingerprintSource(input))
    if (known.size >= maxFingerprintsPerStack) known.clear()
    known.set(key, result)
  }
  return result
}

/**
 * A caller-given fingerprint as it is stored: redacted, and replaced by its hash when longer than
 * `maxFingerprintLength` (so two long ones never merge by a common prefix).
 */
export const givenFingerprint = (fingerprint: string, redactString: (text: string) => string): string => {
  if (fingerprint.length > maxFingerprintLength) return hash64(fingerprint)
  const redacted = redactString(fingerprint)
  return redacted.length > maxFingerprintLength ? hash64(redacted) : redacted
}

export { hash64 } from "../../internal/hash64.js"
