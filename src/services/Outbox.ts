/**
 * Durable storage for batches that could not be delivered, on `@effect/platform`'s `KeyValueStore`:
 * a folder of files on Node (`NodeOutbox`), localStorage in browsers, memory in tests. Bounded by events
 * and by UTF-8 bytes; the oldest batches go first when it is full. Each stored batch is recorded in an
 * index with its event count and a content hash: a corrupt, edited or missing entry is skipped, counted
 * and removed — it never stops delivery or start-up. Every change is committed by one index write, and
 * `size` only ever shows committed state.
 */
import { KeyValueStore } from "@effect/platform"
import { Context, Effect, Either, Layer, Option, Schema, SynchronizedRef } from "effect"
import { Batch } from "../schemas/TelemetryEvent.js"
import { hash64 } from "../internal/hash64.js"

/** What the outbox knows of a stored batch without reading it. */
const Entry = Schema.Struct({
  batchId: Schema.String,
  events: Schema.Number,
  /** UTF-8 bytes of the stored text. */
  bytes: Schema.Number,
  userIds: Schema.Array(Schema.String),
  /** Hash of the stored text (`contentHash`); absent in indexes written before it existed. */
  hash: Schema.optional(Schema.String)
})
type Entry = typeof Entry.Type

/** The index of stored batches, oldest first, written to two alternating slots with a sequence number. */
const Index = Schema.Struct({ seq: Schema.Number, entries: Schema.Array(Entry) })
type Index = typeof Index.Type

