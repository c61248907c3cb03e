/**
 * Removes personal data from events before they are buffered.
 */
import { Context } from "effect"

/** Replaces PII in event data. Pure and synchronous: it runs on every tracked event. */
export class Redactor extends Context.Tag("effect-telemetry/Redactor")<Redactor, {
  /** A copy of a JSON value with PII replaced; the same reference when nothing needed replacing. */
  readonly redact: <A>(value: A) => A
  /** A string with PII replaced. */
  readonly redactString: (value: string) => string
}>() {}
