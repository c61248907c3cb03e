/**
 * The outbox's reads and writes on its `KeyValueStore`: the index (newest readable slot), orphan batch
 * files, adopted stores at start, and the one write path of `put` and `replace` — batch files first, then
 * one index write that commits them, then removal of the files no longer indexed.
 *
 * @internal
 */
import type * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Batch } from "../../schemas/TelemetryEvent.js"
import {
  batchPrefix,
  decodeBatch,
  decodeIndex,
  encodeIndex,
  type Entry,
  entryKey,
  entryOf,
  type Index,
  indexKeys,
  total,
  verify
} from "./entries.js"

/** Bounds of an outbox. */
export interface Bounds {
  readonly maxEvents: number
  readonly maxBytes: number
}

/** What happened to a batch handed to `put` (or the parts handed to `replace`). */
export interface PutResult {
  /** Whether the batch (every part) was stored. */
  readonly stored: boolean
  /** Events of older batches evicted to make room. */
  readonly evicted: number
  /** Events of this batch that could not be stored (too large for the bounds, or storage failing). */
  readonly refused: number
}

/**
 * Another store whose batches a new outbox takes over at start (e.g. the folder of a process that died),
 * read through its index and, when `listKeys` is given, its orphan batch files too.
 */
export interface Adopted {
  readonly store: KeyValueStore.KeyValueStore
  readonly listKeys?: Effect.Effect<ReadonlyArray<string>, unknown>
}

/** The newest readable index slot of a store (empty when neither slot reads). */
export const readIndex = (store: KeyValueStore.KeyValueStore): Effect.Effect<Index> =>
  Effect.map(
    Effect.all(indexKeys.map((key) =>
      store.get(key).pipe(
        Effect.map(Option.flatMap((text) => Either.getRight(decodeIndex(text)))),
        Effect.orElseSucceed(() => Option.none<Index>())
      )
    )),
    (slots) =>
      slots.reduce<Index>(
        (best, slot) => Option.isSome(slot) && slot.value.seq > best.seq ? slot.value : best,
        { seq: 0, entries: [] }
      )
  )

/** Batches, events and bytes a store's index names, without reading the batches: what adopting it would add. */
export const indexedSize = (
  store: KeyValueStore.KeyValueStore
): Effect.Effect<{ readonly batches: number; readonly events: number; readonly bytes: number }> =>
  Effect.map(readIndex(store), (index) => ({ batches: index.entries.length, ...total(index.entries) }))

/**
 * The entries of a store: its index, then its batch files the index does not name (when keys can be
 * listed), oldest event first. An orphan that does not decode as the batch its name says is left, logged.
 */
export const readEntries = (
  store: KeyValueStore.KeyValueStore,
  listKeys: Effect.Effect<ReadonlyArray<string>, unknown> | undefined
): Effect.Effect<{ readonly index: Index; readonly orphans: ReadonlyArray<Entry> }> =>
  Effect.gen(function*() {
    const index = yield* readIndex(store)
    if (listKeys === undefined) return { index, orphans: [] }
    const keys = yield* Effect.orElseSucceed(listKeys, () => [] as ReadonlyArray<string>)
    const named = new Set(index.entries.map((e) => entryKey(e.batchId)))
    const found: Array<{ readonly entry: Entry; readonly first: number }> = []
    for (const key of keys) {
      if (!key.startsWith(batchPrefix) || named.has(key)) continue
      const text = yield* Effect.orElseSucceed(store.get(key), () => Option.none<string>())
      const batch = Option.flatMap(text, (t) => Either.getRight(decodeBatch(t)))
      if (Option.isNone(text) || Option.isNone(batch) || entryKey(batch.value.batchId) !== key) {
        yield* Effect.logWarning("telemetry outbox file unreadable, left in place").pipe(Effect.annotateLogs({ key }))
        continue
      }
      const first = batch.value.events.reduce((t, e) => Math.min(t, e.timestamp), Number.POSITIVE_INFINITY)
      found.push({ entry: entryOf(batch.value, text.value), first })
    }
    return { index, orphans: found.sort((a, b) => a.first - b.first).map((f) => f.entry) }
  })

/**
 * The index at start: this store's own (with its orphans re-indexed, when keys can be listed), then the
 * batches of the adopted stores copied in; one index write commits any change.
 */
export const open = (
  store: KeyValueStore.KeyValueStore,
  update: (index0: Index, entries: ReadonlyArray<Entry>) => Effect.Effect<Index>,
  listKeys: Effect.Effect<ReadonlyArray<string>, unknown> | undefined,
  adopt: ReadonlyArray<Adopted>
): Effect.Effect<Index> =>
  Effect.gen(function*() {
    const own = yield* readEntries(store, listKeys)
    const startEntries: Array<Entry> = [...own.index.entries, ...own.orphans]
    const known = new Set(startEntries.map((e) => e.batchId))
    for (const adopted of adopt) {
      const { index: theirs, orphans } = yield* readEntries(adopted.store, adopted.listKeys)
      for (const entry of [...theirs.entries, ...orphans]) {
        if (known.has(entry.batchId)) continue
        known.add(entry.batchId)
        const text = yield* Effect.orElseSucceed(adopted.store.get(entryKey(entry.batchId)), () => Option.none<string>())
        // A missing file keeps its entry: the first `oldest` to reach it counts its events as corrupted.
        if (Option.isSome(text)) {
          const copied = yield* Effect.either(store.set(entryKey(entry.batchId), text.value))
          if (Either.isLeft(copied)) {
            yield* Effect.logWarning("telemetry outbox cannot copy an adopted batch", copied.left)
          }
        }
        startEntries.push(entry)
      }
    }
    const changed = own.orphans.length > 0 || startEntries.length > own.index.entries.length
    return changed ? yield* update(own.index, startEntries) : own.index
  })

