/**
 * Decides from a field's name alone whether its value is a secret or personal data. Names are compared
 * by their words, whatever the style: `accessToken`, `access_token`, `Access-Token` and `ACCESS_TOKEN`
 * are all `access token`.
 */

/**
 * What to do with a field's value: search it, replace it whole, replace it when it is text (and search it
 * otherwise), or keep it as it is.
 */
export type FieldTreatment = "inspect" | "replace" | "replaceText" | "keep"

/** The lower-case words of a field name: `X-Api-Key` → `x api key`, `APIKey` → `api key`. */
export const wordsOf = (name: string): Array<string> =>
  name
    .replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{Lu}+)(\p{Lu}\p{Ll})/gu, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)

/** The words of a space-separated list. */
const wordSet = (list: string): ReadonlySet<string> => new Set(list.split(" "))

/** Words that mark a secret or personal data wherever they stand in the name. */
const sensitiveWords = wordSet(
  "password passwords passwd passphrase pwd secret secrets credential credentials authorization cookie cookies " +
    "email emails ssn cvv cvc iban pin otp " +
    // Names written as one lower-case word.
    "apikey apisecret accesstoken refreshtoken authtoken idtoken sessiontoken privatekey secretkey accesskey " +
    "clientsecret creditcard cardnumber"
)

/**
 * Final words that name a secret only when it is text: `db_pass: "hunter2"`, but `pass: true` or
 * `pass: 12` (a test run's passes) are kept.
 */
const textSecretWords = wordSet("pass pw")

/** Word pairs that mark one wherever they stand: `creditCardNumber`, `e_mail`. */
const sensitivePairs = new Set(["credit card", "card number", "e mail", "social security"])

/** Words before a final `key` that make it a secret; `primaryKey`, `cacheKey`, `publicKey` are not. */
const keyQualifiers = wordSet(
  "api private secret access signing encryption decryption master session auth license licence hmac ssh " +
    "consumer account storage subscription client app service root webhook"
)

/** Words before a final `token` that make it a count: `max_token`, `input_token`. */
const tokenCounts = wordSet("max min total num prompt completion input output reasoning cached remaining used")

/** Final words saying how a secret is stored, skipped before the rules: `privateKeyPem`, `token_value`. */
const encodings = wordSet("value raw plain plaintext encoded b64 base64 pem der hex")

/**
 * Final words saying the field describes a secret rather than holds it: `passwordLength`,
 * `email_verified`, `secret_name`, `password_changed_at`, `sessionId`.
 */
const descriptions = wordSet(
  "count length len size min max enabled required verified valid present type kind policy strength expiry " +
    "expires expired at ttl id ids name version format"
)

/** Whether the words of a field name mark its value as a secret or personal data. */
export const isSensitiveName = (words: ReadonlyArray<string>): boolean => {
  let end = words.length
  while (end > 0 && encodings.has(words[end - 1]!)) end--
  if (end === 0) return false
  const last = words[end - 1]!
  const before = end > 1 ? words[end - 2]! : undefined
  if (descriptions.has(last)) return false
  if (last === "token") return before === undefined || !tokenCounts.has(before)
  if (last === "auth") return true
  if (last === "key" && before !== undefined && keyQualifiers.has(before)) return true
  for (let i = 0; i < end; i++) {
    const word = words[i]!
    if (sensitiveWords.has(word)) return true
    if (i > 0 && sensitivePairs.has(`${words[i - 1]!} ${word}`)) return true
  }
  return false
}

const containsRun = (words: ReadonlyArray<string>, run: ReadonlyArray<string>): boolean => {
  outer: for (let i = 0; i + run.length <= words.length; i++) {
    for (let j = 0; j < run.length; j++) {
      if (words[i + j] !== run[j]) continue outer
    }
    return true
  }
  return false
}

/**
 * Classifies field names. A safe field is named in full (`safeFields: ["userEmail"]` keeps `user_email`
 * but not `backup_user_email`) and wins over every other rule; an extra sensitive field matches any name
 * containing its words in order (`"address"` marks `homeAddress`).
 */
export const fieldTreatment = (options: {
  readonly extraSensitiveFields: ReadonlyArray<string>
  readonly safeFields: ReadonlyArray<string>
}): (name: string) => FieldTreatment => {
  const safe = new Set(options.safeFields.map((name) => wordsOf(name).join(" ")))
  const extra = options.extraSensitiveFields.map(wordsOf).filter((run) => run.length > 0)
  return (name) => {
    const words = wordsOf(name)
    if (safe.has(words.join(" "))) return "keep"
    if (isSensitiveName(words) || extra.some((run) => containsRun(words, run))) return "replace"
    return textSecretWords.has(words[words.length - 1]!) ? "replaceText" : "inspect"
  }
}
