/**
 * One capture per error, shared by the tracer and logger bridges: a failure that propagates through nested
 * spans, or is also logged with `Effect.logError(cause)`, reaches ErrorTracking once.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Equal from "effect/Equal"

/** Decides whether a Cause holds an error not captured yet. */
export interface CaptureOnce {
  /**
   * True when `cause` has a failure or defect not seen before (then all of them count as seen): objects are
   * remembered by identity (a `WeakSet`), a Cause of primitive failures (`Effect.fail("boom")`) by equality
   * with the last `recentCauses` such Causes. False for a Cause of interruptions only.
   */
  readonly firstTime: (cause: Cause.Cause<unknown>) => boolean
}

/** How many Causes of primitive failures are remembered. */
export const recentCauses = 32

const isObject = (u: unknown): u is object => (typeof u === "object" && u !== null) || typeof u === "function"

/** A fresh memory of captured errors. */
export const make = (): CaptureOnce => {
  const seen = new WeakSet<object>()
  const recent: Array<Cause.Cause<unknown>> = []
  return {
    firstTime: (cause) => {
      const leaves = [...Chunk.toReadonlyArray(Cause.failures(cause)), ...Chunk.toReadonlyArray(Cause.defects(cause))]
      if (leaves.length === 0) return false
      let fresh = false
      let primitive = false
      for (const leaf of leaves) {
        if (!isObject(leaf)) primitive = true
        else if (!seen.has(leaf)) fresh = true
      }
      if (primitive && !recent.some((r) => Equal.equals(r, cause))) {
        fresh = true
        recent.push(cause)
        if (recent.length > recentCauses) recent.shift()
      }
      for (const leaf of leaves) if (isObject(leaf)) seen.add(leaf)
      return fresh
    }
  }
}

const byService = new WeakMap<object, CaptureOnce>()

/** The memory shared by every bridge capturing into one ErrorTracking service. */
export const forService = (errorTracking: object): CaptureOnce => {
  let once = byService.get(errorTracking)
  if (once === undefined) {
    once = make()
    byService.set(errorTracking, once)
  }
  return once
}
