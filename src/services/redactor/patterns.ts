/**
 * The shapes of personal data and secrets found inside free text, with the validators that tell a real
 * card number or SSN from a digit run that only looks like one.
 *
 * Every pattern replaces its whole match, but for a secret assigned to a name (`password=…`), whose name
 * is kept. Boundaries are written as lookarounds so that a pattern never starts or ends in the middle of
 * a longer word, id or hash (a UUID's digit groups are not a phone number), and so that a failed search
 * costs one pass over the text.
 */
import { isSensitiveName, wordsOf } from "./fields.js"

/** One kind of personal data or secret found in text. */
export interface PiiPattern {
  /** What it finds, as the docs name it: `"email"`. */
  readonly name: string
  /** A cheap test that must pass before `regex` runs; all hints together form the pre-filter. */
  readonly hint: RegExp
  /** Finds candidates; global (its `lastIndex` is reset before use), and each whole match is replaced. */
  readonly regex: RegExp
  /** Rejects a candidate that only looks like this kind (a digit run failing Luhn); default accepts all. */
  readonly accept?: ((match: string) => boolean) | undefined
  /**
   * Replaces part of a match rather than all of it (`password=` stays, what follows goes), given the
   * replacement text, the match and its capture groups; returns the match itself to keep it.
   */
  readonly rewrite?: ((replacement: string, match: string, ...groups: Array<string | undefined>) => string) | undefined
  /**
   * For a pattern that needs a character most text lacks (`=`, `%`): a test cheaper than any regex, run
   * before `hint` in place of the pre-filter, which leaves this pattern's hint out.
   */
  readonly gate?: ((text: string) => boolean) | undefined
}

/** No built-in pattern matches text shorter than this (`a@b.co`), so shorter strings are not searched. */
export const shortestMatch = 6

/** The Luhn checksum over a string of digits. */
export const luhn = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/**
 * A payment card number: 13–19 digits passing Luhn and starting as issuers' numbers do (2–6; a 13-digit
 * number only as an old Visa, starting with 4). The leading-digit rule is what keeps epoch milliseconds
 * (13 digits starting with 1 until 2033), microseconds and nanoseconds from being taken for cards.
 */
export const isCardNumber = (candidate: string): boolean => {
  const digits = candidate.replace(/[ -]/g, "")
  const first = digits.charCodeAt(0) - 48
  if (digits.length < 13 || digits.length > 19) return false
  if (digits.length === 13 ? first !== 4 : first < 2 || first > 6) return false
  return luhn(digits)
}

const hasDigit = (s: string) => /\d/.test(s)

// An e-mail's local part takes letters, digits and `._%+-`, not the rarer RFC 5322 characters, so that quotes,
// markdown and `?email=` around an address stay. The top-level domain is letters: `pkg@1.2.3` is a version.
// Dots may come URL-encoded (`%2E`).
const local = "(?<![\\w.%+-])[\\w.%+-]+"
const domain = "[A-Za-z0-9-]+(?:(?:\\.|%2[Ee])[A-Za-z0-9-]+)*(?:\\.|%2[Ee])[A-Za-z]{2,}"

const octet = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)"
const hex = "[0-9A-Fa-f]"
const h16 = `${hex}{1,4}`
/** An IPv6 address: eight groups, or one to seven around a `::` that stands for the rest. */
const ipv6Forms = [
  `(?:${h16}:){7}${h16}`,
  `(?:${h16}:){1,7}:`,
  ...[6, 5, 4, 3, 2, 1].map((before) => `(?:${h16}:){1,${before}}(?::${h16}){1,${7 - before}}`),
  `:(?::${h16}){1,7}`
]

/** The last words of a name a secret is assigned to in text: `db_password=…`, `apiKey: …`. */
const secretNames =
  "password|passwd|passphrase|pass|pwd|secrets|secret|token|key|authorization|auth|credentials|credential|cookie"

/** The schemes of an `Authorization` value, kept with it: `Basic …`, `Bearer …`. */
const schemes = "(?:basic|bearer|digest|negotiate|ntlm|token)[ \\t]+"
const leadingScheme = new RegExp(`^${schemes}`, "i")

