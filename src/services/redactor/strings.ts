/**
 * Replacing PII in strings: the caller's extra patterns first, then the built-in ones behind cheap pre-filters,
 * since this runs on every string of every tracked event.
 *
 * @internal
 */
import {
  identifierPiiKind,
  mayHoldPii,
  mayPassGate,
  piiPatterns,
  plainShape,
  scanForPii,
  scanHint,
  shortestMatch,
  shortestPlainShape
} from "./patterns.js"

/** The string redactor of `replacement` and the caller's `extraPatterns`. */
export const stringRedactor = (
  replacement: string,
  extraPatterns: ReadonlyArray<RegExp>
): (value: string) => string => {
  const extras = extraPatterns.map((p) => p.global ? p : new RegExp(p.source, p.flags + "g"))
  // A function replacer, so that `$&` or `$1` in a replacement is taken literally.
  const replace = () => replacement
  return (value) => {
    let out = value
    for (let i = 0; i < extras.length; i++) out = out.replace(extras[i]!, replace)
    if (out.length < shortestMatch) return out
    // Most text has no character any hint or gate needs: one pass over it, no regex.
    const scan = scanForPii(out)
    if (scan === 0) return out
    // UUIDs and timestamps would pass the pre-filter, so their shape is tested first.
    if (out.length >= shortestPlainShape && plainShape.test(out)) return out
    // Patterns with a gate are outside the pre-filter: they run when their gate passes, whatever it says.
    const mayHold = (scan & scanHint) !== 0 && mayHoldPii.test(out)
    if (!mayHold && !mayPassGate(out)) return out
    for (const { accept, gate, hint, regex, rewrite } of piiPatterns) {
      if (gate === undefined ? !mayHold : !gate(out)) continue
      // A `replace` that finds nothing costs several times a `test`, and most searches find nothing.
      regex.lastIndex = 0
      if (!hint.test(out) || !regex.test(out)) continue
      out = rewrite !== undefined
        ? out.replace(regex, (match: string, ...groups: Array<string | undefined>) => rewrite(replacement, match, ...groups))
        : accept === undefined
        ? out.replace(regex, replace)
        : out.replace(regex, (match: string) => accept(match) ? replacement : match)
    }
    return out
  }
}

/** A field or tag name with PII replaced: searched as text, then as an identifier (`card_4111…`). */
export const nameRedactor = (replacement: string, redactString: (value: string) => string) => (name: string): string => {
  const out = redactString(name)
  return out !== name ? out : identifierPiiKind(name) === undefined ? name : replacement
}
