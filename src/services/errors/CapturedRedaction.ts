/**
 * Redacting an `error.captured` event's data once, in the capture, exactly as the collector's `redact`
 * would, so that a collector redacting with the same redactor instance keeps it as it is (see
 * `markRedacted`). Most of an event is its stack frames and breadcrumbs, which repeat from capture to
 * capture: each frame and breadcrumb is redacted once and remembered, and so is each other field an
 * error's captures share (its type, message, reasons). (Redacting the whole event again in the collector measured ~55 µs of a ~300 µs capture.)
 *
 * Exact by construction: the redactor treats each field by its name alone and each array item on its own,
 * so `redact(data)` is the object of each field's own redaction, and an array's redaction that of each item.
 * Where that does not hold (a field name the redactor renames or replaces whole, by a user's patterns or
 * sensitive fields), nothing is vouched for and the collector redacts the event as it always did.
 *
 * @internal
 */
import { markRedacted } from "../../internal/recording.js"
import type { Breadcrumb, ErrorCapturedData, StackFrame } from "../../schemas/ErrorEvents.js"
import type { Redactor } from "../Redactor.js"
import { eventBudget, maxEventFrames } from "./Bounds.js"
import { capturedFields, type EventFacts, fitToBudget, jsonBytesBound, type Prepared, type Shared } from "./CapturedEvent.js"
import { inAppFrames } from "./ErrorGroups.js"

/** Builds the data of captured events already redacted, for one redactor. */
export interface CapturedRedaction {
  /** `redactor.redactString` of a text, remembered (the latest `maxRememberedFields`): an error's type and message repeat. */
  readonly text: (text: string) => string
  /** The first in-app frames a group keeps of `frames` (see `ErrorGroups.inAppFrames`), paths redacted; shared, frozen. */
  readonly groupFrames: (frames: ReadonlyArray<StackFrame>) => ReadonlyArray<StackFrame>
  /**
   * The event's data, cut to the budget, redacted as `redactor.redact` would and marked so; `undefined`
   * when it cannot be vouched for (build it with `capturedData`, and the collector redacts it).
   */
  readonly redactedData: (p: Prepared, facts: EventFacts, shared: Shared) => ErrorCapturedData | undefined
}

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** A deep copy of JSON data, frozen: what the memo hands out is shared between events, so nobody may edit it. */
const frozenCopy = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy))
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key]
    if (key === "__proto__") {
      Object.defineProperty(copy, key, { value: frozenCopy(item), enumerable: true, writable: true, configurable: true })
    } else copy[key] = frozenCopy(item)
  }
  return Object.freeze(copy)
}

/** The most fields, and kinds of event, remembered with their redaction; then each memo starts over. */
const maxRememberedFields = 512

/** The most distinct texts numbered for the memo keys of shared fields; then they are numbered anew. */
const maxTextIds = 1_024

/** What an item's redaction answers when the redactor does not treat the array's items one by one. */
const unvouched = Symbol("unvouched")
type Unvouched = typeof unvouched

