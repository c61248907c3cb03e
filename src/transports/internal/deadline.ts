/**
 * The deadline of every request a poster makes, kept by one watcher instead of a timer per request.
 * `Effect.timeout` races each request against a sleep in two forked fibers (~65 µs a request, measured);
 * here a request runs in one child fiber, and a single watcher, sleeping through the `Clock` until the
 * earliest deadline, interrupts whatever is still under way when its time passes. The watcher runs while
 * requests are under way and is stopped when the last one ends, so no timer outlives them.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"

/** Runs effects each under the same timeout. */
export interface Deadlines {
  /**
   * Runs `effect` until it ends or `timeout` passes, whichever comes first: cut short, it is interrupted
   * and `within` succeeds. Interrupting `within` interrupts `effect`.
   */
  readonly within: <E>(effect: Effect.Effect<void, E>) => Effect.Effect<void, E>
}

/** A request under way: when its time is up, and the fiber to interrupt then. */
interface Entry {
  readonly at: number
  readonly fiber: Fiber.RuntimeFiber<void, unknown>
  expired: boolean
}

/**
 * Deadlines `timeout` after each start, read from the `Clock` of the fiber calling `within`.
 *
 * @internal
 */
export const make = (timeout: Duration.Duration): Deadlines => {
  const millis = Duration.toMillis(timeout)
  // Shared by every request of the poster and changed only in synchronous steps: a plain set and the
  // watcher's fiber, not Refs, on the path of every request. One timeout for all: a later start is a
  // later deadline, so the watcher never has to wake earlier than it planned.
  const underWay = new Set<Entry>()
  let watcher: Fiber.RuntimeFiber<void> | undefined

  /** Interrupts what is due, then sleeps until the next deadline; ends when nothing is under way. */
  const watch: Effect.Effect<void> = Effect.clockWith((clock) =>
    Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      let next = Infinity
      for (const entry of underWay) {
        if (entry.at <= now) {
          underWay.delete(entry)
          entry.expired = true
          entry.fiber.unsafeInterruptAsFork(FiberId.none)
        } else next = Math.min(next, entry.at)
      }
      if (next === Infinity) {
        watcher = undefined
        return Effect.void
      }
      return Effect.zipRight(clock.sleep(Duration.millis(next - now)), watch)
    })
  )

  // A fiber of its own, not a child: it outlives the request that started it. Started from inside
  // `within`'s uninterruptible region, it is made interruptible, or stopping it could not cut its sleep.
  const startWatcher: Effect.Effect<void> = Effect.suspend(() =>
    watcher !== undefined ? Effect.void : Effect.map(Effect.runtime<never>(), (runtime) => {
      if (watcher !== undefined) return
      const started = Runtime.runFork(runtime)(Effect.interruptible(watch))
      // It ends at once when every deadline has already passed (a zero timeout).
      if (underWay.size > 0) watcher = started
    })
  )

  const settled = (entry: Entry) =>
    Effect.sync(() => {
      underWay.delete(entry)
      if (underWay.size === 0 && watcher !== undefined) {
        watcher.unsafeInterruptAsFork(FiberId.none)
        watcher = undefined
      }
    })

  const within = <E>(effect: Effect.Effect<void, E>): Effect.Effect<void, E> =>
    Effect.clockWith((clock) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.fork(restore(effect)), (fiber) => {
          const entry: Entry = { at: clock.unsafeCurrentTimeMillis() + millis, fiber, expired: false }
          underWay.add(entry)
          return Effect.zipRight(startWatcher, restore(Fiber.await(fiber))).pipe(
            // Interrupted while waiting, the effect is interrupted too (and awaited: a request is aborted by then).
            Effect.onExit((exit) =>
              Exit.isInterrupted(exit) ? Effect.zipRight(Fiber.interrupt(fiber), settled(entry)) : settled(entry)
            ),
            Effect.flatMap((exit) =>
              entry.expired && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.void : exit
            )
          )
        })
      )
    )

  return { within }
}
