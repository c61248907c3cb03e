/**
 * Durable storage for batches that could not be delivered, on `@effect/platform`'s `KeyValueStore`:
 * a folder of files on Node (`NodeOutbox`), localStorage in browsers, memory in tests. Bounded by events
 * and by UTF-8 bytes; the oldest batches go first when it is full. Each stored batch is recorded in an
 * index with its event count and a content hash: a corrupt, edited or missing entry is skipped, counted
 * and removed — it never stops delivery or start-up. Every change is committed by one index write, and
 * `size` only ever shows committed state.
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { decodeOptions, OptionsError } from "../internal/decode.js"
import { type Entry, type Index, total } from "../internal/outbox/entries.js"
import * as Storage from "../internal/outbox/storage.js"
import type { Batch } from "../schemas/TelemetryEvent.js"

/** Bounds of the outbox. */
export interface OutboxOptions {
  /** Most events stored; default 100,000. */
  readonly maxEvents: number
  /** Most UTF-8 bytes of serialized batches stored; default 32 MiB. */
  readonly maxBytes: number
}

/** What happened to a batch handed to `put` (or the parts handed to `replace`). */
export type PutResult = Storage.PutResult

/** What `oldest` found. */
export interface OldestResult {
  readonly batch: Option.Option<Batch>
  /** Events of corrupt, edited or unreadable entries skipped and removed on the way. */
  readonly corrupted: number
}

/** Another store whose batches a new outbox takes over at start (e.g. the folder of a process that died). */
export type AdoptedStore = Storage.Adopted

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

/**
 * `utf8Bytes`: the UTF-8 length of a string; `indexedSize`: what a store's index names, without reading it.
 * @internal
 */
export { utf8Bytes } from "../internal/json.js"
export { indexedSize } from "../internal/outbox/storage.js"

/**
 * Builds an outbox over the `KeyValueStore` in context: reads its index, re-indexes orphan batch files
 * (with `listKeys`), and copies in the batches of the `adopt` stores, committing all of it in one index write.
 * Only `NodeOutbox` needs that: `Outbox.make` and the layers start from the index alone, so a browser
 * bundles none of the orphan and adoption code.
 *
 * @internal
 */
export const make = (
  options: OutboxOptions,
  capabilities: StoreCapabilities = {}
): Effect.Effect<Outbox.Service, never, KeyValueStore.KeyValueStore> =>
  Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
    Effect.flatMap(
      Storage.make(store, options).open(capabilities.listKeys, capabilities.adopt ?? []),
      (start) => fromIndex(store, options, start)
    ))

/** An outbox over the `KeyValueStore` in context, from its own index alone. */
const makeOwn = (options: OutboxOptions): Effect.Effect<Outbox.Service, never, KeyValueStore.KeyValueStore> =>
  Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
    Effect.flatMap(Storage.readIndex(store), (start) => fromIndex(store, options, start)))

/** The outbox over `store` whose committed index is `start`. */
const fromIndex = (store: KeyValueStore.KeyValueStore, options: OutboxOptions, start: Index): Effect.Effect<Outbox.Service> =>
  Effect.gen(function*() {
    const { eraseIn, readEntry, removeFiles, update, write } = Storage.operations(store, options)
    const index = yield* SynchronizedRef.make(start)

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
        corrupted += total(dropped).events
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
          erased += yield* SynchronizedRef.modifyEffect(index, (current) => eraseIn(current, found.value, userId))
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

/**
 * Default bounds: 100,000 events, 32 MiB.
 * @internal
 */
export const defaultOptions: OutboxOptions = { maxEvents: 100_000, maxBytes: 32 * 1024 * 1024 }

/**
 * An outbox over the `KeyValueStore` in context; keys are prefixed so it can share a store (localStorage).
 * @internal
 */
export const layer = (
  options: Partial<OutboxOptions> = {}
): Layer.Layer<Outbox, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(
    Outbox,
    Effect.flatMap(KeyValueStore.KeyValueStore, (store) =>
      makeOwn({ ...defaultOptions, ...options }).pipe(
        Effect.provideService(KeyValueStore.KeyValueStore, KeyValueStore.prefix(store, "effect-telemetry-outbox:"))
      ))
  )

/**
 * An outbox in memory: survives failed sends, not restarts. The default of `TelemetryTest`.
 * @internal
 */
export const layerMemory = (options: Partial<OutboxOptions> = {}): Layer.Layer<Outbox> =>
  layer(options).pipe(Layer.provide(KeyValueStore.layerMemory))

/** A bound: an integer of at least 1, by default `defaultOptions`' own. */
const bound = (name: keyof OutboxOptions) =>
  Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => defaultOptions[name] })

