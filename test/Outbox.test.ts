import { FileSystem, KeyValueStore } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { NodeContext, NodeKeyValueStore } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Option, Ref } from "effect"
import { layerWithTransport } from "../src/layers/TelemetryLive.js"
import { fromOptions } from "../src/schemas/TelemetryConfig.js"
import type { Batch, TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import * as Outbox from "../src/services/Outbox.js"
import { TelemetryCollector } from "../src/services/TelemetryCollector.js"
import { makeScripted } from "./support/ScriptedTransport.js"
import { drainIds } from "./support/Drain.js"

const event = (id: string, userId?: string): TelemetryEvent => ({
  id,
  type: "chat.message",
  kind: "custom",
  timestamp: 1,
  sessionId: "s",
  data: { id },
  ...(userId === undefined ? {} : { userId })
})

const batch = (batchId: string, size: number, userId?: string): Batch => ({
  batchId,
  events: Array.from({ length: size }, (_, i) => event(`${batchId}-${i}`, userId))
})

const prefix = "effect-telemetry-outbox:"

/** An outbox over a memory store the test can also reach, to corrupt it. */
const withStore = (options: Partial<Outbox.OutboxOptions> = {}) =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore
    const outbox = yield* Effect.provideService(
      Outbox.make({ ...Outbox.defaultOptions, ...options }),
      KeyValueStore.KeyValueStore,
      KeyValueStore.prefix(store, prefix)
    )
    return { outbox, store }
  })


/** A string store over a Map the test can snapshot; `onSet` runs before each write (to snapshot or block it). */
const mapStore = (entries: Map<string, string>, onSet: (key: string) => Effect.Effect<void> = () => Effect.void) =>
  KeyValueStore.makeStringOnly({
    get: (key) => Effect.sync(() => Option.fromNullable(entries.get(key))),
    set: (key, value) => Effect.zipRight(onSet(key), Effect.sync(() => void entries.set(key, value))),
    remove: (key) => Effect.sync(() => void entries.delete(key)),
    clear: Effect.sync(() => entries.clear()),
    size: Effect.sync(() => entries.size)
  })

const openOver = (store: KeyValueStore.KeyValueStore, options: Partial<Outbox.OutboxOptions> = {}) =>
  Outbox.make({ ...Outbox.defaultOptions, ...options }).pipe(Effect.provideService(KeyValueStore.KeyValueStore, store))

