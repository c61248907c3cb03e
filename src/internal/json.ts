/**
 * One iterative-feeling walk that tells whether a value is plain JSON data, and if not, where it is not.
 * It runs on every tracked event, so it allocates nothing on valid input beyond the ancestor stack.
 */

/** Where and why a value is not JSON data. */
export interface JsonProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
  readonly actual: unknown
}

/** Deepest nesting accepted in event data. */
export const maxJsonDepth = 32

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * Returns the serialized length in UTF-16 units as if every string were plain ASCII (a lower bound of
 * the byte size, within a factor of 6 above), or the first problem found.
 */
export const inspectJson = (value: unknown): number | JsonProblem => {
  const ancestors: Array<object> = []
  const path: Array<string | number> = []
  const visit = (u: unknown): number | JsonProblem => {
    switch (typeof u) {
      case "string":
        return u.length + 2
      case "boolean":
        return u ? 4 : 5
      case "number":
        return Number.isFinite(u) ? 8 : problem(path, `${u} is not a finite number`, u)
      case "object": {
        if (u === null) return 4
        if (ancestors.length >= maxJsonDepth) {
          return problem(path, `nesting deeper than ${maxJsonDepth} levels`, u)
        }
        if (ancestors.includes(u)) return problem(path, "cyclic reference", u)
        ancestors.push(u)
        let size = 2
        if (Array.isArray(u)) {
          for (let i = 0; i < u.length; i++) {
            path.push(i)
            const r = visit(u[i])
            if (typeof r !== "number") return r
            size += r + 1
            path.pop()
          }
        } else if (isPlainObject(u)) {
          for (const key in u) {
            path.push(key)
            const r = visit((u as Record<string, unknown>)[key])
            if (typeof r !== "number") return r
            size += r + key.length + 4
            path.pop()
          }
        } else {
          return problem(path, `${u.constructor?.name ?? "object"} is not plain JSON data`, u)
        }
        ancestors.pop()
        return size
      }
      default:
        return problem(path, `a ${typeof u} is not JSON data`, u)
    }
  }
  return visit(value)
}

const problem = (path: ReadonlyArray<string | number>, message: string, actual: unknown): JsonProblem => ({
  path: [...path],
  message,
  actual
})

/** UTF-8 byte length of a string, without allocating (works in browsers, where there is no Buffer). */
export const utf8Length = (s: string): number => {
  let bytes = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) bytes += 1
    else if (c >= 0xd800 && c <= 0xdbff) i++, bytes += 2
    else bytes += 2
  }
  return bytes
}

/** UTF-8 byte length of a value's JSON serialization. */
export const jsonByteLength = (value: unknown): number => utf8Length(JSON.stringify(value))
