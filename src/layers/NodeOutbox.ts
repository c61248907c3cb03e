/**
 * The durable outbox on Node: a folder of files, safe for several processes sharing it and tied to the
 * destination its batches are meant for.
 *
 * Layout under `directory` (folders `0700`, files `0600`):
 *
 * ```
 * <directory>/<kind>-<hash of the destination>/   one folder per destination (e.g. http-3f2a…)
 *   proc-<pid>-<token>/                          one folder per process, owned through its `lock`
 *     lock                                       { pid, host, token, startedAt, released }; mtime = heartbeat
 *     index-a, index-b, batch-<batchId>          the outbox (see `Outbox`)
 * ```
 *
 * A process only ever writes its own folder. At start it adopts the folders of processes that are gone —
 * released at a graceful close, or dead: a lock on this host whose pid no longer runs, or any lock whose
 * heartbeat is older than `staleAfter` — claiming each by an atomic `rename` into its own folder (so two
 * processes never adopt the same one), copying its batches (orphan files included) into its own outbox,
 * counted as stored there, then deleting it.
 *
 * Liveness: the pid check (`process.kill(pid, 0)`) adopts a crashed process's batches at the next start
 * without waiting, but means nothing across hosts or containers sharing a volume (another pid namespace),
 * so a heartbeat — the lock's mtime, refreshed every `heartbeatInterval` by a fiber in the layer's scope —
 * decides there. A pid reused by another program only delays adoption until the heartbeat is stale.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Path from "@effect/platform/Path"
import type { PlatformError } from "@effect/platform/Error"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import * as FileStore from "../internal/FileStore.js"
import * as Outbox from "../services/Outbox.js"

/** Where and how the Node outbox keeps its files. */
export interface NodeOutboxOptions extends Outbox.OutboxOptions {
  /** The folder shared by every process and destination; default `.telemetry/outbox`. */
  readonly directory: string
  /**
   * Where the stored batches are meant to go (e.g. `http https://host/v1/events`); only an outbox with
   * the same destination re-sends them. Default `custom`.
   */
  readonly destination: string
  /** How often a live process refreshes its lock; default 10 seconds. */
  readonly heartbeatInterval: Duration.DurationInput
  /** A lock not refreshed for this long belongs to a process that is gone; default 1 minute. */
  readonly staleAfter: Duration.DurationInput
}

/** Defaults of the Node outbox: the `Outbox` bounds, `.telemetry/outbox`, destination `custom`, 10 s / 1 min. */
export const defaultOptions: NodeOutboxOptions = {
  ...Outbox.defaultOptions,
  directory: ".telemetry/outbox",
  destination: "custom",
  heartbeatInterval: Duration.seconds(10),
  staleAfter: Duration.minutes(1)
}

/** The outbox folder cannot be created or written: the layer falls back to an outbox in memory. */
export class OutboxFolderError extends Data.TaggedError("OutboxFolderError")<{
  readonly directory: string
  readonly cause: PlatformError
}> {
  override get message() {
    return `telemetry outbox folder ${this.directory} unusable: ${this.cause.message}`
  }
}

/** The subfolder of a destination: its kind, readable, and a hash (which keeps URLs and credentials off disk). */
export const destinationFolder = (destination: string): string => {
  const kind = (destination.split(" ", 1)[0] ?? "").toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, 24)
  return `${kind === "" ? "custom" : kind}-${createHash("sha256").update(destination).digest("hex").slice(0, 16)}`
}

const Lock = Schema.Struct({
  pid: Schema.Number,
  host: Schema.String,
  token: Schema.String,
  startedAt: Schema.Number,
  released: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
type Lock = typeof Lock.Type
const decodeLock = Schema.decodeUnknownEither(Schema.parseJson(Lock))
const encodeLock = Schema.encodeSync(Schema.parseJson(Lock))

const lockFile = "lock"
const adoptingPrefix = "adopting-"

/**
 * The tokens of the outboxes open in this process. A lock with this process's pid and host is one of
 * them (alive) or was left by an earlier process that had the same pid (a restarted container's pid 1).
 */
const openTokens = new Set<string>()

const pidRuns = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" // running, under another user
  }
}

/** Where one outbox lives: the shared folder, its destination's subfolder and this process's own. */
interface Site {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  readonly root: string
  readonly home: string
  readonly own: string
  readonly lock: Lock
  readonly staleMillis: number
}

/** Writes a lock atomically, its mtime set from `Clock` (the heartbeat other processes read). */
const writeLock = ({ fs, path }: Site, folder: string, lock: Lock) =>
  Effect.gen(function*() {
    const temporary = path.join(folder, `.tmp-${crypto.randomUUID()}`)
    yield* fs.writeFileString(temporary, encodeLock(lock), { mode: FileStore.fileMode })
    const now = new Date(yield* Clock.currentTimeMillis)
    yield* fs.utimes(temporary, now, now)
    yield* fs.rename(temporary, path.join(folder, lockFile))
  })