/** Options of `Outbox.make` / `Outbox.layer`: the bounds, each with its default. */
const OptionsSchema = Schema.Struct({ maxEvents: bound("maxEvents"), maxBytes: bound("maxBytes") })

/**
 * Options of an `Outbox` that do not decode: `option` names the one at fault, `reason` says why.
 *
 * @since 0.2.0
 * @category errors
 */
export class OutboxOptionsError extends OptionsError("OutboxOptionsError") {}

const decode = decodeOptions(OptionsSchema, (fields) => new OutboxOptionsError(fields))

/**
 * Stores batches that could not be delivered, for later re-sending.
 *
 * @since 0.2.0
 * @category tags
 */
export class Outbox extends Context.Tag("effect-telemetry/Outbox")<Outbox, Outbox.Service>() {
  /**
   * Builds an outbox over the `KeyValueStore` in context (its keys unprefixed). Default bounds: 100,000
   * events, 32 MiB.
   *
   * @since 0.2.0
   * @category constructors
   */
  static readonly make = (
    options?: Outbox.Options
  ): Effect.Effect<Outbox.Service, OutboxOptionsError, KeyValueStore.KeyValueStore> =>
    Effect.flatMap(decode(options), makeOwn)

  /**
   * An outbox over the `KeyValueStore` in context, its keys prefixed `effect-telemetry-outbox:` so it can
   * share a store (localStorage). Default bounds: 100,000 events, 32 MiB.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layer = (
    options?: Outbox.Options
  ): Layer.Layer<Outbox, OutboxOptionsError, KeyValueStore.KeyValueStore> =>
    Layer.unwrapEffect(Effect.map(decode(options), layer))

  /**
   * An outbox in memory: survives failed sends, not restarts (the default of `TelemetryTest`). Default
   * bounds: 100,000 events, 32 MiB.
   *
   * @since 0.2.0
   * @category layers
   */
  static readonly layerMemory = (options?: Outbox.Options): Layer.Layer<Outbox, OutboxOptionsError> =>
    Layer.unwrapEffect(Effect.map(decode(options), layerMemory))

  /**
   * The error of options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  static readonly OptionsError = OutboxOptionsError
}

/** @since 0.2.0 */
export declare namespace Outbox {
  /**
   * What an outbox does.
   *
   * @since 0.2.0
   * @category models
   */
  export interface Service {
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
  }

  /**
   * Options of `make` / `layer` / `layerMemory`: `maxEvents` (default 100,000) and `maxBytes` (default 32 MiB).
   *
   * @since 0.2.0
   * @category models
   */
  export type Options = Schema.Schema.Encoded<typeof OptionsSchema>

  /**
   * What happened to a batch handed to `put` (or the parts handed to `replace`).
   *
   * @since 0.2.0
   * @category models
   */
  export type PutResult = import("./Outbox.js").PutResult

  /**
   * What `oldest` found.
   *
   * @since 0.2.0
   * @category models
   */
  export type OldestResult = import("./Outbox.js").OldestResult

  /**
   * Options that do not decode.
   *
   * @since 0.2.0
   * @category errors
   */
  export type OptionsError = OutboxOptionsError
}
