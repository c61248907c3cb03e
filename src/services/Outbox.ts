/**
 * Durable storage for batches that could not be delivered, on `@effect/platform`'s `KeyValueStore`:
 * a folder of files on Node, localStorage in browsers, memory in tests. Bounded by events and bytes;
 * the oldest batches go first when it is full. A corrupt or unreadable entry is skipped, counted and
 * removed: it never stops delivery or start-up.
 */
import { KeyValueStore } from "@effect/platform"
import { Context, Effect, Either, Layer, Option, Schema, SynchronizedRef } from "effect"
import { Batch } from "../schemas/TelemetryEvent.js"

/** What the outbox knows of a stored batch without reading it. */
const Entry = Schema.Struct({
  batchId: Schema.String,
  events: Schema.Number,
  bytes: Schema.Number,
  userIds: Schema.Array(Schema.String)
})
type Entry = typeof Entry.Type

/** The index of stored batches, oldest first, written to two alternating slots with a sequence number. */
const Index = Schema.Struct({ seq: Schema.Number, entries: Schema.Array(Entry) })
type Index = typeof Index.Type

/** Bounds of the outbox. */
export interface OutboxOptions {
  /** Most events stored; default 100,000. */
  readonly maxEvents: number
  /** Most bytes of serialized batches stored; default 32 MiB. */
  readonly maxBytes: number
}

/** What happened to a batch handed to `put`. */
export interface PutResult {
  /** Whether the batch was stored. */
  readonly stored: boolean
  /** Events of older batches evicted to make room. */
  readonly evicted: number
  /** Events of this batch that could not be stored (too large for the bounds, or storage failing). */
  readonly refused: number
}

/** What `oldest` found. */
export interface OldestResult {
  readonly batch: Option.Option<Batch>
  /** Events of corrupt or unreadable entries skipped and removed on the way. */
  readonly corrupted: number
}

/** Stores batches that could not be delivered, for later re-sending. */
export class Outbox extends Context.Tag("effect-telemetry/Outbox")<Outbox, {
  /**
   * Stores a batch as the newest entry (or the oldest, to be re-sent first), evicting the oldest
   * entries when over the bounds.
   */
  readonly put: (batch: Batch, position?: "newest" | "oldest") => Effect.Effect<PutResult>
  /** Reads the oldest stored batch, skipping (and removing) corrupt ones. */
  readonly oldest: Effect.Effect<OldestResult>
  /** Forgets a batch, once delivered or rejected. */
  readonly remove: (batchId: string) => Effect.Effect<void>
  /** Stored batches and events right now. */
  readonly size: Effect.Effect<{ readonly batches: number; readonly events: number; readonly bytes: number }>
  /** The stored events of a user, for `exportUserData`. */
  readonly eventsOf: (userId: string) => Effect.Effect<ReadonlyArray<Batch["events"][number]>>
  /** Removes a user's stored events; returns how many. */
  readonly erase: (userId: string) => Effect.Effect<number>
}>() {}

const indexKeys = ["index-a", "index-b"] as const
const entryKey = (batchId: string) => `batch-${batchId}`

const decodeIndex = Schema.decodeUnknownEither(Schema.parseJson(Index))
const decodeBatch = Schema.decodeUnknownEither(Schema.parseJson(Batch))
const encodeIndex = Schema.encodeSync(Schema.parseJson(Index))

