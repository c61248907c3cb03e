/**
 * What a failed check's error text may show a stranger. The health server answers any network peer, so
 * by default the text loses its stack frames and file-system paths: they map the machine (install
 * folders, user names in home folders, library versions) and help no probe.
 */

/** Put in place of each file-system path. */
const pathPlaceholder = "[path]"

/**
 * A stack frame line: V8 (`    at f (/app/x.js:1:2)`; unindented only with its `file:line:column`) and
 * SpiderMonkey / JavaScriptCore (`f@https://x/app.js:1:2`).
 */
const stackFrame =
  /^(?:[ \t]+at [^\n]*|at (?:[^\n]* \()?[^\s()]+:\d+:\d+\)?[ \t]*|[ \t]*[\w$.<>/]*@[^\s@]+:\d+(?::\d+)?[ \t]*)$\n?/gm

const pathChars = "[^\\s'\"`()<>\\[\\],;]"
/**
 * Absolute POSIX paths of two segments or more (`/srv/app/db.json`; not a URL's path, not `/health`
 * alone), home and relative paths (`~/x`, `./x`, `../x`), Windows and UNC paths, and `file:` URLs.
 */
const fsPath = new RegExp(
  [
    `file:\\/\\/${pathChars}+`,
    `(?<![\\w.~:/\\\\-])\\/(?:[^\\s/:'"\`()<>\\[\\],;]+\\/)+[^\\s/:'"\`()<>\\[\\],;]*`,
    `(?<![\\w.~/-])~\\/${pathChars}+`,
    `(?<![\\w.~/-])\\.{1,2}\\/${pathChars}+`,
    `(?<![\\w])[A-Za-z]:\\\\${pathChars}*`,
    `(?<![\\w\\\\])\\\\\\\\${pathChars}+`
  ].join("|"),
  "g"
)

/** Cheap test before the searches: without a `/`, `\`, `@` or line break there is nothing to cut. */
const mayHoldInternals = /[/\\@\n]/

/** The text without stack frames (and trailing space) and with each file-system path replaced by `[path]`. */
export const withoutInternals = (text: string): string => {
  if (!mayHoldInternals.test(text)) return text
  const out = text.replace(stackFrame, "").replace(fsPath, pathPlaceholder).trimEnd()
  return out.length === 0 && text.length > 0 ? "[stack trace omitted]" : out
}
