/**
 * A bounded buffer filled synchronously (from `span.end` or a logger, which cannot run effects) and drained
 * by a fiber of the layer's scope. The drain's own work is never traced and never logged back into a bridge.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
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

/** A buffer and the fiber draining it. */
export interface Drain<A> {
  /** Buffers one item; when the buffer is full it is dropped and counted. Synchronous, never blocks. */
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

/**
 * A ring of slots, each cleared when taken. Not Effect's `Queue`: its linked list keeps a pointer from
 * each taken node to the next, so once one node is promoted to the old generation every later item (a span
 * and all it holds) is promoted after it — measured as most of the bridge's GC cost (bench/tracer-bridge.ts).
 */
class Ring<A> {
  // Grown by doubling up to `capacity`, so a large capacity costs memory only once it is used.
  private slots: Array<A | undefined>
  private head = 0
  size = 0
  constructor(readonly capacity: number) {
    this.slots = new Array(Math.min(capacity, 1_024)).fill(undefined)
  }
  push(item: A): boolean {
    if (this.size === this.slots.length) {
      if (this.size === this.capacity) return false
      this.grow()
    }
    let at = this.head + this.size
    if (at >= this.slots.length) at -= this.slots.length
    this.slots[at] = item
    this.size++
    return true
  }
  take(max: number): Array<A> {
    const n = Math.min(max, this.size)
    const out = new Array<A>(n)
    for (let i = 0; i < n; i++) {
      out[i] = this.slots[this.head] as A
      this.slots[this.head] = undefined
      if (++this.head === this.slots.length) this.head = 0
    }
    this.size -= n
    return out
  }
  private grow(): void {
    const size = this.size
    const items = this.take(size)
    this.slots = new Array(Math.min(this.capacity, this.slots.length * 2)).fill(undefined)
    for (let i = 0; i < size; i++) this.slots[i] = items[i]
    this.head = 0
    this.size = size
  }
}

/** A buffer of `capacity` items whose chunks `process` handles in order, in a fiber of the scope. */
export const make = <A>(
  capacity: number,
  process: (chunk: ReadonlyArray<A>) => Effect.Effect<void>
): Effect.Effect<Drain<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    // Plain fields behind the synchronous `offer`: it runs in `span.end`, a measured hot path.
    const ring = new Ring<A>(Math.max(1, capacity))
    const counts: DrainCounts = { offered: 0, dropped: 0, processed: 0, failures: 0 }
    // Set while the drain fiber waits for an item; the first `offer` after that resumes it.
    let wake: ((_: Effect.Effect<void>) => void) | undefined
    const nextItem = Effect.async<void>((resume) => {
      if (ring.size > 0) return resume(Effect.void)
      wake = resume
      return Effect.sync(() => {
        wake = undefined
      })
    })
    // Uninterruptible: a chunk taken is handled whole, also when the scope closes mid-chunk.
    const handle = (chunk: ReadonlyArray<A>) =>
      chunk.length === 0 ? Effect.void : process(chunk).pipe(
        Effect.catchAllCause(() =>
          Effect.sync(() => {
            counts.failures++
          })
        ),
        Effect.ensuring(Effect.sync(() => {
          counts.processed += chunk.length
        })),
        Effect.uninterruptible
      )
    const takeAll = Effect.suspend(() => handle(ring.take(ring.size)))
    // Registered before the fiber is forked, so it runs after the fiber is stopped: nothing offered is lost.
    yield* Effect.addFinalizer(() => asBridge(takeAll))
    const step = Effect.zipRight(nextItem, Effect.suspend(() => handle(ring.take(maxChunk))))
    yield* Effect.forkScoped(asBridge(Effect.forever(step)))
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
      if (!ring.push(item)) counts.dropped++
      else if (wake !== undefined) {
        const resume = wake
        wake = undefined
        resume(Effect.void)
      }
    }
    return { offer, flush, counts }
  })
