/**
 * Runs `test/faults/fixtures/tracker.ts` in a child Node process, as a scoped resource: the child is
 * killed (SIGKILL) when the scope closes if it is still running. Its stdout is read line by line; the
 * JSON lines it prints per phase can be awaited. Child processes run in real time, so waits on them are
 * real, each bounded by a deadline.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Deferred, Duration, Effect, FiberId, type Scope } from "effect"
import type { TelemetryCollector } from "../../../src/services/TelemetryCollector.js"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const fixture = Path.join(root, "test/faults/fixtures/tracker.ts")

/** How long a child may take to reach a phase or to exit (it starts by compiling TypeScript). */
const deadline = Duration.seconds(30)

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Tracker {
  readonly pid: number
  /** Waits for the child to print the given phase; fails if it exits first or takes too long. */
  readonly phase: (name: "tracked" | "stored" | "ready" | "drained") => Effect.Effect<TelemetryCollector.Stats>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
  /** Waits for the child to exit. */
  readonly exit: Effect.Effect<Exit>
  /** Everything the child printed, for failure messages. */
  readonly output: () => string
}

/** Starts the tracker with the given environment (on top of PATH and HOME only: no TELEMETRY_* leaks in). */
export const tracker = (env: Readonly<Record<string, string>>): Effect.Effect<Tracker, never, Scope.Scope> =>
  Effect.gen(function*() {
    const exited = yield* Deferred.make<Exit>()
    const phases = new Map<string, Deferred.Deferred<TelemetryCollector.Stats, string>>()
    let exitedWith: Exit | undefined
    const phaseDeferred = (name: string) => {
      let d = phases.get(name)
      if (d === undefined) {
        d = Deferred.unsafeMake<TelemetryCollector.Stats, string>(FiberId.none)
        phases.set(name, d)
        if (exitedWith !== undefined) Deferred.unsafeDone(d, Effect.fail(`child exited before ${name}`))
      }
      return d
    }
    let output = ""
    let pending = ""

    const child: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--import", "tsx", fixture], {
          cwd: root,
          env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) =>
        child.exitCode !== null || child.signalCode !== null
          ? Effect.void
          : Effect.zipRight(Effect.sync(() => child.kill("SIGKILL")), Deferred.await(exited))
    )

    const onLine = (line: string) => {
      if (!line.startsWith("{\"phase\"")) return
      const parsed = JSON.parse(line) as { readonly phase: string; readonly stats: TelemetryCollector.Stats }
      Deferred.unsafeDone(phaseDeferred(parsed.phase), Effect.succeed(parsed.stats))
    }
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      pending += chunk
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      lines.forEach(onLine)
    })
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
    })
    child.on("exit", (code, signal) => {
      const exit = { code, signal }
      exitedWith = exit
      for (const d of phases.values()) Deferred.unsafeDone(d, Effect.fail(`child exited (${code ?? signal})`))
      Deferred.unsafeDone(exited, Effect.succeed(exit))
    })
    child.on("error", (error) => Deferred.unsafeDone(exited, Effect.die(error)))

    const bounded = <A, E>(what: string, effect: Effect.Effect<A, E>) =>
      effect.pipe(
        Effect.timeoutFail({ duration: deadline, onTimeout: () => `timed out` }),
        Effect.catchAll((reason) =>
          Effect.dieMessage(`tracker ${what}: ${String(reason)}\n--- child output ---\n${output}`)
        )
      )

    return {
      pid: child.pid!,
      phase: (name) =>
        bounded(`phase ${name}`, Effect.suspend(() => Deferred.await(phaseDeferred(name)))),
      kill: (signal) => Effect.sync(() => void child.kill(signal)),
      exit: bounded("exit", Deferred.await(exited)),
      output: () => output
    } satisfies Tracker
  })
