/**
 * Duplicate suppression: the first error of a fingerprint opens a window (by Effect's `Clock`) and is
 * sent; later ones inside it are counted, not sent; when the window closes — its fiber wakes, a later
 * occurrence finds it run out, or the scope closes — its duplicates are reported once.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"

/** Occurrences of one fingerprint inside one duplicate window. */
export interface DuplicateWindow {
  readonly firstSeen: number
  readonly lastSeen: number
  /** Occurrences after the first. */
  readonly duplicates: number
  readonly type: string
  readonly message: string
}

interface WindowDecision {
  readonly duplicate: boolean
  /** A window of the same fingerprint that had run out but was not closed yet. */
  readonly expired: Option.Option<DuplicateWindow>
}

/** The open windows of one ErrorTracking service. */
export interface DuplicateWindows {
  /** Whether this occurrence is a duplicate; opens a window (and its closing fiber) when it is not. */
  readonly isDuplicate: (fingerprint: string, now: number, type: string, message: string) => Effect.Effect<boolean>
  /** Forgets every open window without reporting it. */
  readonly reset: Effect.Effect<void>
}

/**
 * Windows of `windowMillis` (`0` or less: nothing is a duplicate), each reported through `report` when it
 * closes; the windows still open when the scope closes are reported then.
 */
export const makeDuplicateWindows = (
  windowMillis: number,
  report: (fingerprint: string, window: DuplicateWindow) => Effect.Effect<unknown>
): Effect.Effect<DuplicateWindows, never, Scope.Scope> =>
  Effect.gen(function*() {
    const windows = yield* Ref.make(HashMap.empty<string, DuplicateWindow>())
    const emit = (fingerprint: string, w: DuplicateWindow) =>
      w.duplicates > 0 ? Effect.asVoid(report(fingerprint, w)) : Effect.void

    /** Closes the window opened at `firstSeen` (not a later one of the same fingerprint) and reports its duplicates. */
    const closeWindow = (fingerprint: string, firstSeen: number) =>
      Ref.modify(windows, (m) => {
        const w = HashMap.get(m, fingerprint)
        return Option.isSome(w) && w.value.firstSeen === firstSeen
          ? [w, HashMap.remove(m, fingerprint)] as const
          : [Option.none<DuplicateWindow>(), m] as const
      }).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.void, onSome: (w) => emit(fingerprint, w) })))

    // Registered before the FiberMap: finalizers run in reverse, so the window fibers are stopped first
    // and then every open window reports its duplicates, none lost when the scope closes.
    yield* Effect.addFinalizer(() =>
      Ref.getAndSet(windows, HashMap.empty()).pipe(
        Effect.flatMap((m) => Effect.forEach(m, ([fp, w]) => emit(fp, w), { discard: true }))
      )
    )
    const windowFibers = yield* FiberMap.make<string>()

    const isDuplicate = (fingerprint: string, now: number, type: string, message: string): Effect.Effect<boolean> => {
      if (windowMillis <= 0) return Effect.succeed(false)
      return Ref.modify(windows, (m): readonly [WindowDecision, HashMap.HashMap<string, DuplicateWindow>] => {
        const open = HashMap.get(m, fingerprint)
        if (Option.isSome(open) && now - open.value.firstSeen < windowMillis) {
          const w = open.value
          return [
            { duplicate: true, expired: Option.none() },
            HashMap.set(m, fingerprint, { ...w, duplicates: w.duplicates + 1, lastSeen: Math.max(w.lastSeen, now) })
          ]
        }
        const fresh: DuplicateWindow = { firstSeen: now, lastSeen: now, duplicates: 0, type, message }
        return [{ duplicate: false, expired: open }, HashMap.set(m, fingerprint, fresh)]
      }).pipe(
        Effect.tap(({ duplicate, expired }) =>
          duplicate ? Effect.void : Effect.all([
            // A window whose fiber has not run yet (same instant) is reported here instead.
            Option.match(expired, { onNone: () => Effect.void, onSome: (w) => emit(fingerprint, w) }),
            FiberMap.run(
              windowFibers,
              fingerprint,
              // Interruptible although forked from the uninterruptible capture: closing the scope must stop it.
              Effect.sleep(Duration.millis(windowMillis)).pipe(
                Effect.zipRight(closeWindow(fingerprint, now)),
                Effect.interruptible
              )
            )
          ], { discard: true })
        ),
        Effect.map(({ duplicate }) => duplicate)
      )
    }

    // The closing fibers first, so none reports a window forgotten below.
    const reset = Effect.zipRight(FiberMap.clear(windowFibers), Ref.set(windows, HashMap.empty()))
    return { isDuplicate, reset }
  })
