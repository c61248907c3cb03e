/**
 * Text a receiver sent us, made safe to log: on one line, without control or bidirectional characters (a
 * hostile receiver cannot forge log lines), URL credentials or our own header values, cut short.
 *
 * @internal
 */
import { redactUrlsIn } from "../../internal/url.js"

/**
 * `text` on one line, without control characters, URL credentials or any of `secrets`, at most 200
 * characters (then `…`).
 *
 * @internal
 */
export const safeText = (text: string, secrets: ReadonlyArray<string>): string => {
  let safe = text.slice(0, 4096)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\s]+/g, " ")
    .trim()
  safe = redactUrlsIn(safe)
  for (const secret of secrets) safe = safe.split(secret).join("[REDACTED]")
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe
}
