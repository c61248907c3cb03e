/**
 * Severity and category of an error: the category from the evidence of its structure or its message (see
 * `Evidence`), the severity from whether it was a failure or a defect and from a severity the message states
 * in words (`CRITICAL: …`, `Warning: …`).
 *
 * @internal
 */
import type { ErrorCategory, ErrorKind, Severity } from "../../schemas/ErrorEvents.js"
import { severityRank } from "../../schemas/ErrorEvents.js"
import { typeNameOf } from "./ErrorValues.js"
import { fromMessage, fromStructure, messageText } from "./Evidence.js"

export { categoryOfStatus } from "./Evidence.js"
export { typeNameOf } from "./ErrorValues.js"

/** A classification and the evidence it rests on (shown as `classifiedBy` in events). */
export interface Classification {
  readonly severity: Severity
  readonly category: ErrorCategory
  readonly classifiedBy: string
}

/** The severity a category has when the error is an expected failure (not a defect). */
export const categorySeverity: { readonly [C in ErrorCategory]: Severity } = {
  network: "ERROR",
  timeout: "WARNING",
  authentication: "WARNING",
  authorization: "WARNING",
  rate_limit: "WARNING",
  validation: "WARNING",
  not_found: "WARNING",
  api: "ERROR",
  runtime: "ERROR",
  interruption: "INFO",
  unknown: "ERROR"
}

/**
 * A severity the message states in words: a level marker at its start — `CRITICAL:`, `[FATAL]`,
 * `Fatal error`, `panic:`, `EMERGENCY -`; `Warning:`, `[WARN]`, `WARNING -` — or, anywhere, "fatal error",
 * "fatal exception", "crashed" (not "crash report"). A word inside a sentence ("critical path", "warnings
 * list") is not a marker.
 */
const severityWords =
  /^[\s[(<]*(?:(critical|fatal|panic|emerg(?:ency)?)|(warn(?:ing)?))(?=\s*[:\]\)>!]|\s+[-\u2013\u2014]\s|\s+(?:error|exception|failure)\b)|\b(fatal (?:error|exception)|crash(?:ed|es)?\b(?! report))/i

/** A type name that says warning: Node's `DeprecationWarning`, `ExperimentalWarning`, `MaxListenersExceededWarning`. */
const warningName = /Warning$/

/** The severity explicitly stated by a message or a type name, and the word that stated it. */
export const statedSeverity = (
  message: string,
  typeName: string | undefined
): { readonly severity: Severity; readonly word: string } | undefined => {
  const m = severityWords.exec(message)
  if (m !== null) {
    const critical = m[1] ?? m[3]
    return critical !== undefined
      ? { severity: "CRITICAL", word: critical.toLowerCase() }
      : { severity: "WARNING", word: m[2]!.toLowerCase() }
  }
  if (typeName !== undefined && warningName.test(typeName)) return { severity: "WARNING", word: typeName }
  return undefined
}

/**
 * Classifies an error. The category comes from its structure, else its message text, else `unknown`.
 * The severity, in this order: an interruption is `INFO`; a defect (`die`) is `CRITICAL` — a bug the
 * program did not plan for — whatever its words; a failure takes the severity its message or type name
 * states (`CRITICAL: …`, `Warning: …`, `DeprecationWarning`), else its category's.
 */
export const classify = (error: unknown, kind: ErrorKind): Classification => {
  if (kind === "interrupt") return { category: "interruption", severity: "INFO", classifiedBy: "interrupt" }
  const message = messageText(error)
  const evidence = fromStructure(error, message) ?? fromMessage(message)
  const category: ErrorCategory = evidence?.category ?? "unknown"
  const by = evidence?.by ?? "default"
  if (kind === "die") return { category, severity: "CRITICAL", classifiedBy: `die, ${by}` }
  const stated = statedSeverity(message, typeNameOf(error))
  return stated === undefined
    ? { category, severity: categorySeverity[category], classifiedBy: by }
    : { category, severity: stated.severity, classifiedBy: `${by}, severity word ${stated.word}` }
}

/** The part of `classifiedBy` that names a severity word, to take out when a caller sets the severity. */
export const statedSeverityEvidence = /, severity word [\s\S]*$/

/**
 * Classifies a message given to `captureMessage`: its category from its text (an HTTP status it quotes,
 * then the message patterns), else `unknown`; its severity is the one the caller gives.
 */
export const classifyMessage = (message: string, severity: Severity): Classification => {
  const evidence = fromMessage(message)
  return evidence === undefined
    ? { category: "unknown", severity, classifiedBy: "default" }
    : { category: evidence.category, severity, classifiedBy: evidence.by }
}

/**
 * Which error of a `Cause` is its primary: the higher, the more severe — by severity, then a defect
 * before a failure; interruptions last.
 */
export const priority = (classification: Classification, kind: ErrorKind): number =>
  kind === "interrupt" ? -1 : severityRank[classification.severity] * 2 + (kind === "die" ? 1 : 0)

/** The worse of two severities. */
export const worseSeverity = (a: Severity, b: Severity): Severity => (severityRank[a] >= severityRank[b] ? a : b)