/** Index and file operations on one store, starting from the index it already has (`readIndex`). */
export const operations = (store: KeyValueStore.KeyValueStore, bounds: Bounds) => {
  // Two index slots, written alternately: a write torn by a crash leaves the other slot intact.
  const writeIndex = (next: Index) =>
    store.set(indexKeys[next.seq % 2]!, encodeIndex(next)).pipe(
      Effect.catchAll((error) => Effect.logWarning("telemetry outbox index not saved", error))
    )

  /** Replaces the entry list; the index is saved before entry files are removed, so a crash only orphans files. */
  const update = (index0: Index, entries: ReadonlyArray<Entry>): Effect.Effect<Index> =>
    Effect.as(writeIndex({ seq: index0.seq + 1, entries }), { seq: index0.seq + 1, entries })

  const removeFiles = (entries: ReadonlyArray<Entry>) =>
    Effect.forEach(entries, (e) => Effect.ignore(store.remove(entryKey(e.batchId))), { discard: true })

  /** The stored batch of an entry, if it reads and is what the entry recorded. */
  const readEntry = (entry: Entry) =>
    store.get(entryKey(entry.batchId)).pipe(
      Effect.map(Option.flatMap((text) => verify(entry, text))),
      Effect.orElseSucceed(() => Option.none<Batch>())
    )

  /**
   * Writes the files of `batches`, then commits one index without the entries of `without`, with the new
   * entries as the newest or the oldest, evicting the oldest others to fit; then removes the files of the
   * entries no longer indexed. A failed write (a full disk, a storage quota) evicts one more and tries
   * again, until nothing is left to evict.
   */
  const write = (
    current: Index,
    batches: ReadonlyArray<Batch>,
    position: "newest" | "oldest",
    without: ReadonlyArray<string>
  ): Effect.Effect<readonly [PutResult, Index]> =>
    Effect.gen(function*() {
      const incoming = new Set(batches.map((b) => b.batchId))
      const dropped = new Set(without)
      const kept = current.entries.filter((e) => !incoming.has(e.batchId) && !dropped.has(e.batchId))
      const replaced = current.entries.filter((e) => dropped.has(e.batchId) && !incoming.has(e.batchId))
      const evicted: Array<Entry> = []
      const added: Array<Entry> = []
      let refused = 0
      // what `kept` and `added` hold, kept up to date rather than summed again for every batch
      const used = total(kept)
      const evictOldest = () => {
        const oldest = kept.shift()
        if (oldest !== undefined) {
          evicted.push(oldest)
          used.events -= oldest.events
          used.bytes -= oldest.bytes
        }
        return oldest
      }
      for (const batch of batches) {
        const text = JSON.stringify(batch)
        const entry = entryOf(batch, text)
        const fits = () => used.events + entry.events <= bounds.maxEvents && used.bytes + entry.bytes <= bounds.maxBytes
        if (entry.events > bounds.maxEvents || entry.bytes > bounds.maxBytes) {
          refused += entry.events
          continue
        }
        while (!fits() && evictOldest() !== undefined) continue
        let stored = false
        while (fits() && !stored) {
          const written = yield* Effect.either(store.set(entryKey(batch.batchId), text))
          if (Either.isRight(written)) stored = true
          else if (evictOldest() === undefined) {
            yield* Effect.logWarning("telemetry outbox cannot store a batch", written.left)
            break
          } else yield* Effect.ignore(store.remove(entryKey(evicted.at(-1)!.batchId)))
        }
        if (stored) {
          added.push(entry)
          used.events += entry.events
          used.bytes += entry.bytes
        } else refused += entry.events
      }
      const next = yield* update(current, position === "newest" ? [...kept, ...added] : [...added, ...kept])
      yield* removeFiles([...evicted, ...replaced])
      return [{ stored: refused === 0, evicted: total(evicted).events, refused }, next] as const
    })

  /**
   * Removes a user's events from a stored batch (read as `batch`), committed by one index write: the rest
   * of the batch is rewritten in place first, so `size` never shows the batch gone and then back. Returns
   * how many events were removed.
   */
  const eraseIn = (current: Index, batch: Batch, userId: string): Effect.Effect<readonly [number, Index]> => {
    const at = current.entries.findIndex((e) => e.batchId === batch.batchId)
    if (at < 0) return Effect.succeed([0, current] as const)
    const rest = batch.events.filter((e) => e.userId !== userId)
    const removed = batch.events.length - rest.length
    const dropEntry = update(current, current.entries.filter((_, i) => i !== at)).pipe(
      Effect.tap(() => removeFiles([current.entries[at]!])),
      Effect.map((next) => [removed, next] as const)
    )
    if (rest.length === 0) return dropEntry
    const kept: Batch = { batchId: batch.batchId, events: rest }
    const text = JSON.stringify(kept)
    return store.set(entryKey(batch.batchId), text).pipe(
      Effect.flatMap(() => update(current, current.entries.map((e, i) => (i === at ? entryOf(kept, text) : e)))),
      Effect.map((next) => [removed, next] as const),
      // the file could not be rewritten: drop the whole entry rather than keep the user's events
      Effect.catchAll(() => dropEntry)
    )
  }

  return { update, removeFiles, readEntry, write, eraseIn }
}

/** `operations`, plus `open`: the index at start with orphan files re-indexed and other stores adopted (Node). */
export const make = (store: KeyValueStore.KeyValueStore, bounds: Bounds) => {
  const ops = operations(store, bounds)
  return {
    ...ops,
    open: (listKeys: Effect.Effect<ReadonlyArray<string>, unknown> | undefined, adopt: ReadonlyArray<Adopted>) =>
      open(store, ops.update, listKeys, adopt)
  }
}