/** Builds an outbox over the `KeyValueStore` in context, reading its index. */
export const make = (options: OutboxOptions): Effect.Effect<Outbox["Type"], never, KeyValueStore.KeyValueStore> =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore

    // Two index slots, written alternately: a write torn by a crash leaves the other slot intact.
    const readSlot = (key: string) =>
      store.get(key).pipe(
        Effect.map(Option.flatMap((text) => Either.getRight(decodeIndex(text)))),
        Effect.orElseSucceed(() => Option.none<Index>())
      )
    const slots = yield* Effect.all(indexKeys.map(readSlot))
    const initial = slots.reduce<Index>(
      (best, slot) => Option.isSome(slot) && slot.value.seq > best.seq ? slot.value : best,
      { seq: 0, entries: [] }
    )
    const index = yield* SynchronizedRef.make(initial)

    const writeIndex = (next: Index) =>
      store.set(indexKeys[next.seq % 2]!, encodeIndex(next)).pipe(
        Effect.catchAll((error) => Effect.logWarning("telemetry outbox index not saved", error))
      )

    /** Replaces the entry list; the index is saved before entry files are removed, so a crash only orphans files. */
    const update = (index0: Index, entries: ReadonlyArray<Entry>) =>
      Effect.as(writeIndex({ seq: index0.seq + 1, entries }), { seq: index0.seq + 1, entries })

    const removeFiles = (entries: ReadonlyArray<Entry>) =>
      Effect.forEach(entries, (e) => Effect.ignore(store.remove(entryKey(e.batchId))), { discard: true })

    const total = (entries: ReadonlyArray<Entry>) =>
      entries.reduce((acc, e) => ({ events: acc.events + e.events, bytes: acc.bytes + e.bytes }), { events: 0, bytes: 0 })

    const put = (batch: Batch, position: "newest" | "oldest" = "newest"): Effect.Effect<PutResult> =>
      SynchronizedRef.modifyEffect(index, (current) =>
        Effect.gen(function*() {
          const text = JSON.stringify(batch)
          const entry: Entry = {
            batchId: batch.batchId,
            events: batch.events.length,
            bytes: text.length,
            userIds: [...new Set(batch.events.flatMap((e) => (e.userId === undefined ? [] : [e.userId])))]
          }
          if (entry.events > options.maxEvents || entry.bytes > options.maxBytes) {
            return outcome({ stored: false, evicted: 0, refused: entry.events }, current)
          }
          // Evict oldest entries until the new one fits, then write; a failed write (a full disk, a
          // storage quota) evicts one more and tries again, until nothing is left to evict.
          let kept = current.entries.filter((e) => e.batchId !== batch.batchId)
          const evicted: Array<Entry> = []
          const fits = () => {
            const t = total(kept)
            return t.events + entry.events <= options.maxEvents && t.bytes + entry.bytes <= options.maxBytes
          }
          while (!fits()) evicted.push(kept.shift()!)
          while (true) {
            const written = yield* Effect.either(store.set(entryKey(batch.batchId), text))
            if (Either.isRight(written)) break
            const oldest = kept.shift()
            if (oldest === undefined) {
              yield* Effect.logWarning("telemetry outbox cannot store a batch", written.left)
              const next = yield* update(current, kept)
              yield* removeFiles(evicted)
              return outcome({ stored: false, evicted: sumEvents(evicted), refused: entry.events }, next)
            }
            evicted.push(oldest)
            yield* Effect.ignore(store.remove(entryKey(oldest.batchId)))
          }
          const next = yield* update(current, position === "newest" ? [...kept, entry] : [entry, ...kept])
          yield* removeFiles(evicted)
          return outcome({ stored: true, evicted: sumEvents(evicted), refused: 0 }, next)
        }))

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
        Effect.map(Option.flatMap((text) => Either.getRight(decodeBatch(text)))),
        Effect.map(Option.filter((batch) => batch.batchId === entry.batchId)),
        Effect.orElseSucceed(() => Option.none<Batch>())
      )

    const oldest: Effect.Effect<OldestResult> = Effect.gen(function*() {
      let corrupted = 0
      while (true) {
        const first = (yield* SynchronizedRef.get(index)).entries[0]
        if (first === undefined) return { batch: Option.none(), corrupted }
        const batch = yield* readEntry(first)
        if (Option.isSome(batch)) return { batch, corrupted }
        yield* Effect.logWarning("telemetry outbox entry unreadable, skipped").pipe(
          Effect.annotateLogs({ batchId: first.batchId, events: first.events })
        )
        corrupted += first.events
        yield* dropEntries((e) => e.batchId === first.batchId)
      }
    })

    const storedBatchesOf = (userId: string) =>
      Effect.flatMap(SynchronizedRef.get(index), (current) =>
        Effect.forEach(current.entries.filter((e) => e.userIds.includes(userId)), readEntry))

    const erase = (userId: string): Effect.Effect<number> =>
      Effect.gen(function*() {
        let erased = 0
        for (const found of yield* storedBatchesOf(userId)) {
          if (Option.isNone(found)) continue
          const batch = found.value
          const rest = batch.events.filter((e) => e.userId !== userId)
          erased += batch.events.length - rest.length
          yield* dropEntries((e) => e.batchId === batch.batchId)
          if (rest.length > 0) yield* put({ batchId: batch.batchId, events: rest })
        }
        return erased
      })

    return Outbox.of({
      put,
      oldest,
      remove: (batchId) => Effect.asVoid(dropEntries((e) => e.batchId === batchId)),
      size: Effect.map(SynchronizedRef.get(index), (current) => ({ batches: current.entries.length, ...total(current.entries) })),
      eventsOf: (userId) =>
        Effect.map(storedBatchesOf(userId), (batches) =>
          batches.flatMap((b) => Option.isSome(b) ? b.value.events.filter((e) => e.userId === userId) : [])),
      erase
    })
  })

const outcome = (result: PutResult, next: Index): readonly [PutResult, Index] => [result, next]

const sumEvents = (entries: ReadonlyArray<Entry>) => entries.reduce((n, e) => n + e.events, 0)

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