/** Creates and probes the destination's folder and claims our own subfolder, staged so it never shows without its lock. */
const claimOwnFolder = (site: Site): Effect.Effect<void, OutboxFolderError> => {
  const { fs, home, lock, own, path } = site
  return Effect.gen(function*() {
    yield* fs.makeDirectory(home, { recursive: true, mode: FileStore.folderMode })
    const probe = path.join(home, `.probe-${lock.token}`)
    yield* fs.writeFileString(probe, "", { mode: FileStore.fileMode })
    yield* fs.remove(probe)
    const staging = path.join(home, `.staging-${lock.token}`)
    yield* fs.makeDirectory(staging, { mode: FileStore.folderMode })
    yield* writeLock(site, staging, lock)
    yield* fs.rename(staging, own)
  }).pipe(Effect.mapError((cause) => new OutboxFolderError({ directory: site.root, cause })))
}

/**
 * Whether a folder's owner is gone: released, or its pid gone from this host, or its heartbeat stale. A folder
 * without a lock is one another process is creating (its staging folder, before the lock is written in it)
 * unless it is older than `staleAfter`: taking it for gone would delete it under that process, which then
 * fails to claim its folder and keeps its outbox in memory.
 */
const ownerGone = ({ fs, lock, path, staleMillis }: Site, folder: string) =>
  Effect.gen(function*() {
    const file = path.join(folder, lockFile)
    const info = yield* Effect.either(fs.stat(file))
    const now = yield* Clock.currentTimeMillis
    const staleSince = (mtime: Option.Option<Date>) =>
      now - Option.getOrElse(Option.map(mtime, (d) => d.getTime()), () => now) > staleMillis
    if (Either.isLeft(info)) {
      if (!(info.left._tag === "SystemError" && info.left.reason === "NotFound")) return false
      return staleSince(yield* Effect.orElseSucceed(Effect.map(fs.stat(folder), (s) => s.mtime), () => Option.none()))
    }
    const text = yield* Effect.either(fs.readFileString(file))
    const found = Either.isRight(text) ? Either.getRight(decodeLock(text.right)) : Option.none<Lock>()
    if (Option.isSome(found)) {
      const owner = found.value
      if (owner.released) return true
      if (owner.host === lock.host) {
        if (owner.pid === process.pid ? !openTokens.has(owner.token) : !pidRuns(owner.pid)) return true
      }
    }
    return staleSince(info.right.mtime)
  })

/**
 * Claims, by one atomic `rename` each into our own folder, the folders of processes that are gone, within
 * `bounds` (always at least one): what does not fit waits for the next process. A process that lost a race
 * finds the folder gone and skips it. Returns the claimed folders.
 */
const claimGoneFolders = (site: Site, bounds: Outbox.OutboxOptions) =>
  Effect.gen(function*() {
    const { fs, home, own, path } = site
    const claimed: Array<string> = []
    let adopting = { events: 0, bytes: 0 }
    let leftBehind = 0
    const names = yield* Effect.orElseSucceed(fs.readDirectory(home), () => [] as Array<string>)
    for (const name of names.sort()) {
      const folder = path.join(home, name)
      if (folder === own || name.startsWith(".probe-") || name.startsWith(".tmp-")) continue
      const isFolder = yield* Effect.orElseSucceed(Effect.map(fs.stat(folder), (s) => s.type === "Directory"), () => false)
      if (!isFolder || !(yield* Effect.orElseSucceed(ownerGone(site, folder), () => false))) continue
      if (name.startsWith(".")) {
        // a staging folder of a process that died while starting: it holds nothing but its lock
        yield* Effect.ignore(fs.remove(folder, { recursive: true, force: true }))
        continue
      }
      const size = yield* Effect.flatMap(FileStore.make(folder), (f) => Outbox.indexedSize(f.store))
      const fits = adopting.events + size.events <= bounds.maxEvents && adopting.bytes + size.bytes <= bounds.maxBytes
      if (claimed.length > 0 && !fits) {
        leftBehind++
        continue
      }
      const target = path.join(own, `${adoptingPrefix}${name}`)
      if (Either.isLeft(yield* Effect.either(fs.rename(folder, target)))) continue
      claimed.push(target)
      adopting = { events: adopting.events + size.events, bytes: adopting.bytes + size.bytes }
    }
    if (leftBehind > 0) {
      yield* Effect.logInfo("telemetry outbox: folders of stopped processes left for later, over the bounds").pipe(
        Effect.annotateLogs({ folders: leftBehind })
      )
    }
    return claimed
  })

/** A claimed folder and, first, the folders it had itself claimed before its process died mid-adoption. */
const foldersOf = (site: Site, folder: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const inside = yield* Effect.orElseSucceed(site.fs.readDirectory(folder), () => [] as Array<string>)
    const nested = yield* Effect.forEach(
      inside.filter((n) => n.startsWith(adoptingPrefix)).sort(),
      (n) => foldersOf(site, site.path.join(folder, n))
    )
    return [...nested.flat(), folder]
  })