/** Assignments of a secret in free text: `password=…`, `api_key: …`, `"token":"…"`, `Authorization: Basic …`. */
const secretAssignment: PiiPattern = {
  name: "secret-assignment",
  gate: (text) => text.includes("=") || text.includes(":"),
  hint: new RegExp(`(?:${secretNames})\\\\?["']?[ \\t]{0,3}[=:]`, "i"),
  // name, separator, value. The name ends on a secret's word; `:` needs a space or quotes around it, so that
  // `auth:read` scopes and `key:value` ids stay; the value is quoted, a scheme and its credentials, or a run
  // up to the next separator of a query string, a list or a header.
  regex: new RegExp(
    `(?<![\\w.-])([\\w.-]{0,48}?(?:${secretNames}))` +
      "(\\\\?[\"']?[ \\t]{0,3}=[ \\t]{0,3}|\\\\?[\"'][ \\t]{0,3}:[ \\t]{0,3}|[ \\t]{0,3}:[ \\t]{1,3}|:(?=\\\\?[\"']))" +
      "(\\\\?\"[^\"\\n]{0,256}?\\\\?\"|\\\\?'[^'\\n]{0,256}?\\\\?'|" +
      `(?:${schemes})?[^\\s"'&;,)}\\]<>\\\\]+)`,
    "gi"
  ),
  rewrite: (replacement, match, name = "", separator = "", value = "") => {
    const words = wordsOf(name)
    // `pass` alone names a password in `pass=…` or `"pass":"…"`, but in prose (`pass: 10`) it is a count.
    const sensitive = isSensitiveName(words) ||
      (words[words.length - 1] === "pass" && /[="']/.test(separator))
    if (!sensitive) return match
    const quoted = /^\\?["']/.exec(value)
    const open = quoted !== null ? quoted[0] : (leadingScheme.exec(value)?.[0] ?? "")
    const close = quoted !== null ? (/\\?["']$/.exec(value.slice(open.length))?.[0] ?? "") : ""
    const secret = value.slice(open.length, value.length - close.length)
    // Nothing to hide, or already replaced (by a pattern before this one, or an earlier pass).
    if (secret.length === 0 || replacement.startsWith(secret)) return match
    return name + separator + open + replacement + close
  }
}

/**
 * The built-in patterns, in the order they run: whole secrets first (a PEM block, a JWT, a URL's
 * credentials), so that the digit patterns after them never see pieces of one.
 */
export const piiPatterns: ReadonlyArray<PiiPattern> = ([
  {
    name: "pem-private-key",
    hint: /-----BEGIN/,
    // An unterminated block is cut to the end of the text rather than kept.
    regex: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g
  },
  {
    name: "url-credentials",
    hint: /:\/\//,
    // Only the `user:password` or `user` between `scheme://` and `@`: the scheme, host, path and `@` are kept.
    regex: /(?<=:\/\/)[^\s:/?#@]+(?::[^\s/?#@]*)?(?=@)/g
  },
  {
    name: "jwt",
    hint: /eyJ/,
    regex: /(?<![\w-])eyJ[\w-]{10,}\.[\w-]{10,}(?:\.[\w-]*){1,3}/g
  },
  {
    name: "bearer-token",
    hint: /[Bb]earer|BEARER/,
    // The word `Bearer` is kept; what follows must look random (a digit, or 20+ characters) so that
    // "bearer instruments" stays prose.
    regex: /(?<=\b(?:[Bb]earer|BEARER)\s{1,4})[A-Za-z0-9._~+/-]{8,}=*/g,
    accept: (token) => token.length >= 20 || hasDigit(token)
  },
  {
    name: "api-key",
    hint: /sk-|[rs]k_(?:live|test)_|A[KS]IA|gh[pousr]_|github_pat_|xox[abposr]-|AIza/,
    // The alternatives start differently, so at most one can match at a place.
    regex: new RegExp(
      `(?<![\\w-])(?:${
        [
          "sk-[A-Za-z0-9_-]{20,}", // OpenAI (sk-…, sk-proj-…), Anthropic (sk-ant-…)
          "[rs]k_(?:live|test)_[A-Za-z0-9]{10,}", // Stripe
          "gh[pousr]_[A-Za-z0-9]{30,}", // GitHub tokens
          "github_pat_[A-Za-z0-9_]{30,}",
          "xox[abposr]-[A-Za-z0-9-]{10,}", // Slack
          "AIza[\\w-]{35}" // Google API keys
        ].join("|")
      })|(?<![A-Za-z0-9])A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])`, // AWS access key ids
      "g"
    ),
    // `sk-` followed by words only is a slug (`sk-learn-tutorial-for-beginners`), not a key.
    accept: (key) => !key.startsWith("sk-") || hasDigit(key)
  },
  secretAssignment,
  {
    name: "email",
    hint: /@/,
    regex: new RegExp(`${local}@${domain}`, "g")
  },
  {
    name: "email",
    // An e-mail whose `@` is URL-encoded (`%40`, or twice: `%2540`), an HTML entity or a JSON escape, as in
    // query strings, logged URLs and serialized text; otherwise as above.
    gate: (text) => text.includes("%") || text.includes("&#") || text.includes("\\u"),
    hint: /%(?:25)?40|&#(?:0*64|[xX]0*40);|\\u0040/,
    regex: new RegExp(`${local}(?:%40|%2540|&#0*64;|&#[xX]0*40;|\\\\u0040)${domain}`, "g")
  },
  {
    name: "ipv4",
    hint: /\d\.\d/,
    // A dotted quad, however it is used: "10.0.0.1" in "10.0.0.1-beta" is taken for an address.
    regex: new RegExp(`(?<![\\w.])(?:${octet}\\.){3}${octet}(?!\\w|\\.\\d)`, "g")
  },
  {
    name: "ipv6",
    hint: /::|[0-9A-Fa-f]:[0-9A-Fa-f]+:/,
    regex: new RegExp(`(?<![\\w:])(?:${ipv6Forms.join("|")})(?![\\w:])`, "g"),
    // Hex words around `::` (`dead::beef`, `a::b` in code) are not addresses.
    accept: hasDigit
  },
  {
    name: "card-number",
    hint: /\d{4}/,
    // Contiguous, or grouped 4-4-4-4(-3), 4-6-5 (Amex) or 4-6-4 (Diners) with one kind of separator;
    // not the decimals of a number ("0.4111111111111111").
    regex: /(?<![\w-]|\d\.)(?:\d{13,19}|\d{4}([ -])(?:\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{6}\1\d{4,5}))(?!\w|-\d|\.\d)/g,
    accept: isCardNumber
  },
  {
    name: "us-ssn",
    hint: /\d{3}/,
    // Area 001–665, 667–899; group and serial not all zeros. Nine bare digits are too common to count.
    regex: /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])/g
  },
  {
    name: "phone-nanp",
    hint: /\d{3}/,
    // (415) 555-2671, 415-555-2671, 415.555.2671, +1 415 555 2671, 1-800-555-0199. Ten bare digits are
    // left to the E.164 pattern, which wants a leading `+`.
    regex: /(?<![\w+-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}(?![\w-])/g
  },
  {
    name: "phone-e164",
    hint: /\+\d/,
    // +14155552671, +44 20 7946 0958: a `+`, then 8–15 digits, optionally grouped.
    regex: /(?<![\w+])\+[1-9](?:[ .-]?\d){7,14}(?!\w|-\d|\.\d)/g
  }
] satisfies Array<PiiPattern>).map((p: PiiPattern): PiiPattern => ({
  // Every pattern gets every field, so that the loops over them read one shape of object.
  name: p.name,
  hint: p.hint,
  regex: p.regex,
  accept: p.accept,
  rewrite: p.rewrite,
  gate: p.gate
}))

/**
 * Passes every string that a built-in pattern without a `gate` could match, and few others: one test
 * instead of a dozen.
 */
export const mayHoldPii: RegExp = new RegExp(
  [...new Set(piiPatterns.filter((p) => p.gate === undefined).map((p) => p.hint.source))].join("|")
)

const gates = piiPatterns.flatMap((p) => (p.gate === undefined ? [] : [p.gate]))

/** A character every gate needs: one regex test spares most text the gates themselves. */
const gateCharacters = /[=:%&\\]/

/** Whether the gate of a pattern left out of the pre-filter passes. */
export const mayPassGate = (text: string): boolean => {
  if (!gateCharacters.test(text)) return false
  for (let i = 0; i < gates.length; i++) if (gates[i]!(text)) return true
  return false
}

/** Whether a built-in pattern may match: the pre-filter, or the gate of a pattern left out of it. */
const mayMatch = (text: string): boolean => mayHoldPii.test(text) || mayPassGate(text)

/**
 * Whole strings shaped like a UUID, a hex hash, an ISO date-time or an integer that is not a card number
 * (up to 12 digits, or 13 starting with 1: epoch milliseconds until 2033). Event data is full of them,
 * they pass the pre-filter, and no built-in pattern can match inside them, so they are not searched.
 */
export const plainShape: RegExp = new RegExp(`^(?:${
  [
    `${hex}{8}(?:-${hex}{4}){3}-${hex}{12}`, // UUID
    `${hex}{20,}`, // hashes, git SHAs
    "1?\\d{1,12}",
    "\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:?\\d{2})?)?"
  ].join("|")
})$`)

/** Strings shorter than this (`2024-01-15`) are not shape-tested: the pre-filter alone is cheaper for them. */
export const shortestPlainShape = 10

const identifierPatterns = piiPatterns.filter((p) => p !== secretAssignment)

const kindIn = (text: string): string | undefined => {
  if (text.length < shortestMatch || !mayMatch(text)) return undefined
  for (const { accept, gate, hint, name, regex } of identifierPatterns) {
    if ((gate !== undefined && !gate(text)) || !hint.test(text)) continue
    regex.lastIndex = 0
    let found = false
    let m: RegExpExecArray | null
    while (!found && (m = regex.exec(text)) !== null) found = accept === undefined || accept(m[0])
    regex.lastIndex = 0
    if (found) return name
  }
  return undefined
}

/**
 * The kind of PII (`"card-number"`, `"api-key"`…) an identifier — an event type, a field or tag name, a
 * user id — holds, or `undefined`. In text the built-in boundaries take `_` and `-` for part of a word, so
 * that slugs and ids stay; in a name they separate words (`card_4111111111111111`, `openai-sk-proj-…`), so
 * the name is searched as it is, with `_` as a plain separator, and from after each `_` or `-`. Assignments
 * (`key=value`) are not looked for: `auth:login` is a name.
 */
export const identifierPiiKind = (id: string): string | undefined => {
  // Hints and gates look for substrings, so a name failing them has no part that passes them.
  if (id.length < shortestMatch || !mayMatch(id) || (id.length >= shortestPlainShape && plainShape.test(id))) {
    return undefined
  }
  const kind = kindIn(id)
  if (kind !== undefined || !/[_-]/.test(id)) return kind
  const spaced = id.includes("_") ? kindIn(id.replace(/_/g, "/")) : undefined
  if (spaced !== undefined) return spaced
  for (let i = id.length - shortestMatch; i > 0; i--) {
    const c = id.charCodeAt(i - 1)
    if (c !== 95 && c !== 45) continue // `_`, `-`
    const found = kindIn(id.slice(i))
    if (found !== undefined) return found
  }
  return undefined
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** The hints `scanForPii` was written for, in `mayHoldPii`'s order: a test holds them equal. */
export const scannedHints: ReadonlyArray<string> = [
  "-----BEGIN",
  ":\\/\\/",
  "eyJ",
  "[Bb]earer|BEARER",
  "sk-|[rs]k_(?:live|test)_|A[KS]IA|gh[pousr]_|github_pat_|xox[abposr]-|AIza",
  "@",
  "\\d\\.\\d",
  "::|[0-9A-Fa-f]:[0-9A-Fa-f]+:",
  "\\d{4}",
  "\\d{3}",
  "\\+\\d"
]

/** `scanForPii`: a hint of the pre-filter may match. */
export const scanHint = 1
/** `scanForPii`: the text holds a character some gate needs. */
export const scanGate = 2

/**
 * One pass over the characters of `text` in place of the pre-filter's regex, which costs ~15 ns a character
 * for an alternation of a dozen hints: `scanHint` whenever `mayHoldPii` may match (it never misses one, and
 * `mayHoldPii` stays the judge of what it lets through), `scanGate` when a gate character is present, 0 for
 * most text.
 */
export const scanForPii = (text: string): number => {
  let found = 0
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48) {
      if (c === 45) { // `-`: `-----BEGIN`, `sk-`, `xox?-`
        if (
          text.startsWith("-----BEGIN", i) || (i >= 2 && text.charCodeAt(i - 1) === 107 && text.charCodeAt(i - 2) === 115) ||
          (i >= 4 && text.startsWith("xox", i - 4))
        ) return found | scanHint
      } else if (c === 37 || c === 38) found |= scanGate // `%`, `&`
      else if (c === 43 && isDigit(text.charCodeAt(i + 1))) return found | scanHint // `+\d`
    } else if (c <= 57) { // a digit: `\d{3}`, `\d\.\d`
      const next = text.charCodeAt(i + 1)
      if (isDigit(next) ? isDigit(text.charCodeAt(i + 2)) : next === 46 && isDigit(text.charCodeAt(i + 2))) {
        return found | scanHint
      }
    } else if (c === 58) { // `:`: `://`, `::`, `hex:hex…`
      found |= scanGate
      const next = text.charCodeAt(i + 1)
      if (next === 58 || (next === 47 && text.charCodeAt(i + 2) === 47)) return found | scanHint
      if (i > 0 && isHex(text.charCodeAt(i - 1)) && isHex(next)) return found | scanHint
    } else if (c === 61) found |= scanGate // `=`
    else if (c === 64) return found | scanHint // `@`
    else if (c === 92) found |= scanGate // `\`
    else if (c === 65) { // `A`: `A[KS]IA`, `AIza`
      if (text.startsWith("Iza", i + 1) || text.startsWith("KIA", i + 1) || text.startsWith("SIA", i + 1)) return found | scanHint
    } else if (c === 66 || c === 98) { // `B`, `b`: `[Bb]earer`, `BEARER`
      if (text.startsWith("earer", i + 1) || (c === 66 && text.startsWith("EARER", i + 1))) return found | scanHint
    } else if (c === 74) { // `J`: `eyJ`
      if (i >= 2 && text.charCodeAt(i - 1) === 121 && text.charCodeAt(i - 2) === 101) return found | scanHint
    } else if (c === 95) { // `_`: `[rs]k_`, `gh?_`, `github_pat_`
      if (i >= 2 && (text.charCodeAt(i - 1) === 107 || text.charCodeAt(i - 2) === 104 || text.startsWith("github", i - 6))) {
        return found | scanHint
      }
    }
  }
  return found
}