describe("Outbox", () => {
  it.effect("keeps batches oldest first, with their ids, until removed", () =>
    Effect.gen(function*() {
      const { outbox } = yield* withStore()
      yield* outbox.put(batch("a", 2))
      yield* outbox.put(batch("b", 3))
      yield* outbox.put(batch("front", 1), "oldest")
      expect(yield* outbox.size).toMatchObject({ batches: 3, events: 6 })
      const { batch: oldest } = yield* outbox.oldest
      expect(Option.getOrThrow(oldest)).toEqual(batch("front", 1))
      expect(yield* drainIds(outbox)).toEqual(["front", "a", "b"])
      expect(yield* outbox.size).toMatchObject({ batches: 0, events: 0, bytes: 0 })
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("past maxEvents the oldest batches are evicted and reported", () =>
    Effect.gen(function*() {
      const { outbox } = yield* withStore({ maxEvents: 10 })
      expect(yield* outbox.put(batch("a", 4))).toEqual({ stored: true, evicted: 0, refused: 0 })
      yield* outbox.put(batch("b", 4))
      expect(yield* outbox.put(batch("c", 4))).toEqual({ stored: true, evicted: 4, refused: 0 })
      expect(yield* drainIds(outbox)).toEqual(["b", "c"])
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("past maxBytes too; a batch larger than the bounds is refused, not stored", () =>
    Effect.gen(function*() {
      const oneBatch = JSON.stringify(batch("a", 3)).length
      const { outbox } = yield* withStore({ maxBytes: oneBatch * 2 + 10 })
      yield* outbox.put(batch("a", 3))
      yield* outbox.put(batch("b", 3))
      expect((yield* outbox.put(batch("c", 3))).evicted).toBe(3)
      expect(yield* outbox.put(batch("huge", 50))).toEqual({ stored: false, evicted: 0, refused: 50 })
      expect(yield* drainIds(outbox)).toEqual(["b", "c"])
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("replace swaps a stored batch for its parts, at the front, committed by one index write", () =>
    Effect.gen(function*() {
      const files = new Map<string, string>()
      const indexWrites: Array<Map<string, string>> = []
      const store = mapStore(files, (key) =>
        Effect.sync(() => {
          // what a crash just before this index write would leave on disk
          if (key.startsWith("index-")) indexWrites.push(new Map(files))
        }))
      const outbox = yield* openOver(store)
      yield* outbox.put(batch("a", 2))
      yield* outbox.put(batch("big", 4))
      const before = indexWrites.length
      const result = yield* outbox.replace("big", [batch("big.0", 2), batch("big.1", 2)])
      expect(result).toEqual({ stored: true, evicted: 0, refused: 0 })
      expect(indexWrites.length - before).toBe(1)
      expect(yield* outbox.size).toMatchObject({ batches: 3, events: 6 })
      expect([...files.keys()].filter((k) => k.startsWith("batch-")).sort()).toEqual(["batch-a", "batch-big.0", "batch-big.1"])
      // a crash before the one index write: the whole batch, not the parts (their files are orphans)
      const crashed = yield* openOver(mapStore(indexWrites[indexWrites.length - 1]!))
      expect(yield* drainIds(crashed)).toEqual(["a", "big"])
      // after it: the parts, first, and not the whole batch
      expect(yield* drainIds(yield* openOver(mapStore(new Map(files))))).toEqual(["big.0", "big.1", "a"])
      expect(yield* drainIds(outbox)).toEqual(["big.0", "big.1", "a"])
    }))

  it.effect("replace of a batch not stored stores the parts first; evictions and refusals are counted as by put", () =>
    Effect.gen(function*() {
      const { outbox } = yield* withStore({ maxEvents: 6 })
      yield* outbox.put(batch("a", 3))
      yield* outbox.put(batch("b", 2))
      expect(yield* outbox.replace("in-flight", [batch("x.0", 2), batch("x.1", 2)])).toEqual({
        stored: true,
        evicted: 3,
        refused: 0
      })
      expect(yield* outbox.replace("x.0", [batch("x.0.0", 7), batch("x.0.1", 1)])).toEqual({
        stored: false,
        evicted: 0,
        refused: 7
      })
      expect(yield* drainIds(outbox)).toEqual(["x.0.1", "x.1", "b"])
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a corrupt or missing entry is skipped, counted and removed; the next one is returned", () =>
    Effect.gen(function*() {
      const { outbox, store } = yield* withStore()
      yield* outbox.put(batch("garbled", 2))
      yield* outbox.put(batch("missing", 3))
      yield* outbox.put(batch("fine", 1))
      yield* store.set(`${prefix}batch-garbled`, "{\"batchId\": \"garbled\", \"events\": [tru")
      yield* store.remove(`${prefix}batch-missing`)
      const result = yield* outbox.oldest
      expect(result.corrupted).toBe(5)
      expect(Option.getOrThrow(result.batch).batchId).toBe("fine")
      expect(yield* outbox.size).toMatchObject({ batches: 1, events: 1 })
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a batch file edited into valid JSON with fewer events (or other content) counts the index's events as corrupted", () =>
    Effect.gen(function*() {
      const { outbox, store } = yield* withStore()
      yield* outbox.put(batch("shortened", 5))
      yield* outbox.put(batch("rewritten", 2))
      yield* outbox.put(batch("fine", 1))
      yield* store.set(`${prefix}batch-shortened`, JSON.stringify(batch("shortened", 3)))
      const rewritten = batch("rewritten", 2)
      yield* store.set(`${prefix}batch-rewritten`, JSON.stringify({ ...rewritten, events: [rewritten.events[1], rewritten.events[0]] }))
      const result = yield* outbox.oldest
      expect(result.corrupted).toBe(7)
      expect(Option.getOrThrow(result.batch).batchId).toBe("fine")
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("size shows committed state only: while put, replace or erase writes, it shows the state before", () =>
    Effect.gen(function*() {
      const files = new Map<string, string>()
      const gate = yield* Ref.make<Option.Option<{ entered: Deferred.Deferred<void>; release: Deferred.Deferred<void> }>>(Option.none())
      // a store whose batch writes can be held at the door, as a slow disk would hold them
      const store = mapStore(files, (key) =>
        Effect.flatMap(Ref.get(gate), (armed) =>
          Option.isSome(armed) && key.startsWith("batch-")
            ? Effect.zipRight(Deferred.succeed(armed.value.entered, undefined), Deferred.await(armed.value.release))
            : Effect.void))
      const outbox = yield* openOver(store)
      yield* outbox.put({ batchId: "mixed", events: [event("1", "alice"), event("2", "bob"), event("3", "bob")] })
      const duringAndAfter = (operation: Effect.Effect<unknown>) =>
        Effect.gen(function*() {
          const before = yield* outbox.size
          const entered = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          yield* Ref.set(gate, Option.some({ entered, release }))
          const fiber = yield* Effect.fork(operation)
          yield* Deferred.await(entered)
          const during = yield* outbox.size
          yield* Ref.set(gate, Option.none())
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(fiber)
          return { before, during, after: yield* outbox.size }
        })
      const erased = yield* duringAndAfter(outbox.erase("alice"))
      expect(erased.during).toEqual(erased.before)
      expect(erased.after.events).toBe(2)
      const put = yield* duringAndAfter(outbox.put(batch("b", 4)))
      expect(put.during).toEqual(put.before)
      expect(put.after.events).toBe(6)
      const replaced = yield* duringAndAfter(outbox.replace("b", [batch("b.0", 2), batch("b.1", 2)]))
      expect(replaced.during).toEqual(replaced.before)
      expect(replaced.after).toMatchObject({ batches: 3, events: 6 })
    }))

  it.effect("bytes are counted in UTF-8, as stored: \"€\" is 3 bytes, not 1", () =>
    Effect.gen(function*() {
      const { outbox } = yield* withStore()
      const euros: Batch = { batchId: "e", events: [event("€€€")] }
      yield* outbox.put(euros)
      expect((yield* outbox.size).bytes).toBe(new TextEncoder().encode(JSON.stringify(euros)).length)
      expect(Outbox.utf8Bytes("a€😀\ud800")).toBe(1 + 3 + 4 + 3)
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a torn index write falls back to the other slot", () =>
    Effect.gen(function*() {
      const first = yield* withStore()
      yield* first.outbox.put(batch("a", 1))
      yield* first.outbox.put(batch("b", 1))
      // the last write went to one slot; tear it, as a crash mid-write would
      const slots = ["index-a", "index-b"]
      const texts = yield* Effect.forEach(slots, (slot) => first.store.get(`${prefix}${slot}`))
      const newest = texts.map((t) => Option.map(t, (s) => JSON.parse(s).seq as number)).map(Option.getOrElse(() => -1))
      const torn = slots[newest[0]! > newest[1]! ? 0 : 1]!
      yield* first.store.set(`${prefix}${torn}`, "{\"seq\": 99, \"entr")
      const reopened = yield* withStore()
      expect(yield* drainIds(reopened.outbox)).toEqual(["a"])
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.effect("a failing write (a storage quota) evicts the oldest and retries; with nothing left it refuses", () =>
    Effect.gen(function*() {
      const quota = yield* Ref.make(2)
      const memory = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      // a store that refuses a batch write whenever more than `quota` batches are stored
      const limited = KeyValueStore.make({
        ...memory,
        set: (key, value) =>
          Effect.gen(function*() {
            if (key.includes("batch-")) {
              const stored = yield* memory.size
              const limit = yield* Ref.get(quota)
              // the two index slots are stored too
              if (stored - 2 >= limit && !(yield* memory.has(key))) {
                return yield* Effect.fail(
                  new SystemError({ reason: "Unknown", module: "KeyValueStore", method: "set", description: "QuotaExceededError" })
                )
              }
            }
            return yield* memory.set(key, value)
          })
      })
      const outbox = yield* Outbox.make(Outbox.defaultOptions).pipe(
        Effect.provideService(KeyValueStore.KeyValueStore, limited)
      )
      yield* outbox.put(batch("a", 1))
      yield* outbox.put(batch("b", 1))
      expect(yield* outbox.put(batch("c", 1))).toEqual({ stored: true, evicted: 1, refused: 0 })
      yield* Ref.set(quota, 0)
      expect(yield* outbox.put(batch("d", 4))).toMatchObject({ stored: false, refused: 4 })
      expect(yield* outbox.size).toMatchObject({ events: 0 })
    }))

  it.effect("erase removes a user's events and keeps the rest of their batches", () =>
    Effect.gen(function*() {
      const { outbox } = yield* withStore()
      yield* outbox.put({ batchId: "mixed", events: [event("1", "alice"), event("2", "bob"), event("3", "alice")] })
      yield* outbox.put(batch("bobs", 2, "bob"))
      expect((yield* outbox.eventsOf("alice")).map((e) => e.id)).toEqual(["1", "3"])
      expect(yield* outbox.erase("alice")).toBe(2)
      expect(yield* outbox.eventsOf("alice")).toEqual([])
      expect(yield* outbox.size).toMatchObject({ events: 3 })
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))

  it.scoped("on the real file-system store, a new outbox over the same folder finds what the last one stored", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const open = Effect.provide(
        Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
          Outbox.make(Outbox.defaultOptions).pipe(Effect.provideService(KeyValueStore.KeyValueStore, store))),
        NodeKeyValueStore.layerFileSystem(dir)
      )
      const first = yield* open
      yield* first.put(batch("a", 2))
      yield* first.put(batch("b", 2))
      yield* first.remove("a")
      const second = yield* open
      expect(yield* second.size).toMatchObject({ batches: 1, events: 2 })
      expect(Option.getOrThrow((yield* second.oldest).batch)).toEqual(batch("b", 2))
      // one unreadable file never stops start-up or delivery
      yield* fs.writeFileString(`${dir}/batch-b`, "\u0000\u0001 not json")
      const third = yield* open
      expect(yield* third.oldest).toEqual({ batch: Option.none(), corrupted: 2 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a collector started over a non-empty outbox counts it as restored and re-sends it at once", () =>
    Effect.gen(function*() {
      const store = yield* Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerMemory)
      const outboxLayer = Outbox.layer().pipe(Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, store)))
      const seeded = yield* Effect.provide(Outbox.Outbox, outboxLayer)
      yield* seeded.put(batch("left-by-last-run", 3))
      const scripted = yield* makeScripted
      const config = yield* Effect.orDie(fromOptions({}))
      const context = yield* Layer.build(layerWithTransport(config, scripted.layer, outboxLayer))
      const collector = Context.get(context, TelemetryCollector)
      yield* Effect.repeatN(Effect.yieldNow(), 50)
      expect((yield* scripted.batches).map((b) => b.batchId)).toEqual(["left-by-last-run"])
      expect(yield* collector.stats).toMatchObject({ restored: 3, accepted: 3, sent: 3, outboxed: 0 })
    }))

  describe("statics", () => {
    it.effect("Outbox.layerMemory() is an outbox with the default bounds", () =>
      Effect.gen(function*() {
        const outbox = yield* Outbox.Outbox
        const result = yield* outbox.put(batch("a", 3))
        expect(result).toEqual({ stored: true, evicted: 0, refused: 0 })
        expect(yield* outbox.size).toMatchObject({ batches: 1, events: 3 })
      }).pipe(Effect.provide(Outbox.Outbox.layerMemory())))

    it.effect("Outbox.layerMemory({ maxEvents }) bounds it", () =>
      Effect.gen(function*() {
        const outbox = yield* Outbox.Outbox
        yield* outbox.put(batch("a", 3))
        expect(yield* outbox.put(batch("b", 3))).toEqual({ stored: true, evicted: 3, refused: 0 })
      }).pipe(Effect.provide(Outbox.Outbox.layerMemory({ maxEvents: 4 }))))

    it.effect("a bound out of range fails with OutboxOptionsError naming it", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Layer.build(Outbox.Outbox.layerMemory({ maxEvents: 0 })).pipe(Effect.scoped))
        expect(error._tag).toBe("OutboxOptionsError")
        expect(error).toBeInstanceOf(Outbox.Outbox.OptionsError)
        expect(error.option).toBe("maxEvents")
        expect(error.message).toMatch(/^option maxEvents: /)
      }))

    it.effect("a misspelt option is refused", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Outbox.Outbox.make({ maxEvent: 10 } as never).pipe(Effect.provide(KeyValueStore.layerMemory))
        )
        expect(error).toMatchObject({ _tag: "OutboxOptionsError", option: "maxEvent" })
      }))

    it.effect("Outbox.layer prefixes its keys in the store it is given", () =>
      Effect.gen(function*() {
        const entries = new Map<string, string>()
        const outbox = yield* Effect.provide(
          Outbox.Outbox,
          Outbox.Outbox.layer().pipe(Layer.provide(Layer.succeed(KeyValueStore.KeyValueStore, mapStore(entries))))
        )
        yield* outbox.put(batch("a", 1))
        expect([...entries.keys()].every((key) => key.startsWith(prefix))).toBe(true)
        expect(entries.has(`${prefix}batch-a`)).toBe(true)
      }))
  })
})
