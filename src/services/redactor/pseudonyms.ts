/**
 * Pseudonymising user ids: an id holding PII becomes `u_` + 32 hex digits of HMAC-SHA-256(key, id).
 *
 * @internal
 */
import { identifierPiiKind } from "./patterns.js"
import { hmacSha256, toHex } from "./hash.js"

const encoder = new TextEncoder()

/** User ids remembered as holding no PII; later ones are searched each time they are seen. */
const maxCachedUserIds = 4_096

/** The pseudonymiser of `key`, finding PII in ids with `redactString`. */
export const pseudonymizer = (key: string, redactString: (value: string) => string) => {
  const hmac = hmacSha256(encoder.encode(key))
  // Ids found to hold no PII, so they hold none: repeated ids skip the search. A PII id is hashed each
  // time, except the last one (events mostly carry the session's user, whom the session holds anyway),
  // so that no list of PII piles up here.
  const plainIds = new Set<string>()
  let lastId: string | undefined
  let lastPseudonym = ""
  return (userId: string): string => {
    if (userId === lastId) return lastPseudonym
    if (plainIds.has(userId)) return userId
    if (redactString(userId) === userId && identifierPiiKind(userId) === undefined) {
      if (plainIds.size < maxCachedUserIds) plainIds.add(userId)
      return userId
    }
    lastId = userId
    lastPseudonym = `u_${toHex(hmac(encoder.encode(userId)), 16)}`
    return lastPseudonym
  }
}
