/**
 * Global error handlers: Node's `uncaughtException` / `unhandledRejection`, or a browser's `error` /
 * `unhandledrejection` events, captured through ErrorTracking. Installed in a scope, removed when it
 * closes; `ErrorTracking.layerGlobalHandlers` is the layer over it.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type { ErrorTrackingService } from "./Service.js"

/** Settings of the global handlers. */
export interface GlobalHandlersOptions {
  /**
   * Where to listen: `"auto"` (default) picks Node's `process` when there is one, else `globalThis`
   * when it is an event target (a window or a worker); or give the event target yourself.
   */
  readonly target?: "auto" | "process" | EventTarget
  /**
   * Node only. A listener for `uncaughtException` stops Node from exiting, so by default the handler
   * does what Node would have done after capturing: flush telemetry (within `flushTimeout`) and exit
   * with code 1. Set `false` to keep the process running. Default `true`.
   */
  readonly exitOnUncaughtException?: boolean
  /** How long the flush before exiting may take; default 2 seconds. */
  readonly flushTimeout?: Duration.DurationInput
}

/** What was installed where, for the release to undo. */
type Installed =
  | { readonly _tag: "process"; readonly uncaught: (error: unknown) => void; readonly rejection: (reason: unknown) => void }
  | {
    readonly _tag: "events"
    readonly target: EventTarget
    readonly error: (event: Event) => void
    readonly rejection: (event: Event) => void
  }
  | { readonly _tag: "none" }

interface NodeProcess {
  on(event: "uncaughtException" | "unhandledRejection", listener: (value: unknown) => void): unknown
  off(event: "uncaughtException" | "unhandledRejection", listener: (value: unknown) => void): unknown
  exit(code: number): never
}

const nodeProcess = (): NodeProcess | undefined => {
  const candidate = (globalThis as { readonly process?: Partial<NodeProcess> }).process
  return typeof candidate?.on === "function" && typeof candidate.off === "function" ? candidate as NodeProcess : undefined
}

const globalEventTarget = (): EventTarget | undefined =>
  typeof (globalThis as Partial<EventTarget>).addEventListener === "function" ? globalThis as unknown as EventTarget : undefined

/**
 * Installs the handlers until the scope closes. Each captured error is `handled: false`; an uncaught
 * exception is `CRITICAL`, the other kinds are classified as usual. `flush` runs (within `flushTimeout`)
 * before exiting on an uncaught exception.
 */
export const installGlobalHandlers = (
  tracking: Pick<ErrorTrackingService, "captureError">,
  flush: Effect.Effect<void>,
  options: GlobalHandlersOptions = {}
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Listeners are plain callbacks outside any fiber: they run effects through the layer's runtime.
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runFork(runtime)
    const exitOnUncaught = options.exitOnUncaughtException ?? true
    const flushTimeout = options.flushTimeout ?? Duration.seconds(2)
    const requested = options.target ?? "auto"

    const install = Effect.sync((): Installed => {
      const proc = requested === "auto" || requested === "process" ? nodeProcess() : undefined
      if (proc !== undefined) {
        const uncaught = (error: unknown) => {
          run(
            tracking.captureError(error, { mechanism: "uncaughtException", handled: false, severity: "CRITICAL" }).pipe(
              Effect.zipRight(
                exitOnUncaught
                  ? flush.pipe(
                    Effect.timeout(flushTimeout),
                    Effect.ignore,
                    Effect.zipRight(Effect.logFatal("uncaught exception; exiting", error)),
                    Effect.zipRight(Effect.sync(() => proc.exit(1)))
                  )
                  : Effect.void
              )
            )
          )
        }
        const rejection = (reason: unknown) => {
          run(tracking.captureError(reason, { mechanism: "unhandledRejection", handled: false }))
        }
        proc.on("uncaughtException", uncaught)
        proc.on("unhandledRejection", rejection)
        return { _tag: "process", uncaught, rejection }
      }
      const target = typeof requested === "object" ? requested : requested === "auto" ? globalEventTarget() : undefined
      if (target === undefined) return { _tag: "none" }
      const error = (event: Event) => {
        const e = event as Partial<ErrorEvent>
        run(tracking.captureError(e.error ?? e.message ?? event, { mechanism: "onerror", handled: false }))
      }
      const rejection = (event: Event) => {
        run(
          tracking.captureError((event as Partial<PromiseRejectionEvent>).reason, {
            mechanism: "onunhandledrejection",
            handled: false
          })
        )
      }
      target.addEventListener("error", error)
      target.addEventListener("unhandledrejection", rejection)
      return { _tag: "events", target, error, rejection }
    })

    const uninstall = (installed: Installed) =>
      Effect.sync(() => {
        switch (installed._tag) {
          case "process": {
            const proc = nodeProcess()
            proc?.off("uncaughtException", installed.uncaught)
            proc?.off("unhandledRejection", installed.rejection)
            return
          }
          case "events":
            installed.target.removeEventListener("error", installed.error)
            installed.target.removeEventListener("unhandledrejection", installed.rejection)
            return
          case "none":
            return
        }
      })

    const installed = yield* Effect.acquireRelease(install, uninstall)
    if (installed._tag === "none") {
      yield* Effect.logWarning("GlobalErrorHandlers: no process or event target found; nothing installed")
    }
  })
