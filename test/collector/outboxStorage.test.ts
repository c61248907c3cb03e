/** The outbox's internal modules: `internal/outbox/entries.ts` (layout, encoding) and `storage.ts` (reads, writes). */
import { KeyValueStore } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Entries from "../../src/internal/outbox/entries.js"
import * as Storage from "../../src/internal/outbox/storage.js"
import type { Batch } from "../../src/schemas/TelemetryEvent.js"

const batch = (batchId: string, size: number, userId?: string): Batch => ({
  batchId,
  events: Array.from({ length: size }, (_, i) => ({
    id: `${batchId}-${i}`,
    type: "chat.message",
    kind: "custom" as const,
    timestamp: i,
    sessionId: "s",
    data: {},
    ...(userId === undefined ? {} : { userId })
  }))
})

const bounds = { maxEvents: 10, maxBytes: 1_000_000 }

describe("outbox entries", () => {
  it("an entry records count, UTF-8 bytes, users and a hash; verify refuses a changed text", () => {
    const b = batch("a", 2, "ann")
    const text = JSON.stringify(b)
    const entry = Entries.entryOf(b, text)
    expect(entry).toMatchObject({ batchId: "a", events: 2, bytes: text.length, userIds: ["ann"] })
    expect(Option.getOrThrow(Entries.verify(entry, text))).toEqual(b)
    expect(Option.isNone(Entries.verify(entry, text.replace("ann", "bob")))).toBe(true)
    expect(Option.isNone(Entries.verify({ ...entry, hash: undefined, events: 3 }, text))).toBe(true)
  })
})

describe("outbox storage", () => {
  it.effect("write stores the batch file before committing the index; eviction makes room, oldest first", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const storage = Storage.make(store, bounds)
      let index = yield* storage.open(undefined, [])
      for (const id of ["a", "b"]) [, index] = yield* storage.write(index, [batch(id, 4)], "newest", [])
      const [result, next] = yield* storage.write(index, [batch("c", 4)], "newest", [])
      expect(result).toEqual({ stored: true, evicted: 4, refused: 0 })
      expect(next.entries.map((e) => e.batchId)).toEqual(["b", "c"])
      expect(Option.isNone(yield* store.get(Entries.entryKey("a")))).toBe(true)
      expect((yield* Storage.readIndex(store)).entries.map((e) => e.batchId)).toEqual(["b", "c"])
      const [tooBig] = yield* storage.write(next, [batch("d", 11)], "newest", [])
      expect(tooBig).toEqual({ stored: false, evicted: 0, refused: 11 })
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("open re-indexes orphan files and adopts another store's batches, once each", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const other = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      const theirs = Storage.make(other, bounds)
      yield* theirs.write(yield* theirs.open(undefined, []), [batch("x", 2)], "newest", [])
      yield* store.set(Entries.entryKey("orphan"), JSON.stringify(batch("orphan", 1)))
      const listKeys = Effect.succeed([Entries.entryKey("orphan")])
      const index = yield* Storage.make(store, bounds).open(listKeys, [{ store: other }])
      expect(index.entries.map((e) => e.batchId)).toEqual(["orphan", "x"])
      expect(yield* Storage.indexedSize(store)).toEqual({ batches: 2, events: 3, bytes: index.entries[0]!.bytes + index.entries[1]!.bytes })
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("eraseIn rewrites a batch without the user's events, or drops it when nothing is left", () =>
    Effect.gen(function*() {
      const store = yield* KeyValueStore.KeyValueStore
      const storage = Storage.make(store, bounds)
      const mixed: Batch = { batchId: "m", events: [...batch("m", 2, "ann").events, ...batch("n", 1, "bob").events] }
      let [, index] = yield* storage.write(yield* storage.open(undefined, []), [mixed, batch("o", 2, "ann")], "newest", [])
      let removed: number
      ;[removed, index] = yield* storage.eraseIn(index, mixed, "ann")
      expect(removed).toBe(2)
      ;[removed, index] = yield* storage.eraseIn(index, batch("o", 2, "ann"), "ann")
      expect(removed).toBe(2)
      expect(index.entries.map((e) => [e.batchId, e.events])).toEqual([["m", 1]])
      expect(Option.getOrThrow(yield* storage.readEntry(index.entries[0]!)).events.map((e) => e.userId)).toEqual(["bob"])
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))
})
