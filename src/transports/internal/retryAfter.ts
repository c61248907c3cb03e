/**
 * The `Retry-After` response header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date in any of its
 * three forms.
 *
 * @internal
 */

const months = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
const month = `(${months})`
const time = "(\\d{2}):(\\d{2}):(\\d{2})"
// The three HTTP-date forms of RFC 9110 §5.6.7; all are GMT.
const imfFixdate = new RegExp(`^[A-Z][a-z]{2}, (\\d{2}) ${month} (\\d{4}) ${time} GMT$`)
const rfc850Date = new RegExp(`^[A-Z][a-z]+, (\\d{2})-${month}-(\\d{2}) ${time} GMT$`)
const asctimeDate = new RegExp(`^[A-Z][a-z]{2} ${month} ([ \\d]\\d) ${time} (\\d{4})$`)

type Fields = [string, string, string, string, string, string, string]

// `monthName` is one of `months` (the pattern matched it), each four characters on from the last.
const utc = (year: number, monthName: string, day: string, h: string, m: string, s: string): number =>
  Date.UTC(year, months.indexOf(monthName) / 4, Number(day), Number(h), Number(m), Number(s))

/** Epoch milliseconds of an HTTP-date, or `undefined` when `value` is not one. */
const parseHttpDate = (value: string, nowMillis: number): number | undefined => {
  let match = imfFixdate.exec(value)
  if (match !== null) {
    const [, day, mon, year, h, m, s] = match as unknown as Fields
    return utc(Number(year), mon, day, h, m, s)
  }
  match = rfc850Date.exec(value)
  if (match !== null) {
    const [, day, mon, yy, h, m, s] = match as unknown as Fields
    // A two-digit year more than 50 years ahead is in the past century (RFC 9110 §5.6.7).
    const currentYear = new Date(nowMillis).getUTCFullYear()
    let year = Math.floor(currentYear / 100) * 100 + Number(yy)
    if (year > currentYear + 50) year -= 100
    return utc(year, mon, day, h, m, s)
  }
  match = asctimeDate.exec(value)
  if (match !== null) {
    const [, mon, day, h, m, s, year] = match as unknown as Fields
    return utc(Number(year), mon, day.trim(), h, m, s)
  }
  return undefined
}

/**
 * The wait a `Retry-After` header asks for, in milliseconds: delta-seconds or an HTTP-date relative to
 * `nowMillis`, at least 0 and at most `capMillis`; `undefined` when the header is malformed.
 *
 * @internal
 */
export const parseRetryAfter = (header: string, nowMillis: number, capMillis: number): number | undefined => {
  const value = header.trim()
  let millis: number
  if (/^\d+$/.test(value)) {
    millis = Number(value) * 1000
  } else {
    const at = parseHttpDate(value, nowMillis)
    if (at === undefined || Number.isNaN(at)) return undefined
    millis = at - nowMillis
  }
  return Math.min(Math.max(0, millis), Math.max(0, capMillis))
}
