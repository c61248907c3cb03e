import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, Layer, Option, Scope, TestClock } from "effect"
import { hostname } from "node:os"
import * as NodeOutbox from "../src/layers/NodeOutbox.js"
import type { Batch, TelemetryEvent } from "../src/schemas/TelemetryEvent.js"
import * as Outbox from "../src/services/Outbox.js"
import { capturingWarnings } from "./support/Logs.js"
import { drainIds } from "./support/Drain.js"

const event = (id: string, data: TelemetryEvent["data"] = { id }): TelemetryEvent => ({
  id,
  type: "chat.message",
  kind: "custom",
  timestamp: 1,
  sessionId: "s",
  data,
  userId: "user-1"
})

const batch = (batchId: string, size: number): Batch => ({
  batchId,
  events: Array.from({ length: size }, (_, i) => event(`${batchId}-${i}`))
})

const destination = "http http://receiver.test/v1/events"

/**
 * One "process": an outbox over `directory` in a scope of its own, closed (a graceful stop) by `close`.
 * Processes of one test share the pid, as processes sharing a folder share it; each has its own lock token.
 */
const startProcess = (directory: string, options: Partial<NodeOutbox.NodeOutboxOptions> = {}) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const outbox = yield* NodeOutbox.make({ ...NodeOutbox.defaultOptions, directory, destination, ...options }).pipe(
      Scope.extend(scope)
    )
    return { outbox, close: Scope.close(scope, Exit.void) }
  })


/** Every file under `dir`, as paths relative to it. */
const filesUnder = (dir: string): Effect.Effect<Array<string>, never, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    Effect.orDie(Effect.gen(function*() {
      const found: Array<string> = []
      for (const name of yield* fs.readDirectory(dir, { recursive: true })) {
        if ((yield* fs.stat(`${dir}/${name}`)).type === "File") found.push(name)
      }
      return found.sort()
    })))

/** The process folders (`proc-…`) of the test destination. */
const processFolders = (directory: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const home = `${directory}/${NodeOutbox.destinationFolder(destination)}`
    const names = yield* Effect.orDie(fs.readDirectory(home))
    return names.filter((n) => n.startsWith("proc-")).sort().map((n) => `${home}/${n}`)
  })

/** Rewrites a process folder's lock, as another (live or dead) process would have left it, heartbeat at `beatAt`. */
const forgeLock = (folder: string, lock: { pid: number; host: string; released: boolean }, beatAt: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.writeFileString(`${folder}/lock`, JSON.stringify({ ...lock, token: "forged", startedAt: 0 }))
    yield* fs.utimes(`${folder}/lock`, new Date(beatAt), new Date(beatAt))
  }).pipe(Effect.orDie)

/** Waits (turning the event loop, bounded) until the lock's heartbeat reaches `at`. */
const untilBeatAt = (lock: string, at: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    for (let turn = 0; turn < 10_000; turn++) {
      const beat = Option.getOrElse(Option.map((yield* Effect.orDie(fs.stat(lock))).mtime, (d) => d.getTime()), () => 0)
      if (beat >= at) return
      yield* Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))
    }
    return yield* Effect.dieMessage(`heartbeat never reached ${at}`)
  })

/** A pid above Linux's largest pid_max (2^22): no process has it. */
const deadPid = 4_194_305


