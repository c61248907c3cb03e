/**
 * A small file-backed `KeyValueStore` for the Node outbox, over `@effect/platform`'s `FileSystem`: one
 * file per key, created `0600` in a folder created `0700`, written atomically (a temporary file renamed
 * into place, so a reader or a crash sees the old text or the new one, never half of it), and able to
 * list its keys. `NodeKeyValueStore.layerFileSystem` can do none of these three.
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** Mode of every file the store creates: readable by its owner only (batches hold user ids). */
export const fileMode = 0o600
/** Mode of every folder the Node outbox creates. */
export const folderMode = 0o700

/** Names in the folder that are not keys: temporary files of writes under way, and anything hidden. */
const isKeyFile = (name: string) => !name.startsWith(".")

/** A store over one folder, plus the listing `Outbox.make` uses to find orphan batch files. */
export interface FileStore {
  readonly directory: string
  readonly store: KeyValueStore.KeyValueStore
  /** The keys stored now (files in the folder, decoded), in no particular order. */
  readonly keys: Effect.Effect<ReadonlyArray<string>, PlatformError>
}

/** A store over `directory`, which must exist (the Node outbox creates and probes it). */
export const make = (directory: string): Effect.Effect<FileStore, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    // Keys are outbox-chosen (`index-a`, `batch-<id>`); encoding keeps any batch id a plain file name.
    const fileOf = (key: string) => path.join(directory, encodeURIComponent(key))

    const read = <A>(file: string, reading: Effect.Effect<A, PlatformError>) =>
      Effect.map(reading, Option.some).pipe(
        Effect.catchTag("SystemError", (e) => e.reason === "NotFound" ? Effect.succeed(Option.none<A>()) : Effect.fail(e))
      )

    const write = (key: string, data: Uint8Array) => {
      const temporary = path.join(directory, `.tmp-${crypto.randomUUID()}`)
      return fs.writeFile(temporary, data, { mode: fileMode }).pipe(
        Effect.zipRight(fs.rename(temporary, fileOf(key))),
        Effect.tapError(() => Effect.ignore(fs.remove(temporary, { force: true })))
      )
    }

    const keys = Effect.map(
      fs.readDirectory(directory),
      (names) => names.filter(isKeyFile).flatMap((name) => {
        try {
          return [decodeURIComponent(name)]
        } catch {
          return [] // not a name this store wrote
        }
      })
    )

    const store = KeyValueStore.make({
      get: (key) => read(fileOf(key), fs.readFileString(fileOf(key))),
      getUint8Array: (key) => read(fileOf(key), fs.readFile(fileOf(key))),
      set: (key, value) => write(key, typeof value === "string" ? new TextEncoder().encode(value) : value),
      remove: (key) => fs.remove(fileOf(key), { force: true }),
      clear: Effect.flatMap(keys, (all) => Effect.forEach(all, (key) => fs.remove(fileOf(key), { force: true }), { discard: true })),
      size: Effect.map(keys, (all) => all.length)
    })
    return { directory, store, keys }
  })