/** Bounds of the outbox. */
export interface OutboxOptions {
  /** Most events stored; default 100,000. */
  readonly maxEvents: number
  /** Most UTF-8 bytes of serialized batches stored; default 32 MiB. */
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

/** What `oldest` found. */
export interface OldestResult {
  readonly batch: Option.Option<Batch>
  /** Events of corrupt, edited or unreadable entries skipped and removed on the way. */
  readonly corrupted: number
}

/** Stores batches that could not be delivered, for later re-sending. */
export class Outbox extends Context.Tag("effect-telemetry/Outbox")<Outbox, {
  /**
   * Stores a batch as the newest entry (or the oldest, to be re-sent first), evicting the oldest
   * entries when over the bounds.
   */
  readonly put: (batch: Batch, position?: "newest" | "oldest") => Effect.Effect<PutResult>
  /**
   * Atomically replaces the stored batch `batchId` (if stored) by `parts`, stored as the oldest entries (re-sent
   * first), e.g. the halves of a batch the receiver found too large. One index write commits it: a crash leaves
   * either the whole batch or the parts, never both and never neither.
   */
  readonly replace: (batchId: string, parts: ReadonlyArray<Batch>) => Effect.Effect<PutResult>
  /** Reads the oldest stored batch, skipping (and removing) corrupt, edited or missing ones. */
  readonly oldest: Effect.Effect<OldestResult>
  /** Forgets a batch, once delivered or rejected. */
  readonly remove: (batchId: string) => Effect.Effect<void>
  /** Stored batches, events and bytes, as last committed. */
  readonly size: Effect.Effect<{ readonly batches: number; readonly events: number; readonly bytes: number }>
  /** The stored events of a user, for `exportUserData`. */
  readonly eventsOf: (userId: string) => Effect.Effect<ReadonlyArray<Batch["events"][number]>>
  /** Removes a user's stored events; returns how many. */
  readonly erase: (userId: string) => Effect.Effect<number>
}>() {}

/**
 * Another store whose batches a new outbox takes over at start (e.g. the folder of a process that died),
 * read through its index and, when `listKeys` is given, its orphan batch files too.
 */
export interface AdoptedStore {
  readonly store: KeyValueStore.KeyValueStore
  readonly listKeys?: Effect.Effect<ReadonlyArray<string>, unknown>
}

/** What a store can do beyond `KeyValueStore`; all optional, so localStorage and memory stores need none. */
export interface StoreCapabilities {
  /**
   * Lists the store's keys: batch files the index does not name (a crash between the batch write and the
   * index write, a truncated index) are then re-indexed at start instead of being left behind. Default: none.
   */
  readonly listKeys?: Effect.Effect<ReadonlyArray<string>, unknown>
  /** Stores whose batches are copied in at start, after this store's own, and counted as stored. Default: none. */
  readonly adopt?: ReadonlyArray<AdoptedStore>
}

const indexKeys = ["index-a", "index-b"] as const
const batchPrefix = "batch-"
const entryKey = (batchId: string) => `${batchPrefix}${batchId}`

const decodeIndex = Schema.decodeUnknownEither(Schema.parseJson(Index))
const decodeBatch = Schema.decodeUnknownEither(Schema.parseJson(Batch))
// The index is plain JSON (no transformation in its schema): `JSON.stringify` encodes it, several times
// faster than a schema encode that re-validates every entry on each write.
const encodeIndex = (index: Index): string => JSON.stringify(index)

/** The hash of a stored text, kept in its index entry: it tells a file edited or truncated since it was stored. */
const contentHash = hash64

/**
 * The UTF-8 length of a string, what it takes on disk (`string.length` counts UTF-16 units: "€" is 1 of
 * them and 3 bytes). A lone surrogate counts 3, as its replacement character is encoded.
 * @internal
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

const entryOf = (batch: Batch, text: string): Entry => ({
  batchId: batch.batchId,
  events: batch.events.length,
  bytes: utf8Bytes(text),
  userIds: [...new Set(batch.events.flatMap((e) => (e.userId === undefined ? [] : [e.userId])))],
  hash: contentHash(text)
})

/** The stored text as a batch, if it is what `entry` recorded: same hash, same id, same event count. */
const verify = (entry: Entry, text: string): Option.Option<Batch> => {
  if (entry.hash !== undefined && entry.hash !== contentHash(text)) return Option.none()
  return Either.getRight(decodeBatch(text)).pipe(
    Option.filter((batch) => batch.batchId === entry.batchId && batch.events.length === entry.events)
  )
}

const total = (entries: ReadonlyArray<Entry>) =>
  entries.reduce((acc, e) => ({ events: acc.events + e.events, bytes: acc.bytes + e.bytes }), { events: 0, bytes: 0 })

const sumEvents = (entries: ReadonlyArray<Entry>) => entries.reduce((n, e) => n + e.events, 0)

/** The newest readable index slot of a store (empty when neither slot reads). */
const readIndex = (store: KeyValueStore.KeyValueStore): Effect.Effect<Index> =>
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

/**
 * Batches, events and bytes a store's index names, without reading the batches: what adopting it would add.
 * @internal
 */
export const indexedSize = (
  store: KeyValueStore.KeyValueStore
): Effect.Effect<{ readonly batches: number; readonly events: number; readonly bytes: number }> =>
  Effect.map(readIndex(store), (index) => ({ batches: index.entries.length, ...total(index.entries) }))

/**
 * The entries of a store: its index, then its batch files the index does not name (when keys can be
 * listed), oldest event first. An orphan that does not decode as the batch its name says is left, logged.
 */
const readEntries = (
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
 * Builds an outbox over the `KeyValueStore` in context: reads its index, re-indexes orphan batch files
 * (with `listKeys`), and copies in the batches of the `adopt` stores, committing all of it in one index write.
 */
export const make = (
  options: OutboxOptions,
  capabilities: StoreCapabilities = {}
): Effect.Effect<Outbox["Type"], never, KeyValueStore.KeyValueStore> =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore

    // Two index slots, written alternately: a write torn by a crash leaves the other slot intact.
    const writeIndex = (next: Index) =>
      store.set(indexKeys[next.seq % 2]!, encodeIndex(next)).pipe(
        Effect.catchAll((error) => Effect.logWarning("telemetry outbox index not saved", error))
      )

    /** Replaces the entry list; the index is saved before entry files are removed, so a crash only orphans files. */
    const update = (index0: Index, entries: ReadonlyArray<Entry>) =>
      Effect.as(writeIndex({ seq: index0.seq + 1, entries }), { seq: index0.seq + 1, entries })

    const removeFiles = (entries: ReadonlyArray<Entry>) =>
      Effect.forEach(entries, (e) => Effect.ignore(store.remove(entryKey(e.batchId))), { discard: true })

    // ---- start: own index, orphans, adopted stores ------------------------------------------------

    const own = yield* readEntries(store, capabilities.listKeys)
    const startEntries: Array<Entry> = [...own.index.entries, ...own.orphans]
    const known = new Set(startEntries.map((e) => e.batchId))
    for (const adopted of capabilities.adopt ?? []) {
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
    const initial = changed ? yield* update(own.index, startEntries) : own.index
    const index = yield* SynchronizedRef.make(initial)

    // ---- writes -------------------------------------------------------------------------------------

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
          if (entry.events > options.maxEvents || entry.bytes > options.maxBytes) {
            refused += entry.events
            continue
          }
          const fits = () => used.events + entry.events <= options.maxEvents && used.bytes + entry.bytes <= options.maxBytes
          while (!fits() && evictOldest() !== undefined) continue
          if (!fits()) {
            refused += entry.events
            continue
          }
          let stored = false
          while (!stored) {
            const written = yield* Effect.either(store.set(entryKey(batch.batchId), text))
            if (Either.isRight(written)) {
              stored = true
              break
            }
            const oldest = evictOldest()
            if (oldest === undefined) {
              yield* Effect.logWarning("telemetry outbox cannot store a batch", written.left)
              break
            }
            yield* Effect.ignore(store.remove(entryKey(oldest.batchId)))
          }
          if (stored) {
            added.push(entry)
            used.events += entry.events
            used.bytes += entry.bytes
          } else refused += entry.events
        }
        const next = yield* update(current, position === "newest" ? [...kept, ...added] : [...added, ...kept])
        yield* removeFiles([...evicted, ...replaced])
        return [{ stored: refused === 0, evicted: sumEvents(evicted), refused }, next] as const
      })

    const put = (batch: Batch, position: "newest" | "oldest" = "newest"): Effect.Effect<PutResult> =>
      SynchronizedRef.modifyEffect(index, (current) => write(current, [batch], position, []))

    const replace = (batchId: string, parts: ReadonlyArray<Batch>): Effect.Effect<PutResult> =>
      SynchronizedRef.modifyEffect(index, (current) => write(current, parts, "oldest", [batchId]))

    const dropEntries = (predicate: (e: Entry) => boolean) =>
      SynchronizedRef.modifyEffect(index, (current) => {
        const dropped = current.entries.filter(predicate)
        if (dropped.length === 0) return Effect.succeed([dropped, current] as const)
        return update(current, current.entries.filter((e) => !predicate(e))).pipe(
          Effect.tap(() => removeFiles(dropped)),
          Effect.map((next) => [dropped, next] as const)
        )
      })

    const readEntry = (entry: Entry) =>
      store.get(entryKey(entry.batchId)).pipe(
        Effect.map(Option.flatMap((text) => verify(entry, text))),
        Effect.orElseSucceed(() => Option.none<Batch>())
      )

    const oldest: Effect.Effect<OldestResult> = Effect.gen(function*() {
      let corrupted = 0
      while (true) {
        const first = (yield* SynchronizedRef.get(index)).entries[0]
        if (first === undefined) return { batch: Option.none(), corrupted }
        const batch = yield* readEntry(first)
        if (Option.isSome(batch)) return { batch, corrupted }
        yield* Effect.logWarning("telemetry outbox entry unreadable or changed since stored, skipped").pipe(
          Effect.annotateLogs({ batchId: first.batchId, events: first.events })
        )
        // Dropped only if still the same entry: another fiber may have removed or replaced it meanwhile.
        const dropped = yield* dropEntries((e) => e === first)
        corrupted += sumEvents(dropped)
      }
    })

    const storedBatchesOf = (userId: string) =>
      Effect.flatMap(SynchronizedRef.get(index), (current) =>
        Effect.forEach(current.entries.filter((e) => e.userIds.includes(userId)), readEntry))

    /**
     * Per batch, one index write commits the erasure: the rest of the batch is rewritten in place first, so
     * `size` never shows the batch gone and then back. (A crash between the two writes leaves an entry
     * whose hash no longer matches its file: counted as corrupted at the next start, never sent unerased.)
     */
    const erase = (userId: string): Effect.Effect<number> =>
      Effect.gen(function*() {
        let erased = 0
        for (const found of yield* storedBatchesOf(userId)) {
          if (Option.isNone(found)) continue
          const batch = found.value
          const rest = batch.events.filter((e) => e.userId !== userId)
          erased += yield* SynchronizedRef.modifyEffect(index, (current) => {
            const at = current.entries.findIndex((e) => e.batchId === batch.batchId)
            if (at < 0) return Effect.succeed([0, current] as const)
            const removed = batch.events.length - rest.length
            if (rest.length === 0) {
              return update(current, current.entries.filter((_, i) => i !== at)).pipe(
                Effect.tap(() => removeFiles([current.entries[at]!])),
                Effect.map((next) => [removed, next] as const)
              )
            }
            const kept: Batch = { batchId: batch.batchId, events: rest }
            const text = JSON.stringify(kept)
            return store.set(entryKey(batch.batchId), text).pipe(
              Effect.flatMap(() =>
                update(current, current.entries.map((e, i) => (i === at ? entryOf(kept, text) : e)))
              ),
              Effect.map((next) => [removed, next] as const),
              // the file could not be rewritten: drop the whole entry rather than keep the user's events
              Effect.catchAll(() =>
                update(current, current.entries.filter((_, i) => i !== at)).pipe(
                  Effect.tap(() => removeFiles([current.entries[at]!])),
                  Effect.map((next) => [removed, next] as const)
                )
              )
            )
          })
        }
        return erased
      })

    return Outbox.of({
      put,
      replace,
      oldest,
      remove: (batchId) => Effect.asVoid(dropEntries((e) => e.batchId === batchId)),
      size: Effect.map(SynchronizedRef.get(index), (current) => ({ batches: current.entries.length, ...total(current.entries) })),
      eventsOf: (userId) =>
        Effect.map(storedBatchesOf(userId), (batches) =>
          batches.flatMap((b) => Option.isSome(b) ? b.value.events.filter((e) => e.userId === userId) : [])),
      erase
    })
  })

/** Default bounds: 100,000 events, 32 MiB. */
export const defaultOptions: OutboxOptions = { maxEvents: 100_000, maxBytes: 32 * 1024 * 1024 }

/** An outbox over the `KeyValueStore` in context; keys are prefixed so it can share a store (localStorage). */
export const layer = (
  options: Partial<OutboxOptions> = {}
): Layer.Layer<Outbox, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(
    Outbox,
    Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
      make({ ...defaultOptions, ...options }).pipe(
        Effect.provideService(KeyValueStore.KeyValueStore, KeyValueStore.prefix(store, "effect-telemetry-outbox:"))
      ))
  )

/** An outbox in memory: survives failed sends, not restarts. The default of `TelemetryTest`. */
export const layerMemory = (options: Partial<OutboxOptions> = {}): Layer.Layer<Outbox> =>
  layer(options).pipe(Layer.provide(KeyValueStore.layerMemory))
