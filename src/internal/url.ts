/**
 * URLs as they may appear in logs and error messages: configured endpoints can carry credentials
 * (`https://user:password@host`, `?api_key=…`), and a log line must not.
 *
 * @internal
 */

/** What replaces a secret query or fragment value. */
const redacted = "[REDACTED]"

// Parameter names, compared lower-case with every non-alphanumeric removed (`api-key`, `X-Api-Key` → `apikey`),
// that are secrets: these, and those ending like one (`x-amz-security-token`, `X-Amz-Signature`, `db_password`).
const secretName =
  /^(key|pwd|pass|sig|auth|authorization|credentials|session|jwt)$|(token|secret|password|passwd|apikey|signature|credential|sessionid|privatekey)$/

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "))
  } catch {
    return text
  }
}

const isSecretName = (name: string): boolean => {
  const normalized = decode(name).toLowerCase().replace(/[^a-z0-9]/g, "")
  return secretName.test(normalized)
}

/** A query (`?…`) or fragment (`#…`) with the value of every secret-named parameter replaced. */
const redactParams = (part: string): string => {
  if (part.length <= 1 || !part.includes("=")) return part
  return part[0] + part.slice(1).split("&").map((pair) => {
    const equals = pair.indexOf("=")
    return equals > 0 && isSecretName(pair.slice(0, equals)) ? `${pair.slice(0, equals + 1)}${redacted}` : pair
  }).join("&")
}

/** Best effort for a string no URL parser accepts: drop anything that could be user-info, redact parameters. */
const displayUnparsed = (url: string): string => {
  let text = url
  const slashes = text.indexOf("//")
  const at = text.lastIndexOf("@")
  // Over-stripping is fine here (the string is only shown): everything between `//` and the last `@`.
  if (at >= 0) text = slashes >= 0 && slashes < at ? text.slice(0, slashes + 2) + text.slice(at + 1) : text.slice(at + 1)
  const hash = text.indexOf("#")
  const beforeHash = hash < 0 ? text : text.slice(0, hash)
  const fragment = hash < 0 ? "" : text.slice(hash)
  const query = beforeHash.indexOf("?")
  return query < 0
    ? beforeHash + redactParams(fragment)
    : beforeHash.slice(0, query) + redactParams(beforeHash.slice(query)) + redactParams(fragment)
}

/**
 * `url` as it may be logged: user-info removed and the values of secret query or fragment parameters
 * (`token`, `api_key`, `signature`, `password`, …) replaced by `[REDACTED]`; never throws, whatever the input.
 */
export const displayUrl = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return displayUnparsed(url)
  }
  // Only URLs with an authority have user-info the parser separates: `admin:hunter2@host` parses as the
  // scheme `admin:` with an opaque path, the password in it.
  if (parsed.host === "") return displayUnparsed(url)
  parsed.username = ""
  parsed.password = ""
  const href = parsed.href
  const base = href.slice(0, href.length - parsed.search.length - parsed.hash.length)
  return base + redactParams(parsed.search) + redactParams(parsed.hash)
}

// A scheme followed by `//` and everything up to white space, a quote, an angle bracket or a parenthesis.
const urlInText = /[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>()`]*/g

/** `text` with every URL in it shown as `displayUrl` shows it; for messages that quote URLs (client errors, bodies). */
export const redactUrlsIn = (text: string): string => text.replace(urlInText, displayUrl)
