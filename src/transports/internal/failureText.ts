/**
 * How transports name what went wrong in a failure message: a thrown value, a batch or event id. Both
 * never throw and never let a hostile value break or forge a log line.
 *
 * @internal
 */

/**
 * A thrown value as text for a failure message, an `Error` as `name: message` (or its message alone);
 * never throws itself, as `String(Object.create(null))` does.
 *
 * @internal
 */
export const describeThrown = (thrown: unknown, withName = true): string => {
  try {
    return thrown instanceof Error ? (withName ? `${thrown.name}: ${thrown.message}` : thrown.message) : String(thrown)
  } catch {
    return "an unprintable value"
  }
}

/**
 * A batch or event id for a failure message: as is when it is short printable ASCII (a UUID), else
 * JSON-quoted and cut short, so an id from an edited outbox cannot break or forge a log line.
 *
 * @internal
 */
export const showId = (id: unknown): string => {
  if (typeof id === "string" && /^[\x21-\x7e]{1,100}$/.test(id)) return id
  let shown: string
  try {
    shown = JSON.stringify(id) ?? String(id)
  } catch {
    shown = describeThrown(id)
  }
  return shown.length > 100 ? `${shown.slice(0, 100)}…` : shown
}