describe("NodeOutbox", () => {
  it.scoped("a live process's folder is never adopted; once it stops, the next process adopts all of it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const first = yield* startProcess(dir)
      yield* first.outbox.put(batch("a", 2))
      yield* first.outbox.put(batch("b", 3))
      // a second process while the first runs: the first's batches are not its to send
      const second = yield* startProcess(dir)
      expect(yield* second.outbox.size).toMatchObject({ batches: 0, events: 0 })
      yield* second.outbox.put(batch("c", 1))
      expect(yield* first.outbox.size).toMatchObject({ batches: 2, events: 5 })
      yield* first.close
      yield* second.close
      // the next process takes over both stopped processes' batches, each once, counted as stored
      const third = yield* startProcess(dir)
      expect(yield* third.outbox.size).toMatchObject({ batches: 3, events: 6 })
      expect((yield* drainIds(third.outbox)).sort()).toEqual(["a", "b", "c"])
      expect((yield* processFolders(dir)).length).toBe(1) // the adopted folders are gone
      yield* third.close
      // an empty outbox leaves nothing behind
      expect(yield* filesUnder(dir)).toEqual([])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a crashed process (its pid gone from this host) is adopted at once; another host's, once its heartbeat is stale", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      // two processes, both stopped (released) — then their locks forged: one crashed, one alive elsewhere
      const crashed = yield* startProcess(dir)
      const remote = yield* startProcess(dir)
      yield* crashed.outbox.put(batch("crashed", 2))
      yield* remote.outbox.put(batch("remote", 3))
      yield* crashed.close
      yield* remote.close
      const folders = yield* processFolders(dir)
      const crashedHome = (yield* Effect.filter(folders, (f) => fs.exists(`${f}/batch-crashed`)))[0]!
      const remoteHome = folders.find((f) => f !== crashedHome)!
      const now = yield* Clock.currentTimeMillis
      yield* forgeLock(crashedHome, { pid: deadPid, host: hostname(), released: false }, now)
      yield* forgeLock(remoteHome, { pid: process.pid, host: "another-host", released: false }, now)

      const next = yield* startProcess(dir)
      expect(yield* drainIds(next.outbox)).toEqual(["crashed"])
      yield* next.close
      // 59 s without a heartbeat is not yet stale (default `staleAfter`: 1 minute)...
      yield* TestClock.adjust("59 seconds")
      const early = yield* startProcess(dir)
      expect(yield* early.outbox.size).toMatchObject({ batches: 0 })
      yield* early.close
      // ...61 s is
      yield* TestClock.adjust("2 seconds")
      const late = yield* startProcess(dir)
      expect(yield* drainIds(late.outbox)).toEqual(["remote"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a live process keeps its heartbeat fresh: after minutes of running it is still not adopted", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const live = yield* startProcess(dir)
      yield* live.outbox.put(batch("live", 1))
      const [folder] = yield* processFolders(dir)
      // seen from another host, only the heartbeat tells it is alive
      const lock = JSON.parse(yield* fs.readFileString(`${folder}/lock`))
      yield* fs.writeFileString(`${folder}/lock`, JSON.stringify({ ...lock, host: "another-host" }))
      yield* fs.utimes(`${folder}/lock`, new Date(0), new Date(0)) // the heartbeat as the outbox set it, at (test) time 0
      // five minutes, heartbeat by heartbeat (every 10 s): each refresh is real I/O, awaited before moving on
      for (let tick = 1; tick <= 30; tick++) {
        yield* TestClock.adjust("10 seconds")
        yield* untilBeatAt(`${folder}/lock`, tick * 10_000)
      }
      const other = yield* startProcess(dir)
      expect(yield* other.outbox.size).toMatchObject({ batches: 0 })
      expect(yield* live.outbox.size).toMatchObject({ batches: 1 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("processes starting together never adopt the same folder: every stopped batch lands in exactly one", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      // six processes running side by side, then all stopped: six released folders
      const stopped = yield* Effect.forEach(Array.from({ length: 6 }, (_, p) => p), () => startProcess(dir))
      for (const [p, process] of stopped.entries()) {
        for (let b = 0; b < 3; b++) yield* process.outbox.put(batch(`p${p}-b${b}`, 2))
      }
      yield* Effect.forEach(stopped, (p) => p.close)
      expect(yield* processFolders(dir)).toHaveLength(6)
      const racers = yield* Effect.all(Array.from({ length: 4 }, () => startProcess(dir)), { concurrency: "unbounded" })
      const ids = (yield* Effect.forEach(racers, (r) => drainIds(r.outbox))).flat()
      expect(ids.length).toBe(18)
      expect(new Set(ids).size).toBe(18)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a folder another process is creating (no lock yet) is left to it; one without a lock for longer than staleAfter is removed", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const home = `${dir}/${NodeOutbox.destinationFolder(destination)}`
      // Another process between creating its staging folder and writing the lock in it.
      const staging = `${home}/.staging-other`
      yield* Effect.orDie(fs.makeDirectory(staging, { recursive: true }))
      const first = yield* startProcess(dir)
      expect(yield* Effect.orDie(fs.exists(staging))).toBe(true)
      yield* first.close
      // A process that died there long ago: its staging folder is cleared.
      yield* TestClock.setTime(Date.now() + 2 * 60_000)
      const second = yield* startProcess(dir, { staleAfter: "1 minute" })
      expect(yield* Effect.orDie(fs.exists(staging))).toBe(false)
      yield* second.close
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("an orphan batch file (absent from the index) in an adopted folder is re-indexed, not lost", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const crashed = yield* startProcess(dir)
      yield* crashed.outbox.put(batch("indexed", 2))
      yield* crashed.close
      const [folder] = yield* processFolders(dir)
      // a crash between a batch write and the index write that would have named it
      yield* fs.writeFileString(`${folder!}/batch-orphan`, JSON.stringify(batch("orphan", 4)))
      const next = yield* startProcess(dir)
      expect(yield* next.outbox.size).toMatchObject({ batches: 2, events: 6 })
      expect((yield* drainIds(next.outbox)).sort()).toEqual(["indexed", "orphan"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("both index slots truncated: every batch file is recovered, none lost silently", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const before = yield* startProcess(dir)
      yield* before.outbox.put(batch("a", 2))
      yield* before.outbox.put(batch("b", 3))
      yield* before.close
      const [folder] = yield* processFolders(dir)
      yield* fs.writeFileString(`${folder!}/index-a`, "")
      yield* fs.writeFileString(`${folder!}/index-b`, "")
      const next = yield* startProcess(dir)
      expect(yield* next.outbox.size).toMatchObject({ batches: 2, events: 5 })
      expect((yield* drainIds(next.outbox)).sort()).toEqual(["a", "b"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a process that died while adopting is adopted in turn, nested folders included, each batch once", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const victim = yield* startProcess(dir)
      const adopter = yield* startProcess(dir)
      yield* victim.outbox.put(batch("victim", 2))
      yield* adopter.outbox.put(batch("adopter", 1))
      yield* victim.close
      yield* adopter.close
      const folders = yield* processFolders(dir)
      const victimFolder = (yield* Effect.filter(folders, (f) => fs.exists(`${f}/batch-victim`)))[0]
      const adopterFolder = folders.find((f) => f !== victimFolder)!
      // the adopter claimed the victim's folder (renamed it into its own) and copied its batch, then died
      yield* fs.rename(victimFolder!, path.join(adopterFolder, `adopting-${path.basename(victimFolder!)}`))
      yield* fs.copyFile(
        path.join(adopterFolder, `adopting-${path.basename(victimFolder!)}`, "batch-victim"),
        path.join(adopterFolder, "batch-victim")
      )
      yield* forgeLock(adopterFolder, { pid: deadPid, host: hostname(), released: false }, 0)
      const next = yield* startProcess(dir)
      expect((yield* drainIds(next.outbox)).sort()).toEqual(["adopter", "victim"])
      expect(yield* processFolders(dir)).toHaveLength(1)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("batches are kept per destination: an outbox for another destination neither sees nor touches them", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const http = yield* startProcess(dir)
      yield* http.outbox.put(batch("for-http", 2))
      yield* http.close
      const file = yield* startProcess(dir, { destination: `file ${dir}/events.ndjson` })
      expect(yield* file.outbox.size).toMatchObject({ batches: 0 })
      yield* file.close
      const httpAgain = yield* startProcess(dir)
      expect(yield* drainIds(httpAgain.outbox)).toEqual(["for-http"])
      // the subfolder names the transport kind, and hashes the rest: no URL (or credential) on disk
      expect(NodeOutbox.destinationFolder("http https://user:secret@example.com/")).toMatch(/^http-[0-9a-f]{16}$/)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("files are created 0600 and folders 0700: batches hold user ids", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const tmp = yield* fs.makeTempDirectoryScoped()
      const dir = `${tmp}/outbox`
      const open = yield* startProcess(dir)
      yield* open.outbox.put(batch("a", 2))
      const [folder] = yield* processFolders(dir)
      const mode = (p: string) => Effect.map(fs.stat(p), (s) => s.mode & 0o777)
      for (const file of yield* filesUnder(dir)) expect([file, yield* mode(`${dir}/${file}`)]).toEqual([file, 0o600])
      expect(yield* filesUnder(dir)).toEqual(expect.arrayContaining([expect.stringMatching(/batch-a$/)]))
      for (const d of [dir, `${dir}/${NodeOutbox.destinationFolder(destination)}`, folder!]) {
        expect([d, yield* mode(d)]).toEqual([d, 0o700])
      }
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("maxBytes bounds the UTF-8 bytes on disk: with \"€\" data the batch files stay under the limit", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const maxBytes = 200_000
      const open = yield* startProcess(dir, { maxBytes })
      const euros = "€".repeat(1_000)
      for (let b = 0; b < 100; b++) {
        yield* open.outbox.put({
          batchId: `b${b}`,
          events: Array.from({ length: 10 }, (_, i) => event(`b${b}-${i}`, { euros }))
        })
      }
      const batchFiles = (yield* filesUnder(dir)).filter((f) => f.includes("batch-"))
      let onDisk = 0
      for (const f of batchFiles) onDisk += Number((yield* fs.stat(`${dir}/${f}`)).size)
      expect(onDisk).toBeLessThanOrEqual(maxBytes)
      expect(onDisk).toBeGreaterThan(maxBytes * 0.8) // and the outbox is used, not left empty
      expect((yield* open.outbox.size).bytes).toBe(onDisk)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a regular file where the folder should be: one warning, and an outbox in memory that stores", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const tmp = yield* fs.makeTempDirectoryScoped()
      const notAFolder = `${tmp}/outbox`
      yield* fs.writeFileString(notAFolder, "")
      const warnings: Array<string> = []
      const outbox = yield* Effect.provide(
        Outbox.Outbox,
        NodeOutbox.layer({ directory: notAFolder, destination }).pipe(Layer.provide(NodeContext.layer))
      ).pipe(Effect.provide(capturingWarnings(warnings)))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(notAFolder)
      expect(warnings[0]).toContain("in memory")
      expect(yield* outbox.put(batch("a", 25))).toEqual({ stored: true, evicted: 0, refused: 0 })
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a read-only folder: the same fallback (skipped as root, which ignores modes)", () =>
    Effect.gen(function*() {
      if (process.getuid?.() === 0) {
        console.log("NodeOutbox read-only folder test skipped: running as root, which writes into read-only folders")
        return
      }
      const fs = yield* FileSystem.FileSystem
      const tmp = yield* fs.makeTempDirectoryScoped()
      yield* fs.chmod(tmp, 0o500)
      yield* Effect.addFinalizer(() => Effect.ignore(fs.chmod(tmp, 0o700)))
      const warnings: Array<string> = []
      const outbox = yield* Effect.provide(
        Outbox.Outbox,
        NodeOutbox.layer({ directory: `${tmp}/outbox`, destination }).pipe(Layer.provide(NodeContext.layer))
      ).pipe(Effect.provide(capturingWarnings(warnings)))
      expect(warnings).toHaveLength(1)
      expect(yield* outbox.put(batch("a", 25))).toMatchObject({ stored: true })
    }).pipe(Effect.provide(NodeContext.layer)))
})
