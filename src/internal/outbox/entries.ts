/**
 * How the outbox lays batches out in a `KeyValueStore`: one key per batch, and an index of entries (event
 * count, UTF-8 bytes, users, content hash) in two alternating slots, so a torn write leaves the other.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { hash64 } from "../hash64.js"
import { utf8Bytes } from "../json.js"
import { Batch } from "../../schemas/TelemetryEvent.js"

/** What the outbox knows of a stored batch without reading it. */
export const Entry = Schema.Struct({
  batchId: Schema.String,
  events: Schema.Number,
  /** UTF-8 bytes of the stored text. */
  bytes: Schema.Number,
  userIds: Schema.Array(Schema.String),
  /** Hash of the stored text (`contentHash`); absent in indexes written before it existed. */
  hash: Schema.optional(Schema.String)
})
export type Entry = typeof Entry.Type

/** The index of stored batches, oldest first, written to two alternating slots with a sequence number. */
export const Index = Schema.Struct({ seq: Schema.Number, entries: Schema.Array(Entry) })
export type Index = typeof Index.Type

export const indexKeys = ["index-a", "index-b"] as const
export const batchPrefix = "batch-"
export const entryKey = (batchId: string) => `${batchPrefix}${batchId}`

export const decodeIndex = Schema.decodeUnknownEither(Schema.parseJson(Index))
export const decodeBatch = Schema.decodeUnknownEither(Schema.parseJson(Batch))
// The index is plain JSON (no transformation in its schema): `JSON.stringify` encodes it, several times
// faster than a schema encode that re-validates every entry on each write.
export const encodeIndex = (index: Index): string => JSON.stringify(index)

/** The hash of a stored text, kept in its index entry: it tells a file edited or truncated since it was stored. */
const contentHash = hash64

/** The index entry of a batch stored as `text`. */
export const entryOf = (batch: Batch, text: string): Entry => ({
  batchId: batch.batchId,
  events: batch.events.length,
  bytes: utf8Bytes(text),
  userIds: [...new Set(batch.events.flatMap((e) => (e.userId === undefined ? [] : [e.userId])))],
  hash: contentHash(text)
})

/** The stored text as a batch, if it is what `entry` recorded: same hash, same id, same event count. */
export const verify = (entry: Entry, text: string): Option.Option<Batch> => {
  if (entry.hash !== undefined && entry.hash !== contentHash(text)) return Option.none()
  return Either.getRight(decodeBatch(text)).pipe(
    Option.filter((batch) => batch.batchId === entry.batchId && batch.events.length === entry.events)
  )
}

/** Events and bytes of entries. */
export const total = (entries: ReadonlyArray<Entry>) =>
  entries.reduce((acc, e) => ({ events: acc.events + e.events, bytes: acc.bytes + e.bytes }), { events: 0, bytes: 0 })
