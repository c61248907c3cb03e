/**
 * One iterative-feeling walk that tells whether a value is plain JSON data, and if not, where it is not.
 * It runs on every tracked event, so it allocates nothing on valid input beyond the ancestor stack.
 *
 * JSON data here is what `JSON.stringify` writes for plain objects: an `undefined` property is left out and
 * an `undefined` array element is written `null` (`withoutUndefined` makes the value look that way).
 */

/** Where and why a value is not JSON data. */
export interface JsonProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
  readonly actual: unknown
}

/** Deepest nesting accepted in event data. */
export const maxJsonDepth = 32

/** Whether an object is plain: made by a literal, `JSON.parse` or `Object.create(null)`. */
export const isPlainObject = (u: object): boolean => {
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
            const item = u[i]
            if (item === undefined) {
              size += 5 // written `null,`
              continue
            }
            path.push(i)
            const r = visit(item)
            if (typeof r !== "number") return r
            size += r + 1
            path.pop()
          }
        } else if (isPlainObject(u)) {
          for (const key in u) {
            const item = (u as Record<string, unknown>)[key]
            if (item === undefined) continue // left out
            path.push(key)
            const r = visit(item)
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

/**
 * Plain JSON data as `JSON.parse(JSON.stringify(value))` gives it back: without its `undefined` properties,
 * with its `undefined` array elements as `null`. Only the objects and arrays on the way to an `undefined` are
 * copied; the rest is shared, and a value without any is returned as it is.
 */
export const withoutUndefined = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) {
    let copy: Array<unknown> | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const kept = item === undefined ? null : withoutUndefined(item)
      if (copy === undefined && kept !== item) copy = value.slice(0, i)
      if (copy !== undefined) copy.push(kept)
    }
    return copy ?? value
  }
  const record = value as Record<string, unknown>
  let copy: Record<string, unknown> | undefined
  for (const key in record) {
    const item = record[key]
    const kept = item === undefined ? undefined : withoutUndefined(item)
    if (copy === undefined && (item === undefined || kept !== item)) {
      copy = {}
      for (const earlier in record) {
        if (earlier === key) break
        define(copy, earlier, record[earlier])
      }
    }
    if (copy !== undefined && kept !== undefined) define(copy, key, kept)
  }
  return copy ?? value
}

/**
 * Sets `key` on `target` as an own property, even `__proto__` (a key `JSON.parse` can produce), which a
 * plain assignment would take for the prototype.
 */
export const define = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

/**
 * UTF-8 byte length of a string as `TextEncoder` writes it (a lone surrogate as U+FFFD, 3 bytes), without
 * allocating: browsers have no `Buffer.byteLength`.
 */
export const utf8Bytes = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** UTF-8 byte length of a value's JSON serialization. */
export const jsonByteLength = (value: unknown): number => utf8Bytes(JSON.stringify(value))

/**
 * Batches whose events are known to be JSON data: built by the collector from events validated when they
 * were tracked. An encoder may serialize these with `JSON.stringify` without checking them again; any other
 * batch (one a program hands a transport itself) is checked as before. Held weakly: a sent batch is forgotten.
 */
const validatedBatches = new WeakSet<object>()

/** Marks a batch built from validated events (see `validatedBatches`); returns it. */
export const markValidated = <A extends object>(batch: A): A => {
  validatedBatches.add(batch)
  return batch
}

/** Whether a batch was built from validated events (see `validatedBatches`). */
export const isValidated = (batch: object): boolean => validatedBatches.has(batch)