/** Whether `after` has exactly the keys of `before`, in order: the redactor renamed no field. */
const sameKeys = (before: object, after: object): boolean => {
  if (before === after) return true
  const a = Object.keys(before)
  const b = Object.keys(after)
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The redaction of one redactor, remembering each frame's and breadcrumb's. */
export const makeCapturedRedaction = (redactor: Redactor["Type"]): CapturedRedaction => {
  const frames = new WeakMap<StackFrame, unknown>()
  const breadcrumbs = new WeakMap<Breadcrumb, unknown>()

  /**
   * Item `item` of array field `key`, as `redact` makes it inside the event; `unvouched` when the redactor
   * does not keep it one item of an array (it replaces or renames the field).
   */
  const itemOf = <A extends object>(memo: WeakMap<A, unknown>, key: string, item: A): unknown => {
    const known = memo.get(item)
    if (known !== undefined) return known
    const doc = redactor.redact({ [key]: [frozenCopy(item)] }) as Record<string, unknown>
    const list = doc[key]
    if (!sameKeys({ [key]: 0 }, doc) || !Array.isArray(list) || list.length !== 1) return unvouched
    const redacted = frozenCopy(list[0])
    memo.set(item, redacted)
    return redacted
  }

  const itemsOf = <A extends object>(
    memo: WeakMap<A, unknown>,
    key: string,
    items: ReadonlyArray<A>,
    max: number
  ): ReadonlyArray<unknown> | Unvouched => {
    const out: Array<unknown> = []
    for (let i = 0; i < items.length && i < max; i++) {
      const redacted = itemOf(memo, key, items[i]!)
      if (redacted === unvouched) return unvouched
      out.push(redacted)
    }
    return out
  }

  /** Field `key` of the event, as `redact` makes it; `unvouched` when the redactor renames the field. */
  const fieldOf = (key: string, value: Json): unknown => {
    const doc = redactor.redact({ [key]: value }) as Record<string, unknown>
    return sameKeys({ [key]: 0 }, doc) ? frozenCopy(doc[key]) : unvouched
  }

  /** `fieldOf` a shared field, remembered by its JSON text (at most `maxRememberedFields`). */
  const fields = new Map<string, unknown>()
  const sharedFieldOf = (key: string, value: Json): unknown => {
    const memoKey = typeof value === "object" && value !== null
      ? `${key}\u0000${JSON.stringify(value)}`
      : `${key}\u0000${typeof value}\u0000${String(value)}`
    const known = fields.get(memoKey)
    if (known !== undefined) return known
    const redacted = fieldOf(key, value)
    if (redacted !== unvouched) {
      if (fields.size >= maxRememberedFields) fields.clear()
      fields.set(memoKey, redacted)
    }
    return redacted
  }

  /** Fields redacted for each event: its ids, and a context the caller gave (one that is not empty). */
  const ownField = (key: string, value: Json): boolean =>
    key === "errorId" || key === "causeId" ||
    (key === "context" && (typeof value !== "object" || value === null || Object.keys(value).length > 0))

  /**
   * An event's data with the fields an error's captures share (its type, message, reasons…) redacted and
   * the others `null`, every field in its place; and the bound of the shared fields' JSON bytes, keys
   * included (see `jsonBytesBound`).
   */
  interface Template {
    readonly data: Readonly<Record<string, unknown>>
    readonly bytes: number
  }

  /**
   * Templates by the event's fields, one per kind of event (at most `maxRememberedFields`): one key and one
   * look-up per event rather than one per field. A new kind (a message with an id in it) still finds most
   * of its fields remembered one by one.
   */
  const templates = new Map<string, Template>()

  /**
   * A number for each distinct string of the shared fields (at most `maxTextIds`, then the templates start
   * over too): an error's texts repeat as the same string objects (see `text`), whose hash V8 keeps, so a
   * key made of their numbers is short and cheap to look up, where one made of the texts (or their JSON)
   * was hashed anew for every event.
   */
  const textIds = new Map<string, number>()
  const idOf = (text: string): number => {
    let id = textIds.get(text)
    if (id === undefined) {
      id = textIds.size
      textIds.set(text, id)
    }
    return id
  }

  /** A value's part of a memo key, as unambiguous as its JSON text: a type letter and its parts. */
  const keyOf = (v: Json): string => {
    if (typeof v === "string") return `s${idOf(v)}`
    if (typeof v === "number") return `n${v};`
    if (typeof v === "boolean") return v ? "t" : "f"
    if (v === null) return "z"
    let key: string
    if (Array.isArray(v)) {
      key = "["
      for (const item of v as ReadonlyArray<Json>) key += keyOf(item)
      return key + "]"
    }
    key = "{"
    for (const k of Object.keys(v)) key += `k${idOf(k)}${keyOf((v as { readonly [key: string]: Json })[k]!)}`
    return key + "}"
  }

  /** Whether the event's field `key` is one an error's captures share. */
  const isShared = (key: string, value: Json): boolean => key !== "frames" && key !== "breadcrumbs" && !ownField(key, value)

  const templateOf = (keys: ReadonlyArray<string>, unredacted: Readonly<Record<string, Json>>): Template | Unvouched => {
    if (textIds.size >= maxTextIds) {
      textIds.clear()
      templates.clear()
    }
    let memoKey = ""
    for (const key of keys) {
      const value = unredacted[key]!
      memoKey += isShared(key, value) ? `k${idOf(key)}${keyOf(value)}` : `o${idOf(key)}`
    }
    const known = templates.get(memoKey)
    if (known !== undefined) return known
    const data: Record<string, unknown> = {}
    let bytes = 0
    for (const key of keys) {
      const value = unredacted[key]!
      if (!isShared(key, value)) {
        data[key] = null
        continue
      }
      const redacted = sharedFieldOf(key, value)
      if (redacted === unvouched) return unvouched
      data[key] = redacted
      bytes += 6 * key.length + 4 + jsonBytesBound(redacted, Infinity)
    }
    const template = { data, bytes }
    if (templates.size >= maxRememberedFields) templates.clear()
    templates.set(memoKey, template)
    return template
  }

  /** An event's redacted frames (frozen), and the bound of their JSON bytes. */
  interface EventFrames {
    readonly frames: ReadonlyArray<unknown>
    readonly bytes: number
  }

  // Parsed frames are frozen and shared between captures of the same stack: their event frames are built once.
  const eventFramesOf = new WeakMap<ReadonlyArray<StackFrame>, EventFrames | Unvouched>()
  const eventFrames = (parsed: ReadonlyArray<StackFrame>): EventFrames | Unvouched => {
    const known = eventFramesOf.get(parsed)
    if (known !== undefined) return known
    const items = itemsOf(frames, "frames", parsed, maxEventFrames)
    const built = items === unvouched
      ? unvouched
      : { frames: Object.freeze(items), bytes: jsonBytesBound(items, Infinity) }
    if (Object.isFrozen(parsed)) eventFramesOf.set(parsed, built)
    return built
  }

  const redactedData = (p: Prepared, facts: EventFacts, shared: Shared): ErrorCapturedData | undefined => {
    const framesPart = eventFrames(p.leaf.frames)
    const crumbs = itemsOf(breadcrumbs, "breadcrumbs", shared.breadcrumbs, Infinity)
    if (framesPart === unvouched || crumbs === unvouched) return undefined
    const unredacted = capturedFields(p, facts, shared, redactor.redactString, p.leaf.frames) as unknown as Record<string, Json>
    const keys = Object.keys(unredacted)
    const template = templateOf(keys, unredacted)
    if (template === unvouched) return undefined
    // The bound of the whole event's JSON, from the parts' bounds: most events need no walk of their own.
    let bytes = 2 + template.bytes
    const data: Record<string, unknown> = { ...template.data }
    for (const key of keys) {
      const value = unredacted[key]!
      if (key === "frames") {
        data[key] = framesPart.frames
        bytes += 6 * key.length + 4 + framesPart.bytes
      } else if (key === "breadcrumbs" || ownField(key, value)) {
        const redacted = key === "breadcrumbs" ? crumbs : fieldOf(key, value)
        if (redacted === unvouched) return undefined
        data[key] = redacted
        bytes += 6 * key.length + 4 + jsonBytesBound(redacted, eventBudget)
      }
    }
    const redacted = data as unknown as ErrorCapturedData
    // A cut event is left to the collector: its cuts are not the redactor's output.
    if (bytes > eventBudget && fitToBudget(redacted) !== redacted) return undefined
    markRedacted(redacted, redactor)
    return redacted
  }

  // Parsed frames are shared between captures of the same stack, so their group's copy is made once.
  const groupFramesOf = new WeakMap<ReadonlyArray<StackFrame>, ReadonlyArray<StackFrame>>()
  const groupFrames = (parsed: ReadonlyArray<StackFrame>): ReadonlyArray<StackFrame> => {
    const known = groupFramesOf.get(parsed)
    if (known !== undefined) return known
    const kept = Object.freeze(inAppFrames(parsed).map((f) =>
      Object.freeze(f.file === undefined ? { ...f } : { ...f, file: redactor.redactString(f.file) })
    ))
    groupFramesOf.set(parsed, kept)
    return kept
  }

  const texts = new Map<string, string>()
  const text = (raw: string): string => {
    let redacted = texts.get(raw)
    if (redacted === undefined) {
      redacted = redactor.redactString(raw)
      if (texts.size >= maxRememberedFields) texts.clear()
      texts.set(raw, redacted)
    }
    return redacted
  }

  return { groupFrames, redactedData, text }
}
