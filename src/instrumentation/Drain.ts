/**
 * A bounded queue filled synchronously (from `span.end` or a logger, which cannot run effects) and drained
 * by a fiber of the layer's scope. The drain's own work is never traced and never logged back into a bridge.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"

/**
 * True in the fibers that drain a bridge: what they log is ignored by the logger bridge, so a capture that
 * fails and logs why cannot loop back into another capture.
 */
export const inBridge: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(false)

/** What a drain has seen. */
export interface DrainCounts {
  offered: number
  dropped: number
  processed: number
  /** Chunks whose processing failed or died (their items count as processed). */
  failures: number
}

/** A queue and the fiber draining it. */
export interface Drain<A> {
  /** Queues one item; when the queue is full it is dropped and counted. Synchronous, never blocks. */
  readonly offer: (item: A) => void
  /** Waits until what was offered so far is handled. */
  readonly flush: Effect.Effect<void>
  readonly counts: Readonly<DrainCounts>
}

/** Most items processed in one chunk. */
const maxChunk = 1024

/** Runs an effect as the drain does: untraced, its logs kept from the bridges. */
export const asBridge = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  self.pipe(Effect.withTracerEnabled(false), Effect.locally(inBridge, true))

/** A queue of `capacity` items whose chunks `process` handles in order, in a fiber of the scope. */
export const make = <A>(
  capacity: number,
  process: (chunk: ReadonlyArray<A>) => Effect.Effect<void>
): Effect.Effect<Drain<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.dropping<A>(capacity)
    // Plain fields behind the synchronous `offer`: it runs in `span.end`, a measured hot path.
    const counts: DrainCounts = { offered: 0, dropped: 0, processed: 0, failures: 0 }
    // Uninterruptible: a chunk taken is handled whole, also when the scope closes mid-chunk.
    const handle = (chunk: Chunk.Chunk<A>) =>
      Chunk.isEmpty(chunk) ? Effect.void : process(Chunk.toReadonlyArray(chunk)).pipe(
        Effect.catchAllCause(() =>
          Effect.sync(() => {
            counts.failures++
          })
        ),
        Effect.ensuring(Effect.sync(() => {
          counts.processed += Chunk.size(chunk)
        })),
        Effect.uninterruptible
      )
    // Registered before the fiber is forked, so it runs after the fiber is stopped: nothing offered is lost.
    yield* Effect.addFinalizer(() => asBridge(Effect.flatMap(Queue.takeAll(queue), handle)))
    yield* Effect.forkScoped(asBridge(Effect.forever(Effect.flatMap(Queue.takeBetween(queue, 1, maxChunk), handle))))
    // The drain fiber alone handles chunks, so they are handled in the order they were offered.
    const flush = Effect.suspend(() => {
      const target = counts.offered - counts.dropped
      const settled: Effect.Effect<void> = Effect.suspend(() =>
        counts.processed >= target ? Effect.void : Effect.zipRight(Effect.yieldNow(), settled)
      )
      return settled
    })
    const offer = (item: A): void => {
      counts.offered++
      if (!queue.unsafeOffer(item)) counts.dropped++
    }
    return { offer, flush, counts }
  })