/**
 * At close, an empty outbox leaves nothing behind, otherwise its folder is marked released for the next process
 * to adopt; meanwhile a heartbeat refreshes the lock's mtime. The finalizer is registered before the heartbeat
 * is forked, so it runs after the heartbeat stopped.
 */
const releaseAtClose = (site: Site, outbox: Outbox.Outbox["Type"], heartbeatInterval: Duration.Duration) =>
  Effect.gen(function*() {
    const { fs, lock, own, path } = site
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const { batches } = yield* outbox.size
        yield* batches === 0
          ? Effect.ignore(fs.remove(own, { recursive: true, force: true }))
          : Effect.catchAll(writeLock(site, own, { ...lock, released: true }), (error) =>
            Effect.logWarning("telemetry outbox folder not released; it is adopted once its heartbeat is stale", error))
        openTokens.delete(lock.token)
      })
    )
    const warned = yield* Ref.make(false)
    const heartbeat = Effect.gen(function*() {
      const now = new Date(yield* Clock.currentTimeMillis)
      yield* fs.utimes(path.join(own, lockFile), now, now)
      yield* Ref.set(warned, false)
    }).pipe(
      Effect.catchAll((error) =>
        Effect.flatMap(Ref.getAndSet(warned, true), (already) =>
          already ? Effect.void : Effect.logWarning("telemetry outbox lock not refreshed", error))
      )
    )
    yield* Effect.forkScoped(Effect.schedule(heartbeat, Schedule.spaced(heartbeatInterval)))
  })

/** Builds the Node outbox in the layer's scope; fails when the folder is unusable. */
export const make = (
  options: NodeOutboxOptions
): Effect.Effect<Outbox.Outbox["Type"], OutboxFolderError, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const root = path.resolve(options.directory)
    const home = path.join(root, destinationFolder(options.destination))
    const token = crypto.randomUUID().replaceAll("-", "").slice(0, 16)
    const lock: Lock = { pid: process.pid, host: hostname(), token, startedAt: yield* Clock.currentTimeMillis, released: false }
    const site: Site = {
      fs,
      path,
      root,
      home,
      own: path.join(home, `proc-${process.pid}-${token}`),
      lock,
      staleMillis: Duration.toMillis(options.staleAfter)
    }
    yield* claimOwnFolder(site)
    openTokens.add(token)

    const legacy = yield* Effect.orElseSucceed(fs.exists(path.join(root, "effect-telemetry-outbox%3Aindex-a")), () => false)
    if (legacy) {
      yield* Effect.logWarning(
        `telemetry outbox ${root} holds batches of an earlier version (not tied to a destination); they are not re-sent`
      )
    }

    const bounds = { maxEvents: options.maxEvents, maxBytes: options.maxBytes }
    const claimed = yield* claimGoneFolders(site, bounds)
    const sources = (yield* Effect.forEach(claimed, (folder) => foldersOf(site, folder))).flat()
    const adopt = yield* Effect.forEach(sources, (folder) =>
      Effect.map(FileStore.make(folder), (f): Outbox.AdoptedStore => ({ store: f.store, listKeys: f.keys })))

    const files = yield* FileStore.make(site.own)
    const outbox = yield* Outbox.make(bounds, { listKeys: files.keys, adopt }).pipe(
      Effect.provideService(KeyValueStore.KeyValueStore, files.store)
    )

    // Adopted batches are now in our own index: delete their folders, indexes first — a crash halfway leaves
    // only batch files, re-indexed as orphans (and recognised as duplicates by id) by whoever adopts us.
    for (const folder of sources) {
      yield* Effect.forEach(["index-a", "index-b"], (slot) => Effect.ignore(fs.remove(path.join(folder, slot), { force: true })))
    }
    yield* Effect.forEach(claimed, (folder) => Effect.ignore(fs.remove(folder, { recursive: true, force: true })))

    yield* releaseAtClose(site, outbox, Duration.decode(options.heartbeatInterval))
    return outbox
  })

/**
 * The Node outbox as a layer. When the folder is unusable (a regular file, read-only, out of space at
 * start), telemetry still starts, with an outbox in memory, and logs one warning saying so.
 */
export const layer = (
  options: Partial<NodeOutboxOptions> = {}
): Layer.Layer<Outbox.Outbox, never, FileSystem.FileSystem | Path.Path> => {
  const full = { ...defaultOptions, ...options }
  const bounds = { maxEvents: full.maxEvents, maxBytes: full.maxBytes }
  return Layer.scoped(
    Outbox.Outbox,
    make(full).pipe(
      Effect.catchAll((error) =>
        Effect.logWarning(`${error.message}; keeping the outbox in memory (lost at exit)`).pipe(
          Effect.zipRight(Effect.provide(Outbox.make(bounds), KeyValueStore.layerMemory))
        )
      )
    )
  )
}
